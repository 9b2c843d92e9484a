review_extern1.gc:9:5: g captured by a go block
review_extern1.gc:9:5: done captured by value by a go block
