/*
 * test_timer.c — time: the monotonic clock, sleep, one-shot timers (stop,
 * reset), goc_after, tickers and goc_timer_after_func.
 *
 * No test asserts that something took less than some time: every bound is
 * "not earlier than" (which the contract promises) or an order between
 * deadlines tens of milliseconds apart.  "Nothing arrived" is checked after
 * a later event has been seen, never by a timeout alone.
 */
#include "goc_test.h"

#include <stdlib.h>

enum { MS = 1000000 };

/* Receives one int64 time from c. */
static int64_t recv_time(goc_chan *c)
{
    int64_t t = -1;
    CHECK(goc_chan_recv(c, &t));
    return t;
}

GOC_TEST(nanotime_monotonic)
{
    int64_t prev = goc_nanotime();
    for (int i = 0; i < 100000; i++) {
        int64_t now = goc_nanotime();
        CHECK(now >= prev);
        prev = now;
    }
    return 0;
}

GOC_TEST(sleep_at_least)
{
    static const int64_t ds[] = { 1 * MS, 5 * MS, 20 * MS, 100 * 1000 };
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        int64_t t0 = goc_nanotime();
        goc_sleep(ds[i]);
        CHECK(goc_nanotime() - t0 >= ds[i]);
    }
    goc_sleep(0);                            /* return at once */
    goc_sleep(-5);
    return 0;
}

/* Sleepers with deadlines 40 ms apart, started in reverse order, wake in
 * deadline order and never early.  (The order is a timing property: it
 * holds unless a worker thread stalls for 40 ms; e2e/sleep_order checks
 * the same at scale with a 200 ms bound.) */
struct sleeper {
    int index;
    int64_t d;
    int64_t start, woke;
    _Atomic int *ordinal;
    int order;
    goc_chan *done;
};

static void sleeper_main(void *p)
{
    struct sleeper *s = p;
    /* Deadlines count from the spawn (s->start), so a goroutine that starts
     * late on a loaded machine still wakes in deadline order. */
    goc_sleep(s->d - (goc_nanotime() - s->start));
    s->order = atomic_fetch_add(s->ordinal, 1);
    s->woke = goc_nanotime();
    int one = 1;
    goc_chan_send(s->done, &one);
}

GOC_TEST(sleep_order)
{
    enum { N = 8 };
    struct sleeper s[N];
    _Atomic int ordinal = 0;
    goc_chan *done = goc_chan_make(sizeof(int), N);
    int64_t t0 = goc_nanotime();
    for (int i = N - 1; i >= 0; i--) {
        s[i] = (struct sleeper){ i, (int64_t)(i + 1) * 40 * MS, t0, 0, &ordinal, -1, done };
        goc_go(sleeper_main, &s[i]);
    }
    for (int i = 0; i < N; i++)
        goc_chan_recv(done, NULL);
    for (int i = 0; i < N; i++) {
        CHECK(s[i].woke - s[i].start >= s[i].d);
        CHECK_EQ(s[i].order, i);
    }
    return 0;
}

/* ---- one-shot timers ------------------------------------------------------- */

GOC_TEST(timer_fires_once)
{
    int64_t t0 = goc_nanotime();
    goc_timer *t = goc_timer_new(10 * MS);
    goc_chan *c = goc_timer_chan(t);
    CHECK(c != NULL);
    CHECK_EQ(goc_chan_cap(c), 1);
    int64_t when = recv_time(c);
    CHECK(when >= t0 + 10 * MS);             /* the time it fired */
    CHECK(when <= goc_nanotime());
    CHECK(!goc_timer_stop(t));               /* already fired */
    /* Once only: a later timer fires and still nothing more on c. */
    recv_time(goc_after(20 * MS));
    bool ok;
    CHECK(!goc_chan_try_recv(c, NULL, &ok));
    return 0;
}

GOC_TEST(timer_stop_before_fire)
{
    goc_timer *t = goc_timer_new(30 * MS);
    CHECK(goc_timer_stop(t));                /* pending: stopped */
    CHECK(!goc_timer_stop(t));               /* second stop: nothing to stop */
    /* A timer started later with a later deadline fires; the stopped one
     * must not have delivered. */
    recv_time(goc_after(60 * MS));
    bool ok;
    CHECK(!goc_chan_try_recv(goc_timer_chan(t), NULL, &ok));
    return 0;
}

/* The tick is kept in the channel's buffer when nobody is receiving. */
GOC_TEST(timer_unread_tick_kept)
{
    goc_timer *t = goc_timer_new(5 * MS);
    recv_time(goc_after(30 * MS));           /* t fired meanwhile */
    CHECK_EQ(goc_chan_len(goc_timer_chan(t)), 1);
    CHECK(!goc_timer_stop(t));
    int64_t v = 0;
    bool ok = false;
    CHECK(goc_chan_try_recv(goc_timer_chan(t), &v, &ok));
    CHECK(ok);
    return 0;
}

GOC_TEST(timer_reset)
{
    /* Reset of a pending timer moves its deadline (earlier here). */
    goc_timer *t = goc_timer_new(3600 * GOC_SECOND);
    int64_t t0 = goc_nanotime();
    CHECK(goc_timer_reset(t, 10 * MS));      /* it was pending */
    int64_t when = recv_time(goc_timer_chan(t));
    CHECK(when >= t0 + 10 * MS);
    /* Reset after it fired (and was drained) returns false and fires again. */
    int64_t t1 = goc_nanotime();
    CHECK(!goc_timer_reset(t, 10 * MS));
    when = recv_time(goc_timer_chan(t));
    CHECK(when >= t1 + 10 * MS);
    /* Reset after a stop. */
    CHECK(!goc_timer_stop(t));
    goc_timer *u = goc_timer_new(10 * MS);
    CHECK(goc_timer_stop(u));
    int64_t t2 = goc_nanotime();
    CHECK(!goc_timer_reset(u, 5 * MS));
    when = recv_time(goc_timer_chan(u));
    CHECK(when >= t2 + 5 * MS);
    /* Reset to later: the first deadline passes without a tick. */
    goc_timer *w = goc_timer_new(10 * MS);
    int64_t t3 = goc_nanotime();
    CHECK(goc_timer_reset(w, 80 * MS));
    recv_time(goc_after(30 * MS));           /* past the old deadline */
    bool ok;
    CHECK(!goc_chan_try_recv(goc_timer_chan(w), NULL, &ok));
    when = recv_time(goc_timer_chan(w));
    CHECK(when >= t3 + 80 * MS);
    return 0;
}

GOC_TEST(after)
{
    int64_t t0 = goc_nanotime();
    goc_chan *c = goc_after(15 * MS);
    CHECK_EQ(goc_chan_cap(c), 1);
    int64_t when = recv_time(c);
    CHECK(when >= t0 + 15 * MS);
    /* goc_after(0) and negative fire at once (at some point). */
    recv_time(goc_after(0));
    recv_time(goc_after(-GOC_SECOND));
    return 0;
}

/* Many timers with random deadlines: every one fires, none early, and the
 * selects that wait on them see each exactly once. */
GOC_TEST(many_timers)
{
    enum { N = 2000 };
    uint64_t seed = 12345;
    goc_chan **cs = calloc(N, sizeof *cs);
    int64_t *deadline = calloc(N, sizeof *deadline);
    for (int i = 0; i < N; i++) {
        int64_t d = (int64_t)(goc_test_rand(&seed) % (50 * MS));
        deadline[i] = goc_nanotime() + d;
        cs[i] = goc_after(d);
    }
    for (int i = 0; i < N; i++) {
        int64_t when = recv_time(cs[i]);
        CHECK(when >= deadline[i]);
    }
    free(cs);
    free(deadline);
    return 0;
}

/* ---- tickers --------------------------------------------------------------- */

GOC_TEST(ticker)
{
    int64_t t0 = goc_nanotime();
    goc_ticker *tk = goc_ticker_new(10 * MS);
    goc_chan *c = goc_ticker_chan(tk);
    int64_t prev = t0;
    for (int i = 1; i <= 5; i++) {
        int64_t when = recv_time(c);
        CHECK(when >= t0 + i * 10 * MS);     /* at least i periods in */
        CHECK(when > prev);
        prev = when;
    }
    goc_ticker_stop(tk);
    /* A tick may have been delivered between the last receive and the stop;
     * drain it, then nothing more arrives. */
    goc_chan_try_recv(c, NULL, NULL);
    recv_time(goc_after(50 * MS));
    bool ok;
    CHECK(!goc_chan_try_recv(c, NULL, &ok));
    /* Reset restarts a stopped ticker with a new period. */
    int64_t t1 = goc_nanotime();
    goc_ticker_reset(tk, 5 * MS);
    for (int i = 1; i <= 3; i++)
        CHECK(recv_time(c) >= t1 + i * 5 * MS);
    goc_ticker_stop(tk);
    return 0;
}

/* A slow receiver misses ticks rather than queueing them. */
GOC_TEST(ticker_slow_receiver)
{
    goc_ticker *tk = goc_ticker_new(2 * MS);
    recv_time(goc_after(50 * MS));           /* many periods pass unread */
    CHECK(goc_chan_len(goc_ticker_chan(tk)) <= 1);
    goc_ticker_stop(tk);
    return 0;
}

/* ---- after_func ------------------------------------------------------------ */

struct af {
    goc_chan *c;
    int64_t goid;
    int64_t when;
};

static void af_fn(void *p)
{
    struct af *a = p;
    a->goid = goc_goid();
    a->when = goc_nanotime();
    int one = 1;
    goc_chan_send(a->c, &one);               /* may block: it is a goroutine */
}

GOC_TEST(after_func)
{
    struct af a = { goc_chan_make(sizeof(int), 0), -1, 0 };
    int64_t t0 = goc_nanotime();
    goc_timer *t = goc_timer_after_func(10 * MS, af_fn, &a);
    CHECK(t != NULL);
    int v = 0;
    CHECK(goc_chan_recv(a.c, &v));
    CHECK_EQ(v, 1);
    CHECK(a.when >= t0 + 10 * MS);
    CHECK(a.goid > 0);
    CHECK(a.goid != goc_goid());             /* its own goroutine */
    CHECK(!goc_timer_stop(t));               /* already fired */
    return 0;
}

static _Atomic int af_stopped_ran;

static void af_count(void *p)
{
    atomic_fetch_add(&af_stopped_ran, 1);
}

GOC_TEST(after_func_stop)
{
    atomic_store(&af_stopped_ran, 0);
    goc_timer *t = goc_timer_after_func(20 * MS, af_count, NULL);
    CHECK(goc_timer_stop(t));
    /* A later after_func runs; the stopped one never does. */
    struct af a = { goc_chan_make(sizeof(int), 0), -1, 0 };
    goc_timer_after_func(60 * MS, af_fn, &a);
    CHECK(goc_chan_recv(a.c, NULL));
    for (int i = 0; i < 100; i++)
        goc_yield();
    CHECK_EQ(atomic_load(&af_stopped_ran), 0);
    /* And reset brings it back. */
    CHECK(!goc_timer_reset(t, 1 * MS));
    REQUIRE(goc_test_wait_for(&af_stopped_ran, 1, 10000));
    CHECK_EQ(atomic_load(&af_stopped_ran), 1);
    return 0;
}

/* ---- timeouts in select ---------------------------------------------------- */

GOC_TEST(select_timeout)
{
    goc_chan *never = goc_chan_make(sizeof(int), 0);
    int64_t t0 = goc_nanotime();
    goc_select_case cs[] = {
        { .chan = never, .elem = NULL, .dir = GOC_SELECT_RECV },
        { .chan = goc_after(15 * MS), .elem = NULL, .dir = GOC_SELECT_RECV },
    };
    CHECK_EQ(goc_select(cs, 2, false), 1);
    CHECK(goc_nanotime() - t0 >= 15 * MS);
    CHECK(cs[1].ok);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        GOC_UNIT(nanotime_monotonic),
        GOC_UNIT(sleep_at_least),
        GOC_UNIT(sleep_order),
        GOC_UNIT(timer_fires_once),
        GOC_UNIT(timer_stop_before_fire),
        GOC_UNIT(timer_unread_tick_kept),
        GOC_UNIT(timer_reset),
        GOC_UNIT(after),
        GOC_UNIT(many_timers),
        GOC_UNIT(ticker),
        GOC_UNIT(ticker_slow_receiver),
        GOC_UNIT(after_func),
        GOC_UNIT(after_func_stop),
        GOC_UNIT(select_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
