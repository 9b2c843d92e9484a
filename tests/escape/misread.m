misread.gc:13:10: moved to heap: n
misread.gc:14:5: n captured by a go block
misread.gc:20:9: moved to heap: v
misread.gc:21:10: moved to heap: q
misread.gc:24:5: q captured by a go block
misread.gc:29:9: kept stays on the stack: the macro 'SHOW_KEPT' names it
