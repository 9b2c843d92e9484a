// pingpong: two goroutines, round trips over two unbuffered channels.
// Twin of bench/pingpong.c.
package main

import (
	"fmt"
	"os"
	"time"
)

const (
	warmup = 10000
	trips  = 1000000
)

func ponger(ping, pong chan int64, n int) {
	for i := 0; i < n; i++ {
		v := <-ping
		pong <- v + 1
	}
}

func run(ping, pong chan int64, n int) int64 {
	var sum int64
	for i := 0; i < n; i++ {
		ping <- int64(i)
		sum += <-pong
	}
	return sum
}

func main() {
	ping := make(chan int64)
	pong := make(chan int64)
	go ponger(ping, pong, warmup+trips)
	run(ping, pong, warmup)
	start := time.Now()
	sum := run(ping, pong, trips)
	el := time.Since(start)
	fmt.Printf("RESULT pingpong ns_per_op %.1f\n", float64(el.Nanoseconds())/trips)
	want := int64(trips) * (trips + 1) / 2
	if sum != want {
		fmt.Fprintf(os.Stderr, "pingpong: wrong sum %d, want %d\n", sum, want)
		os.Exit(1)
	}
}
