review_dgmin.gc:8:9: x captured by value by a deferred block
review_dgmin.gc:8:17: x captured by value by a go block
review_dgmin.gc:8:17: done captured by value by a go block
