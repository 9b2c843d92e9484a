misread.gc:11:10: moved to heap: n
misread.gc:12:5: n captured by a go block
misread.gc:18:9: moved to heap: v
misread.gc:19:10: moved to heap: q
misread.gc:22:5: q captured by a go block
