go_args.gc:12:23: moved to heap: v
go_args.gc:20:9: moved to heap: direct
go_args.gc:23:9: moved to heap: via
go_args.gc:27:9: moved to heap: chained
go_args.gc:31:9: moved to heap: inside
go_args.gc:35:10: moved to heap: buf
go_args.gc:41:9: moved to heap: api
