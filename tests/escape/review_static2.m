review_static2.gc:8:12: goc_new(int) escapes to heap
