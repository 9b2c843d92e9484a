review_self.gc:8:17: moved to heap: head
review_self.gc:9:5: head captured by a go block
review_self.gc:15:9: moved to heap: x
review_self.gc:16:5: x captured by a go block
