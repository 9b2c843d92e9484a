new.gc:13:22: goc_new(struct node) escapes to heap
new.gc:22:26: goc_new(struct node) escapes to heap
new.gc:34:16: goc_new(int) does not escape
new.gc:36:25: goc_new(struct node) does not escape
new.gc:37:18: goc_new(struct node) escapes to heap
new.gc:48:25: goc_new(struct node) escapes to heap
new.gc:52:26: goc_new(struct node) escapes to heap
new.gc:55:27: goc_new(struct node) escapes to heap
new.gc:57:5: shared captured by value by a go block
new.gc:57:5: done captured by value by a go block
new.gc:60:17: goc_new(int) does not escape
