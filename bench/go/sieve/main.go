// sieve: the classic concurrent prime sieve (generate -> chain of filter
// goroutines over unbuffered channels), first 5,000 primes.
// Twin of bench/sieve.c.
package main

import (
	"fmt"
	"os"
	"time"
)

const (
	nprimes = 5000
	want    = 48611 // the 5000th prime
)

func generate(ch chan<- int64) {
	for i := int64(2); ; i++ {
		ch <- i
	}
}

func filter(in <-chan int64, out chan<- int64, prime int64) {
	for {
		i := <-in
		if i%prime != 0 {
			out <- i
		}
	}
}

func main() {
	start := time.Now()
	ch := make(chan int64)
	go generate(ch)
	var prime int64
	for i := 0; i < nprimes; i++ {
		prime = <-ch
		ch1 := make(chan int64)
		go filter(ch, ch1, prime)
		ch = ch1
	}
	el := time.Since(start)
	fmt.Printf("sieve prime %d %d\n", nprimes, prime)
	fmt.Printf("RESULT sieve time_ms %.1f\n", float64(el.Nanoseconds())/1e6)
	if prime != want {
		fmt.Fprintf(os.Stderr, "sieve: wrong prime %d, want %d\n", prime, want)
		os.Exit(1)
	}
}
