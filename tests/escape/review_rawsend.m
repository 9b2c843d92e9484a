review_rawsend.gc:7:9: moved to heap: x
review_rawsend.gc:8:10: p does not escape
review_rawsend.gc:15:10: q does not escape
