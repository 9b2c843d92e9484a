review_defer1.gc:7:13: moved to heap: x
review_defer1.gc:11:13: moved to heap: y
review_defer1.gc:13:9: q captured by value by a deferred block
