// defercall: twin of bench/defercall.gc — a function with one deferred
// call (open-coded since Go 1.14), with a deferred closure, and with the
// call written inline.
package main

import (
	"fmt"
	"os"
	"time"
)

const n = 50000000

var counter int64

//go:noinline
func bump(by int64) { counter += by }

//go:noinline
func inlineCall(i int64) {
	counter += i & 1
	bump(1)
}

//go:noinline
func deferredCall(i int64) {
	defer bump(1)
	counter += i & 1
}

//go:noinline
func deferredBlock(i int64) {
	defer func() { bump(1) }()
	counter += i & 1
}

func timed(metric string, f func(int64)) {
	start := time.Now()
	for i := int64(0); i < n; i++ {
		f(i)
	}
	el := time.Since(start)
	fmt.Printf("RESULT defercall %s %.3f\n", metric, float64(el.Nanoseconds())/n)
}

func main() {
	timed("inline_ns", inlineCall)
	timed("defer_ns", deferredCall)
	timed("deferblock_ns", deferredBlock)
	want := int64(3 * (n + n/2))
	if counter != want {
		fmt.Fprintf(os.Stderr, "defercall: counter %d, want %d\n", counter, want)
		os.Exit(1)
	}
}
