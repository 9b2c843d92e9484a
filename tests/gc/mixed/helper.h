/* helper.h — plain C functions (helper.c) that main.gc calls, and the .gc
 * function that helper.c calls back. */
#ifndef HELPER_H
#define HELPER_H

#include <goc.h>

/* A channel of int that a goroutine started from C fills with 1..n and
 * then closes. */
goc_chan *c_counter(int n);

/* A new channel of int elements with capacity cap. */
goc_chan *c_make_int_chan(int cap);

/* Receives ints from c until it is closed; returns their sum. */
long c_sum_ints(goc_chan *c);

/* Calls fn(i) for i in 0..n-1 and returns the sum of the results. */
int c_apply(int (*fn)(int), int n);

/* Deferred by main.gc: stores in *got what goc_recover returns to a
 * helper it calls (C recovers at any depth below the deferred call). */
void c_recover_into(const char **got);

/* Defined in main.gc: squares x on a goroutine and returns the result. */
int gc_square(int x);

#endif
