review_arr1.gc:8:9: moved to heap: m
review_arr1.gc:11:5: p captured by value by a go block
review_arr1.gc:15:9: moved to heap: local
review_arr1.gc:18:5: q captured by value by a go block
