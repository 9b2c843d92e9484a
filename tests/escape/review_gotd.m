review_gotd.gc:10:9: moved to heap: x
review_gotd.gc:10:19: moved to heap: y
