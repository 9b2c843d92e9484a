review_arr2.gc:9:10: moved to heap: ptrs
review_arr2.gc:11:9: moved to heap: v
review_arr2.gc:13:5: pp captured by value by a go block
review_arr2.gc:13:5: p captured by value by a go block
