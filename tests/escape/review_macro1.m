review_macro1.gc:8:9: moved to heap: x
review_macro1.gc:10:5: p captured by value by a go block
