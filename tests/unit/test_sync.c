/*
 * test_sync.c — mutex, rwmutex, waitgroup, once and cond: exclusion and
 * wake-up checked with counters and invariants, the zero values usable
 * without initialisation, the misuse panics with Go's messages, and that
 * every one of them parks the goroutine rather than its OS thread.
 */
#include "goc_test.h"

#include <linux/membarrier.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- a join helper ---------------------------------------------------------- */

static goc_chan *join_make(int n) { return goc_chan_make(sizeof(int), n); }
static void join_done(goc_chan *j) { int one = 1; goc_chan_send(j, &one); }
static void join_wait(goc_chan *j, int n)
{
    for (int i = 0; i < n; i++)
        goc_chan_recv(j, NULL);
}

/* ---- mutex ------------------------------------------------------------------ */

static goc_mutex mu;                          /* zero value: unlocked */
static long counter;                          /* guarded by mu */
static _Atomic int holders;

struct mutex_args {
    int iters;
    goc_chan *join;
};

static void mutex_worker(void *p)
{
    struct mutex_args *a = p;
    goc_chan *join = a->join;
    for (int i = 0; i < a->iters; i++) {
        goc_mutex_lock(&mu);
        CHECK_EQ(atomic_fetch_add(&holders, 1), 0);
        long c = counter;
        if (i % 16 == 0)
            goc_yield();                      /* hold it across a switch */
        counter = c + 1;
        atomic_fetch_sub(&holders, 1);
        goc_mutex_unlock(&mu);
    }
    join_done(join);
}

GOC_TEST(mutex_counter)
{
    enum { G = 100, ITERS = 1000 };
    counter = 0;
    struct mutex_args a = { ITERS, join_make(G) };
    for (int i = 0; i < G; i++)
        goc_go(mutex_worker, &a);
    join_wait(a.join, G);
    CHECK_EQ(counter, (long)G * ITERS);
    return 0;
}

GOC_TEST(mutex_trylock)
{
    goc_mutex m = { 0 };
    CHECK(goc_mutex_trylock(&m));
    CHECK(!goc_mutex_trylock(&m));            /* already held */
    goc_mutex_unlock(&m);
    CHECK(goc_mutex_trylock(&m));
    goc_mutex_unlock(&m);
    goc_mutex_lock(&m);
    CHECK(!goc_mutex_trylock(&m));
    goc_mutex_unlock(&m);
    return 0;
}

/* A goroutine blocked in lock gets it once the holder unlocks. */
struct handover {
    goc_mutex *m;
    _Atomic int state;
    goc_chan *join;
};

static void handover_locker(void *p)
{
    struct handover *h = p;
    atomic_store(&h->state, 1);
    goc_mutex_lock(h->m);
    atomic_store(&h->state, 2);
    goc_mutex_unlock(h->m);
    join_done(h->join);
}

GOC_TEST(mutex_blocks_until_unlock)
{
    goc_mutex m = { 0 };
    goc_mutex_lock(&m);
    struct handover h = { &m, 0, join_make(1) };
    goc_go(handover_locker, &h);
    REQUIRE(goc_test_wait_for(&h.state, 1, 10000));
    for (int i = 0; i < 200; i++)
        goc_yield();
    goc_sleep(5 * GOC_MILLISECOND);
    CHECK_EQ(atomic_load(&h.state), 1);       /* still waiting for us */
    goc_mutex_unlock(&m);
    join_wait(h.join, 1);
    CHECK_EQ(atomic_load(&h.state), 2);
    return 0;
}

/* ---- park, not thread ----------------------------------------------------- */

/* More goroutines than worker threads block on one mutex while its holder
 * needs yet another goroutine to make progress.  If lock blocked threads,
 * every worker would be stuck and the handshake could never happen. */
struct parks {
    goc_mutex m;
    goc_chan *ping, *join;
};

static void parks_waiter(void *p)
{
    struct parks *s = p;
    goc_mutex_lock(&s->m);
    goc_mutex_unlock(&s->m);
    join_done(s->join);
}

static void parks_helper(void *p)
{
    struct parks *s = p;
    int v = 0;
    goc_chan_recv(s->ping, &v);
    v++;
    goc_chan_send(s->ping, &v);
}

GOC_TEST(mutex_parks_goroutine)
{
    struct parks s = { .ping = goc_chan_make(sizeof(int), 0) };
    int n = 2 * goc_maxprocs() + 4;
    s.join = join_make(n);
    goc_mutex_lock(&s.m);
    for (int i = 0; i < n; i++)
        goc_go(parks_waiter, &s);
    for (int i = 0; i < 100; i++)
        goc_yield();
    goc_sleep(5 * GOC_MILLISECOND);           /* the waiters are blocked now */
    goc_go(parks_helper, &s);
    int v = 41;
    goc_chan_send(s.ping, &v);
    goc_chan_recv(s.ping, &v);
    CHECK_EQ(v, 42);
    goc_mutex_unlock(&s.m);
    join_wait(s.join, n);
    return 0;
}

/* A holder that unlocks and relocks while goroutines wait: the relock
 * takes the mutex although waiters are queued (the inline fast path), exclusion still holds each time, and every waiter still gets
 * the mutex once the holder lets go for good. */
struct relock {
    goc_mutex m;
    int inside;                 /* goroutines between lock and unlock */
    _Atomic int started, bad;
    goc_chan *join;
};

static void relock_waiter(void *p)
{
    struct relock *s = p;
    atomic_fetch_add(&s->started, 1);
    goc_mutex_lock(&s->m);
    if (s->inside++ != 0)
        atomic_fetch_add(&s->bad, 1);
    s->inside--;
    goc_mutex_unlock(&s->m);
    join_done(s->join);
}

GOC_TEST(mutex_relock_with_waiters)
{
    struct relock s = { .join = join_make(8) };
    goc_mutex_lock(&s.m);
    for (int i = 0; i < 8; i++)
        goc_go(relock_waiter, &s);
    CHECK(goc_test_wait_for(&s.started, 8, 5000));
    for (int i = 0; i < 100; i++)
        goc_yield();                          /* let them queue up */
    for (int i = 0; i < 10000; i++) {
        goc_mutex_unlock(&s.m);
        goc_mutex_lock(&s.m);
        if (s.inside++ != 0)
            atomic_fetch_add(&s.bad, 1);
        CHECK(!goc_mutex_trylock(&s.m));
        s.inside--;
    }
    goc_mutex_unlock(&s.m);
    join_wait(s.join, 8);
    CHECK_EQ(atomic_load(&s.bad), 0);
    goc_mutex_lock(&s.m);                     /* free again, no waiters */
    goc_mutex_unlock(&s.m);
    return 0;
}

/* ---- first contention ----------------------------------------------------- */

/* Each round makes a fresh mutex, so its unlocks start on the fence-free
 * path (goc.h), and lets four goroutines hammer it; each holds it across a
 * yield now and then, so the others queue.  Main holds it while they
 * start, so some of them give up spinning and mark it (waiting), and the
 * first waits race with the others' unlocks later in the round.  A lost
 * wake-up would hang the round; exclusion and the count are checked. */
struct fresh {
    goc_mutex m;
    long count;                 /* guarded by m */
    _Atomic int inside, bad, started;
    goc_chan *join;
};

enum { FRESH_ITERS = 64, FRESH_WORKERS = 4, FRESH_ROUNDS = 300 };

static void fresh_worker(void *p)
{
    struct fresh *f = p;
    atomic_fetch_add(&f->started, 1);
    for (int i = 0; i < FRESH_ITERS; i++) {
        goc_mutex_lock(&f->m);
        if (atomic_fetch_add(&f->inside, 1) != 0)
            atomic_fetch_add(&f->bad, 1);
        long c = f->count;
        if (i % 8 == 7)
            goc_yield();
        f->count = c + 1;
        atomic_fetch_sub(&f->inside, 1);
        goc_mutex_unlock(&f->m);
    }
    join_done(f->join);
}

static int fresh_rounds(void)
{
    int marked = 0;
    for (int r = 0; r < FRESH_ROUNDS; r++) {
        struct fresh *f = calloc(1, sizeof *f);
        REQUIRE(f != NULL);
        f->join = join_make(FRESH_WORKERS);
        goc_mutex_lock(&f->m);
        for (int i = 0; i < FRESH_WORKERS; i++)
            goc_go(fresh_worker, f);
        REQUIRE(goc_test_wait_for(&f->started, FRESH_WORKERS, 10000));
        goc_sleep(GOC_MILLISECOND);            /* they spin, then queue */
        goc_mutex_unlock(&f->m);
        join_wait(f->join, FRESH_WORKERS);
        CHECK_EQ(f->count, (long)FRESH_WORKERS * FRESH_ITERS);
        CHECK_EQ(atomic_load(&f->bad), 0);
        marked += f->m.mode != 0;                 /* someone waited */
        goc_mutex_lock(&f->m);                    /* free, nobody queued */
        goc_mutex_unlock(&f->m);
        free(f);
    }
    CHECK(marked > 0);          /* the switch to fenced unlocks happened */
    return 0;
}

GOC_TEST(mutex_first_contention)
{
    return fresh_rounds();
}

/* ---- the unlocking slot follows the goroutine's thread -------------------- */

/* goc.h's unlock names the mutex in the slot of the thread it runs on, found
 * from the thread pointer at each unlock.  Compilers keep a TLS variable's
 * address across calls (aarch64 gcc and clang do), which would make a
 * goroutine that moved to another worker write the first worker's slot.
 * G locks and unlocks `slot_mu` between receives, so it moves between
 * workers with the senders that ready it; the senders never touch the
 * mutex and look at their own thread's slot: seeing slot_mu there means a
 * store of G's from another thread. */
static goc_mutex slot_mu;
static _Atomic int slot_stop, slot_senders;
static _Atomic long slot_foreign;

__attribute__((noinline)) static const void *own_slot(void)
{
    const void *v = __atomic_load_n(&goc__unlocking, __ATOMIC_RELAXED);
    __asm__ volatile("" ::: "memory");
    return v;
}

struct slot_args {
    goc_chan *c, *join;
};

static void slot_g(void *p)
{
    struct slot_args *a = p;
    int x;
    for (int i = 0; i < 20000; i++) {
        goc_mutex_lock(&slot_mu);
        goc_mutex_unlock(&slot_mu);
        goc_chan_recv(a->c, &x);
    }
    atomic_store(&slot_stop, 1);
    bool ok;
    while (atomic_load(&slot_senders) > 0)   /* release the blocked ones */
        if (!goc_chan_try_recv(a->c, &x, &ok))
            goc_yield();
    join_done(a->join);
}

static void slot_sender(void *p)
{
    struct slot_args *a = p;
    int x = 1;
    while (!atomic_load(&slot_stop)) {
        for (int k = 0; k < 200; k++)
            if (own_slot() == &slot_mu)
                atomic_fetch_add(&slot_foreign, 1);
        goc_chan_send(a->c, &x);
    }
    atomic_fetch_sub(&slot_senders, 1);
    join_done(a->join);
}

GOC_TEST(mutex_unlock_slot_follows_thread)
{
    struct slot_args a = { goc_chan_make(sizeof(int), 0), join_make(4) };
    atomic_store(&slot_senders, 3);
    goc_go(slot_g, &a);
    for (int i = 0; i < 3; i++)
        goc_go(slot_sender, &a);
    join_wait(a.join, 4);
    CHECK_EQ(atomic_load(&slot_foreign), 0);
    return 0;
}

/* Which unlock the workers use: plain (their slot 0) where membarrier's
 * private expedited command exists, atomic (slot 1) where it does not or
 * under GOC_DEBUG=nomembarrier, the case CTest's
 * unit/test_sync_nomembarrier runs this whole file in. */
GOC_TEST(mutex_unlock_kind)
{
    const char *dbg = getenv("GOC_DEBUG");
    long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    bool plain = !(dbg && strstr(dbg, "nomembarrier")) && cmds >= 0 &&
                 (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED);
    CHECK(own_slot() == (plain ? NULL : (const void *)1));
    return 0;
}

/* ---- rwmutex ------------------------------------------------------------- */

static goc_rwmutex rw;                         /* zero value */
static _Atomic int readers_in, writers_in, max_readers;
static long rw_value;                          /* written under rw.lock */

struct rw_args {
    int iters;
    goc_chan *join;
};

static void rw_reader(void *p)
{
    struct rw_args *a = p;
    for (int i = 0; i < a->iters; i++) {
        goc_rwmutex_rlock(&rw);
        int n = atomic_fetch_add(&readers_in, 1) + 1;
        int m = atomic_load(&max_readers);
        while (n > m && !atomic_compare_exchange_weak(&max_readers, &m, n))
            ;
        CHECK_EQ(atomic_load(&writers_in), 0);
        long v1 = rw_value;
        if (i % 4 == 0)
            goc_yield();
        CHECK_EQ(rw_value, v1);                /* no writer changed it */
        atomic_fetch_sub(&readers_in, 1);
        goc_rwmutex_runlock(&rw);
    }
    join_done(a->join);
}

static void rw_writer(void *p)
{
    struct rw_args *a = p;
    for (int i = 0; i < a->iters; i++) {
        goc_rwmutex_lock(&rw);
        CHECK_EQ(atomic_fetch_add(&writers_in, 1), 0);
        CHECK_EQ(atomic_load(&readers_in), 0);
        long v = rw_value;
        if (i % 4 == 0)
            goc_yield();
        rw_value = v + 1;
        atomic_fetch_sub(&writers_in, 1);
        goc_rwmutex_unlock(&rw);
    }
    join_done(a->join);
}

GOC_TEST(rwmutex_exclusion)
{
    enum { R = 40, W = 8, RITERS = 500, WITERS = 250 };
    rw_value = 0;
    atomic_store(&max_readers, 0);
    struct rw_args ra = { RITERS, join_make(R + W) };
    struct rw_args wa = { WITERS, ra.join };
    for (int i = 0; i < R + W; i++) {
        if (i % 6 == 5)
            goc_go(rw_writer, &wa);
        else
            goc_go(rw_reader, &ra);
    }
    join_wait(ra.join, R + W);
    CHECK_EQ(rw_value, (long)W * WITERS);
    return 0;
}

/* Readers hold the lock at the same time: all N readers get inside before
 * any leaves.  (Were read locks exclusive, the second reader would never
 * get in while the first waits for it, and the test would fail on its
 * progress bound.) */
struct readers_together {
    goc_rwmutex rw;
    _Atomic int inside;
    int n;
    _Atomic int failed;
    goc_chan *join;
};

static void together_reader(void *p)
{
    struct readers_together *t = p;
    goc_rwmutex_rlock(&t->rw);
    atomic_fetch_add(&t->inside, 1);
    if (!goc_test_wait_for(&t->inside, t->n, 20000))
        atomic_store(&t->failed, 1);
    goc_rwmutex_runlock(&t->rw);
    join_done(t->join);
}

struct writer_probe {
    goc_rwmutex *rw;
    _Atomic int got;
    goc_chan *join;
};

static void probe_writer(void *p)
{
    struct writer_probe *w = p;
    goc_rwmutex_lock(w->rw);
    atomic_store(&w->got, 1);
    goc_rwmutex_unlock(w->rw);
    join_done(w->join);
}

GOC_TEST(rwmutex_readers_share)
{
    struct readers_together t = { .n = 10, .join = join_make(10) };
    for (int i = 0; i < t.n; i++)
        goc_go(together_reader, &t);
    join_wait(t.join, t.n);
    CHECK_EQ(atomic_load(&t.failed), 0);
    CHECK_EQ(atomic_load(&t.inside), t.n);

    /* A writer waits for a reader to leave. */
    goc_rwmutex r2 = { 0 };
    goc_rwmutex_rlock(&r2);
    struct writer_probe w = { &r2, 0, join_make(1) };
    goc_go(probe_writer, &w);
    for (int i = 0; i < 200; i++)
        goc_yield();
    goc_sleep(5 * GOC_MILLISECOND);
    CHECK_EQ(atomic_load(&w.got), 0);
    goc_rwmutex_runlock(&r2);
    join_wait(w.join, 1);
    CHECK_EQ(atomic_load(&w.got), 1);
    return 0;
}

/* ---- waitgroup ----------------------------------------------------------- */

struct wg_args {
    goc_waitgroup *wg;
    _Atomic int *finished;
    int delay;
};

static void wg_worker(void *p)
{
    struct wg_args *a = p;
    for (int i = 0; i < a->delay; i++)
        goc_yield();
    if (a->delay % 3 == 0)
        goc_sleep(GOC_MILLISECOND);
    atomic_fetch_add(a->finished, 1);
    goc_waitgroup_done(a->wg);
}

struct wg_waiter {
    goc_waitgroup *wg;
    _Atomic int *finished;
    int want;
    goc_chan *join;
};

static void wg_other_waiter(void *p)
{
    struct wg_waiter *w = p;
    goc_waitgroup_wait(w->wg);
    CHECK_EQ(atomic_load(w->finished), w->want);
    join_done(w->join);
}

GOC_TEST(waitgroup)
{
    enum { N = 200, WAITERS = 5 };
    static goc_waitgroup wg;                   /* zero value */
    _Atomic int finished = 0;
    struct wg_args args[N];
    goc_waitgroup_wait(&wg);                   /* zero count: returns at once */
    for (int round = 0; round < 3; round++) {  /* reusable */
        atomic_store(&finished, 0);
        goc_waitgroup_add(&wg, N);
        struct wg_waiter w = { &wg, &finished, N, join_make(WAITERS) };
        for (int i = 0; i < WAITERS; i++)
            goc_go(wg_other_waiter, &w);
        for (int i = 0; i < N; i++) {
            args[i] = (struct wg_args){ &wg, &finished, (i * 7 + round) % 13 };
            goc_go(wg_worker, &args[i]);
        }
        goc_waitgroup_wait(&wg);
        CHECK_EQ(atomic_load(&finished), N);
        join_wait(w.join, WAITERS);
    }
    /* add with a positive delta, done one by one from this goroutine */
    goc_waitgroup_add(&wg, 2);
    goc_waitgroup_done(&wg);
    goc_waitgroup_add(&wg, -1);
    goc_waitgroup_wait(&wg);
    return 0;
}

/* ---- once ------------------------------------------------------------------ */

static _Atomic int once_calls;
static _Atomic int once_finished;

static void once_fn(void *p)
{
    atomic_fetch_add(&once_calls, 1);
    for (int i = 0; i < 50; i++)
        goc_yield();                           /* others arrive meanwhile */
    goc_sleep(2 * GOC_MILLISECOND);
    atomic_store(&once_finished, 1);
}

struct once_args {
    goc_once *o;
    goc_chan *join;
};

static void once_caller(void *p)
{
    struct once_args *a = p;
    goc_once_do(a->o, once_fn, NULL);
    CHECK_EQ(atomic_load(&once_finished), 1);  /* returns after fn completed */
    join_done(a->join);
}

GOC_TEST(once)
{
    enum { G = 100 };
    static goc_once o;                         /* zero value */
    atomic_store(&once_calls, 0);
    atomic_store(&once_finished, 0);
    struct once_args a = { &o, join_make(G) };
    for (int i = 0; i < G; i++)
        goc_go(once_caller, &a);
    join_wait(a.join, G);
    CHECK_EQ(atomic_load(&once_calls), 1);
    goc_once_do(&o, once_fn, NULL);
    CHECK_EQ(atomic_load(&once_calls), 1);
    return 0;
}

/* ---- cond -------------------------------------------------------------------- */

struct condq {
    goc_mutex m;
    goc_cond c;
    int waiting;                               /* guarded by m */
    int tokens;                                /* guarded by m */
    _Atomic int woken;
    goc_chan *join;
};

static void cond_waiter(void *p)
{
    struct condq *q = p;
    goc_mutex_lock(&q->m);
    q->waiting++;
    while (q->tokens == 0)
        goc_cond_wait(&q->c);
    q->tokens--;
    q->waiting--;
    atomic_fetch_add(&q->woken, 1);
    goc_mutex_unlock(&q->m);
    join_done(q->join);
}

/* Waits until n goroutines are inside goc_cond_wait.  They increment
 * `waiting` under m and goc_cond_wait releases m atomically, so once we hold
 * m and see n, all n are parked in the cond (or about to re-check). */
static bool wait_waiting(struct condq *q, int n)
{
    for (int i = 0; i < 100000; i++) {
        goc_mutex_lock(&q->m);
        int w = q->waiting;
        goc_mutex_unlock(&q->m);
        if (w == n)
            return true;
        if (i < 1000)
            goc_yield();
        else
            goc_sleep(100 * GOC_MICROSECOND);
    }
    return false;
}

GOC_TEST(cond_signal_and_broadcast)
{
    enum { N = 10 };
    struct condq q = { .join = join_make(N) };
    goc_cond_init(&q.c, &q.m);
    for (int i = 0; i < N; i++)
        goc_go(cond_waiter, &q);
    REQUIRE(wait_waiting(&q, N));

    /* Signal with one token: one waiter leaves. */
    goc_mutex_lock(&q.m);
    q.tokens = 1;
    goc_cond_signal(&q.c);
    goc_mutex_unlock(&q.m);
    join_wait(q.join, 1);
    CHECK_EQ(atomic_load(&q.woken), 1);

    /* Signal without a token: whoever wakes waits again. */
    goc_mutex_lock(&q.m);
    goc_cond_signal(&q.c);
    goc_mutex_unlock(&q.m);
    REQUIRE(wait_waiting(&q, N - 1));
    CHECK_EQ(atomic_load(&q.woken), 1);

    /* Three more tokens, three signals. */
    goc_mutex_lock(&q.m);
    q.tokens = 3;
    for (int i = 0; i < 3; i++)
        goc_cond_signal(&q.c);
    goc_mutex_unlock(&q.m);
    join_wait(q.join, 3);
    CHECK_EQ(atomic_load(&q.woken), 4);

    /* Broadcast wakes all the rest. */
    REQUIRE(wait_waiting(&q, N - 4));
    goc_mutex_lock(&q.m);
    q.tokens = N - 4;
    goc_cond_broadcast(&q.c);
    goc_mutex_unlock(&q.m);
    join_wait(q.join, N - 4);
    CHECK_EQ(atomic_load(&q.woken), N);
    CHECK_EQ(q.tokens, 0);

    /* Signal and broadcast with nobody waiting do nothing harmful. */
    goc_cond_signal(&q.c);
    goc_cond_broadcast(&q.c);
    return 0;
}

/* Signal wakes one waiter, not more: N waiters wait without a predicate (Go's
 * Wait returns only when woken by Signal or Broadcast); after the k-th
 * signal exactly k have returned. */
struct flagcond {
    goc_mutex m;
    goc_cond c;
    int waiting;                               /* guarded by m */
    int gen;                                   /* guarded by m */
    _Atomic int returned;
    goc_chan *join;
};

static void flag_waiter(void *p)
{
    struct flagcond *f = p;
    goc_mutex_lock(&f->m);
    f->waiting++;
    goc_cond_wait(&f->c);                      /* no predicate: count wakes */
    f->waiting--;
    atomic_fetch_add(&f->returned, 1);
    goc_mutex_unlock(&f->m);
    join_done(f->join);
}

GOC_TEST(cond_signal_wakes_one)
{
    enum { N = 6 };
    struct flagcond f = { .c = { .m = NULL }, .join = join_make(N) };
    f.c.m = &f.m;                              /* set m instead of init */
    for (int i = 0; i < N; i++)
        goc_go(flag_waiter, &f);
    for (int i = 0; i < 100000; i++) {
        goc_mutex_lock(&f.m);
        int w = f.waiting;
        goc_mutex_unlock(&f.m);
        if (w == N)
            break;
        goc_sleep(100 * GOC_MICROSECOND);
    }
    for (int k = 1; k <= N; k++) {
        goc_mutex_lock(&f.m);
        goc_cond_signal(&f.c);
        goc_mutex_unlock(&f.m);
        join_wait(f.join, 1);
        /* A later positive event: a fresh goroutine round trip. */
        for (int i = 0; i < 100; i++)
            goc_yield();
        goc_sleep(GOC_MILLISECOND);
        CHECK_EQ(atomic_load(&f.returned), k);
    }
    return 0;
}

/* ---- misuse panics ----------------------------------------------------------- */

static const char *recovered;

static void recover_it(void *p) { recovered = goc_recover(); }

/* Runs fn(arg) inside a frame that recovers; returns the message or NULL. */
static const char *catch_panic(void (*fn)(void *), void *arg)
{
    recovered = NULL;
    goc_frame fr;
    if (goc_frame_enter(&fr))
        return recovered;
    goc_defer(&fr, recover_it, NULL);
    fn(arg);
    goc_frame_leave(&fr);
    return recovered;
}

static void unlock_unlocked(void *p) { goc_mutex_unlock(p); }
static void wg_negative(void *p) { goc_waitgroup_add(p, -1); }
static void wg_done_zero(void *p) { goc_waitgroup_done(p); }

GOC_TEST(misuse_waitgroup)
{
    goc_waitgroup wg = { 0 };
    CHECK_STR(catch_panic(wg_negative, &wg), "sync: negative WaitGroup counter");
    goc_waitgroup wg2 = { 0 };
    CHECK_STR(catch_panic(wg_done_zero, &wg2), "sync: negative WaitGroup counter");
    /* Nothing panics when used correctly. */
    goc_mutex m = { 0 };
    goc_mutex_lock(&m);
    CHECK(catch_panic(unlock_unlocked, &m) == NULL);
    return 0;
}

/* Unlocking an unlocked mutex or RWMutex is fatal, as in Go (goc.h): the
 * e2e programs sync_unlock_unlocked*.c check those messages and the exit
 * status. */

int main(void)
{
    const struct CMUnitTest tests[] = {
        GOC_UNIT(mutex_counter),
        GOC_UNIT(mutex_trylock),
        GOC_UNIT(mutex_blocks_until_unlock),
        GOC_UNIT(mutex_parks_goroutine),
        GOC_UNIT(mutex_relock_with_waiters),
        GOC_UNIT(mutex_first_contention),
        GOC_UNIT(mutex_unlock_kind),
        GOC_UNIT(mutex_unlock_slot_follows_thread),
        GOC_UNIT(rwmutex_exclusion),
        GOC_UNIT(rwmutex_readers_share),
        GOC_UNIT(waitgroup),
        GOC_UNIT(once),
        GOC_UNIT(cond_signal_and_broadcast),
        GOC_UNIT(cond_signal_wakes_one),
        GOC_UNIT(misuse_waitgroup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
