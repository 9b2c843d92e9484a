review_static1.gc:7:5: n captured by a go block
review_static1.gc:7:5: done captured by value by a go block
