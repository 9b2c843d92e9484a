// spawn: 100,000 goroutines each parked on a receive from one shared channel.
// Reports the spawn time per goroutine cold (first batch in a fresh process)
// and warm (second batch, after the first has been released by closing its
// channel and all its goroutines have exited), and the RSS per parked
// goroutine of the first batch. "Spawned" means started and parked: the time
// runs from the first go statement until every goroutine has checked in on a
// WaitGroup right before its receive.
// Twin of bench/spawn.c.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

const n = 100000

type batch struct {
	ch      chan int64
	started sync.WaitGroup
	exited  sync.WaitGroup
}

// Globals, so that the go statements take no arguments (no closure to
// allocate): the benchmark measures the runtime.
var b1, b2 batch

func park(b *batch) {
	b.started.Done()
	<-b.ch
	b.exited.Done()
}

func parked1() { park(&b1) }
func parked2() { park(&b2) }

func vmRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "VmRSS:") {
			fs := strings.Fields(line[len("VmRSS:"):])
			kb, err := strconv.ParseInt(fs[0], 10, 64)
			if err != nil {
				panic(err)
			}
			return kb * 1024
		}
	}
	panic("no VmRSS in /proc/self/status")
}

func spawn(b *batch, fn func()) time.Duration {
	b.ch = make(chan int64)
	b.started.Add(n)
	b.exited.Add(n)
	start := time.Now()
	for i := 0; i < n; i++ {
		go fn()
	}
	b.started.Wait()
	return time.Since(start)
}

func release(b *batch) {
	close(b.ch)
	b.exited.Wait()
}

func main() {
	base := vmRSS()
	cold := spawn(&b1, parked1)
	time.Sleep(10 * time.Millisecond) // let the last check-ins reach their receive
	rss := vmRSS()
	if g := runtime.NumGoroutine(); g < n {
		fmt.Fprintf(os.Stderr, "spawn: only %d goroutines alive\n", g)
		os.Exit(1)
	}
	release(&b1)
	warm := spawn(&b2, parked2)
	release(&b2)

	fmt.Printf("RESULT spawn cold_ns %.1f\n", float64(cold.Nanoseconds())/n)
	fmt.Printf("RESULT spawn warm_ns %.1f\n", float64(warm.Nanoseconds())/n)
	fmt.Printf("RESULT spawn rss_bytes %.0f\n", float64(rss-base)/n)
}
