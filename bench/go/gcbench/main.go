// gcbench: twin of bench/gcbench.gc — the benchmarks game's binary trees,
// single-threaded, every node a &Node{} on Go's heap. A stretch tree of
// depth N+1, a long-lived tree of depth N, then 2^(N-d+4) trees of each depth
// d = 4, 6, ..., N, each built, checked and dropped; N is os.Args[1]
// (default 20). Pauses come from runtime.ReadMemStats: PauseNs is a ring of
// the last 256 cycles' stop-the-world time, so it is read after every depth
// (a few cycles each) and the pauses of any cycle that fell out of the ring
// in between are counted in the gcbench_lost_pauses line on stderr.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"time"
)

const minDepth = 4

type Node struct {
	left, right *Node
}

func build(depth int) *Node {
	if depth <= 0 {
		return &Node{}
	}
	return &Node{build(depth - 1), build(depth - 1)}
}

func (n *Node) check() int64 {
	if n.left == nil {
		return 1
	}
	return 1 + n.left.check() + n.right.check()
}

// verify exits if sum is not the node count of trees trees of depth depth.
func verify(sum, trees int64, depth int) {
	want := trees * (int64(2)<<depth - 1)
	if sum != want {
		fmt.Fprintf(os.Stderr, "gcbench: check %d at depth %d, want %d\n", sum, depth, want)
		os.Exit(1)
	}
}

// pauses collects every cycle's pause from the PauseNs ring.
type pauses struct {
	seen uint32   // cycles already collected
	ns   []uint64 // their pauses
	lost uint32   // cycles that left the ring before they were read
}

func (p *pauses) collect() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	ring := uint32(len(ms.PauseNs))
	if ms.NumGC-p.seen > ring {
		p.lost += ms.NumGC - p.seen - ring
		p.seen = ms.NumGC - ring
	}
	for ; p.seen < ms.NumGC; p.seen++ {
		p.ns = append(p.ns, ms.PauseNs[p.seen%ring])
	}
}

// maxAndP99 returns the longest pause and the 99th percentile (nearest rank).
func (p *pauses) maxAndP99() (uint64, uint64) {
	if len(p.ns) == 0 {
		return 0, 0
	}
	s := append([]uint64(nil), p.ns...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := (99*len(s) + 99) / 100
	return s[len(s)-1], s[rank-1]
}

func main() {
	n := 20
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	maxDepth := n
	if maxDepth < minDepth+2 {
		maxDepth = minDepth + 2
	}
	var ps pauses
	start := time.Now()

	sum := build(maxDepth + 1).check()
	verify(sum, 1, maxDepth+1)
	fmt.Printf("stretch tree of depth %d\t check: %d\n", maxDepth+1, sum)

	longLived := build(maxDepth)
	for d := minDepth; d <= maxDepth; d += 2 {
		iterations := int64(1) << (maxDepth - d + minDepth)
		sum = 0
		for i := int64(0); i < iterations; i++ {
			sum += build(d).check()
		}
		verify(sum, iterations, d)
		fmt.Printf("%d\t trees of depth %d\t check: %d\n", iterations, d, sum)
		ps.collect()
	}
	sum = longLived.check()
	verify(sum, 1, maxDepth)
	fmt.Printf("long lived tree of depth %d\t check: %d\n", maxDepth, sum)

	el := time.Since(start)
	ps.collect()
	max, p99 := ps.maxAndP99()
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("RESULT gcbench time_ms %.1f\n", float64(el.Nanoseconds())/1e6)
	fmt.Printf("RESULT gcbench pause_max_ms %.3f\n", float64(max)/1e6)
	fmt.Printf("RESULT gcbench pause_p99_ms %.3f\n", float64(p99)/1e6)
	fmt.Printf("RESULT gcbench gc_cycles %d\n", ps.seen)
	fmt.Printf("RESULT gcbench peak_rss_mb %.1f\n", float64(ru.Maxrss)/1024)
	if ps.lost > 0 {
		fmt.Fprintf(os.Stderr, "gcbench_lost_pauses %d\n", ps.lost)
	}
}
