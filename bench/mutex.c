/*
 * mutex: 8 goroutines incrementing one shared counter under one mutex,
 * N increments in total.  Twin of bench/go/mutex/main.go.
 */
#include <goc.h>
#include <inttypes.h>
#include <stdio.h>

#define WORKERS 8
#define TOTAL 10000000LL
#define PER (TOTAL / WORKERS)

/* The mutex and the counter share a cache line, as Go's adjacent globals
 * `mu` and `counter` do. */
static struct {
    goc_mutex mu;
    int64_t counter;
} shared __attribute__((aligned(64)));
#define mu shared.mu
#define counter shared.counter
static goc_waitgroup wg;

static void worker(void *arg)
{
    (void)arg;
    for (int64_t i = 0; i < PER; i++) {
        goc_mutex_lock(&mu);
        counter++;
        goc_mutex_unlock(&mu);
    }
    goc_waitgroup_done(&wg);
}

static int real_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    goc_waitgroup_add(&wg, WORKERS);
    int64_t start = goc_nanotime();
    for (int w = 0; w < WORKERS; w++)
        goc_go(worker, NULL);
    goc_waitgroup_wait(&wg);
    int64_t el = goc_nanotime() - start;
    printf("RESULT mutex ns_per_op %.2f\n", (double)el / TOTAL);
    fflush(stdout);
    if (counter != TOTAL) {
        fprintf(stderr, "mutex: counter %" PRId64 ", want %lld\n", counter, TOTAL);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) { return goc_main(real_main, argc, argv); }
