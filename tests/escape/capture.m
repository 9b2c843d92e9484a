capture.gc:14:5: msg captured by value by a go block
capture.gc:14:5: fixed captured by value by a go block
capture.gc:14:5: done captured by value by a go block
capture.gc:17:9: moved to heap: counter
capture.gc:18:5: counter captured by a go block
capture.gc:18:5: done captured by value by a go block
capture.gc:22:9: moved to heap: later
capture.gc:23:5: done captured by value by a go block
capture.gc:23:5: later captured by a go block
capture.gc:28:18: moved to heap: pt
capture.gc:29:5: pt captured by a go block
capture.gc:29:5: done captured by value by a go block
capture.gc:32:9: moved to heap: doubled
capture.gc:34:5: doubled captured by a go block
capture.gc:34:5: done captured by value by a go block
capture.gc:37:9: moved to heap: taken
capture.gc:39:5: taken captured by a go block
capture.gc:39:5: done captured by value by a go block
capture.gc:44:9: done captured by value by a go block
capture.gc:44:9: i captured by value by a go block
capture.gc:49:14: moved to heap: j
capture.gc:51:9: done captured by value by a go block
capture.gc:51:9: j captured by a go block
capture.gc:58:5: outer captured by value by a go block
capture.gc:58:5: done captured by value by a go block
