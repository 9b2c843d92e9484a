/*
 * sleep_order: 100,000 goroutines sleep until pseudo-random deadlines
 * spread over 500 ms (fixed seed), all pending in the timer heap at once.
 *
 * Every goroutine first parks on a gate.  Main opens the gate (close) and
 * sets T0 one second later; each goroutine then sleeps until its deadline
 * T0 + d, d in [0, 500 ms), and records when it woke and its rank in the
 * wake-up order.  The second of slack lets all 100,000 get into the timer
 * heap before the first deadline, so what is measured is the timers, not
 * the start-up burst (with sleeps measured from each goroutine's own start,
 * Go 1.19 itself is up to ~240 ms late at GOMAXPROCS=1, all of it queueing
 * behind not-yet-started goroutines).
 *
 * Checks:
 *   - every goroutine started sleeping before its deadline (else the slack
 *     was not enough and the rest means nothing);
 *   - none wakes before its deadline (goc_sleep sleeps "at least d");
 *   - none wakes more than 200 ms after it (a generous bound on lateness:
 *     a timer heap that loses, starves or stalls entries fails);
 *   - the wake order follows the deadlines: a goroutine that woke after
 *     another had a deadline at most 200 ms earlier than that one's.
 * Statistics go to stderr; stdout says ok.
 */
#include <goc.h>

#include "e2e_san.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* ThreadSanitizer allows at most 8128 live threads and fibers (one fiber
 * per goroutine), and its cost per synchronisation grows with their
 * number, so under it the same test runs with 1,000 sleepers. */
#if defined(__SANITIZE_THREAD__)
#define SLEEP_ORDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SLEEP_ORDER_TSAN 1
#endif
#endif
#ifdef SLEEP_ORDER_TSAN
enum { N = 1000 };
#else
enum { N = 100000 };
#endif
#define SPREAD (500 * GOC_MILLISECOND)
#define SLACK (1000 * GOC_MILLISECOND)
#define BOUND (200 * GOC_MILLISECOND)

struct rec {
    int64_t d, started, woke;
    int rank;
};

static struct rec recs[N];
static int by_rank[N];
static _Atomic int next_rank, arrived;
static goc_chan *gate;
static int64_t t0;                        /* written before the gate opens */
static goc_waitgroup wg;

static void sleeper(void *arg)
{
    struct rec *r = arg;
    atomic_fetch_add(&arrived, 1);
    goc_chan_recv(gate, NULL);
    r->started = goc_nanotime();
    goc_sleep(t0 + r->d - r->started);
    r->woke = goc_nanotime();
    r->rank = atomic_fetch_add(&next_rank, 1);
    goc_waitgroup_done(&wg);
}

static int real_main(int argc, char **argv)
{
    uint64_t s = 0x5EED5EED5EEDULL;
    for (int i = 0; i < N; i++) {
        s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
        recs[i].d = (int64_t)((s * 0x2545F4914F6CDD1DULL) % (uint64_t)SPREAD);
    }
    gate = goc_chan_make(sizeof(int), 0);
    goc_waitgroup_add(&wg, N);
    for (int i = 0; i < N; i++)
        goc_go(sleeper, &recs[i]);
    while (atomic_load(&arrived) < N)
        goc_sleep(GOC_MILLISECOND);
    t0 = goc_nanotime() + SLACK;
    goc_chan_close(gate);                 /* happens-before every receive */
    goc_waitgroup_wait(&wg);

    long slow_start = 0, early = 0, late = 0, disorder = 0, bad_rank = 0;
    int64_t max_late = 0, max_inversion = 0, last_start = 0;
    double sum_late = 0;
    for (int i = 0; i < N; i++)
        by_rank[i] = -1;
    for (int i = 0; i < N; i++) {
        struct rec *r = &recs[i];
        int64_t deadline = t0 + r->d, lateness = r->woke - deadline;
        if (r->started >= deadline)
            slow_start++;
        if (r->started - (t0 - SLACK) > last_start)
            last_start = r->started - (t0 - SLACK);
        if (lateness < 0)
            early++;
        if (lateness > BOUND)
            late++;
        if (lateness > max_late)
            max_late = lateness;
        sum_late += (double)lateness;
        if (r->rank < 0 || r->rank >= N || by_rank[r->rank] != -1)
            bad_rank++;
        else
            by_rank[r->rank] = i;
    }
    if (!bad_rank) {
        int64_t latest = recs[by_rank[0]].d;  /* latest deadline woken so far */
        for (int k = 1; k < N; k++) {
            int64_t d = recs[by_rank[k]].d;
            if (latest - d > max_inversion)
                max_inversion = latest - d;
            if (latest - d > BOUND)
                disorder++;
            if (d > latest)
                latest = d;
        }
    }
    fprintf(stderr,
            "%d sleepers (all asleep %.1f ms after the gate opened, %ld after their deadline): "
            "early %ld, later than 200 ms %ld (max lateness %.2f ms, mean %.2f ms), "
            "out of order by more than 200 ms %ld (max inversion %.2f ms), bad ranks %ld\n",
            N, (double)last_start / 1e6, slow_start, early, late, (double)max_late / 1e6,
            sum_late / N / 1e6, disorder, (double)max_inversion / 1e6, bad_rank);
    int ok = !slow_start && !early && !late && !disorder && !bad_rank;
    printf("%s\n", ok ? "ok" : "FAIL");
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
