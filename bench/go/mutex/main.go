// mutex: 8 goroutines incrementing one shared counter under one mutex,
// N increments in total. Twin of bench/mutex.c.
package main

import (
	"fmt"
	"os"
	"sync"
	"time"
)

const (
	workers = 8
	total   = 10000000
	per     = total / workers
)

var (
	mu      sync.Mutex
	counter int64
)

func worker(wg *sync.WaitGroup) {
	for i := 0; i < per; i++ {
		mu.Lock()
		counter++
		mu.Unlock()
	}
	wg.Done()
}

func main() {
	var wg sync.WaitGroup
	wg.Add(workers)
	start := time.Now()
	for w := 0; w < workers; w++ {
		go worker(&wg)
	}
	wg.Wait()
	el := time.Since(start)
	fmt.Printf("RESULT mutex ns_per_op %.2f\n", float64(el.Nanoseconds())/total)
	if counter != total {
		fmt.Fprintf(os.Stderr, "mutex: counter %d, want %d\n", counter, total)
		os.Exit(1)
	}
}
