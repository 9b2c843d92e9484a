/*
 * sync.c — mutex, rwmutex, waitgroup, once and cond for goroutines.
 *
 * Every type here parks the goroutine, never the thread.  They share one
 * building block, goc_waitq: a lock word (used as an rt_lock), a semaphore
 * count and a FIFO of rt_waiter records on the parked goroutines' stacks.
 * A goroutine enqueues itself under the waitq lock and parks with that lock
 * as rt_park's unlock argument, so a waker (which takes the same lock) can
 * never see it queued before its context is saved.
 *
 * goc_mutex.state: bit 0 locked, bit 1 woken (a released waiter is on its
 * way to compete; unlockers need not wake another), bits 2.. waiter count.
 * Lock is one atomic OR of the locked bit, which takes a free mutex even
 * while waiters are counted; contended, it spins briefly (the holder is
 * usually running on another core), then queues.  Unlock of a mutex that
 * has had waiters is a CAS from "locked" to 0; when waiters are counted it
 * releases and claims the wake-up of one in a single CAS instead
 * (goc_mutex_unlock_slow), so the mutex is touched again only while a
 * queued waiter, which cannot leave before it is woken, keeps it alive.
 * Woken waiters compete with newcomers (barging), which keeps the lock
 * busy under contention; unlike Go there is no starvation mode yet, so a
 * waiter can in principle lose repeatedly.
 *
 * Unlock of a mutex nobody ever waited on (goc_mutex.mode == 0, where
 * its waiter count is sure to be 0) is a plain store of 0, which halves
 * the cost of an uncontended lock/unlock pair.  What makes that safe is
 * the first goroutine about to wait on it (mark_contended): it sets mode
 * to MARKING, makes every running thread of the process execute a full
 * fence (membarrier(2), a few microseconds, once per mutex), waits until
 * no worker thread's goc__unlocking names the mutex, and only then sets
 * MARKED and counts itself in the state.  An unlocker names the mutex in
 * goc__unlocking before it looks at mode and clears it after its store:
 * if the fence came before its look, it saw the mark and unlocks
 * atomically; if after, the waiter saw its name and waited for the store,
 * which therefore cannot erase a waiter count.  The unlocker touches only
 * its own thread's variable after the store, so whoever takes the mutex
 * next may free it.  Threads that are not workers, and every thread of a
 * process without membarrier (fence.c), keep goc__unlocking at 1 and
 * always unlock atomically.  The slot is reached through the thread pointer read
 * at each unlock (goc.h), never a cached TLS address: the goroutine may
 * have moved to another thread since its last call.
 *
 * rwmutex follows Go's design: readers count up, a writer subtracts a large
 * constant so new readers queue, then waits for the departing readers.
 */
#include "rt.h"

#include <sched.h>
#include <stdlib.h>

#define MUTEX_LOCKED 1u
#define MUTEX_WOKEN 2u
#define MUTEX_WAITER 4u

#define MODE_MARKING 1u          /* goc_mutex.mode: a waiter is marking it */
#define MODE_MARKED 2u           /* every unlock is atomic */

static inline rt_lock *qlock(goc_waitq *q)
{
    return (rt_lock *)&q->lock;
}

static inline _Atomic uint32_t *mstate(goc_mutex *m)
{
    return (_Atomic uint32_t *)&m->state;
}

static inline _Atomic uint32_t *mmode(goc_mutex *m)
{
    return (_Atomic uint32_t *)&m->mode;
}

static void waitq_push(goc_waitq *q, rt_waiter *w, bool front)
{
    rt_waiter *head = q->head, *tail = q->tail;
    w->next = w->prev = NULL;
    if (!head) {
        head = tail = w;
    } else if (front) {
        w->next = head;
        head->prev = w;
        head = w;
    } else {
        w->prev = tail;
        tail->next = w;
        tail = w;
    }
    q->head = head;
    q->tail = tail;
}

static rt_waiter *waitq_pop(goc_waitq *q)
{
    rt_waiter *w = q->head;
    if (!w)
        return NULL;
    q->head = w->next;
    if (w->next)
        ((rt_waiter *)q->head)->prev = NULL;
    else
        q->tail = NULL;
    return w;
}

static void release_qlock(rt_g *g, void *arg)
{
    rt_lock_release(arg);
}

/* Parks the running goroutine on q; caller holds q's lock, which is
 * released once the goroutine is parked. */
static void waitq_park(goc_waitq *q, bool front, const char *reason, const void *on)
{
    rt_waiter w = { .g = rt_needg(reason) };
    waitq_push(q, &w, front);
    rt_park(release_qlock, qlock(q), reason, on);
}

/* Readies every goroutine queued on q. */
static void waitq_wake_all(goc_waitq *q)
{
    rt_lock_acquire(qlock(q));
    rt_waiter *list = q->head;
    q->head = q->tail = NULL;
    rt_lock_release(qlock(q));
    while (list) {
        rt_waiter *w = list;
        list = w->next;   /* before w's goroutine can run and return */
        rt_ready(w->g);
    }
}

/* A counting semaphore on q->sema with direct hand-off to waiters. */
static void sema_acquire(goc_waitq *q, const char *reason, const void *on)
{
    rt_lock_acquire(qlock(q));
    if (q->sema > 0) {
        q->sema--;
        rt_lock_release(qlock(q));
        return;
    }
    waitq_park(q, false, reason, on);
}

static void sema_release(goc_waitq *q)
{
    rt_lock_acquire(qlock(q));
    rt_waiter *w = waitq_pop(q);
    if (!w)
        q->sema++;
    rt_lock_release(qlock(q));
    if (w)
        rt_ready(w->g);
}

/* ---------------------------------------------------------------------- */
/* Mutex                                                                  */
/* ---------------------------------------------------------------------- */

/* Tries to take m without queueing: looks first, then spins while another
 * core holds the lock, backing off exponentially (1 to 64 pauses between
 * looks).  Looking at the lock word pulls its cache line away from the
 * holder, which then pays a transfer on its next lock or unlock; backing
 * off lets a busy holder run several critical sections per transfer.
 * Parking costs microseconds, so the budget is generous: about 2,000
 * pauses before giving up.  The first look comes before any pause: the
 * inline fast path fails whenever waiters are counted in the state, even
 * with the lock free, and a holder that relocks at once (the common case
 * under contention) must not pay a pause for that. */
static bool try_spin(goc_mutex *m)
{
    bool multi = rt_sched_state.nprocs > 1;
    int wait = 1;
    for (int round = 0; round < 40; round++) {
        uint32_t s = atomic_load_explicit(mstate(m), memory_order_relaxed);
        if (!(s & MUTEX_LOCKED) &&
            atomic_compare_exchange_strong_explicit(mstate(m), &s, s | MUTEX_LOCKED,
                memory_order_acquire, memory_order_relaxed))
            return true;
        if (!multi)
            return false;
        for (int i = 0; i < wait; i++)
            rt_cpu_relax();
        if (wait < 64)
            wait *= 2;
    }
    return false;
}

/* Before m's first waiter counts itself: switches m to atomic unlocks and
 * waits until no unlock of it is still on the plain path (top comment).
 * A concurrent second waiter waits for the first to finish. */
static void mark_contended(goc_mutex *m)
{
    uint32_t mode = atomic_load_explicit(mmode(m), memory_order_acquire);
    if (mode == MODE_MARKED)
        return;
    if (mode == 0 && atomic_compare_exchange_strong_explicit(mmode(m), &mode, MODE_MARKING,
                         memory_order_seq_cst, memory_order_acquire)) {
        if (rt_plain_unlocks)
            rt_process_fence();
        rt_unlockers_wait(m);
        atomic_store_explicit(mmode(m), MODE_MARKED, memory_order_release);
        return;
    }
    for (int i = 0; atomic_load_explicit(mmode(m), memory_order_acquire) != MODE_MARKED; i++)
        if (i > 100)
            sched_yield();
        else
            rt_cpu_relax();
}

void goc_mutex_lock_slow(goc_mutex *m)
{
    bool woken = false;
    for (;;) {
        if (woken) {
            atomic_fetch_and_explicit(mstate(m), ~MUTEX_WOKEN, memory_order_relaxed);
        }
        if (try_spin(m))
            return;
        rt_needg("sync.Mutex.Lock");
        mark_contended(m);
        rt_lock_acquire(qlock(&m->q));
        uint32_t s = atomic_load_explicit(mstate(m), memory_order_relaxed);
        if (!(s & MUTEX_LOCKED)) {
            bool got = atomic_compare_exchange_strong_explicit(mstate(m), &s,
                           s | MUTEX_LOCKED, memory_order_acquire, memory_order_relaxed);
            rt_lock_release(qlock(&m->q));
            if (got)
                return;
            continue;
        }
        if (!atomic_compare_exchange_strong_explicit(mstate(m), &s, s + MUTEX_WAITER,
                memory_order_relaxed, memory_order_relaxed)) {
            rt_lock_release(qlock(&m->q));
            continue;
        }
        waitq_park(&m->q, woken, "sync.Mutex.Lock", m);
        woken = true;
    }
}

/* Parenthesised names: the out-of-line twins of goc.h's inline macros. */
void (goc_mutex_lock)(goc_mutex *m)
{
    goc_mutex_lock_inline(m);
}

bool goc_mutex_trylock(goc_mutex *m)
{
    uint32_t s = atomic_load_explicit(mstate(m), memory_order_relaxed);
    return !(s & MUTEX_LOCKED) &&
           atomic_compare_exchange_strong_explicit(mstate(m), &s, s | MUTEX_LOCKED,
               memory_order_acquire, memory_order_relaxed);
}

/* An unlock whose CAS found state s, more than the locked bit: waiters, a
 * woken one, or no lock at all.  The release and the claim of a wake-up
 * are one CAS: a waiter counted and not yet woken is queued (it counts
 * itself and parks under the queue lock) and cannot leave the queue before
 * we ready it, so the mutex stays alive while we pop it; when there is
 * nobody to wake, the CAS that releases is our last touch of the mutex. */
void goc_mutex_unlock_slow(goc_mutex *m, uint32_t s)
{
    for (;;) {
        if (RT_UNLIKELY(!(s & MUTEX_LOCKED)))
            rt_fatal("sync: unlock of unlocked mutex");
        bool wake = s >= MUTEX_WAITER && !(s & MUTEX_WOKEN);
        uint32_t next = wake ? ((s & ~MUTEX_LOCKED) - MUTEX_WAITER) | MUTEX_WOKEN
                             : s & ~MUTEX_LOCKED;
        if (atomic_compare_exchange_weak_explicit(mstate(m), &s, next,
                memory_order_release, memory_order_relaxed)) {
            if (!wake)
                return;
            break;
        }
    }
    rt_lock_acquire(qlock(&m->q));
    rt_waiter *w = waitq_pop(&m->q);
    rt_lock_release(qlock(&m->q));
    rt_ready_later(w->g);
}

void (goc_mutex_unlock)(goc_mutex *m)
{
    goc_mutex_unlock_inline(m);
}

/* ---------------------------------------------------------------------- */
/* RWMutex                                                                */
/* ---------------------------------------------------------------------- */

#define RW_MAX_READERS (1 << 30)

static inline _Atomic int32_t *readers(goc_rwmutex *rw)
{
    return (_Atomic int32_t *)&rw->readers;
}

static inline _Atomic int32_t *departing(goc_rwmutex *rw)
{
    return (_Atomic int32_t *)&rw->departing;
}

void goc_rwmutex_rlock(goc_rwmutex *rw)
{
    if (atomic_fetch_add_explicit(readers(rw), 1, memory_order_acquire) + 1 < 0)
        sema_acquire(&rw->readerq, "sync.RWMutex.RLock", rw);   /* a writer is pending */
}

void goc_rwmutex_runlock(goc_rwmutex *rw)
{
    int32_t r = atomic_fetch_sub_explicit(readers(rw), 1, memory_order_release) - 1;
    if (r >= 0)
        return;
    if (r + 1 == 0 || r + 1 == -RW_MAX_READERS)
        rt_fatal("sync: RUnlock of unlocked RWMutex");
    /* A writer waits: the last departing reader lets it in. */
    if (atomic_fetch_sub_explicit(departing(rw), 1, memory_order_acq_rel) - 1 == 0)
        sema_release(&rw->writerq);
}

void goc_rwmutex_lock(goc_rwmutex *rw)
{
    goc_mutex_lock(&rw->w);
    int32_t r = atomic_fetch_sub_explicit(readers(rw), RW_MAX_READERS, memory_order_acq_rel);
    if (r != 0 && atomic_fetch_add_explicit(departing(rw), r, memory_order_acq_rel) + r != 0)
        sema_acquire(&rw->writerq, "sync.RWMutex.Lock", rw);
}

void goc_rwmutex_unlock(goc_rwmutex *rw)
{
    int32_t r = atomic_fetch_add_explicit(readers(rw), RW_MAX_READERS, memory_order_release)
                + RW_MAX_READERS;
    if (r >= RW_MAX_READERS)
        rt_fatal("sync: Unlock of unlocked RWMutex");
    for (int32_t i = 0; i < r; i++)
        sema_release(&rw->readerq);
    goc_mutex_unlock(&rw->w);
}

/* ---------------------------------------------------------------------- */
/* WaitGroup                                                              */
/* ---------------------------------------------------------------------- */

static inline _Atomic int64_t *wg_count(goc_waitgroup *wg)
{
    return (_Atomic int64_t *)&wg->count;
}

void goc_waitgroup_add(goc_waitgroup *wg, int64_t delta)
{
    int64_t v = atomic_fetch_add_explicit(wg_count(wg), delta, memory_order_acq_rel) + delta;
    if (v < 0)
        rt_panic("sync: negative WaitGroup counter");
    if (v == 0 && delta != 0)
        waitq_wake_all(&wg->q);
}

void goc_waitgroup_done(goc_waitgroup *wg)
{
    goc_waitgroup_add(wg, -1);
}

void goc_waitgroup_wait(goc_waitgroup *wg)
{
    if (atomic_load_explicit(wg_count(wg), memory_order_acquire) == 0)
        return;
    rt_lock_acquire(qlock(&wg->q));
    if (atomic_load_explicit(wg_count(wg), memory_order_acquire) == 0) {
        rt_lock_release(qlock(&wg->q));
        return;
    }
    waitq_park(&wg->q, false, "sync.WaitGroup.Wait", wg);
}

/* ---------------------------------------------------------------------- */
/* Once                                                                   */
/* ---------------------------------------------------------------------- */

/* Runs when fn returns or panics: as in Go, a panicking fn counts as done
 * and the mutex is released, so later calls return and nobody deadlocks. */
static void once_finish(void *p)
{
    goc_once *o = p;
    atomic_store_explicit((_Atomic uint32_t *)&o->done, 1, memory_order_release);
    goc_mutex_unlock(&o->m);
}

void goc_once_do(goc_once *o, void (*fn)(void *), void *arg)
{
    _Atomic uint32_t *done = (_Atomic uint32_t *)&o->done;
    if (atomic_load_explicit(done, memory_order_acquire))
        return;
    goc_mutex_lock(&o->m);
    if (atomic_load_explicit(done, memory_order_relaxed)) {
        goc_mutex_unlock(&o->m);
        return;
    }
    if (!rt_getg()) {   /* a plain thread: no panics to unwind */
        fn(arg);
        once_finish(o);
        return;
    }
    goc_frame fr;
    if (goc_frame_enter(&fr))
        return;   /* not reached: once_finish recovers nothing */
    goc_defer(&fr, once_finish, o);
    fn(arg);
    goc_frame_leave(&fr);
}

/* ---------------------------------------------------------------------- */
/* Cond                                                                   */
/* ---------------------------------------------------------------------- */

void goc_cond_init(goc_cond *c, goc_mutex *m)
{
    c->m = m;
}

struct cond_park {
    goc_waitq *q;
    goc_mutex *m;
};

/* Runs after the waiter is parked and queued: give up the mutex, then the
 * queue lock, touching nothing of *arg after that last release. */
static void cond_park_cb(rt_g *g, void *arg)
{
    struct cond_park *cp = arg;
    rt_lock *ql = qlock(cp->q);
    goc_mutex_unlock(cp->m);
    rt_lock_release(ql);
}

void goc_cond_wait(goc_cond *c)
{
    if (!c->m)
        rt_panic("sync: Cond used without a mutex");
    rt_waiter w = { .g = rt_needg("goc_cond_wait") };
    struct cond_park cp = { &c->q, c->m };
    rt_lock_acquire(qlock(&c->q));
    waitq_push(&c->q, &w, false);
    rt_park(cond_park_cb, &cp, "sync.Cond.Wait", c);
    goc_mutex_lock(c->m);
}

void goc_cond_signal(goc_cond *c)
{
    rt_lock_acquire(qlock(&c->q));
    rt_waiter *w = waitq_pop(&c->q);
    rt_lock_release(qlock(&c->q));
    if (w)
        rt_ready(w->g);
}

void goc_cond_broadcast(goc_cond *c)
{
    waitq_wake_all(&c->q);
}
