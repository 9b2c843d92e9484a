/*
 * select_stress.c — producers and consumers that only ever communicate
 * through goc_select, over a mix of unbuffered and buffered channels, with
 * relays in between that receive through one select and send through
 * another.  Every value is unique; the consumers' count, sum and hash sum
 * must equal those of the values sent, and a per-value flag catches any
 * duplicate.
 *
 *   producers  NP, VP values each.  One select per value over 2-4 send
 *              cases on random channels (the same channel may appear
 *              twice), every case offering the same value: exactly one may
 *              proceed.  Some selects also carry a nil case and a receive
 *              case on a channel nobody sends on, never ready.
 *   relays     NR: select-receive from the low half of the channels, then
 *              select-send to the high half, until quit is closed.
 *   consumers  NC: select-receive over quit and the high half of the
 *              channels (every fourth consumer: over all of them).
 *
 * When every value has been counted (a relay may still hold one until a
 * consumer takes it, so main waits for the count) main closes quit; all
 * relays and consumers leave.  Fixed seeds per goroutine.  Under
 * ThreadSanitizer (stress.h) fewer values and rounds.
 */
#include <goc.h>

#include "stress.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef STRESS_TSAN
enum { VP = 5000, ROUNDS = 4 };
#else
enum { VP = 1000, ROUNDS = 2 };
#endif

enum {
    NCH = 8,
    LOW = 4,                 /* relays take from [0, LOW), give to [LOW, NCH) */
    NP = 64,
    NV = NP * VP,
    NR = 32,
    NC = 32,
};

static const int caps[NCH] = { 0, 0, 1, 3, 0, 16, 0, 128 };

static goc_chan *ch[NCH];
static goc_chan *quit;
static goc_chan *never;                 /* nobody ever sends on it */

static _Atomic unsigned char seen[NV];
static _Atomic long count, duplicates, bad;
static _Atomic uint64_t sum, hashsum;
static _Atomic long relayed;

static goc_waitgroup producers_wg, others_wg;

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static void producer(void *arg)
{
    int p = (int)(intptr_t)arg;
    uint64_t seed = 0x243F6A8885A308D3ULL * (uint64_t)(p + 1);
    for (int j = 0; j < VP; j++) {
        uint32_t v = (uint32_t)(p * VP + j);
        uint32_t vals[6];
        goc_select_case cs[6];
        int n = 2 + (int)(rnd(&seed) % 3);
        for (int i = 0; i < n; i++) {
            vals[i] = v;
            cs[i] = (goc_select_case){ .chan = ch[rnd(&seed) % NCH], .elem = &vals[i],
                                       .dir = GOC_SELECT_SEND };
        }
        int extra = n;
        if (rnd(&seed) % 4 == 0) {
            cs[n++] = (goc_select_case){ .chan = NULL, .elem = &vals[0], .dir = GOC_SELECT_SEND };
            cs[n++] = (goc_select_case){ .chan = never, .elem = NULL, .dir = GOC_SELECT_RECV };
        }
        int r = goc_select(cs, n, false);
        if (r < 0 || r >= extra)
            atomic_fetch_add(&bad, 1);        /* chose a never-ready case */
    }
    goc_waitgroup_done(&producers_wg);
}

static void relay(void *arg)
{
    int id = (int)(intptr_t)arg;
    uint64_t seed = 0x13198A2E03707344ULL * (uint64_t)(id + 1);
    for (;;) {
        goc_select_case in[LOW + 1];
        uint32_t vals[LOW];
        for (int i = 0; i < LOW; i++)
            in[i] = (goc_select_case){ .chan = ch[i], .elem = &vals[i], .dir = GOC_SELECT_RECV };
        in[LOW] = (goc_select_case){ .chan = quit, .elem = NULL, .dir = GOC_SELECT_RECV };
        int r = goc_select(in, LOW + 1, false);
        if (r == LOW)
            break;
        if (r < 0 || r > LOW || !in[r].ok) {
            atomic_fetch_add(&bad, 1);
            break;
        }
        uint32_t v = vals[r];
        /* Pass it on: two or three send cases into the high half. */
        goc_select_case out[3];
        uint32_t outv[3];
        int n = 2 + (int)(rnd(&seed) % 2);
        for (int i = 0; i < n; i++) {
            outv[i] = v;
            out[i] = (goc_select_case){ .chan = ch[LOW + rnd(&seed) % (NCH - LOW)],
                                        .elem = &outv[i], .dir = GOC_SELECT_SEND };
        }
        r = goc_select(out, n, false);
        if (r < 0 || r >= n)
            atomic_fetch_add(&bad, 1);
        atomic_fetch_add(&relayed, 1);
    }
    goc_waitgroup_done(&others_wg);
}

static void consumer(void *arg)
{
    int id = (int)(intptr_t)arg;
    int first = id % 4 == 0 ? 0 : LOW;        /* most leave the low half to relays */
    for (;;) {
        goc_select_case cs[NCH + 1];
        uint32_t vals[NCH];
        int n = 0;
        for (int i = first; i < NCH; i++, n++)
            cs[n] = (goc_select_case){ .chan = ch[i], .elem = &vals[n], .dir = GOC_SELECT_RECV };
        cs[n] = (goc_select_case){ .chan = quit, .elem = NULL, .dir = GOC_SELECT_RECV };
        int r = goc_select(cs, n + 1, false);
        if (r == n)
            break;
        if (r < 0 || r > n || !cs[r].ok) {
            atomic_fetch_add(&bad, 1);
            break;
        }
        uint32_t v = vals[r];
        if (v >= NV) {
            atomic_fetch_add(&bad, 1);
            continue;
        }
        if (atomic_exchange(&seen[v], 1))
            atomic_fetch_add(&duplicates, 1);
        atomic_fetch_add(&sum, v);
        atomic_fetch_add(&hashsum, mix(v));
        atomic_fetch_add(&count, 1);
    }
    goc_waitgroup_done(&others_wg);
}

static bool run_round(int round)
{
    for (int v = 0; v < NV; v++)
        atomic_store(&seen[v], 0);
    atomic_store(&count, 0);
    atomic_store(&sum, 0);
    atomic_store(&hashsum, 0);
    for (int i = 0; i < NCH; i++)
        ch[i] = goc_chan_make(sizeof(uint32_t), caps[(i + round) % NCH]);
    quit = goc_chan_make(sizeof(int), 0);
    never = goc_chan_make(sizeof(int), 0);

    goc_waitgroup_add(&others_wg, NR + NC);
    for (int i = 0; i < NC; i++)
        goc_go(consumer, (void *)(intptr_t)i);
    for (int i = 0; i < NR; i++)
        goc_go(relay, (void *)(intptr_t)i);
    goc_waitgroup_add(&producers_wg, NP);
    for (int i = 0; i < NP; i++)
        goc_go(producer, (void *)(intptr_t)i);
    goc_waitgroup_wait(&producers_wg);

    /* Values may still sit in buffers or in a relay's hands; consumers keep
     * taking them.  A generous bound, only to turn a loss into a failure
     * rather than a hang. */
    for (int i = 0; i < 60000 && atomic_load(&count) < NV; i++)
        goc_sleep(GOC_MILLISECOND);
    goc_chan_close(quit);
    goc_waitgroup_wait(&others_wg);

    uint64_t want_sum = 0, want_hash = 0;
    for (uint32_t v = 0; v < NV; v++) {
        want_sum += v;
        want_hash += mix(v);
    }
    long lost = 0;
    for (int v = 0; v < NV; v++)
        lost += !atomic_load(&seen[v]);
    long leftover = 0;
    for (int i = 0; i < NCH; i++)
        leftover += goc_chan_len(ch[i]);
    bool ok = atomic_load(&count) == NV && atomic_load(&sum) == want_sum &&
              atomic_load(&hashsum) == want_hash && lost == 0 && leftover == 0;
    if (!ok)
        fprintf(stderr, "round %d: count %ld of %d, sum %s, hash %s, lost %ld, leftover %ld\n",
                round, atomic_load(&count), NV, atomic_load(&sum) == want_sum ? "ok" : "WRONG",
                atomic_load(&hashsum) == want_hash ? "ok" : "WRONG", lost, leftover);
    return ok;
}

static int real_main(int argc, char **argv)
{
    int64_t t0 = goc_nanotime();
    bool pass = true;
    for (int r = 0; r < ROUNDS; r++)
        pass &= run_round(r);
    pass = pass && atomic_load(&duplicates) == 0 && atomic_load(&bad) == 0;
    printf("select_stress: P=%d %d rounds x %d values, relayed %ld, duplicated %ld, bad %ld, "
           "%.2f s: %s\n",
           goc_maxprocs(), ROUNDS, NV, atomic_load(&relayed), atomic_load(&duplicates),
           atomic_load(&bad), (double)(goc_nanotime() - t0) / 1e9, pass ? "ok" : "FAIL");
    return pass ? 0 : 1;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
