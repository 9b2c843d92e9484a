returning.gc:19:9: moved to heap: n
returning.gc:25:9: moved to heap: counter
returning.gc:26:10: moved to heap: label
returning.gc:27:5: counter captured by a go block
returning.gc:27:5: done captured by value by a go block
returning.gc:27:5: label captured by a go block
returning.gc:37:13: moved to heap: v
