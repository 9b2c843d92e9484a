/*
 * pingpong: two goroutines, round trips over two unbuffered channels.
 * Twin of bench/go/pingpong/main.go.
 */
#include <goc.h>
#include <inttypes.h>
#include <stdio.h>

#define WARMUP 10000
#define TRIPS 1000000

static goc_chan *ping, *pong;

static void ponger(void *arg)
{
    int64_t n = (int64_t)(intptr_t)arg;
    for (int64_t i = 0; i < n; i++) {
        int64_t v;
        goc_chan_recv(ping, &v);
        v++;
        goc_chan_send(pong, &v);
    }
}

static int64_t run(int64_t n)
{
    int64_t sum = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t v = i;
        goc_chan_send(ping, &v);
        goc_chan_recv(pong, &v);
        sum += v;
    }
    return sum;
}

static int real_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    ping = goc_chan_make(sizeof(int64_t), 0);
    pong = goc_chan_make(sizeof(int64_t), 0);
    goc_go(ponger, (void *)(intptr_t)(WARMUP + TRIPS));
    run(WARMUP);
    int64_t start = goc_nanotime();
    int64_t sum = run(TRIPS);
    int64_t el = goc_nanotime() - start;
    printf("RESULT pingpong ns_per_op %.1f\n", (double)el / TRIPS);
    fflush(stdout);
    const int64_t want = (int64_t)TRIPS * (TRIPS + 1) / 2;
    if (sum != want) {
        fprintf(stderr, "pingpong: wrong sum %" PRId64 ", want %" PRId64 "\n", sum, want);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) { return goc_main(real_main, argc, argv); }
