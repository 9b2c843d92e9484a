// skynet: 1,111,111 goroutines in a tree of fan-out 10 (depth 6). Each leaf
// sends its number, each inner node sums its 10 children's results received
// over its own unbuffered channel and sends the sum up.
// Twin of bench/skynet.c.
package main

import (
	"fmt"
	"os"
	"time"
)

const (
	leaves = 1000000
	fanout = 10
	want   = int64(leaves) * (leaves - 1) / 2 // 499999500000
)

func skynet(c chan int64, num, size int64) {
	if size == 1 {
		c <- num
		return
	}
	rc := make(chan int64)
	size /= fanout
	for i := int64(0); i < fanout; i++ {
		go skynet(rc, num+i*size, size)
	}
	var sum int64
	for i := 0; i < fanout; i++ {
		sum += <-rc
	}
	c <- sum
}

func main() {
	start := time.Now()
	c := make(chan int64)
	go skynet(c, 0, leaves)
	total := <-c
	el := time.Since(start)
	fmt.Printf("skynet total %d\n", total)
	fmt.Printf("RESULT skynet time_ms %.1f\n", float64(el.Nanoseconds())/1e6)
	if total != want {
		fmt.Fprintf(os.Stderr, "skynet: wrong total %d, want %d\n", total, want)
		os.Exit(1)
	}
}
