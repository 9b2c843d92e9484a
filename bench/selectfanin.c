/*
 * selectfanin: 8 producers, each on its own unbuffered channel; one consumer
 * selecting over the 8 channels receives all N messages.
 * Twin of bench/go/selectfanin/main.go.
 */
#include <goc.h>
#include <inttypes.h>
#include <stdio.h>

#define PRODUCERS 8
#define TOTAL 1000000LL
#define PER (TOTAL / PRODUCERS)

static goc_chan *chs[PRODUCERS];

static void producer(void *arg)
{
    int p = (int)(intptr_t)arg;
    goc_chan *c = chs[p];
    int64_t base = (int64_t)p * PER;
    for (int64_t i = 0; i < PER; i++) {
        int64_t v = base + i;
        goc_chan_send(c, &v);
    }
}

static int real_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    for (int p = 0; p < PRODUCERS; p++)
        chs[p] = goc_chan_make(sizeof(int64_t), 0);
    int64_t v = 0;
    goc_select_case cases[PRODUCERS];
    for (int p = 0; p < PRODUCERS; p++)
        cases[p] = (goc_select_case){.chan = chs[p], .elem = &v, .dir = GOC_SELECT_RECV};
    int64_t counts[PRODUCERS] = {0};
    int64_t sum = 0;

    int64_t start = goc_nanotime();
    for (int p = 0; p < PRODUCERS; p++)
        goc_go(producer, (void *)(intptr_t)p);
    for (int64_t i = 0; i < TOTAL; i++) {
        int k = goc_select(cases, PRODUCERS, false);
        if (k < 0 || k >= PRODUCERS || !cases[k].ok) {
            fprintf(stderr, "selectfanin: select returned %d\n", k);
            return 1;
        }
        counts[k]++;
        sum += v;
    }
    int64_t el = goc_nanotime() - start;
    printf("RESULT selectfanin ns_per_msg %.1f\n", (double)el / TOTAL);
    fflush(stdout);
    for (int p = 0; p < PRODUCERS; p++) {
        if (counts[p] != PER) {
            fprintf(stderr, "selectfanin: channel %d delivered %" PRId64 ", want %lld\n", p,
                    counts[p], PER);
            return 1;
        }
    }
    if (sum != TOTAL * (TOTAL - 1) / 2) {
        fprintf(stderr, "selectfanin: wrong sum %" PRId64 "\n", sum);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) { return goc_main(real_main, argc, argv); }
