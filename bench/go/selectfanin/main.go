// selectfanin: 8 producers, each on its own unbuffered channel; one consumer
// selecting over the 8 channels receives all N messages.
// Twin of bench/selectfanin.c.
package main

import (
	"fmt"
	"os"
	"time"
)

const (
	producers = 8
	total     = 1000000
	per       = total / producers
)

func producer(c chan<- int64, p int) {
	base := int64(p) * per
	for i := int64(0); i < per; i++ {
		c <- base + i
	}
}

func main() {
	var chs [producers]chan int64
	for p := range chs {
		chs[p] = make(chan int64)
	}
	start := time.Now()
	for p := range chs {
		go producer(chs[p], p)
	}
	var counts [producers]int64
	var sum int64
	for i := 0; i < total; i++ {
		var v int64
		var k int
		select {
		case v = <-chs[0]:
			k = 0
		case v = <-chs[1]:
			k = 1
		case v = <-chs[2]:
			k = 2
		case v = <-chs[3]:
			k = 3
		case v = <-chs[4]:
			k = 4
		case v = <-chs[5]:
			k = 5
		case v = <-chs[6]:
			k = 6
		case v = <-chs[7]:
			k = 7
		}
		counts[k]++
		sum += v
	}
	el := time.Since(start)
	fmt.Printf("RESULT selectfanin ns_per_msg %.1f\n", float64(el.Nanoseconds())/total)
	for p, c := range counts {
		if c != per {
			fmt.Fprintf(os.Stderr, "selectfanin: channel %d delivered %d, want %d\n", p, c, per)
			os.Exit(1)
		}
	}
	if sum != int64(total)*(total-1)/2 {
		fmt.Fprintf(os.Stderr, "selectfanin: wrong sum %d\n", sum)
		os.Exit(1)
	}
}
