/*
 * test_sched.c — goroutines and the scheduler as the public API shows them:
 * goc_goid, goc_num_goroutine, goc_yield, goc_maxprocs, spawning and joining
 * many goroutines, and goc_run itself.
 */
#include "goc_test.h"

#include <pthread.h>
#include <stdlib.h>

/* ---- goc_run ------------------------------------------------------------- */

static int return_arg(void *p) { return (int)(intptr_t)p; }

static void test_run_returns_result(void **state)
{
    for (int i = 0; i < 100; i++)
        assert_int_equal(goc_run(return_arg, (void *)(intptr_t)(i * 3 - 7)), i * 3 - 7);
}

static void test_goid_outside(void **state)
{
    assert_int_equal(goc_goid(), 0);          /* the runner thread: no goroutine */
    assert_true(goc_maxprocs() >= 1);
}

/* Goroutines started inside goc_run keep running after it returns. */
static goc_chan *survivor_in, *survivor_out;

static void survivor(void *p)
{
    int v = 0;
    goc_chan_recv(survivor_in, &v);
    v *= 2;
    goc_chan_send(survivor_out, &v);
}

static int start_survivor(void *p)
{
    survivor_in = goc_chan_make(sizeof(int), 0);
    survivor_out = goc_chan_make(sizeof(int), 0);
    goc_go(survivor, NULL);
    return 0;
}

static int talk_to_survivor(void *p)
{
    int v = 21;
    goc_chan_send(survivor_in, &v);
    goc_chan_recv(survivor_out, &v);
    return v;
}

static void test_goroutines_outlive_run(void **state)
{
    assert_int_equal(goc_run(start_survivor, NULL), 0);
    assert_int_equal(goc_run(talk_to_survivor, NULL), 42);
}

/* goc_run from several OS threads at once, each goroutine talking to a
 * child of its own. */
struct counter_args {
    goc_chan *c;
    int n;
};

static void count_to(void *p)
{
    struct counter_args *a = p;
    for (int i = 0; i < a->n; i++)
        goc_chan_send(a->c, &i);
    goc_chan_close(a->c);
}

static int run_chain(void *p)
{
    struct counter_args a = { goc_chan_make(sizeof(int), 0), (int)(intptr_t)p };
    goc_go(count_to, &a);
    int sum = 0, v;
    while (goc_chan_recv(a.c, &v))
        sum += v;
    return sum;
}

static void *run_thread(void *p)
{
    intptr_t r = goc_run(run_chain, p);
    return (void *)r;
}

static void test_run_from_threads(void **state)
{
    enum { T = 4 };
    pthread_t t[T];
    for (int i = 0; i < T; i++)
        assert_int_equal(pthread_create(&t[i], NULL, run_thread, (void *)(intptr_t)(100 + i)), 0);
    for (int i = 0; i < T; i++) {
        void *r;
        pthread_join(t[i], &r);
        int n = 100 + i;
        assert_int_equal((int)(intptr_t)r, n * (n - 1) / 2);
    }
}

/* ---- goc_goid ------------------------------------------------------------ */

struct goid_args {
    int64_t *ids;
    int index;
    goc_chan *join;
};

static void record_goid(void *p)
{
    struct goid_args *a = p;
    int64_t id = goc_goid();
    for (int i = 0; i < 10; i++) {
        goc_yield();                          /* may move between threads */
        if (i == 5)
            goc_sleep(100 * GOC_MICROSECOND);
        CHECK_EQ(goc_goid(), id);
    }
    a->ids[a->index] = id;
    int one = 1;
    goc_chan_send(a->join, &one);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

GOC_TEST(goid_unique_and_stable)
{
    enum { N = 200 };
    int64_t ids[N + 1];
    struct goid_args args[N];
    goc_chan *join = goc_chan_make(sizeof(int), N);
    int64_t me = goc_goid();
    CHECK(me > 0);
    for (int i = 0; i < N; i++) {
        args[i] = (struct goid_args){ ids, i, join };
        goc_go(record_goid, &args[i]);
    }
    for (int i = 0; i < N; i++)
        goc_chan_recv(join, NULL);
    ids[N] = me;
    qsort(ids, N + 1, sizeof ids[0], cmp64);
    for (int i = 0; i <= N; i++) {
        CHECK(ids[i] > 0);
        if (i > 0)
            CHECK(ids[i] != ids[i - 1]);
    }
    CHECK_EQ(goc_goid(), me);
    return 0;
}

/* ---- goc_num_goroutine ----------------------------------------------------- */

struct parked_args {
    goc_chan *gate;
    goc_chan *join;
};

static void parked(void *p)
{
    struct parked_args *a = p;
    goc_chan_recv(a->gate, NULL);
    int one = 1;
    goc_chan_send(a->join, &one);
}

/* Waits (bounded) until goc_num_goroutine() == want.  Goroutines of earlier
 * tests may still be finishing their exit, so tests that count wait for
 * "only me" (1) first: no test in this file leaves a goroutine behind. */
static bool num_reaches(int want)
{
    for (int i = 0; i < 200000; i++) {
        if (goc_num_goroutine() == want)
            return true;
        if (i < 1000)
            goc_yield();
        else
            goc_sleep(50 * GOC_MICROSECOND);
    }
    return goc_num_goroutine() == want;
}

GOC_TEST(num_goroutine)
{
    enum { N = 500 };
    REQUIRE(num_reaches(1));                  /* only this one */
    int base = 1;
    struct parked_args a = { goc_chan_make(sizeof(int), 0), goc_chan_make(sizeof(int), N) };
    for (int i = 0; i < N; i++) {
        goc_go(parked, &a);
        CHECK_EQ(goc_num_goroutine(), base + i + 1);  /* counted once started */
    }
    for (int i = 0; i < 100; i++)
        goc_yield();
    CHECK_EQ(goc_num_goroutine(), base + N);  /* parked ones are live */
    goc_chan_close(a.gate);
    for (int i = 0; i < N; i++)
        goc_chan_recv(a.join, NULL);
    CHECK(num_reaches(base));                 /* they exit */
    return 0;
}

/* ---- goc_yield ------------------------------------------------------------- */

/* More goroutines than worker threads each check in, then spin with
 * goc_yield until all have checked in.  Without yield handing the thread
 * to others, the ones not yet started could never run. */
struct barrier {
    _Atomic int arrived;
    int n;
    _Atomic int failed;
    goc_chan *join;
};

static void yield_barrier(void *p)
{
    struct barrier *b = p;
    atomic_fetch_add(&b->arrived, 1);
    long spins = 0;
    while (atomic_load(&b->arrived) < b->n) {
        goc_yield();
        if (++spins > 50000000) {
            atomic_store(&b->failed, 1);
            break;
        }
    }
    int one = 1;
    goc_chan_send(b->join, &one);
}

GOC_TEST(yield_lets_others_run)
{
    struct barrier b = { 0, 4 * goc_maxprocs() + 3, 0, NULL };
    b.join = goc_chan_make(sizeof(int), b.n);
    for (int i = 0; i < b.n; i++)
        goc_go(yield_barrier, &b);
    for (int i = 0; i < b.n; i++)
        goc_chan_recv(b.join, NULL);
    CHECK_EQ(atomic_load(&b.failed), 0);
    return 0;
}

/* Two goroutines taking turns through a shared flag, each spinning with
 * goc_yield until it is its turn: they interleave strictly, whatever the
 * number of threads. */
struct turns {
    _Atomic int turn;
    int rounds;
    char log[2001];
    _Atomic int len;
    goc_chan *join;
};

struct turn_args {
    struct turns *t;
    int me;
};

static void take_turns(void *p)
{
    struct turn_args *a = p;
    struct turns *t = a->t;
    for (int i = 0; i < t->rounds; i++) {
        long spins = 0;
        while (atomic_load(&t->turn) != a->me) {
            goc_yield();
            if (++spins > 50000000) {
                CHECK(!"no progress");
                goto out;
            }
        }
        int at = atomic_fetch_add(&t->len, 1);
        t->log[at] = (char)('A' + a->me);
        atomic_store(&t->turn, 1 - a->me);
    }
out:;
    int one = 1;
    goc_chan_send(t->join, &one);
}

GOC_TEST(yield_interleaving)
{
    struct turns t = { .turn = 0, .rounds = 1000, .join = goc_chan_make(sizeof(int), 2) };
    struct turn_args a = { &t, 0 }, b = { &t, 1 };
    goc_go(take_turns, &a);
    goc_go(take_turns, &b);
    goc_chan_recv(t.join, NULL);
    goc_chan_recv(t.join, NULL);
    CHECK_EQ(atomic_load(&t.len), 2000);
    for (int i = 0; i < 2000; i++)
        if (t.log[i] != (i % 2 ? 'B' : 'A')) {
            CHECK(!"turns did not alternate");
            break;
        }
    return 0;
}

/* ---- many goroutines ------------------------------------------------------ */

struct many {
    _Atomic unsigned char *seen;
    goc_chan *results;
};

struct many_args {
    struct many *m;
    int index;
};

static void many_child(void *p)
{
    struct many_args *a = p;
    CHECK_EQ(atomic_exchange(&a->m->seen[a->index], 1), 0);
    goc_chan_send(a->m->results, &a->index);
}

GOC_TEST(ten_thousand_goroutines)
{
#ifndef GOC_TEST_TSAN
    enum { N = 10000 };
#else
    enum { N = 4000 };                        /* TSan's fiber limit: goc_test.h */
#endif
    REQUIRE(num_reaches(1));
    int base = 1;
    struct many m = { calloc(N, 1), goc_chan_make(sizeof(int), 0) };
    struct many_args *args = calloc(N, sizeof *args);
    for (int i = 0; i < N; i++) {
        args[i] = (struct many_args){ &m, i };
        goc_go(many_child, &args[i]);
    }
    long sum = 0;
    unsigned char *got = calloc(N, 1);
    for (int i = 0; i < N; i++) {
        int v = -1;
        CHECK(goc_chan_recv(m.results, &v));
        if (v < 0 || v >= N) {
            CHECK(!"bad index");
            continue;
        }
        CHECK_EQ(got[v], 0);
        got[v] = 1;
        sum += v;
    }
    CHECK_EQ(sum, (long)N * (N - 1) / 2);
    for (int i = 0; i < N; i++)
        CHECK_EQ(atomic_load(&m.seen[i]), 1);
    CHECK(num_reaches(base));
    free(got);
    free(args);
    free((void *)m.seen);
    return 0;
}

/* A tree of goroutines, each spawning children and summing their results
 * over unbuffered channels (a small skynet). */
struct tree_args {
    long base, size;
    goc_chan *out;
};

static void tree_node(void *p)
{
    struct tree_args *a = p;
    long result;
    if (a->size == 1) {
        result = a->base;
    } else {
        goc_chan *c = goc_chan_make(sizeof(long), 0);
        long child = a->size / 10;
        struct tree_args kids[10];
        for (int i = 0; i < 10; i++) {
            kids[i] = (struct tree_args){ a->base + i * child, child, c };
            goc_go(tree_node, &kids[i]);
        }
        result = 0;
        for (int i = 0; i < 10; i++) {
            long v;
            goc_chan_recv(c, &v);
            result += v;
        }
    }
    goc_chan_send(a->out, &result);
}

GOC_TEST(goroutine_tree)
{
#ifndef GOC_TEST_TSAN
    enum { SIZE = 100000 };
#else
    enum { SIZE = 1000 };                     /* TSan's fiber limit: goc_test.h */
#endif
    struct tree_args root = { 0, SIZE, goc_chan_make(sizeof(long), 0) };
    goc_go(tree_node, &root);
    long sum = -1;
    goc_chan_recv(root.out, &sum);
    CHECK_EQ(sum, (long)SIZE * (SIZE - 1) / 2);
    return 0;
}

/* Deep recursion in a goroutine within the default stack (64 KiB): a few
 * KiB of locals across many frames is fine. */
static int use_stack(int depth)
{
    volatile char buf[256];
    for (int i = 0; i < 256; i += 32)         /* all of it, not just buf[0] */
        buf[i] = (char)depth;
    if (depth == 0)
        return buf[0];
    return use_stack(depth - 1) + buf[0] - (char)depth;
}

static void stack_user(void *p)
{
    int r = use_stack(100);                   /* about 30 KiB */
    goc_chan_send(p, &r);
}

GOC_TEST(goroutine_stack_usable)
{
    goc_chan *c = goc_chan_make(sizeof(int), 0);
    for (int i = 0; i < 20; i++)
        goc_go(stack_user, c);
    for (int i = 0; i < 20; i++) {
        int r = -1;
        goc_chan_recv(c, &r);
        CHECK_EQ(r, 0);
    }
    return 0;
}

/* goc_run over and over while another goroutine sits parked: nothing is
 * deadlocked at any moment (the goc_run goroutine is always about to run or
 * running), so the deadlock detector must never fire. */
static goc_chan *idle_gate;

static void parked_forever(void *p) { goc_chan_recv(idle_gate, NULL); }

static int start_parked(void *p)
{
    idle_gate = goc_chan_make(sizeof(int), 0);
    goc_go(parked_forever, NULL);
    return 0;
}

static int plain_return(void *p) { return 7; }
static int yield_return(void *p) { goc_yield(); return 7; }

static void test_run_repeatedly_with_parked_goroutine(void **state)
{
    assert_int_equal(goc_run(start_parked, NULL), 0);
    for (int i = 0; i < 50000; i++)
        assert_int_equal(goc_run(i % 2 ? plain_return : yield_return, NULL), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_returns_result),
        cmocka_unit_test(test_goid_outside),
        cmocka_unit_test(test_goroutines_outlive_run),
        cmocka_unit_test(test_run_from_threads),
        GOC_UNIT(goid_unique_and_stable),
        GOC_UNIT(num_goroutine),
        GOC_UNIT(yield_lets_others_run),
        GOC_UNIT(yield_interleaving),
        GOC_UNIT(ten_thousand_goroutines),
        GOC_UNIT(goroutine_tree),
        GOC_UNIT(goroutine_stack_usable),
        cmocka_unit_test(test_run_repeatedly_with_parked_goroutine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
