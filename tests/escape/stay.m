stay.gc:13:16: a does not escape
stay.gc:15:9: x does not escape
stay.gc:18:10: buf does not escape
stay.gc:21:19: wg does not escape
stay.gc:24:5: c captured by value by a go block
stay.gc:28:9: values does not escape
