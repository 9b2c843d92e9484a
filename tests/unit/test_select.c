/*
 * test_select.c — goc_select: default, receive and send cases, closed and
 * nil channels, many cases, the uniform choice among ready cases, and the
 * same channel named by several cases.
 */
#include "goc_test.h"

#include <stdlib.h>

static goc_select_case rcase(goc_chan *c, void *elem)
{
    return (goc_select_case){ .chan = c, .elem = elem, .dir = GOC_SELECT_RECV };
}

static goc_select_case scase(goc_chan *c, void *elem)
{
    return (goc_select_case){ .chan = c, .elem = elem, .dir = GOC_SELECT_SEND };
}

/* ---- default -------------------------------------------------------------- */

GOC_TEST(default_when_nothing_ready)
{
    goc_chan *u = goc_chan_make(sizeof(int), 0);
    goc_chan *empty = goc_chan_make(sizeof(int), 2);
    goc_chan *full = goc_chan_make(sizeof(int), 1);
    int v = 7, r1 = -1, r2 = -1;
    CHECK(goc_chan_try_send(full, &v));
    goc_select_case cases[] = {
        rcase(u, &r1), rcase(empty, &r2), scase(u, &v), scase(full, &v),
        rcase(NULL, &r1), scase(NULL, &v),
    };
    for (int i = 0; i < 100; i++)
        CHECK_EQ(goc_select(cases, 6, true), -1);
    CHECK_EQ(r1, -1);
    CHECK_EQ(r2, -1);
    CHECK_EQ(goc_chan_len(full), 1);
    CHECK_EQ(goc_chan_len(empty), 0);
    CHECK_EQ(goc_select(NULL, 0, true), -1);    /* no cases, default */
    return 0;
}

GOC_TEST(ready_case_beats_default)
{
    goc_chan *b = goc_chan_make(sizeof(int), 1);
    int v = 11, r = 0;
    CHECK(goc_chan_try_send(b, &v));
    goc_select_case cases[] = { rcase(NULL, &r), rcase(b, &r) };
    CHECK_EQ(goc_select(cases, 2, true), 1);
    CHECK_EQ(r, 11);
    CHECK(cases[1].ok);
    return 0;
}

/* ---- receive, send, closed -------------------------------------------------- */

GOC_TEST(recv_from_closed)
{
    goc_chan *c = goc_chan_make(sizeof(int64_t), 2);
    int64_t v = 5;
    CHECK(goc_chan_try_send(c, &v));
    goc_chan_close(c);
    int64_t r = -1;
    goc_select_case cases[] = { rcase(c, &r) };
    CHECK_EQ(goc_select(cases, 1, false), 0);  /* buffered value first */
    CHECK(cases[0].ok);
    CHECK_EQ(r, 5);
    for (int i = 0; i < 3; i++) {
        r = -1;
        cases[0].ok = true;
        CHECK_EQ(goc_select(cases, 1, true), 0);   /* closed: always ready */
        CHECK(!cases[0].ok);
        CHECK_EQ(r, 0);
    }
    return 0;
}

GOC_TEST(send_case)
{
    goc_chan *b = goc_chan_make(sizeof(int), 1);
    goc_chan *u = goc_chan_make(sizeof(int), 0);
    int v = 99, r = 0;
    goc_select_case cases[] = { scase(u, &r), scase(b, &v) };
    CHECK_EQ(goc_select(cases, 2, false), 1);
    CHECK_EQ(goc_chan_len(b), 1);
    CHECK(goc_chan_recv(b, &r));
    CHECK_EQ(r, 99);
    return 0;
}

struct peer {
    goc_chan *c;
    int value;
    int delay_yields;
    goc_chan *done;
};

static void peer_send(void *p)
{
    struct peer *a = p;
    for (int i = 0; i < a->delay_yields; i++)
        goc_yield();
    goc_chan_send(a->c, &a->value);
    int one = 1;
    goc_chan_send(a->done, &one);
}

static void peer_recv(void *p)
{
    struct peer *a = p;
    for (int i = 0; i < a->delay_yields; i++)
        goc_yield();
    int v = -1;
    bool ok = goc_chan_recv(a->c, &v);
    a->value = ok ? v : -2;
    int one = 1;
    goc_chan_send(a->done, &one);
}

static void peer_close(void *p)
{
    struct peer *a = p;
    for (int i = 0; i < a->delay_yields; i++)
        goc_yield();
    goc_chan_close(a->c);
    int one = 1;
    goc_chan_send(a->done, &one);
}

/* A blocked select is woken by a sender, a receiver, or a close. */
GOC_TEST(blocking_select_woken)
{
    goc_chan *done = goc_chan_make(sizeof(int), 1);
    for (int round = 0; round < 200; round++) {
        goc_chan *a = goc_chan_make(sizeof(int), round % 2);
        goc_chan *b = goc_chan_make(sizeof(int), 0);
        int ra = -1, sb = 1000 + round;
        goc_select_case cases[] = { rcase(a, &ra), scase(b, &sb),
                                    rcase(NULL, NULL) };
        struct peer p = { NULL, 0, round % 7, done };
        switch (round % 3) {
        case 0:
            p.c = a, p.value = round;
            goc_go(peer_send, &p);
            CHECK_EQ(goc_select(cases, 3, false), 0);
            CHECK(cases[0].ok);
            CHECK_EQ(ra, round);
            break;
        case 1:
            p.c = b;
            goc_go(peer_recv, &p);
            CHECK_EQ(goc_select(cases, 3, false), 1);
            goc_chan_recv(done, NULL);
            CHECK_EQ(p.value, 1000 + round);
            continue;
        case 2:
            p.c = a;
            goc_go(peer_close, &p);
            ra = 77;
            CHECK_EQ(goc_select(cases, 3, false), 0);
            CHECK(!cases[0].ok);
            CHECK_EQ(ra, 0);
            break;
        }
        goc_chan_recv(done, NULL);
    }
    return 0;
}

/* ---- many cases --------------------------------------------------------- */

GOC_TEST(many_cases)
{
    enum { N = 64 };
    goc_chan *chans[N];
    int vals[N];
    goc_select_case cases[N];
    for (int i = 0; i < N; i++) {
        chans[i] = goc_chan_make(sizeof(int), i % 3 == 0 ? 0 : 1);
        cases[i] = rcase(chans[i], &vals[i]);
    }
    goc_chan *done = goc_chan_make(sizeof(int), 1);
    for (int k = 0; k < N; k++) {
        int target = (k * 37) % N;
        for (int i = 0; i < N; i++)
            vals[i] = -1;
        struct peer p = { chans[target], 5000 + target, k % 4, done };
        goc_go(peer_send, &p);
        int got = goc_select(cases, N, false);
        CHECK_EQ(got, target);
        CHECK(cases[target].ok);
        CHECK_EQ(vals[target], 5000 + target);
        for (int i = 0; i < N; i++)
            if (i != target)
                CHECK_EQ(vals[i], -1);
        goc_chan_recv(done, NULL);
    }
    return 0;
}

/* ---- uniform choice ------------------------------------------------------ */

/* Four always-ready buffered channels (refilled after every select), a nil
 * channel and a default: 40,000 selects must spread evenly over the four,
 * within +-10% of 10,000 each (a binomial standard deviation is about 87,
 * so a fair choice lands far inside), and never pick nil or default. */
GOC_TEST(uniform_choice)
{
    enum { K = 4, ROUNDS = 40000 };
    goc_chan *chans[K];
    int vals[K + 1];
    goc_select_case cases[K + 1];
    int counts[K + 1] = { 0 };
    for (int i = 0; i < K; i++) {
        chans[i] = goc_chan_make(sizeof(int), 1);
        int v = i;
        CHECK(goc_chan_try_send(chans[i], &v));
    }
    for (int i = 0; i < K; i++)
        cases[i] = rcase(chans[i], &vals[i]);
    cases[K] = rcase(NULL, &vals[K]);
    for (int r = 0; r < ROUNDS; r++) {
        int got = goc_select(cases, K + 1, true);
        if (got < 0 || got >= K) {
            CHECK(!"select chose nil or default while cases were ready");
            return -1;
        }
        counts[got]++;
        CHECK_EQ(vals[got], got);
        CHECK(goc_chan_try_send(chans[got], &got));
    }
    for (int i = 0; i < K; i++) {
        if (counts[i] < 9000 || counts[i] > 11000)
            goc_test_fail(__FILE__, __LINE__, "case %d chosen %d of %d times", i,
                          counts[i], ROUNDS);
    }
    return 0;
}

/* The same with send cases: four buffered channels with room. */
GOC_TEST(uniform_choice_send)
{
    enum { K = 4, ROUNDS = 40000 };
    goc_chan *chans[K];
    int vals[K];
    goc_select_case cases[K];
    int counts[K] = { 0 };
    for (int i = 0; i < K; i++) {
        chans[i] = goc_chan_make(sizeof(int), 1);
        vals[i] = i;
        cases[i] = scase(chans[i], &vals[i]);
    }
    for (int r = 0; r < ROUNDS; r++) {
        int got = goc_select(cases, K, false);
        if (got < 0 || got >= K) {
            CHECK(!"select returned a bad index");
            return -1;
        }
        counts[got]++;
        int v = -1;
        CHECK(goc_chan_try_recv(chans[got], &v, NULL));
        CHECK_EQ(v, got);
        for (int i = 0; i < K; i++)
            if (i != got)
                CHECK_EQ(goc_chan_len(chans[i]), 0);
    }
    for (int i = 0; i < K; i++)
        if (counts[i] < 9000 || counts[i] > 11000)
            goc_test_fail(__FILE__, __LINE__, "send case %d chosen %d of %d times", i,
                          counts[i], ROUNDS);
    return 0;
}

/* ---- the same channel in several cases ------------------------------------- */

GOC_TEST(same_channel_two_recv_cases)
{
    enum { ROUNDS = 4000 };
    goc_chan *c = goc_chan_make(sizeof(int), 1);
    int a = -1, b = -1;
    goc_select_case cases[] = { rcase(c, &a), rcase(c, &b) };
    int counts[2] = { 0, 0 };
    for (int r = 0; r < ROUNDS; r++) {
        a = b = -1;
        CHECK(goc_chan_try_send(c, &r));
        int got = goc_select(cases, 2, false);
        REQUIRE(got == 0 || got == 1);
        counts[got]++;
        CHECK_EQ(got == 0 ? a : b, r);
        CHECK_EQ(got == 0 ? b : a, -1);     /* the other case untouched */
        CHECK_EQ(goc_chan_len(c), 0);       /* received once, not twice */
    }
    /* Either case may win; both must win sometimes (fair: about half). */
    CHECK(counts[0] > ROUNDS / 4 && counts[1] > ROUNDS / 4);
    return 0;
}

/* Blocking on one unbuffered channel through two receive cases: one value
 * from a sender completes exactly one case. */
GOC_TEST(same_channel_blocking)
{
    goc_chan *done = goc_chan_make(sizeof(int), 1);
    for (int round = 0; round < 200; round++) {
        goc_chan *c = goc_chan_make(sizeof(int), 0);
        int a = -1, b = -1;
        goc_select_case cases[] = { rcase(c, &a), rcase(c, &b) };
        struct peer p = { c, round, round % 5, done };
        goc_go(peer_send, &p);
        int got = goc_select(cases, 2, false);
        REQUIRE(got == 0 || got == 1);
        CHECK_EQ(got == 0 ? a : b, round);
        CHECK_EQ(got == 0 ? b : a, -1);
        goc_chan_recv(done, NULL);
        bool ok;
        CHECK(!goc_chan_try_recv(c, NULL, &ok));
    }
    return 0;
}

/* A select that both sends and receives on one unbuffered channel cannot
 * pair with itself: with default it takes the default; a peer completes
 * exactly one of the two cases. */
GOC_TEST(same_channel_send_and_recv)
{
    goc_chan *c = goc_chan_make(sizeof(int), 0);
    int out = 1, in = -1;
    goc_select_case cases[] = { scase(c, &out), rcase(c, &in) };
    CHECK_EQ(goc_select(cases, 2, true), -1);
    CHECK_EQ(in, -1);

    goc_chan *done = goc_chan_make(sizeof(int), 1);
    for (int round = 0; round < 100; round++) {
        struct peer p = { c, 500 + round, round % 3, done };
        in = -1;
        out = 900 + round;
        if (round % 2 == 0) {
            goc_go(peer_send, &p);
            CHECK_EQ(goc_select(cases, 2, false), 1);
            CHECK_EQ(in, 500 + round);
        } else {
            goc_go(peer_recv, &p);
            CHECK_EQ(goc_select(cases, 2, false), 0);
            goc_chan_recv(done, NULL);
            CHECK_EQ(p.value, 900 + round);
            continue;
        }
        goc_chan_recv(done, NULL);
    }
    return 0;
}

/* ---- selects against selects -------------------------------------------- */

/* Two goroutines ping-pong a counter through selects that both send and
 * receive; each value must pass exactly once and in order. */
struct pingpong {
    goc_chan *to_a, *to_b;
    goc_chan *done;
    int rounds;
};

static void pp_b(void *p)
{
    struct pingpong *pp = p;
    int expect = 0;
    for (;;) {
        int v = -1;
        goc_select_case c[] = { rcase(pp->to_b, &v), rcase(NULL, NULL) };
        int got = goc_select(c, 2, false);
        if (got != 0) {
            CHECK(!"bad select index");
            break;
        }
        if (!c[0].ok)
            break;
        CHECK_EQ(v, expect);
        expect = v + 2;
        int reply = v + 1;
        goc_select_case s[] = { scase(pp->to_a, &reply), scase(NULL, &reply) };
        CHECK_EQ(goc_select(s, 2, false), 0);
    }
    int one = 1;
    goc_chan_send(pp->done, &one);
}

GOC_TEST(select_pingpong)
{
    for (int cap = 0; cap <= 1; cap++) {
        struct pingpong pp = { goc_chan_make(sizeof(int), cap),
                               goc_chan_make(sizeof(int), cap),
                               goc_chan_make(sizeof(int), 1), 20000 };
        goc_go(pp_b, &pp);
        int v = 0;
        for (int i = 0; i < pp.rounds; i++) {
            int send = 2 * i, got = -1;
            goc_select_case s[] = { scase(pp.to_b, &send) };
            CHECK_EQ(goc_select(s, 1, false), 0);
            goc_select_case r[] = { rcase(pp.to_a, &got), rcase(NULL, NULL) };
            CHECK_EQ(goc_select(r, 2, false), 0);
            CHECK_EQ(got, 2 * i + 1);
            v = got;
        }
        CHECK_EQ(v, 2 * pp.rounds - 1);
        goc_chan_close(pp.to_b);
        goc_chan_recv(pp.done, NULL);
    }
    return 0;
}

/* Many goroutines selecting over the same two channels, fed by plain sends:
 * every value is taken by exactly one select. */
struct fanout {
    goc_chan *a, *b, *quit, *done;
    _Atomic unsigned char *seen;
    _Atomic int received;
};

static void fanout_worker(void *p)
{
    struct fanout *f = p;
    for (;;) {
        int va = -1, vb = -1;
        goc_select_case c[] = { rcase(f->a, &va), rcase(f->b, &vb),
                                rcase(f->quit, NULL) };
        int got = goc_select(c, 3, false);
        if (got == 2)
            break;
        int v = got == 0 ? va : vb;
        if (!c[got].ok || v < 0) {
            CHECK(!"bad value");
            continue;
        }
        CHECK_EQ(atomic_exchange(&f->seen[v], 1), 0);
        atomic_fetch_add(&f->received, 1);
    }
    int one = 1;
    goc_chan_send(f->done, &one);
}

GOC_TEST(select_fanout_exactly_once)
{
    enum { W = 16, N = 40000 };
    struct fanout f = { goc_chan_make(sizeof(int), 0), goc_chan_make(sizeof(int), 3),
                        goc_chan_make(sizeof(int), 0), goc_chan_make(sizeof(int), W),
                        calloc(N, 1), 0 };
    for (int i = 0; i < W; i++)
        goc_go(fanout_worker, &f);
    for (int v = 0; v < N; v++)
        goc_chan_send(v % 2 ? f.a : f.b, &v);
    /* Every value sent on the unbuffered channel has been received; the
     * buffered one may still hold a few: wait for the count. */
    for (int i = 0; i < 100000 && atomic_load(&f.received) < N; i++)
        goc_sleep(100 * GOC_MICROSECOND);
    CHECK_EQ(atomic_load(&f.received), N);
    goc_chan_close(f.quit);
    for (int i = 0; i < W; i++)
        goc_chan_recv(f.done, NULL);
    for (int v = 0; v < N; v++)
        CHECK_EQ(atomic_load(&f.seen[v]), 1);
    free((void *)f.seen);
    return 0;
}

/* Only nil cases and no default: blocks for ever (left blocked on purpose). */
static _Atomic int nil_select_returned;

static void nil_selector(void *p)
{
    int v;
    goc_select_case c[] = { rcase(NULL, &v), scase(NULL, &v) };
    goc_select(c, 2, false);
    atomic_store(&nil_select_returned, 1);
}

static void empty_selector(void *p)
{
    goc_select(NULL, 0, false);
    atomic_store(&nil_select_returned, 1);
}

GOC_TEST(nil_cases_never_ready)
{
    goc_go(nil_selector, NULL);
    goc_go(empty_selector, NULL);
    for (int i = 0; i < 1000; i++)
        goc_yield();
    goc_sleep(20 * GOC_MILLISECOND);
    CHECK_EQ(atomic_load(&nil_select_returned), 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        GOC_UNIT(default_when_nothing_ready),
        GOC_UNIT(ready_case_beats_default),
        GOC_UNIT(recv_from_closed),
        GOC_UNIT(send_case),
        GOC_UNIT(blocking_select_woken),
        GOC_UNIT(many_cases),
        GOC_UNIT(uniform_choice),
        GOC_UNIT(uniform_choice_send),
        GOC_UNIT(same_channel_two_recv_cases),
        GOC_UNIT(same_channel_blocking),
        GOC_UNIT(same_channel_send_and_recv),
        GOC_UNIT(select_pingpong),
        GOC_UNIT(select_fanout_exactly_once),
        GOC_UNIT(nil_cases_never_ready),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
