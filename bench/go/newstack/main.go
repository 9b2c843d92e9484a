// newstack: twin of bench/newstack.gc — a stack struct, a new(T) that Go's
// escape analysis keeps on the stack, and a new(T) that escapes to the heap.
package main

import (
	"fmt"
	"os"
	"time"
)

const n = 20000000

type vec struct {
	x, y, z float64
	tag     int64
}

var kept *vec

func onStack(n int64) float64 {
	sum, fx := 0.0, 0.0
	tags := int64(0)
	for i := int64(0); i < n; i, fx = i+1, fx+1 {
		var v vec
		v.x = fx
		v.y = v.x * 2
		v.tag = i & 7
		sum += v.x + v.y + v.z
		tags += v.tag
	}
	return sum + float64(tags)
}

func newStack(n int64) float64 {
	sum, fx := 0.0, 0.0
	tags := int64(0)
	for i := int64(0); i < n; i, fx = i+1, fx+1 {
		v := new(vec)
		v.x = fx
		v.y = v.x * 2
		v.tag = i & 7
		sum += v.x + v.y + v.z
		tags += v.tag
	}
	return sum + float64(tags)
}

func newHeap(n int64) float64 {
	sum, fx := 0.0, 0.0
	tags := int64(0)
	for i := int64(0); i < n; i, fx = i+1, fx+1 {
		v := new(vec)
		v.x = fx
		v.y = v.x * 2
		v.tag = i & 7
		sum += v.x + v.y + v.z
		tags += v.tag
		kept = v
	}
	return sum + float64(tags)
}

func timed(metric string, f func(int64) float64, n int64) float64 {
	start := time.Now()
	sum := f(n)
	el := time.Since(start)
	fmt.Printf("RESULT newstack %s %.3f\n", metric, float64(el.Nanoseconds())/float64(n))
	return sum
}

func main() {
	a := timed("stack_ns", onStack, n)
	b := timed("new_ns", newStack, n)
	c := timed("heap_ns", newHeap, n/10)
	want := newStack(n / 10)
	if a != b || c != want {
		fmt.Fprintf(os.Stderr, "newstack: sums differ: %f %f %f %f\n", a, b, c, want)
		os.Exit(1)
	}
}
