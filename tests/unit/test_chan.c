/*
 * test_chan.c — channels through the public API (goc.h): send, receive,
 * their non-blocking forms, close, len/cap and the nil channel, with
 * unbuffered and buffered channels and elements of several sizes.
 *
 * Runtime panics on channels (send on closed, close of closed/nil, makechan
 * with a bad size) are tested in test_panic.c.
 */
#include "goc_test.h"
#include "rt.h"   /* the wait queues' lengths: who is parked */

#include <stdlib.h>

/* ---- helpers ----------------------------------------------------------- */

struct sender_args {
    goc_chan *c;
    int from, to;          /* sends from, from+1, ..., to-1 */
    goc_chan *done;        /* receives one int when finished, if set */
};

static void sender(void *p)
{
    struct sender_args *a = p;
    for (int i = a->from; i < a->to; i++)
        goc_chan_send(a->c, &i);
    if (a->done) {
        int one = 1;
        goc_chan_send(a->done, &one);
    }
}

/* ---- FIFO order ----------------------------------------------------------- */

GOC_TEST(unbuffered_fifo)
{
    enum { N = 10000 };
    goc_chan *c = goc_chan_make(sizeof(int), 0);
    CHECK_EQ(goc_chan_cap(c), 0);
    struct sender_args a = { c, 0, N, goc_chan_make(sizeof(int), 1) };
    goc_go(sender, &a);
    for (int i = 0; i < N; i++) {
        int v = -1;
        CHECK(goc_chan_recv(c, &v));
        CHECK_EQ(v, i);
        CHECK_EQ(goc_chan_len(c), 0);
    }
    goc_chan_recv(a.done, NULL);             /* a must outlive the sender */
    return 0;
}

GOC_TEST(buffered_fill_then_drain)
{
    enum { CAP = 16 };
    goc_chan *c = goc_chan_make(sizeof(int), CAP);
    CHECK_EQ(goc_chan_cap(c), CAP);
    CHECK_EQ(goc_chan_len(c), 0);
    for (int i = 0; i < CAP; i++) {
        int v = 100 + i;
        CHECK(goc_chan_try_send(c, &v));     /* room: never blocks */
        CHECK_EQ(goc_chan_len(c), i + 1);
    }
    int extra = 999;
    CHECK(!goc_chan_try_send(c, &extra));    /* full */
    CHECK_EQ(goc_chan_len(c), CAP);
    for (int i = 0; i < CAP; i++) {
        int v = -1;
        CHECK(goc_chan_recv(c, &v));
        CHECK_EQ(v, 100 + i);
        CHECK_EQ(goc_chan_len(c), CAP - 1 - i);
    }
    bool ok = true;
    int v = -1;
    CHECK(!goc_chan_try_recv(c, &v, &ok));   /* empty */
    CHECK_EQ(v, -1);
    return 0;
}

/* A sender far ahead of a slow receiver: values pass through the buffer and
 * the queue of blocked senders, and must still arrive in order. */
GOC_TEST(buffered_fifo_with_blocked_sender)
{
    enum { N = 5000 };
    static const int caps[] = { 1, 2, 3, 64 };
    for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
        goc_chan *c = goc_chan_make(sizeof(int), caps[k]);
        struct sender_args a = { c, 0, N, goc_chan_make(sizeof(int), 1) };
        goc_go(sender, &a);
        for (int i = 0; i < N; i++) {
            if (i % 97 == 0)
                for (int y = 0; y < 10; y++)
                    goc_yield();              /* let the sender fill and block */
            int v = -1;
            CHECK(goc_chan_recv(c, &v));
            CHECK_EQ(v, i);
            CHECK(goc_chan_len(c) <= caps[k]);
        }
        goc_chan_recv(a.done, NULL);
    }
    return 0;
}

/* Several senders and receivers: every value arrives exactly once, and each
 * receiver sees each sender's values in increasing order. */
struct mpmc {
    goc_chan *c;
    goc_chan *done;
    _Atomic unsigned char *seen;
    int nsenders, per_sender;
};

struct mpmc_recv {
    struct mpmc *m;
    int last[8];
    int count;
};

static void mpmc_receiver(void *p)
{
    struct mpmc_recv *r = p;
    for (int i = 0; i < 8; i++)
        r->last[i] = -1;
    int v;
    while (goc_chan_recv(r->m->c, &v)) {
        int s = v / r->m->per_sender;
        if (s < 0 || s >= r->m->nsenders) {
            CHECK(!"value out of range");
            continue;
        }
        CHECK(v > r->last[s]);
        r->last[s] = v;
        CHECK_EQ(atomic_exchange(&r->m->seen[v], 1), 0);
        r->count++;
    }
    int one = 1;
    goc_chan_send(r->m->done, &one);
}

static int mpmc_run(int cap)
{
    enum { S = 8, R = 8, PER = 4000 };
    struct mpmc m;
    m.c = goc_chan_make(sizeof(int), cap);
    m.done = goc_chan_make(sizeof(int), 0);
    m.seen = calloc(S * PER, 1);
    m.nsenders = S;
    m.per_sender = PER;
    struct sender_args sa[S];
    struct mpmc_recv ra[R];
    for (int i = 0; i < R; i++) {
        ra[i].m = &m;
        ra[i].count = 0;
        goc_go(mpmc_receiver, &ra[i]);
    }
    for (int i = 0; i < S; i++) {
        sa[i] = (struct sender_args){ m.c, i * PER, (i + 1) * PER, m.done };
        goc_go(sender, &sa[i]);
    }
    for (int i = 0; i < S; i++)
        goc_chan_recv(m.done, NULL);
    goc_chan_close(m.c);
    for (int i = 0; i < R; i++)
        goc_chan_recv(m.done, NULL);
    int total = 0;
    for (int i = 0; i < R; i++)
        total += ra[i].count;
    CHECK_EQ(total, S * PER);
    for (int v = 0; v < S * PER; v++)
        CHECK_EQ(atomic_load(&m.seen[v]), 1);
    free((void *)m.seen);
    return 0;
}

GOC_TEST(mpmc_unbuffered) { return mpmc_run(0); }
GOC_TEST(mpmc_buffered) { return mpmc_run(7); }

/* ---- direct hand-off ------------------------------------------------------ */

struct handoff {
    goc_chan *c;
    _Atomic int got;
    int value;
    bool ok;
};

static void handoff_receiver(void *p)
{
    struct handoff *h = p;
    int v = -1;
    h->ok = goc_chan_recv(h->c, &v);
    h->value = v;
    atomic_store(&h->got, 1);
}

static void handoff_sender(void *p)
{
    struct handoff *h = p;
    goc_chan_send(h->c, &h->value);
    atomic_store(&h->got, 1);
}

/* On an unbuffered channel a non-blocking send succeeds only by handing the
 * value straight to a parked receiver, and a non-blocking receive only by
 * taking it from a parked sender. */
GOC_TEST(unbuffered_direct_handoff)
{
    for (int round = 0; round < 100; round++) {
        struct handoff h = { goc_chan_make(sizeof(int), 0), 0, -1, false };
        goc_go(handoff_receiver, &h);
        int v = 4242 + round;
        long tries = 0;
        while (!goc_chan_try_send(h.c, &v)) {
            goc_yield();
            if (++tries > 10000000) {
                CHECK(!"try_send never met the parked receiver");
                return -1;
            }
        }
        REQUIRE(goc_test_wait_for(&h.got, 1, 10000));
        CHECK(h.ok);
        CHECK_EQ(h.value, 4242 + round);

        struct handoff s = { goc_chan_make(sizeof(int), 0), 0, 777 + round, false };
        goc_go(handoff_sender, &s);
        bool ok = false;
        int r = -1;
        tries = 0;
        while (!goc_chan_try_recv(s.c, &r, &ok)) {
            goc_yield();
            if (++tries > 10000000) {
                CHECK(!"try_recv never met the parked sender");
                return -1;
            }
        }
        CHECK(ok);
        CHECK_EQ(r, 777 + round);
        REQUIRE(goc_test_wait_for(&s.got, 1, 10000));
    }
    return 0;
}

/* A receiver parked on an empty buffered channel gets the value; the buffer
 * is not left holding a copy. */
GOC_TEST(buffered_send_to_parked_receiver)
{
    for (int round = 0; round < 100; round++) {
        struct handoff h = { goc_chan_make(sizeof(int), 4), 0, -1, false };
        goc_go(handoff_receiver, &h);
        for (int i = 0; i < round % 5; i++)
            goc_yield();
        int v = 31 + round;
        goc_chan_send(h.c, &v);
        REQUIRE(goc_test_wait_for(&h.got, 1, 10000));
        CHECK(h.ok);
        CHECK_EQ(h.value, 31 + round);
        CHECK_EQ(goc_chan_len(h.c), 0);
    }
    return 0;
}

/* ---- Go's order on buffered channels -------------------------------------- */

/* Yields until n goroutines are parked in queue q (a channel's recvq or
 * sendq): the tests below park goroutines in a known order. */
static bool wait_parked(rt_waitq *q, uint32_t n)
{
    for (long i = 0; i < 10000000; i++) {
        if (atomic_load(&q->len) >= n)
            return true;
        goc_yield();
    }
    return false;
}

struct parked {
    goc_chan *c;
    int value;
    bool ok;
    _Atomic int done;
};

static void parked_receiver(void *p)
{
    struct parked *r = p;
    r->ok = goc_chan_recv(r->c, &r->value);
    atomic_store(&r->done, 1);
}

static void parked_sender(void *p)
{
    struct parked *s = p;
    goc_chan_send(s->c, &s->value);
    atomic_store(&s->done, 1);
}

/* Receivers parked on an empty buffered channel, in order: each send
 * hands its value to the oldest of them, as Go's does, so nothing is left
 * in the buffer for a newcomer to take, and they get 0, 1, 2, 3 in order. */
GOC_TEST(buffered_parked_receivers_served_in_order)
{
    enum { N = 4 };
    goc_chan *c = goc_chan_make(sizeof(int), N);
    struct parked r[N];
    for (int i = 0; i < N; i++) {
        r[i] = (struct parked){ .c = c, .value = -1 };
        goc_go(parked_receiver, &r[i]);
        REQUIRE(wait_parked(&c->recvq, (uint32_t)i + 1));
    }
    for (int i = 0; i < N; i++) {
        goc_chan_send(c, &i);
        int v;
        bool ok;
        CHECK(!goc_chan_try_recv(c, &v, &ok));   /* the value went to r[i] */
    }
    for (int i = 0; i < N; i++) {
        REQUIRE(goc_test_wait_for(&r[i].done, 1, 10000));
        CHECK(r[i].ok);
        CHECK_EQ(r[i].value, i);
    }
    return 0;
}

/* Senders parked on a full buffered channel, in order: a receive that frees
 * a slot moves the oldest one's value into it at once (len stays full, a
 * newcomer's try_send fails), and values come out in Go's order. */
GOC_TEST(buffered_parked_senders_served_in_order)
{
    enum { CAP = 2, N = 3 };
    goc_chan *c = goc_chan_make(sizeof(int), CAP);
    for (int v = 100; v < 100 + CAP; v++)
        goc_chan_send(c, &v);
    struct parked s[N];
    for (int i = 0; i < N; i++) {
        s[i] = (struct parked){ .c = c, .value = i };
        goc_go(parked_sender, &s[i]);
        REQUIRE(wait_parked(&c->sendq, (uint32_t)i + 1));
    }
    static const int want[] = { 100, 101, 0, 1, 2 };
    for (int k = 0; k < CAP + N; k++) {
        int v = -1;
        CHECK(goc_chan_recv(c, &v));
        CHECK_EQ(v, want[k]);
        if (k < N) {
            CHECK_EQ(goc_chan_len(c), CAP);    /* s[k]'s value moved in */
            int extra = 999;
            CHECK(!goc_chan_try_send(c, &extra));
            REQUIRE(goc_test_wait_for(&s[k].done, 1, 10000));
        }
    }
    CHECK_EQ(goc_chan_len(c), 0);
    return 0;
}

struct parked_select {
    goc_chan *c, *other;
    int value, index;
    bool ok;
    _Atomic int done;
};

static void parked_selector(void *p)
{
    struct parked_select *s = p;
    goc_select_case cases[] = {
        { .chan = s->other, .dir = GOC_SELECT_RECV, .elem = &s->value },
        { .chan = s->c, .dir = GOC_SELECT_RECV, .elem = &s->value },
    };
    s->index = goc_select(cases, 2, false);
    s->ok = cases[s->index].ok;
    atomic_store(&s->done, 1);
}

/* A select parked on buffered channels is handed the value too. */
GOC_TEST(buffered_send_to_parked_select)
{
    struct parked_select s = { .c = goc_chan_make(sizeof(int), 3),
                               .other = goc_chan_make(sizeof(int), 1), .value = -1, .index = -1 };
    goc_go(parked_selector, &s);
    REQUIRE(wait_parked(&s.c->recvq, 1));
    int v = 77, w;
    bool ok;
    goc_chan_send(s.c, &v);
    CHECK(!goc_chan_try_recv(s.c, &w, &ok));
    REQUIRE(goc_test_wait_for(&s.done, 1, 10000));
    CHECK_EQ(s.index, 1);
    CHECK(s.ok);
    CHECK_EQ(s.value, 77);
    CHECK_EQ(atomic_load(&s.other->recvq.len), 0);   /* its other waiter is gone */
    return 0;
}

/* ---- zero-size elements ---------------------------------------------------- */

struct empty_elem { char none[0]; };

static void zero_sender(void *p)
{
    struct empty_elem e;
    goc_chan_send(p, &e);
}

/* A channel of zero-size elements is only its counters (Go allocates no
 * buffer for them either): a capacity of 2^30 costs nothing, and
 * counting, blocking, serving parked senders and closing work as usual. */
GOC_TEST(zero_size_elements)
{
    struct empty_elem e;
    goc_chan *big = goc_chan_make(0, (int64_t)1 << 30);
    CHECK_EQ(goc_chan_cap(big), 1 << 30);
    for (int i = 0; i < 3; i++)
        goc_chan_send(big, &e);
    CHECK_EQ(goc_chan_len(big), 3);
    for (int i = 0; i < 3; i++)
        CHECK(goc_chan_recv(big, &e));
    CHECK_EQ(goc_chan_len(big), 0);
    bool ok = true;
    CHECK(!goc_chan_try_recv(big, &e, &ok));

    goc_chan *c = goc_chan_make(0, 2);
    CHECK(goc_chan_try_send(c, &e));
    CHECK(goc_chan_try_send(c, &e));
    CHECK(!goc_chan_try_send(c, &e));           /* full */
    goc_go(zero_sender, c);
    REQUIRE(wait_parked(&c->sendq, 1));
    CHECK(goc_chan_recv(c, &e));
    CHECK_EQ(goc_chan_len(c), 2);               /* the parked send moved in */
    goc_chan_close(c);
    CHECK(goc_chan_recv(c, &e));
    CHECK(goc_chan_recv(c, &e));
    CHECK(!goc_chan_recv(c, &e));               /* closed and drained */
    return 0;
}

/* ---- elements of various sizes -------------------------------------------- */

struct big { unsigned char bytes[1000]; };
struct odd { char a; short b; char c[5]; };

static void big_sender(void *p)
{
    goc_chan *c = p;
    for (int i = 0; i < 50; i++) {
        struct big b;
        for (int j = 0; j < 1000; j++)
            b.bytes[j] = (unsigned char)(i * 7 + j);
        goc_chan_send(c, &b);
    }
}

GOC_TEST(element_sizes)
{
    for (int cap = 0; cap <= 3; cap += 3) {
        goc_chan *c = goc_chan_make(sizeof(struct big), cap);
        goc_go(big_sender, c);
        for (int i = 0; i < 50; i++) {
            struct big b;
            memset(&b, 0xee, sizeof b);
            CHECK(goc_chan_recv(c, &b));
            for (int j = 0; j < 1000; j++)
                if (b.bytes[j] != (unsigned char)(i * 7 + j)) {
                    CHECK(!"big element corrupted");
                    break;
                }
        }
    }
    goc_chan *c1 = goc_chan_make(1, 2);
    char ch = 'x';
    CHECK(goc_chan_try_send(c1, &ch));
    ch = 'y';
    CHECK(goc_chan_try_send(c1, &ch));
    char r[2] = { 0, 0 };
    CHECK(goc_chan_recv(c1, &r[0]));
    CHECK(goc_chan_recv(c1, &r[1]));
    CHECK_EQ(r[0], 'x');
    CHECK_EQ(r[1], 'y');

    goc_chan *co = goc_chan_make(sizeof(struct odd), 1);
    struct odd o = { 'a', 12345, "wxyz" }, got;
    memset(&got, 0, sizeof got);
    CHECK(goc_chan_try_send(co, &o));
    CHECK(goc_chan_recv(co, &got));
    CHECK_EQ(got.a, 'a');
    CHECK_EQ(got.b, 12345);
    CHECK(memcmp(got.c, "wxyz", 5) == 0);

    /* A channel of channels. */
    goc_chan *cc = goc_chan_make(sizeof(goc_chan *), 1);
    goc_chan *inner = goc_chan_make(sizeof(int), 1);
    int v = 5;
    CHECK(goc_chan_try_send(inner, &v));
    CHECK(goc_chan_try_send(cc, &inner));
    goc_chan *out = NULL;
    CHECK(goc_chan_recv(cc, &out));
    CHECK(out == inner);
    v = 0;
    CHECK(goc_chan_recv(out, &v));
    CHECK_EQ(v, 5);
    return 0;
}

GOC_TEST(recv_discard)
{
    goc_chan *c = goc_chan_make(sizeof(int), 2);
    int v = 1;
    CHECK(goc_chan_try_send(c, &v));
    v = 2;
    CHECK(goc_chan_try_send(c, &v));
    CHECK(goc_chan_recv(c, NULL));           /* discards 1 */
    bool ok = false;
    CHECK(goc_chan_try_recv(c, NULL, &ok));  /* discards 2 */
    CHECK(ok);
    CHECK_EQ(goc_chan_len(c), 0);
    v = 3;
    CHECK(goc_chan_try_send(c, &v));
    CHECK(goc_chan_try_recv(c, &v, NULL));   /* ok may be NULL */
    CHECK_EQ(v, 3);
    return 0;
}

/* ---- close ------------------------------------------------------------------ */

GOC_TEST(close_drains_then_zero)
{
    goc_chan *c = goc_chan_make(sizeof(int64_t), 3);
    for (int64_t i = 1; i <= 3; i++)
        CHECK(goc_chan_try_send(c, &i));
    goc_chan_close(c);
    CHECK_EQ(goc_chan_len(c), 3);            /* close keeps queued values */
    CHECK_EQ(goc_chan_cap(c), 3);
    for (int64_t i = 1; i <= 3; i++) {
        int64_t v = -1;
        CHECK(goc_chan_recv(c, &v));
        CHECK_EQ(v, i);
    }
    CHECK_EQ(goc_chan_len(c), 0);
    for (int k = 0; k < 3; k++) {
        int64_t v = -1;
        CHECK(!goc_chan_recv(c, &v));        /* closed and drained */
        CHECK_EQ(v, 0);                      /* zero value */
        v = -1;
        bool ok = true;
        CHECK(goc_chan_try_recv(c, &v, &ok)); /* a close counts as a result */
        CHECK(!ok);
        CHECK_EQ(v, 0);
    }
    /* Unbuffered too. */
    goc_chan *u = goc_chan_make(sizeof(int), 0);
    goc_chan_close(u);
    int v = 9;
    CHECK(!goc_chan_recv(u, &v));
    CHECK_EQ(v, 0);
    return 0;
}

struct closer_wait {
    goc_chan *c;
    goc_chan *results;
};

static void close_waiter(void *p)
{
    struct closer_wait *w = p;
    int v = 12345;
    bool ok = goc_chan_recv(w->c, &v);
    int res = (ok ? 1 : 0) + (v == 0 ? 0 : 2);   /* 0 when woken by close */
    goc_chan_send(w->results, &res);
}

/* Receivers blocked on a channel are all woken by close and get
 * (zero, false). */
GOC_TEST(close_wakes_receivers)
{
    enum { N = 50 };
    for (int cap = 0; cap <= 4; cap += 4) {
        struct closer_wait w = { goc_chan_make(sizeof(int), cap),
                                 goc_chan_make(sizeof(int), N) };
        for (int i = 0; i < N; i++)
            goc_go(close_waiter, &w);
        for (int i = 0; i < 100; i++)
            goc_yield();
        goc_chan_close(w.c);
        for (int i = 0; i < N; i++) {
            int res = -1;
            CHECK(goc_chan_recv(w.results, &res));
            CHECK_EQ(res, 0);
        }
    }
    return 0;
}

/* ---- len, cap and the nil channel ---------------------------------------- */

GOC_TEST(len_cap)
{
    CHECK_EQ(goc_chan_len(NULL), 0);
    CHECK_EQ(goc_chan_cap(NULL), 0);
    goc_chan *u = goc_chan_make(sizeof(int), 0);
    CHECK_EQ(goc_chan_len(u), 0);
    CHECK_EQ(goc_chan_cap(u), 0);
    goc_chan *b = goc_chan_make(sizeof(int), 5);
    CHECK_EQ(goc_chan_cap(b), 5);
    int v = 0;
    for (int i = 0; i < 3; i++)
        CHECK(goc_chan_try_send(b, &v));
    CHECK_EQ(goc_chan_len(b), 3);
    CHECK_EQ(goc_chan_cap(b), 5);
    CHECK(goc_chan_recv(b, NULL));
    CHECK_EQ(goc_chan_len(b), 2);
    /* A large buffer is fine. */
    goc_chan *l = goc_chan_make(sizeof(int), 100000);
    CHECK_EQ(goc_chan_cap(l), 100000);
    return 0;
}

GOC_TEST(try_ops)
{
    goc_chan *u = goc_chan_make(sizeof(int), 0);
    int v = 1;
    bool ok = true;
    CHECK(!goc_chan_try_send(u, &v));        /* nobody receiving */
    CHECK(!goc_chan_try_recv(u, &v, &ok));   /* nobody sending */
    goc_chan *b = goc_chan_make(sizeof(int), 1);
    CHECK(!goc_chan_try_recv(b, &v, &ok));
    CHECK(goc_chan_try_send(b, &v));
    CHECK(!goc_chan_try_send(b, &v));
    v = 0;
    ok = false;
    CHECK(goc_chan_try_recv(b, &v, &ok));
    CHECK(ok);
    CHECK_EQ(v, 1);
    return 0;
}

static _Atomic int nil_progress;

static void nil_receiver(void *p)
{
    int v;
    goc_chan_recv(NULL, &v);
    atomic_fetch_add(&nil_progress, 1);      /* must never happen */
}

static void nil_sender(void *p)
{
    int v = 1;
    goc_chan_send(NULL, &v);
    atomic_fetch_add(&nil_progress, 1);      /* must never happen */
}

/* Send and receive on nil block for ever (these two goroutines are left
 * blocked on purpose); the non-blocking forms fail. */
GOC_TEST(nil_channel)
{
    int v = 1;
    bool ok = true;
    CHECK(!goc_chan_try_send(NULL, &v));
    CHECK(!goc_chan_try_recv(NULL, &v, &ok));
    atomic_store(&nil_progress, 0);
    goc_go(nil_receiver, NULL);
    goc_go(nil_sender, NULL);
    /* Give them every chance to run. */
    for (int i = 0; i < 1000; i++)
        goc_yield();
    goc_sleep(20 * GOC_MILLISECOND);
    for (int i = 0; i < 1000; i++)
        goc_yield();
    CHECK_EQ(atomic_load(&nil_progress), 0);
    /* Other channels still work meanwhile. */
    goc_chan *c = goc_chan_make(sizeof(int), 1);
    CHECK(goc_chan_try_send(c, &v));
    CHECK(goc_chan_recv(c, &v));
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        GOC_UNIT(unbuffered_fifo),
        GOC_UNIT(buffered_fill_then_drain),
        GOC_UNIT(buffered_fifo_with_blocked_sender),
        GOC_UNIT(mpmc_unbuffered),
        GOC_UNIT(mpmc_buffered),
        GOC_UNIT(unbuffered_direct_handoff),
        GOC_UNIT(buffered_send_to_parked_receiver),
        GOC_UNIT(buffered_parked_receivers_served_in_order),
        GOC_UNIT(buffered_parked_senders_served_in_order),
        GOC_UNIT(buffered_send_to_parked_select),
        GOC_UNIT(zero_size_elements),
        GOC_UNIT(element_sizes),
        GOC_UNIT(recv_discard),
        GOC_UNIT(close_drains_then_zero),
        GOC_UNIT(close_wakes_receivers),
        GOC_UNIT(len_cap),
        GOC_UNIT(try_ops),
        GOC_UNIT(nil_channel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
