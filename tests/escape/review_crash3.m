review_crash3.gc:5:19: goc_new(struct s) does not escape
review_crash3.gc:6:19: goc_new(typeof(*h)) does not escape
