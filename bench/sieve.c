/*
 * sieve: the classic concurrent prime sieve (generate -> chain of filter
 * goroutines over unbuffered channels), first 5,000 primes.
 * Twin of bench/go/sieve/main.go.  The filters' arguments live in one array
 * allocated up front; the goroutines are abandoned at exit, as in Go.
 */
#include <goc.h>
#include <inttypes.h>
#include <stdio.h>

#define NPRIMES 5000
#define WANT 48611 /* the 5000th prime */

struct filter_arg {
    goc_chan *in, *out;
    int64_t prime;
};

static struct filter_arg filters[NPRIMES];

static void generate(void *arg)
{
    goc_chan *ch = arg;
    for (int64_t i = 2;; i++)
        goc_chan_send(ch, &i);
}

static void filter(void *arg)
{
    struct filter_arg *f = arg;
    goc_chan *in = f->in, *out = f->out;
    int64_t prime = f->prime;
    for (;;) {
        int64_t i;
        goc_chan_recv(in, &i);
        if (i % prime != 0)
            goc_chan_send(out, &i);
    }
}

static int real_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    int64_t start = goc_nanotime();
    goc_chan *ch = goc_chan_make(sizeof(int64_t), 0);
    goc_go(generate, ch);
    int64_t prime = 0;
    for (int i = 0; i < NPRIMES; i++) {
        goc_chan_recv(ch, &prime);
        goc_chan *ch1 = goc_chan_make(sizeof(int64_t), 0);
        filters[i] = (struct filter_arg){ch, ch1, prime};
        goc_go(filter, &filters[i]);
        ch = ch1;
    }
    int64_t el = goc_nanotime() - start;
    printf("sieve prime %d %" PRId64 "\n", NPRIMES, prime);
    printf("RESULT sieve time_ms %.1f\n", el / 1e6);
    fflush(stdout);
    if (prime != WANT) {
        fprintf(stderr, "sieve: wrong prime %" PRId64 ", want %d\n", prime, WANT);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) { return goc_main(real_main, argc, argv); }
