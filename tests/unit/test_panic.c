/*
 * test_panic.c — defer, panic and recover through goc_frame: deferred calls
 * run last-in first-out on leave and on unwinding, recover returns the
 * message and lands in the recovering frame's goc_frame_enter, recover is
 * NULL elsewhere, nested panics, and the runtime's own panics with Go's
 * messages (all recoverable).
 *
 * A function that enters a frame may be resumed at goc_frame_enter by
 * a longjmp (goc_frame_enter is a setjmp), so locals it changes after entering and reads
 * after a recovery are volatile, as with setjmp.
 */
#include "goc_test.h"

#include <stdint.h>

/* ---- a log of events, in order ------------------------------------------ */

static char events[256];
static int nevents;

static void log_reset(void) { nevents = 0; events[0] = 0; }
static void log_event(char c)
{
    if (nevents < (int)sizeof events - 1) {
        events[nevents++] = c;
        events[nevents] = 0;
    }
}
static void deferred_log(void *p) { log_event((char)(intptr_t)p); }
#define EV(c) ((void *)(intptr_t)(c))

static const char *recovered;
static int recover_calls;
static void deferred_recover(void *p)
{
    recover_calls++;
    recovered = goc_recover();
    log_event(recovered ? 'R' : 'r');
}

/* ---- defers on leave ------------------------------------------------------ */

GOC_TEST(defers_lifo_on_leave)
{
    log_reset();
    goc_frame fr;
    if (goc_frame_enter(&fr)) {
        CHECK(!"recovered without a panic");
        return -1;
    }
    goc_defer(&fr, deferred_log, EV('1'));
    goc_defer(&fr, deferred_log, EV('2'));
    goc_defer(&fr, deferred_log, EV('3'));
    log_event('x');                           /* defers have not run yet */
    goc_frame_leave(&fr);
    CHECK_STR(events, "x321");
    /* A defer in a loop defers N calls. */
    log_reset();
    goc_frame f2;
    if (goc_frame_enter(&f2))
        return -1;
    for (int i = 0; i < 5; i++)
        goc_defer(&f2, deferred_log, EV('a' + i));
    goc_frame_leave(&f2);
    CHECK_STR(events, "edcba");
    /* A frame without defers. */
    goc_frame f3;
    if (goc_frame_enter(&f3))
        return -1;
    goc_frame_leave(&f3);
    return 0;
}

static void inner_with_frame(void)
{
    goc_frame fr;
    if (goc_frame_enter(&fr))
        return;
    goc_defer(&fr, deferred_log, EV('i'));
    goc_defer(&fr, deferred_log, EV('j'));
    log_event('I');
    goc_frame_leave(&fr);
}

GOC_TEST(nested_frames_leave)
{
    log_reset();
    goc_frame fr;
    if (goc_frame_enter(&fr))
        return -1;
    goc_defer(&fr, deferred_log, EV('o'));
    inner_with_frame();                       /* runs only its own defers */
    log_event('O');
    goc_frame_leave(&fr);
    CHECK_STR(events, "IjiOo");
    return 0;
}

/* ---- panic and recover ------------------------------------------------------ */

static void panic_in_inner_frame(int x)
{
    goc_frame fr;
    if (goc_frame_enter(&fr)) {
        log_event('!');                       /* this frame did not recover */
        return;
    }
    goc_defer(&fr, deferred_log, EV('i'));
    goc_panic("boom %d", x);
}

static int recovering_function(int x, volatile int *resumed)
{
    goc_frame fr;
    if (goc_frame_enter(&fr)) {
        *resumed = 1;
        return 0;                             /* the zero value */
    }
    goc_defer(&fr, deferred_log, EV('a'));
    goc_defer(&fr, deferred_recover, NULL);
    goc_defer(&fr, deferred_log, EV('b'));
    log_event('<');
    panic_in_inner_frame(x);
    log_event('X');                           /* never reached */
    goc_frame_leave(&fr);
    return 42;
}

GOC_TEST(recover_returns_message)
{
    log_reset();
    recovered = NULL;
    volatile int resumed = 0;
    int r = recovering_function(7, &resumed);
    CHECK_EQ(r, 0);
    CHECK_EQ(resumed, 1);                     /* goc_frame_enter returned nonzero */
    CHECK_STR(recovered, "boom 7");
    /* The inner frame's defer, then the recovering frame's, latest first;
     * the rest of the recovering frame's defers still run. */
    CHECK_STR(events, "<ibRa");
    /* Normal life resumes: no panic in progress, frames work. */
    CHECK(goc_recover() == NULL);
    log_reset();
    goc_frame fr;
    if (goc_frame_enter(&fr))
        return -1;
    goc_defer(&fr, deferred_log, EV('z'));
    goc_frame_leave(&fr);
    CHECK_STR(events, "z");
    return 0;
}

GOC_TEST(recover_outside_panic)
{
    CHECK(goc_recover() == NULL);
    log_reset();
    recovered = EV(1);
    goc_frame fr;
    if (goc_frame_enter(&fr))
        return -1;
    goc_defer(&fr, deferred_recover, NULL);   /* run by leave, not a panic */
    goc_frame_leave(&fr);
    CHECK(recovered == NULL);
    CHECK_STR(events, "r");
    return 0;
}

/* Once a panic is recovered, a second recover returns NULL. */
static int recover_twice(volatile int *resumed)
{
    goc_frame fr;
    if (goc_frame_enter(&fr)) {
        *resumed = 1;
        return 0;
    }
    goc_defer(&fr, deferred_recover, NULL);   /* runs second: NULL */
    goc_defer(&fr, deferred_recover, NULL);   /* runs first: the message */
    goc_panic("once");
}

GOC_TEST(recover_only_once)
{
    log_reset();
    recover_calls = 0;
    volatile int resumed = 0;
    CHECK_EQ(recover_twice(&resumed), 0);
    CHECK_EQ(resumed, 1);
    CHECK_EQ(recover_calls, 2);
    CHECK_STR(events, "Rr");
    CHECK(recovered == NULL);
    return 0;
}

/* A panic passes through C functions without frames, and through frames
 * without a recovering defer, to the nearest recovering frame. */
static void no_frame_level(int depth);
static void (*volatile next_level)(int) = no_frame_level;  /* no tail-call tricks */

static void no_frame_level(int depth)
{
    if (depth > 0)
        next_level(depth - 1);
    else
        goc_panic("deep %s", "down");
    log_event('X');
}

static void plain_frame_level(void)
{
    goc_frame fr;
    if (goc_frame_enter(&fr))
        return;
    goc_defer(&fr, deferred_log, EV('p'));
    no_frame_level(10);
    goc_frame_leave(&fr);
}

GOC_TEST(panic_unwinds_to_recovering_frame)
{
    log_reset();
    volatile int resumed = 0;
    goc_frame fr;
    if (goc_frame_enter(&fr)) {
        resumed = 1;
    } else {
        goc_defer(&fr, deferred_recover, NULL);
        plain_frame_level();
        log_event('X');
        goc_frame_leave(&fr);
    }
    CHECK_EQ(resumed, 1);
    CHECK_STR(recovered, "deep down");
    CHECK_STR(events, "pR");
    return 0;
}

/* Panic and recover over and over: nothing leaks into the next round. */
static int panic_round(int i)
{
    goc_frame fr;
    if (goc_frame_enter(&fr))
        return -1;
    goc_defer(&fr, deferred_recover, NULL);
    if (i % 2)
        goc_panic("round %d", i);
    goc_frame_leave(&fr);
    return 1;
}

GOC_TEST(repeated_panics)
{
    char want[32];
    for (int i = 0; i < 10000; i++) {
        recovered = NULL;
        log_reset();
        int r = panic_round(i);
        if (i % 2) {
            snprintf(want, sizeof want, "round %d", i);
            CHECK_EQ(r, -1);
            CHECK_STR(recovered, want);
        } else {
            CHECK_EQ(r, 1);
            CHECK(recovered == NULL);
        }
    }
    CHECK(goc_recover() == NULL);
    return 0;
}

/* ---- nested panics -------------------------------------------------------- */

static void deferred_panic(void *p) { goc_panic("%s", (const char *)p); }

static int replaced_panic(volatile int *resumed)
{
    goc_frame fr;
    if (goc_frame_enter(&fr)) {
        *resumed = 1;
        return 0;
    }
    goc_defer(&fr, deferred_recover, NULL);
    goc_defer(&fr, deferred_log, EV('m'));
    goc_defer(&fr, deferred_panic, "second");  /* panics while "first" runs */
    goc_panic("first");
}

/* A deferred call panics during a panic: the recover sees the new panic,
 * and the defers registered before it still run. */
GOC_TEST(nested_panic_recovered)
{
    log_reset();
    recovered = NULL;
    volatile int resumed = 0;
    CHECK_EQ(replaced_panic(&resumed), 0);
    CHECK_EQ(resumed, 1);
    CHECK_STR(recovered, "second");
    CHECK_STR(events, "mR");
    CHECK(goc_recover() == NULL);
    return 0;
}

/* A deferred call that panics and recovers internally leaves the outer
 * panic running, and the outer frame recovers the original message. */
static const char *inner_recovered;

static void deferred_inner_recover(void *p) { inner_recovered = goc_recover(); }

static void deferred_self_contained_panic(void *p)
{
    goc_frame fr;
    if (goc_frame_enter(&fr)) {
        log_event('s');
        return;
    }
    goc_defer(&fr, deferred_inner_recover, NULL);
    goc_panic("inner");
}

static int outer_panic(volatile int *resumed)
{
    goc_frame fr;
    if (goc_frame_enter(&fr)) {
        *resumed = 1;
        return 0;
    }
    goc_defer(&fr, deferred_recover, NULL);
    goc_defer(&fr, deferred_self_contained_panic, NULL);
    goc_panic("outer");
}

GOC_TEST(panic_inside_defer_recovered_inside)
{
    log_reset();
    recovered = inner_recovered = NULL;
    volatile int resumed = 0;
    CHECK_EQ(outer_panic(&resumed), 0);
    CHECK_EQ(resumed, 1);
    CHECK_STR(inner_recovered, "inner");
    CHECK_STR(recovered, "outer");
    CHECK_STR(events, "sR");
    return 0;
}

/* ---- panics in other goroutines --------------------------------------------- */

static void deferred_store_recover(void *p) { *(const char *volatile *)p = goc_recover(); }

/* Each goroutine panics with its own id in the message and recovers it. */
static void panicking_goroutine(void *p)
{
    goc_chan *done = p;
    const char *volatile msg = NULL;
    char want[64];
    snprintf(want, sizeof want, "in goroutine %lld", (long long)goc_goid());
    goc_frame fr;
    if (goc_frame_enter(&fr)) {
        int res = msg && strcmp((const char *)msg, want) == 0 ? 0 : 1;
        goc_chan_send(done, &res);
        return;
    }
    goc_defer(&fr, deferred_store_recover, (void *)&msg);
    goc_sleep(GOC_MILLISECOND);
    goc_panic("in goroutine %lld", (long long)goc_goid());
}

GOC_TEST(panic_in_goroutine)
{
    enum { N = 50 };
    goc_chan *done = goc_chan_make(sizeof(int), N);
    for (int i = 0; i < N; i++)
        goc_go(panicking_goroutine, done);
    for (int i = 0; i < N; i++) {
        int res = -1;
        CHECK(goc_chan_recv(done, &res));
        CHECK_EQ(res, 0);
    }
    CHECK(goc_recover() == NULL);             /* not this goroutine's panic */
    return 0;
}

/* ---- runtime panics ----------------------------------------------------- */

/* Runs fn(arg) inside a frame that recovers; returns the message or NULL. */
static const char *catch_panic(void (*fn)(void *), void *arg)
{
    recovered = NULL;
    goc_frame fr;
    if (goc_frame_enter(&fr))
        return recovered;
    goc_defer(&fr, deferred_recover, NULL);
    fn(arg);
    goc_frame_leave(&fr);
    return recovered;
}

static void send_it(void *c) { int v = 1; goc_chan_send(c, &v); }
static void close_it(void *c) { goc_chan_close(c); }
static void make_negative(void *p) { goc_chan_make(sizeof(int), -1); }
static void ticker_zero(void *p) { goc_ticker_new(0); }
static void select_send_closed(void *c)
{
    int v = 1, r;
    goc_select_case cs[] = {
        { .chan = NULL, .elem = &r, .dir = GOC_SELECT_RECV },
        { .chan = c, .elem = &v, .dir = GOC_SELECT_SEND },
    };
    goc_select(cs, 2, false);
}

GOC_TEST(runtime_panics)
{
    goc_chan *closed = goc_chan_make(sizeof(int), 0);
    goc_chan_close(closed);
    goc_chan *closed_b = goc_chan_make(sizeof(int), 4);
    goc_chan_close(closed_b);
    CHECK_STR(catch_panic(send_it, closed), "send on closed channel");
    CHECK_STR(catch_panic(send_it, closed_b), "send on closed channel");
    CHECK_STR(catch_panic(close_it, closed), "close of closed channel");
    CHECK_STR(catch_panic(close_it, NULL), "close of nil channel");
    CHECK_STR(catch_panic(select_send_closed, closed), "send on closed channel");
    CHECK_STR(catch_panic(make_negative, NULL), "makechan: size out of range");
    CHECK_STR(catch_panic(ticker_zero, NULL), "non-positive interval for NewTicker");
    /* Still usable afterwards. */
    goc_chan *ok = goc_chan_make(sizeof(int), 1);
    CHECK(catch_panic(send_it, ok) == NULL);
    CHECK_EQ(goc_chan_len(ok), 1);
    return 0;
}

/* The non-blocking send is Go's select-with-default send, which panics on a
 * closed channel just as the blocking one does. */
static void try_send_it(void *c) { int v = 1; goc_chan_try_send(c, &v); }

GOC_TEST(try_send_on_closed_panics)
{
    goc_chan *closed = goc_chan_make(sizeof(int), 4);
    goc_chan_close(closed);
    CHECK_STR(catch_panic(try_send_it, closed), "send on closed channel");
    goc_chan *closed_u = goc_chan_make(sizeof(int), 0);
    goc_chan_close(closed_u);
    CHECK_STR(catch_panic(try_send_it, closed_u), "send on closed channel");
    return 0;
}

/* A sender blocked on a channel that gets closed panics. */
struct blocked_sender {
    goc_chan *c;
    goc_chan *result;
    _Atomic int started;
};

static void blocked_sender_main(void *p)
{
    struct blocked_sender *b = p;
    const char *msg = NULL;
    goc_frame fr;
    if (goc_frame_enter(&fr)) {
        msg = recovered;
    } else {
        goc_defer(&fr, deferred_recover, NULL);
        atomic_store(&b->started, 1);
        int v = 5;
        goc_chan_send(b->c, &v);
        goc_frame_leave(&fr);
    }
    goc_chan_send(b->result, &msg);
}

GOC_TEST(close_wakes_blocked_sender_with_panic)
{
    for (int cap = 0; cap <= 1; cap++) {
        struct blocked_sender b = { goc_chan_make(sizeof(int), cap),
                                    goc_chan_make(sizeof(const char *), 1), 0 };
        if (cap) {
            int v = 0;
            CHECK(goc_chan_try_send(b.c, &v));    /* full: the next send blocks */
        }
        goc_go(blocked_sender_main, &b);
        REQUIRE(goc_test_wait_for(&b.started, 1, 10000));
        for (int i = 0; i < 100; i++)
            goc_yield();
        goc_sleep(2 * GOC_MILLISECOND);
        goc_chan_close(b.c);
        const char *msg = NULL;
        CHECK(goc_chan_recv(b.result, &msg));
        CHECK_STR(msg, "send on closed channel");
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        GOC_UNIT(defers_lifo_on_leave),
        GOC_UNIT(nested_frames_leave),
        GOC_UNIT(recover_returns_message),
        GOC_UNIT(recover_outside_panic),
        GOC_UNIT(recover_only_once),
        GOC_UNIT(panic_unwinds_to_recovering_frame),
        GOC_UNIT(repeated_panics),
        GOC_UNIT(nested_panic_recovered),
        GOC_UNIT(panic_inside_defer_recovered_inside),
        GOC_UNIT(panic_in_goroutine),
        GOC_UNIT(runtime_panics),
        GOC_UNIT(try_send_on_closed_panics),
        GOC_UNIT(close_wakes_blocked_sender_with_panic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
