// chanthroughput: 4 producers, 4 consumers, one channel of capacity 1024,
// N messages in total. Twin of bench/chanthroughput.c.
package main

import (
	"fmt"
	"os"
	"sync"
	"time"
)

const (
	producers = 4
	consumers = 4
	capacity  = 1024
	total     = 10000000
	per       = total / producers
)

type result struct {
	sum, count int64
	_          [48]byte // one cache line each
}

var results [consumers]result

func producer(c chan<- int64, p int, wg *sync.WaitGroup) {
	base := int64(p) * per
	for i := int64(0); i < per; i++ {
		c <- base + i
	}
	wg.Done()
}

func consumer(c <-chan int64, k int, wg *sync.WaitGroup) {
	var sum, count int64
	for v := range c {
		sum += v
		count++
	}
	results[k].sum = sum
	results[k].count = count
	wg.Done()
}

func main() {
	c := make(chan int64, capacity)
	var pwg, cwg sync.WaitGroup
	pwg.Add(producers)
	cwg.Add(consumers)
	start := time.Now()
	for k := 0; k < consumers; k++ {
		go consumer(c, k, &cwg)
	}
	for p := 0; p < producers; p++ {
		go producer(c, p, &pwg)
	}
	pwg.Wait()
	close(c)
	cwg.Wait()
	el := time.Since(start)
	var sum, count int64
	for k := range results {
		sum += results[k].sum
		count += results[k].count
	}
	fmt.Printf("RESULT chanthroughput mmsg_per_s %.2f\n", float64(total)/el.Seconds()/1e6)
	if count != total || sum != int64(total)*(total-1)/2 {
		fmt.Fprintf(os.Stderr, "chanthroughput: wrong count %d / sum %d\n", count, sum)
		os.Exit(1)
	}
}
