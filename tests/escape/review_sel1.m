review_sel1.gc:7:9: moved to heap: v
review_sel1.gc:8:11: moved to heap: ok
review_sel1.gc:9:5: done captured by value by a go block
review_sel1.gc:9:5: v captured by a go block
review_sel1.gc:9:5: ok captured by a go block
review_sel1.gc:14:9: moved to heap: w
review_sel1.gc:15:5: done captured by value by a go block
review_sel1.gc:15:5: w captured by a go block
review_sel1.gc:20:9: moved to heap: u
review_sel1.gc:21:5: done captured by value by a go block
review_sel1.gc:21:5: u captured by a go block
