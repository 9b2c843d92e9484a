/*
 * chan_stress.c — thousands of goroutines sending, receiving, selecting
 * with timeouts and closing over one set of channels; every value sent is
 * unique and must be received exactly once.
 *
 * Channels
 *   A[0..NA)  persistent, mixed capacities (unbuffered to 64); closed only
 *             at the very end, after every producer has finished.
 *   B[0..NB)  slots of short-lived channels: closer goroutines keep
 *             replacing a slot's channel with a fresh one, closes the old
 *             one and drains it.  Sends racing with the close panic with
 *             "send on closed channel"; the sender recovers and sends the
 *             value again elsewhere.  Receivers get (0, false) and move on.
 *
 * Goroutines
 *   producers  NP, each owning VP values (p*VP + j); for each value they
 *              pick at random: a blocking send on an A channel, a select
 *              over random A/B send cases with a goc_after timeout, a
 *              blocking send on a B channel, or a try_send.
 *   consumers  NC: plain blocking receives on A, try_recv, and selects
 *              over A and B receive cases with a timeout.  A consumer stops
 *              when it sees an A channel closed.
 *   sweepers   NS: only selects over every A and B channel with a timeout,
 *              so no producer can be stranded while every consumer sits in
 *              a plain receive on some other channel.
 *
 * Accounting: seen[v] is set with an atomic exchange on every receive (a
 * second set is a duplicate); at the end every value must be seen.  The
 * closers and the final drain by main count as receivers.  The whole
 * scenario runs ROUNDS times with fresh channels.
 *
 * Fixed seeds: each goroutine's choices come from a generator seeded by its
 * index; the interleaving still varies run to run, as it must.
 *
 * Under ThreadSanitizer (stress.h) a tenth of the goroutines and 2 rounds.
 */
#include <goc.h>

#include "stress.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef STRESS_TSAN
enum { NP = 3000, VP = 100, NC = 1000, NS = 40, ROUNDS = 5 };
#else
enum { NP = 300, VP = 100, NC = 100, NS = 8, ROUNDS = 2 };
#endif

enum {
    NA = 12,
    NB = 4,
    NV = NP * VP,
    NCLOSERS = 2,
};

static const int a_caps[NA] = { 0, 0, 0, 1, 1, 2, 4, 8, 16, 64, 0, 3 };

static goc_chan *A[NA];
static goc_chan *_Atomic B[NB];

static _Atomic unsigned char seen[NV];
static _Atomic long received, duplicates, bad_values, bad_panics;
static _Atomic long send_panics, send_timeouts, recv_timeouts, b_closes;
static _Atomic int stop_closer;
static int round_no;

static goc_waitgroup producers_wg, consumers_wg, closer_wg;

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static void account(uint32_t v)
{
    if (v >= NV) {
        atomic_fetch_add(&bad_values, 1);
        return;
    }
    if (atomic_exchange(&seen[v], 1) != 0)
        atomic_fetch_add(&duplicates, 1);
    atomic_fetch_add(&received, 1);
}

/* ---- panics from sends on closed B channels ------------------------------ */

static void store_recover(void *p)
{
    *(const char *volatile *)p = goc_recover();
}

static void check_panic(const char *msg)
{
    if (!msg || strcmp(msg, "send on closed channel") != 0) {
        atomic_fetch_add(&bad_panics, 1);
        fprintf(stderr, "unexpected panic: %s\n", msg ? msg : "(null)");
    }
    atomic_fetch_add(&send_panics, 1);
}

/* goc_select, returning -2 when the chosen send case hit a closed channel. */
static int guarded_select(goc_select_case *cs, int n, bool has_default)
{
    const char *volatile msg = NULL;
    goc_frame fr;
    if (goc_frame_enter(&fr)) {
        check_panic(msg);
        return -2;
    }
    goc_defer(&fr, store_recover, (void *)&msg);
    int r = goc_select(cs, n, has_default);
    goc_frame_leave(&fr);
    return r;
}

/* Blocking (or not) send on c; false when it panicked. */
static bool guarded_send(goc_chan *c, uint32_t v, bool try_only, bool *sent)
{
    const char *volatile msg = NULL;
    goc_frame fr;
    if (goc_frame_enter(&fr)) {
        check_panic(msg);
        *sent = false;
        return false;
    }
    goc_defer(&fr, store_recover, (void *)&msg);
    if (try_only) {
        *sent = goc_chan_try_send(c, &v);
    } else {
        goc_chan_send(c, &v);
        *sent = true;
    }
    goc_frame_leave(&fr);
    return true;
}

/* ---- producers -------------------------------------------------------------- */

static bool send_one(uint32_t v, uint64_t *seed)
{
    bool sent = false;
    switch (rnd(seed) % 8) {
    case 0: case 1: {                  /* plain send on a buffered A */
        int k = 3 + (int)(rnd(seed) % 7);
        goc_chan_send(A[k], &v);
        return true;
    }
    case 2: case 3: case 4: {          /* select over A/B sends + timeout */
        goc_select_case cs[5];
        int n = 2 + (int)(rnd(seed) % 3);
        uint32_t vals[5];
        for (int i = 0; i < n; i++) {
            vals[i] = v;
            goc_chan *c = rnd(seed) % 3 ? A[rnd(seed) % NA] : atomic_load(&B[rnd(seed) % NB]);
            cs[i] = (goc_select_case){ .chan = c, .elem = &vals[i], .dir = GOC_SELECT_SEND };
        }
        cs[n] = (goc_select_case){ .chan = goc_after((int64_t)(rnd(seed) % 500) * 1000),
                                   .elem = NULL, .dir = GOC_SELECT_RECV };
        int r = guarded_select(cs, n + 1, false);
        if (r == n)
            atomic_fetch_add(&send_timeouts, 1);
        return r >= 0 && r < n;
    }
    case 5: {                          /* plain send on a B: may panic */
        goc_chan *c = atomic_load(&B[rnd(seed) % NB]);
        if (c == NULL)
            return false;
        guarded_send(c, v, false, &sent);
        return sent;
    }
    case 6: {                          /* try_send anywhere */
        goc_chan *c = rnd(seed) % 2 ? A[rnd(seed) % NA] : atomic_load(&B[rnd(seed) % NB]);
        guarded_send(c, v, true, &sent);
        return sent;
    }
    default: {                         /* select with default */
        uint32_t v1 = v, v2 = v;
        goc_select_case cs[2] = {
            { .chan = A[rnd(seed) % NA], .elem = &v1, .dir = GOC_SELECT_SEND },
            { .chan = atomic_load(&B[rnd(seed) % NB]), .elem = &v2, .dir = GOC_SELECT_SEND },
        };
        int r = guarded_select(cs, 2, true);
        if (r < 0)
            goc_yield();
        return r >= 0;
    }
    }
}

static void producer(void *arg)
{
    int p = (int)(intptr_t)arg;
    uint64_t seed = 0x9E3779B97F4A7C15ULL * (uint64_t)(p + 1) + (uint64_t)round_no;
    for (int j = 0; j < VP; j++) {
        uint32_t v = (uint32_t)(p * VP + j);
        while (!send_one(v, &seed))
            ;
    }
    goc_waitgroup_done(&producers_wg);
}

/* ---- consumers ------------------------------------------------------------ */

/* Returns false when an A channel was seen closed (time to stop). */
static bool recv_one(uint64_t *seed, bool sweeper)
{
    uint32_t v = 0;
    int op = sweeper ? 2 : (int)(rnd(seed) % 4);
    switch (op) {
    case 0: {                          /* plain blocking receive on an A */
        if (goc_chan_recv(A[rnd(seed) % NA], &v)) {
            account(v);
            return true;
        }
        return false;
    }
    case 1: {                          /* try_recv on an A or a B */
        bool ok = false;
        bool is_a = rnd(seed) % 2;
        goc_chan *c = is_a ? A[rnd(seed) % NA] : atomic_load(&B[rnd(seed) % NB]);
        if (goc_chan_try_recv(c, &v, &ok)) {
            if (ok)
                account(v);
            else if (is_a)
                return false;
        } else {
            goc_yield();
        }
        return true;
    }
    default: {                         /* select over A and B with a timeout */
        goc_select_case cs[NA + NB + 1];
        uint32_t vals[NA + NB];
        int n = 0, na;
        if (sweeper) {
            for (int i = 0; i < NA; i++)
                cs[n] = (goc_select_case){ .chan = A[i], .elem = &vals[n], .dir = GOC_SELECT_RECV }, n++;
            na = n;
            for (int i = 0; i < NB; i++)
                cs[n] = (goc_select_case){ .chan = atomic_load(&B[i]), .elem = &vals[n],
                                           .dir = GOC_SELECT_RECV }, n++;
        } else {
            for (int i = 0; i < 3; i++)
                cs[n] = (goc_select_case){ .chan = A[rnd(seed) % NA], .elem = &vals[n],
                                           .dir = GOC_SELECT_RECV }, n++;
            na = n;
            cs[n] = (goc_select_case){ .chan = atomic_load(&B[rnd(seed) % NB]), .elem = &vals[n],
                                       .dir = GOC_SELECT_RECV }, n++;
        }
        int64_t timeout = (int64_t)(1 + rnd(seed) % 3) * 1000000;
        cs[n] = (goc_select_case){ .chan = goc_after(timeout), .elem = NULL, .dir = GOC_SELECT_RECV };
        int r = goc_select(cs, n + 1, false);
        if (r == n) {
            atomic_fetch_add(&recv_timeouts, 1);
            return true;
        }
        if (r < 0 || r > n) {
            atomic_fetch_add(&bad_values, 1);
            return false;
        }
        if (cs[r].ok)
            account(vals[r]);
        else if (r < na)
            return false;              /* an A closed: the end */
        return true;
    }
    }
}

static void consumer(void *arg)
{
    int c = (int)(intptr_t)arg;
    uint64_t seed = 0xD1B54A32D192ED03ULL * (uint64_t)(c + 7) + (uint64_t)round_no;
    bool sweeper = c < NS;
    while (recv_one(&seed, sweeper))
        ;
    goc_waitgroup_done(&consumers_wg);
}

/* ---- the closer ----------------------------------------------------------- */

static goc_chan *make_b(uint64_t *seed)
{
    static const int caps[] = { 0, 1, 8 };
    return goc_chan_make(sizeof(uint32_t), caps[rnd(seed) % 3]);
}

static void retire(goc_chan *old)
{
    goc_chan_close(old);
    atomic_fetch_add(&b_closes, 1);
    uint32_t v;
    while (goc_chan_recv(old, &v))
        account(v);
}

static void closer(void *arg)
{
    int id = (int)(intptr_t)arg;
    uint64_t seed = 42 + (uint64_t)id * 1000 + (uint64_t)round_no;
    while (!atomic_load(&stop_closer)) {
        if (rnd(&seed) % 4)
            goc_sleep((int64_t)(rnd(&seed) % 300) * 1000);
        else
            goc_yield();
        int k = (int)(rnd(&seed) % NB);
        goc_chan *old = atomic_exchange(&B[k], make_b(&seed));
        if (old)
            retire(old);
    }
    goc_waitgroup_done(&closer_wg);
}

/* ---- main ------------------------------------------------------------------ */

/* One round: fresh channels, all goroutines, full accounting.  Returns
 * whether every check passed. */
static bool run_round(int r)
{
    round_no = r;
    for (int v = 0; v < NV; v++)
        atomic_store(&seen[v], 0);
    atomic_store(&received, 0);
    atomic_store(&stop_closer, 0);
    uint64_t seed = 7 + (uint64_t)r;
    for (int i = 0; i < NA; i++)
        A[i] = goc_chan_make(sizeof(uint32_t), a_caps[i]);
    for (int i = 0; i < NB; i++)
        atomic_store(&B[i], make_b(&seed));

    goc_waitgroup_add(&closer_wg, NCLOSERS);
    for (int i = 0; i < NCLOSERS; i++)
        goc_go(closer, (void *)(intptr_t)i);
    goc_waitgroup_add(&consumers_wg, NC);
    for (int c = 0; c < NC; c++)
        goc_go(consumer, (void *)(intptr_t)c);
    goc_waitgroup_add(&producers_wg, NP);
    for (int p = 0; p < NP; p++)
        goc_go(producer, (void *)(intptr_t)p);

    goc_waitgroup_wait(&producers_wg);
    atomic_store(&stop_closer, 1);
    goc_waitgroup_wait(&closer_wg);
    /* No producer is left: retire every B slot for good (nil: never ready). */
    for (int k = 0; k < NB; k++)
        retire(atomic_exchange(&B[k], NULL));
    for (int i = 0; i < NA; i++)
        goc_chan_close(A[i]);
    goc_waitgroup_wait(&consumers_wg);
    /* What is still buffered in A belongs to nobody yet. */
    for (int i = 0; i < NA; i++) {
        uint32_t v;
        while (goc_chan_recv(A[i], &v))
            account(v);
    }
    long lost = 0;
    for (int v = 0; v < NV; v++)
        if (!atomic_load(&seen[v]))
            lost++;
    if (lost || atomic_load(&received) != NV)
        fprintf(stderr, "round %d: %ld values lost, %ld received of %d\n", r, lost,
                atomic_load(&received), NV);
    return lost == 0 && atomic_load(&received) == NV;
}

static int real_main(int argc, char **argv)
{
    int64_t t0 = goc_nanotime();
    bool pass = true;
    for (int r = 0; r < ROUNDS; r++)
        pass &= run_round(r);
    pass = pass && atomic_load(&duplicates) == 0 && atomic_load(&bad_values) == 0 &&
           atomic_load(&bad_panics) == 0;
    printf("chan_stress: P=%d %d rounds x %d values: duplicated %ld, bad %ld, "
           "send panics %ld (bad %ld), send timeouts %ld, recv timeouts %ld, B closes %ld, "
           "%.2f s: %s\n",
           goc_maxprocs(), ROUNDS, NV, atomic_load(&duplicates), atomic_load(&bad_values),
           atomic_load(&send_panics), atomic_load(&bad_panics), atomic_load(&send_timeouts),
           atomic_load(&recv_timeouts), atomic_load(&b_closes),
           (double)(goc_nanotime() - t0) / 1e9, pass ? "ok" : "FAIL");
    return pass ? 0 : 1;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
