review_new2.gc:8:14: goc_new(int) escapes to heap
