review_newif.gc:6:19: goc_new(int) escapes to heap
