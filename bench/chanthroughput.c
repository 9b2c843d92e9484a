/*
 * chanthroughput: 4 producers, 4 consumers, one channel of capacity 1024,
 * N messages in total.  Twin of bench/go/chanthroughput/main.go.
 */
#include <goc.h>
#include <inttypes.h>
#include <stdio.h>

#define PRODUCERS 4
#define CONSUMERS 4
#define CAPACITY 1024
#define TOTAL 10000000LL
#define PER (TOTAL / PRODUCERS)

struct result {
    int64_t sum, count;
    char pad[48]; /* one cache line each */
};

static struct result results[CONSUMERS];
static goc_chan *c;
static goc_waitgroup pwg, cwg;

static void producer(void *arg)
{
    int64_t base = (int64_t)(intptr_t)arg * PER;
    for (int64_t i = 0; i < PER; i++) {
        int64_t v = base + i;
        goc_chan_send(c, &v);
    }
    goc_waitgroup_done(&pwg);
}

static void consumer(void *arg)
{
    struct result *r = arg;
    int64_t sum = 0, count = 0, v;
    while (goc_chan_recv(c, &v)) {
        sum += v;
        count++;
    }
    r->sum = sum;
    r->count = count;
    goc_waitgroup_done(&cwg);
}

static int real_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    c = goc_chan_make(sizeof(int64_t), CAPACITY);
    goc_waitgroup_add(&pwg, PRODUCERS);
    goc_waitgroup_add(&cwg, CONSUMERS);
    int64_t start = goc_nanotime();
    for (int k = 0; k < CONSUMERS; k++)
        goc_go(consumer, &results[k]);
    for (int p = 0; p < PRODUCERS; p++)
        goc_go(producer, (void *)(intptr_t)p);
    goc_waitgroup_wait(&pwg);
    goc_chan_close(c);
    goc_waitgroup_wait(&cwg);
    int64_t el = goc_nanotime() - start;
    int64_t sum = 0, count = 0;
    for (int k = 0; k < CONSUMERS; k++) {
        sum += results[k].sum;
        count += results[k].count;
    }
    printf("RESULT chanthroughput mmsg_per_s %.2f\n", (double)TOTAL / (el / 1e9) / 1e6);
    fflush(stdout);
    if (count != TOTAL || sum != TOTAL * (TOTAL - 1) / 2) {
        fprintf(stderr, "chanthroughput: wrong count %" PRId64 " / sum %" PRId64 "\n", count, sum);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) { return goc_main(real_main, argc, argv); }
