review_timer1.gc:8:9: moved to heap: x
