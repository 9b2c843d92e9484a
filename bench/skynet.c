/*
 * skynet: 1,111,111 goroutines in a tree of fan-out 10 (depth 6).  Each leaf
 * sends its number, each inner node sums its 10 children's results received
 * over its own unbuffered channel and sends the sum up.
 * Twin of bench/go/skynet/main.go.
 *
 * No per-goroutine allocation: a node is named by its index in level order
 * (root 0, children of i are 10i+1 .. 10i+10), passed as the goroutine's
 * argument itself; inner node i publishes its channel in chans[i] before it
 * starts its children, and a child sends to chans[parent].  Level order keeps
 * the leaves in left-to-right order, so leaf i carries number i - FIRST_LEAF,
 * exactly as the recursive numbering num + k*size of the Go program.
 */
#include <goc.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define FANOUT 10
#define LEAVES 1000000LL
#define INNER 111111LL     /* 1 + 10 + ... + 10^5: nodes 0 .. INNER-1 */
#define FIRST_LEAF INNER   /* leaves are INNER .. INNER+LEAVES-1 */

static goc_chan *chans[INNER];
static goc_chan *result;

static void skynet(void *arg)
{
    int64_t i = (int64_t)(intptr_t)arg;
    goc_chan *up = i == 0 ? result : chans[(i - 1) / FANOUT];
    if (i >= FIRST_LEAF) {
        int64_t num = i - FIRST_LEAF;
        goc_chan_send(up, &num);
        return;
    }
    goc_chan *rc = goc_chan_make(sizeof(int64_t), 0);
    chans[i] = rc;
    for (int64_t k = 1; k <= FANOUT; k++)
        goc_go(skynet, (void *)(intptr_t)(i * FANOUT + k));
    int64_t sum = 0;
    for (int k = 0; k < FANOUT; k++) {
        int64_t v;
        goc_chan_recv(rc, &v);
        sum += v;
    }
    goc_chan_send(up, &sum);
}

static int real_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    const int64_t want = LEAVES * (LEAVES - 1) / 2; /* 499999500000 */
    int64_t start = goc_nanotime();
    result = goc_chan_make(sizeof(int64_t), 0);
    goc_go(skynet, (void *)(intptr_t)0);
    int64_t total = 0;
    goc_chan_recv(result, &total);
    int64_t el = goc_nanotime() - start;
    printf("skynet total %" PRId64 "\n", total);
    printf("RESULT skynet time_ms %.1f\n", el / 1e6);
    fflush(stdout);
    if (total != want) {
        fprintf(stderr, "skynet: wrong total %" PRId64 ", want %" PRId64 "\n", total, want);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) { return goc_main(real_main, argc, argv); }
