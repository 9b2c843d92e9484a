review_defnew.gc:8:26: goc_new(struct name) escapes to heap
