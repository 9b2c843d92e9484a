// httpd: a hello-world HTTP/1.1 server with keep-alive (SPEC §10), for
// bench/run, which starts it, loads it with wrk and reads wrk's figures.
// Twin of bench/httpd.gc.  This side is Go's own net/http server with a
// plain handler, as Go programs write it: "Go" in SPEC's table means
// net/http, not a hand-made parser on net.Conn.  net/http adds a Date
// header to every response and parses each request in full; the .gc side
// sends a fixed response.
//
// Usage: httpd [PORT] (default: $HTTPD_PORT, else 0, a free port).  It
// listens on 127.0.0.1, prints "LISTEN <port>" once it accepts, and serves
// until killed.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
)

var body = []byte("Hello, World!")

func hello(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", "13")
	w.Write(body)
}

func main() {
	port := os.Getenv("HTTPD_PORT")
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	if port == "" {
		port = "0"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintf(os.Stderr, "httpd: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("LISTEN %d\n", ln.Addr().(*net.TCPAddr).Port)
	err = http.Serve(ln, http.HandlerFunc(hello))
	fmt.Fprintf(os.Stderr, "httpd: %v\n", err)
	os.Exit(1)
}
