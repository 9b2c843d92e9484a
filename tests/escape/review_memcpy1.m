review_memcpy1.gc:8:9: moved to heap: x
review_memcpy1.gc:9:10: p does not escape
review_memcpy1.gc:9:19: moved to heap: q
review_memcpy1.gc:11:5: q captured by a go block
