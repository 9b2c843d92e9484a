defer.gc:11:13: moved to heap: seen
defer.gc:12:9: i captured by value by a deferred block
defer.gc:12:9: sq captured by value by a deferred block
defer.gc:12:9: seen captured by a deferred block
defer.gc:28:9: moved to heap: kept
