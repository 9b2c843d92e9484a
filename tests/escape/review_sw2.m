review_sw2.gc:8:13: moved to heap: x
review_sw2.gc:9:9: done captured by value by a go block
review_sw2.gc:9:9: x captured by a go block
