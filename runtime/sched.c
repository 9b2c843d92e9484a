/*
 * sched.c — the M:N scheduler: run queues, spawning, parking, stealing,
 * idling, the monitor thread and the entry points.
 *
 * Design (after Go's proc.go; see rt.h for G, M and P)
 *
 *   Each P has a bounded ring of 256 runnable Gs plus a "runnext" slot.  A
 *   G readied or spawned by the running G goes to runnext, so a
 *   producer/consumer pair ping-pongs on one P with no queueing and no cache
 *   misses; the G it displaces goes to the ring's tail.  The owner pops the
 *   ring at the tail too (LIFO, as work-stealing deques do): a goroutine that
 *   spawns children and waits for them runs the tree depth first, so the
 *   number of live goroutines, hence fresh stack pages, stays small, and
 *   recycled stacks are still in cache.  Go's FIFO ring runs such a tree
 *   breadth first.  Fairness: every 61st pop takes the ring's head (its
 *   oldest G) instead of runnext or the tail, and yielding goroutines and
 *   hinted wake-ups are queued at the head, so nothing waits forever behind
 *   newer work.  A full ring moves its older half to the global queue
 *   (under sched.lock, as one array: see rt_gchunk), which Ps check every
 *   61 schedules.
 *
 *   The ring is guarded by a per-P lock.  Go's lock-free ring allows only
 *   FIFO pops by the owner; a lock-free LIFO pop racing with thieves needs
 *   Chase-Lev's fence or a tagged word, while an uncontended lock costs one
 *   CAS and thieves rarely contend for it.
 *
 *   A P with nothing to run becomes "spinning": it steals the older half of
 *   another P's ring (four rounds over all Ps in random order; runnext only in the
 *   last round) and runs other Ps' due timers.  At most half of the busy Ps
 *   spin at once.  A P that finds nothing parks its M on a futex with a
 *   timeout at the earliest timer of any P.  The protocol that prevents lost
 *   wake-ups: rt_wakep wakes an idle M only when nobody spins, and a spinning
 *   M that gives up decrements nmspinning *before* re-checking every queue
 *   (both sides use sequentially consistent atomics: the store that
 *   publishes the work, and the M's decrement), so work submitted
 *   concurrently is seen either by the re-check or by the submitter's
 *   rt_wakep.
 *
 *   Readying a G wakes another M only when its P already has other work
 *   queued: a single readied G usually runs as soon as the readier blocks,
 *   and waking a thread costs microseconds.  The monitor thread (sysmon)
 *   bounds the cost of that bet: it looks at the Ps every 20 us to 10 ms and
 *   wakes an idle M for any P whose queue holds work.  Sysmon is also where
 *   preemption requests and the hand-off of Ps stuck in blocking C calls
 *   belong; when every P is idle it sleeps on a futex, so an idle program
 *   uses no CPU.
 *
 *   While goroutines wait for descriptors (netpoll.c), one idle M, the
 *   poller's owner, sleeps in epoll instead of on its futex (idle_netpoll;
 *   wake_m interrupts it), an M out of work polls once before stealing,
 *   and sysmon polls when nobody has for 10 ms.
 *
 *   Switching G to G goes straight from one goroutine stack to the next
 *   (rt_park picks the next G itself); g0, the thread's own stack, is used
 *   only to look for work and sleep.
 *
 * Deadlock.  When the last P goes idle, no timer is pending, nothing
 * external can wake a goroutine (sched.nblocking == 0) and goroutines exist
 * while a goc_main or goc_run waits, every goroutine is blocked for good:
 * report it as Go does and exit 2.  A spare that retires looks too: the
 * idle Ms looked while it still counted as active.
 */
#include "rt.h"
#include "gc.h"
#include "ctx.h"
#include "netpoll.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

rt_sched rt_sched_state;
#define S rt_sched_state

/* The running M.  Read through rt_getm() (never cached across a switch),
 * or rt_tls_m directly in a leaf that cannot switch (rt.h). */
__thread rt_m *rt_tls_m;
#define tls_m rt_tls_m
static _Atomic int32_t nrunwaiters;  /* goc_main/goc_run callers waiting */

__attribute__((noinline)) rt_m *rt_getm(void)
{
    rt_m *m = tls_m;
    __asm__ volatile("" ::: "memory");
    return m;
}

rt_g *rt_needg(const char *what)
{
    rt_m *m = rt_getm();
    if (!m || !m->curg || m->curg == &m->g0)
        rt_fatal("%s called outside a goroutine", what);
    return m->curg;
}

uint32_t rt_fastrand(void)
{
    rt_m *m = rt_getm();
    static _Atomic uint64_t shared;
    uint64_t *st = m ? &m->rand_state : NULL;
    uint64_t x = st ? (*st += 0xa0761d6478bd642fULL)
                    : atomic_fetch_add(&shared, 0xa0761d6478bd642fULL);
    __uint128_t t = (__uint128_t)x * (x ^ 0xe7037ed1a0b428dbULL);
    return (uint32_t)((uint64_t)(t >> 64) ^ (uint64_t)t);
}

void rt_fatal(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("fatal error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    rt_m *m = tls_m;   /* on a goroutine, Go names it too */
    rt_die_running(m && m->curg && m->curg != &m->g0 ? m->curg : NULL);
}

void rt_throw(const char *msg)
{
    fflush(stdout);
    fprintf(stderr, "fatal error: runtime: %s\n", msg);
    abort();
}

int64_t goc_nanotime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---------------------------------------------------------------------- */
/* Run queues                                                             */
/* ---------------------------------------------------------------------- */

static bool runq_empty(rt_p *p)
{
    uint32_t h = atomic_load_explicit(&p->runq_head, memory_order_acquire);
    uint32_t t = atomic_load_explicit(&p->runq_tail, memory_order_acquire);
    return h == t && atomic_load_explicit(&p->runnext, memory_order_acquire) == NULL;
}

/* The global run queue has two parts, each FIFO: single Gs linked
 * through schedlink (spawns and wake-ups from threads without a P), and
 * chunks, arrays of the Gs that a full ring moves out at once.  A chunk
 * moves between a ring and the global queue without touching its Gs: they
 * sit in scattered stack pages, usually out of cache and TLB, and linking
 * or walking them through schedlink cost a miss per G (measured: nearly
 * every G of a 100,000-goroutine spawn passed through here).  Takers
 * alternate between the parts, so neither waits forever behind the other. */
typedef struct rt_gchunk {
    struct rt_gchunk *next;
    int start, end;              /* live entries: g[start..end)          */
    rt_g *g[RT_RUNQ_SIZE / 2];
} rt_gchunk;

/* Chunks come from mappings of their own, recycled through a free list,
 * not from malloc: growing a malloc arena (mprotect) takes the
 * address-space lock for writing, and so waited behind the bulk stack
 * population of sysmon and idle Ms (stack.c), which holds it for reading;
 * spawning slowed by half.  Mapping happens once per RT_CHUNK_MAP bytes. */
enum { RT_CHUNK_MAP = 1 << 20 };
static rt_lock chunk_lock;           /* guards the three below            */
static rt_gchunk *chunk_free;        /* recycled chunks                   */
static char *chunk_next, *chunk_end; /* unused rest of the newest mapping */

static rt_gchunk *chunk_alloc(void)
{
    rt_lock_acquire(&chunk_lock);
    rt_gchunk *c = chunk_free;
    if (c) {
        chunk_free = c->next;
    } else {
        if (chunk_end - chunk_next < (ptrdiff_t)sizeof *c) {
            void *r = mmap(NULL, RT_CHUNK_MAP, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (r != MAP_FAILED) {
                chunk_next = r;
                chunk_end = chunk_next + RT_CHUNK_MAP;
            }
        }
        if (chunk_end - chunk_next >= (ptrdiff_t)sizeof *c) {
            c = (rt_gchunk *)chunk_next;
            chunk_next += sizeof *c;
        }
    }
    rt_lock_release(&chunk_lock);
    return c;
}

static void chunk_release(rt_gchunk *c)
{
    if (!c)
        return;
    rt_lock_acquire(&chunk_lock);
    c->next = chunk_free;
    chunk_free = c;
    rt_lock_release(&chunk_lock);
}

/* Caller holds sched.lock.  Appends the chain head..tail of n Gs.
 *
 * The size is stored sequentially consistently: a thread without a P
 * (goc_run's caller, sysmon, a foreign sender) calls rt_wakep after it,
 * and nothing else orders that store before rt_wakep's loads of npidle
 * and nmspinning -- the lock's release does not.  Without it a spinning M
 * that decrements nmspinning and re-checks the queue in stop_m could miss
 * the G while the submitter still sees it spinning: every M asleep and a
 * G queued, a hang the deadlock check cannot see (once seen in CI). */
static void globrunq_put_batch(rt_g *head, rt_g *tail, int n)
{
    tail->schedlink = NULL;
    if (S.runq_tail)
        S.runq_tail->schedlink = head;
    else
        S.runq_head = head;
    S.runq_tail = tail;
    atomic_store(&S.runq_size, S.runq_size + n);   /* seq_cst: see above */
}

/* The ring's indices only change under runq_lock; they are atomics so
 * that emptiness checks may read them without it. */
static inline uint32_t rq_head(rt_p *p)
{
    return atomic_load_explicit(&p->runq_head, memory_order_relaxed);
}

static inline uint32_t rq_tail(rt_p *p)
{
    return atomic_load_explicit(&p->runq_tail, memory_order_relaxed);
}

/* Appends the n Gs of a (oldest first) to the global queue as a chunk;
 * as a chain of singles if no chunk can be allocated. */
static void globrunq_put_array(rt_g **a, int n)
{
    rt_gchunk *c = chunk_alloc();
    if (!c) {
        for (int i = 0; i + 1 < n; i++)
            a[i]->schedlink = a[i + 1];
        rt_lock_acquire(&S.lock);
        globrunq_put_batch(a[0], a[n - 1], n);
        rt_lock_release(&S.lock);
        return;
    }
    memcpy(c->g, a, (size_t)n * sizeof *a);
    c->next = NULL;
    c->start = 0;
    c->end = n;
    rt_lock_acquire(&S.lock);
    if (S.chunk_tail)
        S.chunk_tail->next = c;
    else
        S.chunk_head = c;
    S.chunk_tail = c;
    atomic_store(&S.runq_size, S.runq_size + n);   /* seq_cst: globrunq_put_batch */
    rt_lock_release(&S.lock);
}

/* Pushes g at the ring's tail.  A full ring first moves its older half to
 * the global queue (outside runq_lock: the lock order is sched.lock first).
 * Returns whether other work was already queued. */
static bool runq_push(rt_p *p, rt_g *g)
{
    rt_g *batch[RT_RUNQ_SIZE / 2];
    uint32_t n = 0;
    rt_lock_acquire(&p->runq_lock);
    uint32_t h = rq_head(p), t = rq_tail(p);
    if (t - h == RT_RUNQ_SIZE) {
        n = RT_RUNQ_SIZE / 2;
        for (uint32_t i = 0; i < n; i++)
            batch[i] = p->runq[(h + i) % RT_RUNQ_SIZE];
        atomic_store_explicit(&p->runq_head, h + n, memory_order_release);
    }
    p->runq[t % RT_RUNQ_SIZE] = g;
    atomic_store_explicit(&p->runq_tail, t + 1, memory_order_release);
    rt_lock_release(&p->runq_lock);
    if (n)
        globrunq_put_array(batch, (int)n);
    return t != h;
}

/* Queues g behind everything else on p: at the ring's head, which the
 * owner's pops reach last (or on the global queue if the ring is full). */
static void runq_push_back(rt_p *p, rt_g *g)
{
    rt_lock_acquire(&p->runq_lock);
    uint32_t h = rq_head(p), t = rq_tail(p);
    bool full = t - h == RT_RUNQ_SIZE;
    if (!full) {
        p->runq[(h - 1) % RT_RUNQ_SIZE] = g;
        atomic_store_explicit(&p->runq_head, h - 1, memory_order_release);
    }
    rt_lock_release(&p->runq_lock);
    if (full) {
        rt_lock_acquire(&S.lock);
        globrunq_put_batch(g, g, 1);
        rt_lock_release(&S.lock);
    }
}

/* Owner only.  With next, g takes runnext and the G it displaces goes to
 * the ring.  Returns whether other work was already queued. */
static bool runq_put(rt_p *p, rt_g *g, bool next)
{
    if (next) {
        rt_g *old = atomic_exchange_explicit(&p->runnext, g, memory_order_acq_rel);
        if (!old)
            return rq_head(p) != rq_tail(p);
        runq_push(p, old);
        return true;
    }
    return runq_push(p, g);
}

/* Owner only.  Usually runnext, else the newest G in the ring (last in,
 * first out: a goroutine that spawns and then waits for its children runs
 * them depth first, on warm caches and recycled stacks).  Every 61st call
 * takes the oldest G in the ring instead, so neither a runnext ping-pong
 * nor a stream of newer work can starve what waits behind it. */
static rt_g *runq_get(rt_p *p)
{
    uint32_t tick = atomic_load_explicit(&p->fairtick, memory_order_relaxed) + 1;
    atomic_store_explicit(&p->fairtick, tick, memory_order_relaxed);
    bool oldest = tick % 61 == 0;
    if (!oldest) {
        rt_g *next = atomic_load_explicit(&p->runnext, memory_order_relaxed);
        if (next && atomic_compare_exchange_strong_explicit(&p->runnext, &next, NULL,
                        memory_order_acq_rel, memory_order_relaxed))
            return next;
    }
    rt_g *g = NULL;
    if (rq_head(p) != rq_tail(p)) {
        rt_lock_acquire(&p->runq_lock);
        uint32_t h = rq_head(p), t = rq_tail(p);
        if (h != t) {
            if (oldest) {
                g = p->runq[h % RT_RUNQ_SIZE];
                atomic_store_explicit(&p->runq_head, h + 1, memory_order_release);
            } else {
                g = p->runq[(t - 1) % RT_RUNQ_SIZE];
                atomic_store_explicit(&p->runq_tail, t - 1, memory_order_release);
                /* The G after this one is likely cold (a fresh spawn, or
                 * parked long ago): start fetching it now. */
                if (t - 1 != h)
                    __builtin_prefetch(p->runq[(t - 2) % RT_RUNQ_SIZE]);
            }
        }
        rt_lock_release(&p->runq_lock);
    }
    if (!g && oldest) {
        rt_g *next = atomic_load_explicit(&p->runnext, memory_order_relaxed);
        if (next && atomic_compare_exchange_strong_explicit(&p->runnext, &next, NULL,
                        memory_order_acq_rel, memory_order_relaxed))
            return next;
    }
    return g;
}

/* Steals the older half of victim's ring into p and returns one G to run.
 * With steal_next, an otherwise empty victim gives up its runnext, after
 * a short pause that lets a running owner take it first. */
static rt_g *runq_steal(rt_p *p, rt_p *victim, bool steal_next)
{
    rt_g *batch[RT_RUNQ_SIZE / 2 + 1];
    uint32_t n = 0;
    if (rq_head(victim) != rq_tail(victim)) {
        rt_lock_acquire(&victim->runq_lock);
        uint32_t h = rq_head(victim), t = rq_tail(victim);
        n = (t - h) - (t - h) / 2;
        for (uint32_t i = 0; i < n; i++)
            batch[i] = victim->runq[(h + i) % RT_RUNQ_SIZE];
        atomic_store_explicit(&victim->runq_head, h + n, memory_order_release);
        rt_lock_release(&victim->runq_lock);
    }
    if (n == 0) {
        rt_g *next = steal_next ? atomic_load_explicit(&victim->runnext, memory_order_acquire)
                                : NULL;
        if (!next)
            return NULL;
        if (atomic_load_explicit(&victim->status, memory_order_relaxed)) {
            struct timespec ts = { 0, 3000 };
            nanosleep(&ts, NULL);
        }
        if (!atomic_compare_exchange_strong_explicit(&victim->runnext, &next, NULL,
                memory_order_acq_rel, memory_order_relaxed))
            return NULL;
        return next;
    }
    /* Run the newest of the batch; queue the others oldest first. */
    for (uint32_t i = 0; i + 1 < n; i++)
        runq_push(p, batch[i]);
    return batch[n - 1];
}

/* Caller holds sched.lock.  Moves up to n Gs from the first chunk to out;
 * returns how many, and in *done the chunk if it is now empty (to free
 * after unlocking). */
static int chunk_take(rt_g **out, int n, rt_gchunk **done)
{
    rt_gchunk *c = S.chunk_head;
    int k = c->end - c->start < n ? c->end - c->start : n;
    memcpy(out, c->g + c->start, (size_t)k * sizeof *out);
    c->start += k;
    if (c->start == c->end) {
        S.chunk_head = c->next;
        if (!S.chunk_head)
            S.chunk_tail = NULL;
        *done = c;
    }
    return k;
}

/* Caller holds sched.lock.  Moves up to n single Gs to out. */
static int singles_take(rt_g **out, int n)
{
    int k = 0;
    while (k < n && S.runq_head) {
        out[k++] = S.runq_head;
        S.runq_head = S.runq_head->schedlink;
    }
    if (!S.runq_head)
        S.runq_tail = NULL;
    return k;
}

/* Caller holds sched.lock.  Takes a fair share of the global queue (at
 * most max if max > 0, and at most RT_RUNQ_SIZE / 2) into out, oldest
 * first, from one part: chunks and singles in turn when both have Gs.
 * Returns the count; *done gets a chunk to free after unlocking, or NULL. */
static int globrunq_take(int max, rt_g **out, rt_gchunk **done)
{
    *done = NULL;
    int size = atomic_load_explicit(&S.runq_size, memory_order_relaxed);
    if (size == 0)
        return 0;
    int n = size / S.nprocs + 1;
    if (n > size) n = size;
    if (max > 0 && n > max) n = max;
    if (n > RT_RUNQ_SIZE / 2) n = RT_RUNQ_SIZE / 2;
    bool singles = S.runq_head && (S.take_singles || !S.chunk_head);
    S.take_singles = !singles;
    int k = singles ? singles_take(out, n) : chunk_take(out, n, done);
    atomic_store_explicit(&S.runq_size, size - k, memory_order_relaxed);
    return k;
}

/* Queues out[1..k) on p (no sched.lock held), frees a spent chunk and
 * returns out[0] (NULL if k is 0). */
static rt_g *runq_put_taken(rt_p *p, rt_g **out, int k, rt_gchunk *done)
{
    chunk_release(done);
    for (int i = 1; i < k; i++)
        runq_push(p, out[i]);
    return k ? out[0] : NULL;
}

static rt_g *globrunq_get(rt_p *p, int max)
{
    rt_g *out[RT_RUNQ_SIZE / 2];
    rt_gchunk *done;
    rt_lock_acquire(&S.lock);
    int k = globrunq_take(max, out, &done);
    rt_lock_release(&S.lock);
    return runq_put_taken(p, out, k, done);
}

/* ---------------------------------------------------------------------- */
/* Waking idle Ms                                                         */
/* ---------------------------------------------------------------------- */

static _Atomic uint32_t sysmon_sleeping;

static void wake_sysmon(void)
{
    if (atomic_load(&sysmon_sleeping) &&   /* seq_cst: after the caller's RMW */
        atomic_exchange(&sysmon_sleeping, 0))
        rt_futex_wake(&sysmon_sleeping, 1);
}

/* Takes m off the idle list if it is still there and gives its P the
 * status `to`.  Caller holds sched.lock. */
static bool idle_unlink_locked(rt_m *m, uint32_t to)
{
    for (rt_m **pp = &S.idle; *pp; pp = &(*pp)->idle_next) {
        if (*pp == m) {
            *pp = m->idle_next;
            atomic_fetch_sub(&S.npidle, 1);
            atomic_store_explicit(&m->p->status, to, memory_order_relaxed);
            return true;
        }
    }
    return false;
}

/* Removes m from the idle list if it is still there. */
static bool idle_remove(rt_m *m)
{
    rt_lock_acquire(&S.lock);
    bool found = idle_unlink_locked(m, RT_P_RUNNING);
    rt_lock_release(&S.lock);
    if (found)
        wake_sysmon();   /* it sleeps while every P is idle */
    return found;
}

/* Hands m, taken off the idle list, the value that ends its sleep in
 * stop_m: on its futex, or in the poller if it owns it.  The store and the
 * owner check are sequentially consistent, as are the owner's claim and
 * its check of park (stop_m): one of the two sides sees the other. */
static void wake_m(rt_m *m, uint32_t v)
{
    atomic_store(&m->park, v);
    rt_futex_wake(&m->park, 1);
    if (atomic_load(&rt_netpoll_owner) == m)
        rt_netpoll_break();
}

/* park's values: 0 asleep, 1 and 2 woken (taken off the idle list, see
 * wake_m), PARK_NUDGE asked to look again while staying on the list: a
 * value, not just a futex wake, so that a nudge sent just before the M
 * sleeps is not lost. */
#define PARK_NUDGE 3u

static bool m_woken(rt_m *m)
{
    uint32_t v = atomic_load_explicit(&m->park, memory_order_acquire);
    return v != 0 && v != PARK_NUDGE;
}

void rt_netpoll_nudge(void)
{
    if (!rt_netpoll_interest() || atomic_load(&rt_netpoll_owner) || atomic_load(&S.npidle) == 0)
        return;
    rt_lock_acquire(&S.lock);
    rt_m *m = S.idle;          /* left on the list: it only looks again */
    uint32_t zero = 0;
    if (m && atomic_compare_exchange_strong(&m->park, &zero, PARK_NUDGE))
        rt_futex_wake(&m->park, 1);
    rt_lock_release(&S.lock);
}

void rt_wakep(void)
{
    if (atomic_load(&S.npidle) == 0 || atomic_load(&S.nmspinning) != 0)
        return;
    int32_t zero = 0;
    if (!atomic_compare_exchange_strong(&S.nmspinning, &zero, 1))
        return;
    rt_lock_acquire(&S.lock);
    rt_m *m = S.idle;
    if (m) {
        S.idle = m->idle_next;
        atomic_fetch_sub(&S.npidle, 1);
        atomic_store_explicit(&m->p->status, 1, memory_order_relaxed);
    }
    rt_lock_release(&S.lock);
    if (!m) {
        atomic_fetch_sub(&S.nmspinning, 1);
        return;
    }
    m->spinning = true;
    wake_m(m, 1);
    wake_sysmon();
}

void rt_timers_changed(int64_t when)
{
    /* Idle Ms sleep until the earliest timer they saw; wake one so it
     * recomputes.  Cheap when nobody is idle. */
    (void)when;
    if (atomic_load(&S.npidle) == 0)
        return;
    rt_lock_acquire(&S.lock);
    rt_m *m = S.idle;
    if (m) {
        S.idle = m->idle_next;
        atomic_fetch_sub(&S.npidle, 1);
        atomic_store_explicit(&m->p->status, 1, memory_order_relaxed);
    }
    rt_lock_release(&S.lock);
    if (m) {
        wake_m(m, 2);
        wake_sysmon();
    }
}

/* ---------------------------------------------------------------------- */
/* Switching                                                              */
/* ---------------------------------------------------------------------- */

/* Runs on the context that was just switched to. */
static void switch_finish(rt_g *now)
{
    rt_san_after_switch(now);
    rt_m *m = rt_getm();
    if (m->after_fn) {
        void (*fn)(rt_g *, void *) = m->after_fn;
        m->after_fn = NULL;
        fn(m->after_g, m->after_arg);
    }
}

/* The running goroutine's chain of defer frames (panic.c), or NULL on
 * g0: one load for goc_frame_push_inline instead of TLS -> M -> G. */
__thread goc_frame **rt_tls_frames;

static void switch_to(rt_m *m, rt_g *from, rt_g *to, bool exiting)
{
    if (RT_UNLIKELY(atomic_load_explicit(&rt_trace_on, memory_order_relaxed)))
        rt_trace_switch(m, from, to);
    m->curg = to;
    rt_tls_frames = to == &m->g0 ? NULL : &to->frames;
    to->m = m;
    rt_san_before_switch(from, to, exiting);
    rt_ctx_switch(&from->sp, to->sp);
    switch_finish(from);
}

static uint32_t schedtick_check_global(rt_p *p)
{
    return ++p->schedtick % 61 == 0;
}

/* The next G this P should run without going through g0, or NULL. */
static rt_g *next_local(rt_m *m)
{
    rt_p *p = m->p;
    if (RT_UNLIKELY(atomic_load_explicit(&p->retire_req, memory_order_relaxed)))
        return NULL;   /* a spare asked to retire: through g0 (find_runnable) */
    if (schedtick_check_global(p) && atomic_load_explicit(&S.runq_size, memory_order_relaxed)) {
        rt_g *g = globrunq_get(p, 1);
        if (g)
            return g;
    }
    int64_t t0 = atomic_load_explicit(&p->timer0_when, memory_order_relaxed);
    if (t0 && t0 <= goc_nanotime())
        return NULL;   /* let g0 run the due timers */
    return runq_get(p);
}

void rt_park(void (*unlock)(rt_g *, void *), void *arg, const char *reason,
             const void *wait_on)
{
    rt_m *m = rt_getm();
    rt_g *g = m->curg;
    g->wait_reason = reason;
    g->wait_on = wait_on;
    atomic_store_explicit(&g->status, RT_G_WAITING, memory_order_relaxed);
    m->after_fn = unlock;
    m->after_g = g;
    m->after_arg = arg;
    rt_g *next = next_local(m);
    if (next)
        atomic_store_explicit(&next->status, RT_G_RUNNING, memory_order_relaxed);
    else
        next = &m->g0;
    switch_to(m, g, next, false);
}

void rt_ready(rt_g *g)
{
    atomic_store_explicit(&g->status, RT_G_RUNNABLE, memory_order_relaxed);
    rt_m *m = rt_getm();
    if (m && m->p) {
        if (runq_put(m->p, g, true))
            rt_wakep();
        return;
    }
    rt_lock_acquire(&S.lock);
    globrunq_put_batch(g, g, 1);
    rt_lock_release(&S.lock);
    rt_wakep();
}

void rt_ready_later(rt_g *g)
{
    rt_m *m = rt_getm();
    if (!m || !m->p) {
        rt_ready(g);
        return;
    }
    atomic_store_explicit(&g->status, RT_G_RUNNABLE, memory_order_relaxed);
    runq_push_back(m->p, g);
}

static void yield_requeue(rt_g *g, void *arg)
{
    rt_m *m = rt_getm();
    atomic_store_explicit(&g->status, RT_G_RUNNABLE, memory_order_relaxed);
    runq_push_back(m->p, g);
}

void goc_yield(void)
{
    rt_needg("goc_yield");
    rt_park(yield_requeue, NULL, "yield", NULL);
}

/* ---------------------------------------------------------------------- */
/* Spawning and exiting                                                   */
/* ---------------------------------------------------------------------- */

static rt_p foreign_p;           /* G pool for spawns from non-workers */
static rt_lock foreign_lock;

void rt_allg_add(rt_g *g)
{
    rt_lock_acquire(&S.allg_lock);
    g->allprev = NULL;
    g->allnext = S.allg;
    if (S.allg)
        S.allg->allprev = g;
    S.allg = g;
    rt_lock_release(&S.allg_lock);
}

void rt_allg_lock(void)
{
    rt_lock_acquire(&S.allg_lock);
}

void rt_allg_unlock(void)
{
    rt_lock_release(&S.allg_lock);
}

rt_g *rt_allg_head(void)
{
    return S.allg;
}

void rt_allg_remove(rt_g *g)
{
    rt_lock_acquire(&S.allg_lock);
    if (g->allprev)
        g->allprev->allnext = g->allnext;
    else
        S.allg = g->allnext;
    if (g->allnext)
        g->allnext->allprev = g->allprev;
    rt_lock_release(&S.allg_lock);
}

/* Goroutine ids come from a global counter in blocks of 16 per P, so
 * spawning does not bounce the counter's cache line between cores. */
static int64_t next_goid(rt_p *p)
{
    if (!p)
        return atomic_fetch_add_explicit(&S.goid_gen, 1, memory_order_relaxed) + 1;
    if (p->goid_next == p->goid_end) {
        p->goid_next = atomic_fetch_add_explicit(&S.goid_gen, 16, memory_order_relaxed) + 1;
        p->goid_end = p->goid_next + 16;
    }
    return p->goid_next++;
}

/* Counts a spawn (+1) or exit (-1) on p's own counter, or globally when
 * there is no P. */
static void count_goroutine(rt_p *p, int delta)
{
    if (!p) {
        atomic_fetch_add_explicit(&S.ngoroutines, delta, memory_order_relaxed);
        return;
    }
    int32_t v = atomic_load_explicit(&p->gcount, memory_order_relaxed);
    atomic_store_explicit(&p->gcount, v + delta, memory_order_relaxed);
}

int rt_ngoroutines(void)
{
    int32_t n = atomic_load_explicit(&S.ngoroutines, memory_order_relaxed);
    for (int i = 0, np = rt_nallp(); i < np; i++)
        n += atomic_load_explicit(&S.ps[i].gcount, memory_order_relaxed);
    return n;
}

static void free_dead_g(rt_g *g, void *arg)
{
    rt_san_free_g(g);
    rt_stack_free_g(rt_getm()->p, g);
}

static RT_NORETURN void goexit(void)
{
    rt_m *m = rt_getm();
    rt_g *g = m->curg;
    rt_goexit_frames(g);
    m = rt_getm();
    atomic_store_explicit(&g->status, RT_G_DEAD, memory_order_relaxed);
    count_goroutine(m->p, -1);
    m->after_fn = free_dead_g;
    m->after_g = g;
    rt_g *next = next_local(m);
    if (next)
        atomic_store_explicit(&next->status, RT_G_RUNNING, memory_order_relaxed);
    else
        next = &m->g0;
    switch_to(m, g, next, true);
    rt_throw("dead goroutine resumed");
}

static RT_NORETURN void g_entry(void)
{
    rt_g *g = rt_getm()->curg;
    switch_finish(g);
    g->fn(g->arg);
    goexit();
}

/* Starts fn(arg) in a new goroutine with a stack of class `stack`.  With
 * env_size > 0, arg points to env_size bytes that are copied to the top of
 * the new stack and fn gets the copy instead (goc_go_copy_at). */
static rt_g *spawn_env(void (*fn)(void *), void *arg, size_t env_size, const char *file,
                       int line, size_t stack)
{
    rt_m *m = rt_getm();
    rt_p *p = m ? m->p : NULL;
    rt_g *g;
    if (p) {
        g = rt_stack_alloc_g(p, stack);
    } else {
        rt_lock_acquire(&foreign_lock);
        g = rt_stack_alloc_g(&foreign_p, stack);
        rt_lock_release(&foreign_lock);
    }
    g->id = next_goid(p);
    g->fn = fn;
    g->arg = arg;
    g->created_file = file;
    g->created_line = line;
    g->parent_id = m && m->curg && m->curg != &m->g0 ? m->curg->id : 0;
    g->frames = NULL;
    g->panicking = NULL;
    g->wait_reason = NULL;
    g->wait_on = NULL;
    g->asan_fake_stack = NULL;
    atomic_store_explicit(&g->select_done, 0, memory_order_relaxed);
    rt_san_new_g(g);   /* first: under ASan it clears the pooled stack's shadow */
    char *top = g->stack_hi;
    if (env_size) {
        top = (char *)(((uintptr_t)top - env_size) & ~(uintptr_t)15);
        memcpy(top, arg, env_size);
        g->arg = top;
    }
    g->sp = rt_ctx_make(top, g_entry);
    if (RT_UNLIKELY(atomic_load_explicit(&rt_trace_on, memory_order_relaxed)))
        rt_trace_go(g, m);
    count_goroutine(p, 1);
    atomic_store_explicit(&g->status, RT_G_RUNNABLE, memory_order_relaxed);
    if (p) {
        runq_put(p, g, true);
    } else {
        rt_lock_acquire(&S.lock);
        globrunq_put_batch(g, g, 1);
        rt_lock_release(&S.lock);
    }
    rt_wakep();
    return g;
}

rt_g *rt_spawn(void (*fn)(void *), void *arg, const char *file, int line)
{
    return spawn_env(fn, arg, 0, file, line, 0);
}

void goc_go_at(void (*fn)(void *), void *arg, const char *file, int line)
{
    if (!atomic_load_explicit(&S.started, memory_order_acquire))
        rt_init();
    spawn_env(fn, arg, 0, file, line, 0);
}

void goc_go_copy_at(void (*fn)(void *), const void *env, size_t size, const char *file, int line)
{
    if (!atomic_load_explicit(&S.started, memory_order_acquire))
        rt_init();
    if (size > GOC_GO_ENV_MAX) {   /* too much for the top of a stack */
        void *heap = goc_alloc(size);
        memcpy(heap, env, size);
        spawn_env(fn, heap, 0, file, line, 0);
        return;
    }
    spawn_env(fn, (void *)env, size, file, line, 0);
}

int64_t goc_goid(void)
{
    rt_m *m = rt_getm();
    return m && m->curg && m->curg != &m->g0 ? m->curg->id : 0;
}

int goc_num_goroutine(void)
{
    if (!atomic_load_explicit(&S.started, memory_order_acquire))
        return 0;
    return rt_ngoroutines();
}

int goc_maxprocs(void)
{
    if (!atomic_load_explicit(&S.started, memory_order_acquire))
        rt_init();
    return S.nprocs;
}

/* ---------------------------------------------------------------------- */
/* Finding work and sleeping                                              */
/* ---------------------------------------------------------------------- */

static void check_dead(void);

static rt_g *got_work(rt_m *m, rt_g *g)
{
    if (m->spinning) {
        m->spinning = false;
        if (atomic_fetch_sub(&S.nmspinning, 1) == 1)
            rt_wakep();   /* keep one spinner while there may be more */
    }
    return g;
}

void rt_unlockers_wait(const void *mu)
{
    for (int i = 0, np = rt_nallp(); i < np; i++) {
        const void **slot = __atomic_load_n(&S.ms[i].unlocking, __ATOMIC_ACQUIRE);
        for (int k = 0; slot && __atomic_load_n(slot, __ATOMIC_ACQUIRE) == mu; k++)
            if (k > 100)
                sched_yield();   /* its thread was descheduled mid-unlock */
            else
                rt_cpu_relax();
    }
}

static int64_t earliest_timer(void)
{
    int64_t w = 0;
    for (int i = 0, np = rt_nallp(); i < np; i++) {
        int64_t t = atomic_load_explicit(&S.ps[i].timer0_when, memory_order_acquire);
        if (t && (w == 0 || t < w))
            w = t;
    }
    return w;
}

static rt_g *steal_work(rt_m *m, int64_t now)
{
    rt_p *p = m->p;
    int n = rt_nallp();
    for (int round = 0; round < 4; round++) {
        uint32_t start = rt_fastrand() % (uint32_t)n;
        for (int k = 0; k < n; k++) {
            rt_p *v = &S.ps[(start + (uint32_t)k) % (uint32_t)n];
            if (v == p)
                continue;
            int64_t t0 = atomic_load_explicit(&v->timer0_when, memory_order_relaxed);
            if (t0 && t0 <= now) {
                rt_timers_run(v, now, true);
                rt_g *g = runq_get(p);
                if (g)
                    return g;
            }
            rt_g *g = runq_steal(p, v, round == 3);
            if (g)
                return g;
        }
    }
    return NULL;
}

static bool runq_drain_global(rt_p *v);

/* Queues n Gs linked through schedlink on the global queue. */
static void globrunq_put_list(rt_g *list, int n)
{
    rt_g *last = list;
    while (last->schedlink)
        last = last->schedlink;
    rt_lock_acquire(&S.lock);
    globrunq_put_batch(list, last, n);
    rt_lock_release(&S.lock);
}

/* Queues the Gs the poller made runnable (a list through schedlink) on
 * m's P, all but the first, which it returns; asks for help with more. */
static rt_g *queue_polled(rt_m *m, rt_g *list, int n)
{
    rt_g *first = list;
    for (rt_g *g = list->schedlink; g;) {
        rt_g *next = g->schedlink;
        runq_put(m->p, g, false);
        g = next;
    }
    if (n > 1)
        rt_wakep();
    return first;
}

/* stop_m's sleep for the M that owns the poller (claimed by the caller):
 * in epoll until an event, the timeout, or a waker (wake_m breaks the
 * poll).  Returns a G to run when the poll found some and m could leave
 * the idle list; else NULL, and the caller looks at park as after a futex
 * wait.  A poller that leaves because it was woken hands the duty on. */
static rt_g *idle_netpoll(rt_m *m, int64_t timeout)
{
    rt_g *list = NULL;
    int n = 0;
    if (!m_woken(m))
        list = rt_netpoll(timeout, &n);
    atomic_store(&rt_netpoll_owner, NULL);
    /* A signal relayed to a channel readies its receiver on our P. */
    bool own = !runq_empty(m->p) || atomic_load(&m->p->runnext);
    if (!list && !own) {
        if (m_woken(m))
            rt_netpoll_nudge();
        return NULL;
    }
    if (idle_remove(m))
        return list ? queue_polled(m, list, n) : runq_get(m->p);
    /* Being woken, or retired in place: the global queue serves either. */
    if (list)
        globrunq_put_list(list, n);
    if (own)
        runq_drain_global(m->p);
    rt_wakep();
    return NULL;
}

/* Puts m on the idle list (unless the global queue has work) and sleeps
 * until woken or the earliest timer is due.  Returns a G or NULL. */
static rt_g *stop_m(rt_m *m)
{
    rt_p *p = m->p;
    rt_lock_acquire(&S.lock);
    if (atomic_load_explicit(&S.runq_size, memory_order_relaxed)) {
        rt_g *out[RT_RUNQ_SIZE / 2];
        rt_gchunk *done;
        int k = globrunq_take(0, out, &done);
        rt_lock_release(&S.lock);
        return got_work(m, runq_put_taken(p, out, k, done));
    }
    /* Once on the idle list, m->spinning belongs to whoever wakes us
     * (rt_wakep sets it); read and clear it before. */
    bool was_spinning = m->spinning;
    m->spinning = false;
    atomic_store_explicit(&m->park, 0, memory_order_relaxed);
    m->idle_next = S.idle;
    S.idle = m;
    atomic_store_explicit(&p->status, 0, memory_order_relaxed);
    atomic_fetch_add(&S.npidle, 1);
    rt_lock_release(&S.lock);

    if (was_spinning) {
        atomic_fetch_sub(&S.nmspinning, 1);
        /* Re-check after dropping spinning: see the top comment. */
        for (int i = 0, np = rt_nallp(); i < np; i++) {
            if (!runq_empty(&S.ps[i]) || atomic_load(&S.runq_size)) {
                if (idle_remove(m))
                    return NULL;
                break;   /* a waker already took us; wait for its signal */
            }
        }
    }
    check_dead();
    for (;;) {
        int64_t when = earliest_timer();
        int64_t timeout = -1;
        if (when) {
            timeout = when - goc_nanotime();
            if (timeout < 0)
                timeout = 0;
        }
        rt_m *none = NULL;
        if (rt_netpoll_interest() && timeout != 0 &&
            atomic_compare_exchange_strong(&rt_netpoll_owner, &none, m)) {
            rt_g *g = idle_netpoll(m, timeout);
            if (g)
                return g;
        } else if (atomic_load_explicit(&m->park, memory_order_acquire) == 0 && timeout != 0) {
            rt_futex_wait(&m->park, 0, timeout);
        }
        uint32_t nudged = PARK_NUDGE;
        if (atomic_compare_exchange_strong(&m->park, &nudged, 0))
            continue;             /* asked to take the poller: look again */
        if (m_woken(m))
            return NULL;          /* woken: the waker took us off the list */
        if (when && goc_nanotime() >= when) {
            if (idle_remove(m))
                return NULL;
            /* Being woken concurrently, or retired in place: wait for
             * the flag, and leave the poller to an M that stays idle. */
            rt_netpoll_nudge();
            for (;;) {
                uint32_t v = atomic_load_explicit(&m->park, memory_order_acquire);
                if (v != 0 && v != PARK_NUDGE)
                    break;   /* the value waited on is the one just seen */
                rt_futex_wait(&m->park, v, -1);
            }
            return NULL;
        }
    }
}

/* Instead of sleeping, an M with nothing to run prepares a slab of stacks
 * when spawning Ps are short of them (stack.c).  It stops spinning first,
 * as it will be busy for a while; the caller then looks at every queue
 * again, which is the re-check that a spinning M owes (see the top
 * comment).  Returns false, still spinning, when there is nothing to do. */
static bool prepare_stacks(rt_m *m)
{
    if (!rt_stack_wants_help())
        return false;
    if (m->spinning) {
        m->spinning = false;
        atomic_fetch_sub(&S.nmspinning, 1);
    }
    rt_stack_prepare_one();
    return true;
}

static void retire_self(rt_m *m);

static rt_g *find_runnable(rt_m *m)
{
    rt_p *p = m->p;
    for (;;) {
        if (RT_UNLIKELY(atomic_load_explicit(&p->retire_req, memory_order_relaxed)))
            retire_self(m);
        int64_t now = 0;
        int64_t t0 = atomic_load_explicit(&p->timer0_when, memory_order_relaxed);
        if (t0) {
            now = goc_nanotime();
            if (t0 <= now)
                rt_timers_run(p, now, false);
        }
        rt_g *g = runq_get(p);
        if (g)
            return got_work(m, g);
        if (atomic_load_explicit(&S.runq_size, memory_order_relaxed)) {
            g = globrunq_get(p, 0);
            if (g)
                return got_work(m, g);
        }
        if (rt_netpoll_interest() && !atomic_load_explicit(&rt_netpoll_owner, memory_order_relaxed)) {
            int n;
            rt_g *list = rt_netpoll(0, &n);
            if (list)
                return got_work(m, queue_polled(m, list, n));
            if ((g = runq_get(p)))   /* readied by a relayed signal */
                return got_work(m, g);
        }
        int32_t busy = atomic_load(&S.nactive) - atomic_load(&S.npidle);
        if (m->spinning || 2 * atomic_load(&S.nmspinning) < busy) {
            if (!m->spinning) {
                m->spinning = true;
                atomic_fetch_add(&S.nmspinning, 1);
            }
            g = steal_work(m, now ? now : goc_nanotime());
            if (g)
                return got_work(m, g);
        }
        if (prepare_stacks(m))
            continue;
        g = stop_m(m);
        if (g)
            return g;
    }
}

static void *worker_main(void *arg)
{
    rt_m *m = arg;
    tls_m = m;
    if (pthread_getcpuclockid(pthread_self(), &m->cpuclock) != 0)
        m->cpuclock = -1;
    atomic_store(&m->tid, (int)syscall(SYS_gettid));
    m->curg = &m->g0;
    if (rt_plain_unlocks)
        __atomic_store_n(&goc__unlocking, NULL, __ATOMIC_RELAXED);
    __atomic_store_n(&m->unlocking, &goc__unlocking, __ATOMIC_RELEASE);
    rt_stack_init_thread(m);
    rt_gc_register_m(m);
    rt_san_new_g(&m->g0);
    atomic_store_explicit(&m->p->status, 1, memory_order_relaxed);
    for (;;) {
        rt_g *g = find_runnable(m);
        atomic_store_explicit(&g->status, RT_G_RUNNING, memory_order_relaxed);
        switch_to(m, &m->g0, g, false);
    }
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* sysmon                                                                 */
/* ---------------------------------------------------------------------- */

static _Atomic uint32_t sysmon_kicked;

void rt_sysmon_kick(void)
{
    if (!atomic_exchange_explicit(&sysmon_kicked, 1, memory_order_release))
        rt_futex_wake(&sysmon_kicked, 1);
}

/*
 * Preemption.  C cannot be interrupted at an arbitrary instruction and
 * switched (the code may hold a libc lock), so translated code polls: the
 * translator puts GOC__PREEMPT_POLL() (goc_lang.h) at the top of every loop
 * body and labelled statement, one relaxed load of goc__preempt_line.pending
 * (alone in its cache line: the scheduler's lock must not invalidate it).  sysmon sets it, and
 * preempt_req on the P, when a P has run the same goroutine (its fairtick
 * unchanged) for more than RT_PREEMPT_NS; the poll then yields.  The flag
 * is cleared by the first poll that sees it; a P whose goroutine still
 * runs on is flagged again at sysmon's next look.  A request left over
 * after the P switched goroutine costs one needless yield.  Plain C loops and
 * blocking C calls are not covered.
 */
#define RT_PREEMPT_NS (10 * 1000 * 1000)
struct goc__preempt_line goc__preempt_line;   /* its own cache line (goc_lang.h) */

void goc__preempt(void)
{
    rt_m *m = rt_getm();
    bool mine = m && m->p && m->curg != &m->g0 &&
                atomic_exchange_explicit(&m->p->preempt_req, 0, memory_order_relaxed);
    /* Clear the flag only when no P is left with a request: a poller on
     * another P must not wipe out this P's (sysmon re-flags a P it races). */
    bool any = false;
    for (int i = 0, np = rt_nallp(); i < np && !any; i++)
        any = atomic_load_explicit(&S.ps[i].preempt_req, memory_order_relaxed) != 0;
    if (!any)
        atomic_store_explicit(&goc__preempt_line.pending, 0, memory_order_relaxed);
    if (mine)
        goc_yield();
}

/*
 * Blocking C calls.  A goroutine may call C that blocks in the kernel (read
 * on a pipe, sleep, a lock of some library) or computes for long without
 * polling; its M, and so its P, can run nothing else meanwhile.  Go hands
 * the P of an M in a system call to another M.  Here an M owns its P for
 * life, so that no runtime path ever has to ask whether it still owns its
 * P; instead sysmon adds a *spare* P with an M of its own and leaves the
 * stuck P alone, except that it moves the stuck P's queued goroutines
 * (ring and runnext, as a thief would) to the global queue and runs its
 * due timers itself: a spare that is busy would never look at them.
 *
 * A P is stuck when it is running and has not scheduled (fairtick
 * unchanged) over three of sysmon's looks, and between the last two its
 * thread either mostly did not run and now sleeps in the kernel (state S
 * or D in /proc/self/task/TID/stat, read only then) other than in the
 * runtime's own waits (rt_futex_wait: a lock, an allocation waiting for the
 * collector), or used RT_HANDOFF_CPU_NS of CPU time in C that never polls
 * (judge_stuck).  While a P is a candidate sysmon looks at least every
 * millisecond.  A stop of the world by the collector leaves threads asleep
 * with fairticks unchanged, so it restarts every P's clock.
 *
 * sysmon then keeps GOC_MAXPROCS Ps available (active, not stuck, not asked
 * to retire): it re-activates a retired spare or makes a new one (at most
 * RT_MAX_SPARE), or, when a stuck P has scheduled again, asks one spare to
 * retire.  A busy spare retires at its next switch (next_local declines,
 * find_runnable calls retire_self): it moves its queue to the global queue
 * and sleeps.  An idle spare is retired by sysmon in place.  Either way,
 * if work is queued, another M is woken: the retiree may have been the
 * spinning M that a submitter counted on (waking one for nothing would
 * look like progress to the deadlock check).  Retired Ps keep their timers
 * (sysmon runs them when due) and their goroutine counts.
 *
 * Until it schedules again, a stuck P's goroutine is not asked to yield:
 * after its call returns it runs beside the spare, like a Go thread coming
 * back from a cgo call, until its next switch.
 */
#define RT_HANDOFF_NS (20 * 1000)
#define RT_MAX_SPARE 1024
#define RT_HANDOFF_CPU_NS (2 * RT_PREEMPT_NS)

static int nstuck;            /* sysmon only */

static void start_thread(void *(*fn)(void *), void *arg);
static void *worker_main(void *arg);
static void init_pm(int i);

/* Whether the thread of m sleeps in the kernel right now. */
static bool thread_blocked(rt_m *m)
{
    int tid = atomic_load(&m->tid);
    if (tid <= 0)
        return false;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = 0;
    char *paren = strrchr(buf, ')');   /* the command name may hold any byte */
    return paren && paren[1] == ' ' && (paren[2] == 'S' || paren[2] == 'D');
}

/* The CPU time (user and system) the thread of m has used, or -1. */
static int64_t thread_cpu_ns(rt_m *m)
{
    struct timespec ts;
    if (atomic_load(&m->tid) <= 0 ||     /* not started: cpuclock unset */
        m->cpuclock == (clockid_t)-1 || clock_gettime(m->cpuclock, &ts) != 0)
        return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Whether p, running without a schedule since the last look that reset
 * its clock, is stuck in C.  The next look takes a baseline of its thread's
 * CPU time; from
 * the next one on, it is stuck if since the baseline its thread has
 *   - computed RT_HANDOFF_CPU_NS of CPU time and left a request to yield
 *     unanswered for RT_PREEMPT_NS (C that never polls; CPU time, not wall
 *     time: a thread the kernel does not run is not stuck), or
 *   - used less than half the wall time, at least RT_HANDOFF_NS, and now
 *     sleeps in the kernel outside the runtime's own waits.
 * The CPU-time condition keeps a busy thread caught in a page fault or a
 * short lock wait from passing for a blocked one. */
static bool judge_stuck(rt_p *p, int64_t now)
{
    rt_m *m = p->m;
    if (atomic_load(&m->in_rt_wait))
        return false;
    int64_t cpu = thread_cpu_ns(m);
    if (cpu < 0)
        return false;
    if (p->sm_cpu0 < 0) {
        p->sm_cpu0 = cpu;
        p->sm_cpu_at = now;
        return false;
    }
    int64_t used = cpu - p->sm_cpu0, wall = now - p->sm_cpu_at;
    if (used >= RT_HANDOFF_CPU_NS && p->sm_asked && now - p->sm_asked >= RT_PREEMPT_NS)
        return true;     /* and it has not answered a request to yield */
    return wall >= RT_HANDOFF_NS && 2 * used < wall && thread_blocked(m) &&
           !atomic_load(&m->in_rt_wait);        /* it may have just entered one */
}

/* Moves what is queued on P v (ring and runnext) to the global queue,
 * which busy Ps poll every 61 schedules and idle Ms take at once: sysmon's
 * for a stuck P, a retiring spare's for its own.  Safe against the owner:
 * the ring under runq_lock, runnext by CAS, as thieves do. */
static bool runq_drain_global(rt_p *v)
{
    rt_g *batch[RT_RUNQ_SIZE + 1];
    uint32_t k = 0;
    if (rq_head(v) != rq_tail(v)) {
        rt_lock_acquire(&v->runq_lock);
        uint32_t h = rq_head(v), t = rq_tail(v);
        for (; h != t; h++)
            batch[k++] = v->runq[h % RT_RUNQ_SIZE];
        atomic_store_explicit(&v->runq_head, h, memory_order_release);
        rt_lock_release(&v->runq_lock);
    }
    rt_g *next = atomic_load_explicit(&v->runnext, memory_order_acquire);
    if (next && atomic_compare_exchange_strong(&v->runnext, &next, NULL))
        batch[k++] = next;
    if (k == 0)
        return false;
    for (uint32_t i = 0; i + 1 < k; i++)
        batch[i]->schedlink = batch[i + 1];
    rt_lock_acquire(&S.lock);
    globrunq_put_batch(batch[0], batch[k - 1], (int)k);
    rt_lock_release(&S.lock);
    return true;
}

/* Whether any goroutine waits in a run queue (for a retiring spinner's
 * duty: waking an M for nothing would disturb deadlock detection). */
static bool work_queued(void)
{
    if (atomic_load(&S.runq_size))
        return true;
    for (int i = 0, np = rt_nallp(); i < np; i++)
        if (!runq_empty(&S.ps[i]) || atomic_load(&S.ps[i].runnext))
            return true;
    return false;
}

/* A spare asked to retire, on its g0: hands its queue over and sleeps
 * until sysmon needs it again (then returns, not spinning).  A spinning M
 * owes the others a look at the queues before it stops (see the top
 * comment: a submitter saw it spin and woke nobody): rt_wakep after. */
static void retire_self(rt_m *m)
{
    rt_p *p = m->p;
    if (m->spinning) {
        m->spinning = false;
        atomic_fetch_sub(&S.nmspinning, 1);
    }
    runq_drain_global(p);
    atomic_store_explicit(&m->park, 0, memory_order_relaxed);
    rt_lock_acquire(&S.lock);
    bool retire = atomic_exchange(&p->retire_req, 0);   /* else sysmon took it back */
    if (retire) {
        atomic_store(&p->preempt_req, 0);    /* nobody would answer it */
        atomic_store(&p->status, RT_P_RETIRED);
        atomic_fetch_sub(&S.nactive, 1);
    }
    rt_lock_release(&S.lock);
    if (work_queued())
        rt_wakep();
    if (!retire)
        return;
    check_dead();   /* the other Ms may all be idle: we were the last P */
    rt_netpoll_nudge();   /* and none of them may be polling */
    while (atomic_load_explicit(&m->park, memory_order_acquire) == 0)
        rt_futex_wait(&m->park, 0, -1);
}

/* sysmon: one more P available: take back a pending retirement, wake a
 * retired spare, or make a new one. */
static bool add_spare(void)
{
    int n = rt_nallp();
    for (int i = S.nprocs; i < n; i++) {
        uint32_t one = 1;
        if (atomic_compare_exchange_strong(&S.ps[i].retire_req, &one, 0))
            return true;
    }
    for (int i = S.nprocs; i < n; i++) {
        rt_p *p = &S.ps[i];
        rt_lock_acquire(&S.lock);
        bool retired = atomic_load(&p->status) == RT_P_RETIRED;
        if (retired) {
            atomic_store(&p->status, RT_P_RUNNING);
            atomic_fetch_add(&S.nactive, 1);
        }
        rt_lock_release(&S.lock);
        if (retired) {
            wake_m(p->m, 2);
            return true;
        }
    }
    if (n == S.maxp)
        return false;              /* as many threads as we allow: wait */
    init_pm(n);
    rt_lock_acquire(&S.lock);
    atomic_fetch_add(&S.nactive, 1);
    atomic_store_explicit(&S.nallp, n + 1, memory_order_release);
    rt_lock_release(&S.lock);
    start_thread(worker_main, &S.ms[n]);
    return true;
}

/* sysmon: one P fewer: retire the newest spare that is neither stuck nor
 * already asked; in place if it sleeps on the idle list. */
static bool drop_spare(void)
{
    for (int i = rt_nallp() - 1; i >= S.nprocs; i--) {
        rt_p *p = &S.ps[i];
        if (p->stuck || atomic_load(&p->status) == RT_P_RETIRED ||
            atomic_load(&p->retire_req))
            continue;
        atomic_store(&p->retire_req, 1);
        rt_lock_acquire(&S.lock);
        bool in_place = idle_unlink_locked(p->m, RT_P_RETIRED);   /* asleep: retire it here */
        if (in_place) {
            atomic_fetch_sub(&S.nactive, 1);
            atomic_store(&p->retire_req, 0);
        }
        rt_lock_release(&S.lock);
        /* The Ms left may all be idle already, each having seen this P
         * active when it looked for a deadlock: look now. */
        if (in_place)
            check_dead();
        /* It may have been a spinner re-checking the queues in stop_m,
         * which now waits for a wake-up instead: look for it. */
        if (work_queued())
            rt_wakep();
        return true;
    }
    return false;
}

/* sysmon: keeps GOC_MAXPROCS Ps available; returns whether it changed
 * anything. */
static bool balance_spares(void)
{
    int avail = atomic_load(&S.nactive) - nstuck;
    for (int i = S.nprocs, n = rt_nallp(); i < n; i++)
        avail -= atomic_load(&S.ps[i].retire_req) != 0;
    if (avail < S.nprocs)
        return add_spare();
    if (avail > S.nprocs)
        return drop_spare();
    return false;
}

/* sysmon: flags the Ps whose goroutine has run too long, finds the Ps
 * stuck in C calls, moves their queued work to the global queue and
 * balances the spares.  A stop of the world since the last look restarts
 * every P's clock: fairticks stood still for it. */
static int ncandidates;        /* sysmon only: Ps with a CPU baseline */

static bool retake(int64_t now)
{
    static uint32_t last_epoch;
    bool acted = false;
    ncandidates = 0;
    uint32_t epoch = rt_gc_stop_epoch();
    bool restart = epoch != last_epoch || (epoch & 1);
    last_epoch = epoch;
    for (int i = 0, np = rt_nallp(); i < np; i++) {
        rt_p *p = &S.ps[i];
        uint32_t t = atomic_load_explicit(&p->fairtick, memory_order_relaxed);
        uint32_t st = atomic_load_explicit(&p->status, memory_order_relaxed);
        bool moved = st != RT_P_RUNNING || t != p->sm_fairtick;
        if (moved && p->stuck) {
            p->stuck = false;
            nstuck--;
        }
        if (moved || restart || !p->sm_running) {
            p->sm_fairtick = t;
            p->sm_since = now;
            p->sm_running = st == RT_P_RUNNING;
            p->sm_cpu0 = -1;
            p->sm_asked = 0;
            continue;
        }
        if (!p->stuck && judge_stuck(p, now) && rt_gc_stop_epoch() == epoch) {
            p->stuck = true;
            nstuck++;
            /* No poll will answer a request while it is stuck, and a
             * pending one would send every other P's polls to the slow path. */
            atomic_store_explicit(&p->preempt_req, 0, memory_order_relaxed);
        }
        ncandidates += !p->stuck && p->sm_cpu0 >= 0;
        if (p->stuck && runq_drain_global(p)) {
            rt_wakep();
            acted = true;
        }
        if (p->stuck || now - p->sm_since < RT_PREEMPT_NS)
            continue;
        p->sm_since = now;
        if (!p->sm_asked)
            p->sm_asked = now;
        atomic_store_explicit(&p->preempt_req, 1, memory_order_relaxed);
        atomic_store_explicit(&goc__preempt_line.pending, 1, memory_order_relaxed);
        acted = true;
    }
    if (nstuck || rt_nallp() > S.nprocs)
        acted |= balance_spares();
    return acted;
}

/* sysmon: runs the due timers of stuck and retired Ps, which no M of theirs
 * will run and other Ps run only when idle. */
static bool run_orphan_timers(void)
{
    bool acted = false;
    for (int i = 0, np = rt_nallp(); i < np; i++) {
        rt_p *p = &S.ps[i];
        int64_t t0 = atomic_load_explicit(&p->timer0_when, memory_order_acquire);
        if (!t0 || !(p->stuck || atomic_load(&p->status) == RT_P_RETIRED))
            continue;
        int64_t now = goc_nanotime();
        if (t0 <= now) {
            rt_timers_run(p, now, true);
            acted = true;
        }
    }
    return acted;
}

/*
 * GOC_DEBUG=schedtrace=MS: every MS milliseconds sysmon prints one line on
 * stderr, in the shape of Go's:
 *   SCHED 100ms: gomaxprocs=2 idleprocs=1 threads=4 spinningthreads=0
 *   stuckprocs=0 spareprocs=0 runqueue=0 goroutines=3 [0 1]
 * threads: the workers made so far (spares included) and sysmon;
 * stuckprocs: Ps whose thread is in a blocking C call; spareprocs: spare
 * Ps active now; runqueue: the global queue; then each active P's queue
 * (ring plus runnext).
 */
static void schedtrace(int64_t now)
{
    static int64_t start, next;
    if (!start)
        start = next = now;
    if (now < next)
        return;
    next = now + S.schedtrace_ms * 1000000;
    char line[4096];
    int np = rt_nallp(), spares = atomic_load(&S.nactive) - S.nprocs;
    int n = snprintf(line, sizeof line,
                     "SCHED %lldms: gomaxprocs=%d idleprocs=%d threads=%d spinningthreads=%d "
                     "stuckprocs=%d spareprocs=%d runqueue=%d goroutines=%d [",
                     (long long)((now - start) / 1000000), S.nprocs, atomic_load(&S.npidle),
                     np + 1, atomic_load(&S.nmspinning), nstuck, spares > 0 ? spares : 0,
                     atomic_load(&S.runq_size), rt_ngoroutines());
    for (int i = 0, first = 1; i < np && n < (int)sizeof line - 32; i++) {
        rt_p *p = &S.ps[i];
        if (atomic_load(&p->status) == RT_P_RETIRED)
            continue;
        uint32_t len = atomic_load(&p->runq_tail) - atomic_load(&p->runq_head) +
                       (atomic_load(&p->runnext) != NULL);
        n += snprintf(line + n, sizeof line - (size_t)n, "%s%u", first ? "" : " ", len);
        first = 0;
    }
    snprintf(line + n, sizeof line - (size_t)n, "]\n");
    fputs(line, stderr);
}

/* sysmon: polls when no M has for 10 ms (every M busy) and hands what
 * it finds to the global queue. */
static bool sysmon_netpoll(void)
{
    if (!rt_netpoll_interest() || atomic_load(&rt_netpoll_owner) ||
        goc_nanotime() - rt_netpoll_last() < 10 * 1000 * 1000)
        return false;
    int n;
    rt_g *list = rt_netpoll(0, &n);
    if (!list)
        return false;
    globrunq_put_list(list, n);
    rt_wakep();
    return true;
}

static void *sysmon_main(void *arg)
{
    int64_t delay = 20 * 1000;
    bool stacks = false;
    for (;;) {
        if (atomic_load(&S.npidle) == atomic_load(&S.nactive)) {
            atomic_store(&sysmon_sleeping, 1);
            if (S.schedtrace_ms > 0)
                schedtrace(goc_nanotime());
            if (atomic_load(&S.npidle) == atomic_load(&S.nactive))
                rt_futex_wait(&sysmon_sleeping, 1,
                              S.schedtrace_ms > 0 ? S.schedtrace_ms * 1000000 : -1);
            atomic_store(&sysmon_sleeping, 0);
            delay = 20 * 1000;
            continue;
        }
        if (!stacks && !atomic_exchange_explicit(&sysmon_kicked, 0, memory_order_acquire))
            rt_futex_wait(&sysmon_kicked, 0, delay);
        /* One slab of stacks per round, without sleeping while there is
         * more: a burst of spawns must not hold off preemption. */
        stacks = rt_stack_prepare_one();
        bool acted = stacks;
        if (retake(goc_nanotime()))
            acted = true;
        if (run_orphan_timers())
            acted = true;
        if (sysmon_netpoll())
            acted = true;
        for (int i = 0, np = rt_nallp(); i < np; i++) {
            rt_p *p = &S.ps[i];
            if (atomic_load_explicit(&p->status, memory_order_relaxed) == RT_P_RUNNING &&
                !runq_empty(p) &&
                atomic_load(&S.npidle) > 0 && atomic_load(&S.nmspinning) == 0) {
                rt_wakep();
                acted = true;
            }
        }
        delay = acted ? 20 * 1000 : (delay * 2 > 10 * 1000 * 1000 ? 10 * 1000 * 1000 : delay * 2);
        if (ncandidates && delay > 1000 * 1000)
            delay = 1000 * 1000;   /* a P may be stuck: judge it soon */
        if (S.schedtrace_ms > 0) {
            schedtrace(goc_nanotime());
            if (delay > S.schedtrace_ms * 1000000)
                delay = S.schedtrace_ms * 1000000;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* Deadlock detection and dumps                                           */
/* ---------------------------------------------------------------------- */

static const char *status_name(rt_g *g)
{
    switch (atomic_load_explicit(&g->status, memory_order_relaxed)) {
    case RT_G_RUNNABLE: return "runnable";
    case RT_G_RUNNING: return "running";
    case RT_G_WAITING: return g->wait_reason ? g->wait_reason : "waiting";
    case RT_G_DEAD: return "dead";
    default: return "idle";
    }
}

static void dump_one(rt_g *g, void *arg)
{
    uint32_t st = atomic_load_explicit(&g->status, memory_order_relaxed);
    if (st == RT_G_IDLE || st == RT_G_DEAD)
        return;
    fprintf(stderr, "goroutine %lld [%s]:\n", (long long)g->id, status_name(g));
    if (g->wait_on && atomic_load_explicit(&g->status, memory_order_relaxed) == RT_G_WAITING)
        fprintf(stderr, "\twaiting on %p\n", g->wait_on);
    if (g->parent_id)
        fprintf(stderr, "created by goroutine %lld at %s:%d\n\n", (long long)g->parent_id,
                g->created_file ? g->created_file : "?", g->created_line);
    else
        fprintf(stderr, "created at %s:%d\n\n", g->created_file ? g->created_file : "?",
                g->created_line);
}

void rt_for_each_g(void (*fn)(rt_g *, void *), void *arg)
{
    for (rt_g *g = S.allg; g; g = g->allnext)
        fn(g, arg);
}

static int by_goid(const void *a, const void *b)
{
    int64_t x = (*(rt_g *const *)a)->id, y = (*(rt_g *const *)b)->id;
    return x < y ? -1 : x > y;
}

/* In goroutine id order, as Go lists them: goroutine 1 leads (allg holds
 * G structs in the order they were first made, and they are reused).  In
 * list order if there is no memory to sort. */
void rt_dump_goroutines(void)
{
    rt_lock_acquire(&S.allg_lock);
    size_t n = 0, k = 0;
    for (rt_g *g = S.allg; g; g = g->allnext)
        n++;
    rt_g **all = malloc(n * sizeof *all + 1);
    if (all) {
        for (rt_g *g = S.allg; g; g = g->allnext)
            all[k++] = g;
        qsort(all, n, sizeof *all, by_goid);
        for (k = 0; k < n; k++)
            dump_one(all[k], NULL);
        free(all);
    } else {
        rt_for_each_g(dump_one, NULL);
    }
    rt_lock_release(&S.allg_lock);
}

/* Everything that moves when any goroutine is scheduled, spawned or
 * waited for; check_dead compares it across a short pause. */
static uint64_t progress_signature(void)
{
    uint64_t sig = (uint64_t)atomic_load(&S.goid_gen) +
                   ((uint64_t)atomic_load(&nrunwaiters) << 40);
    for (int i = 0, np = rt_nallp(); i < np; i++)
        sig += atomic_load_explicit(&S.ps[i].fairtick, memory_order_relaxed);
    return sig;
}

/* Caller holds sched.lock. */
static bool looks_dead(void)
{
    bool dead = atomic_load(&S.npidle) == atomic_load(&S.nactive) && atomic_load(&S.runq_size) == 0 &&
                earliest_timer() == 0 && rt_ngoroutines() > 0 &&
                atomic_load(&nrunwaiters) > 0 && atomic_load(&S.nblocking) == 0;
    for (int i = 0, np = rt_nallp(); dead && i < np; i++)
        dead = runq_empty(&S.ps[i]);
    return dead;
}

/* A deadlock is permanent, so it is reported only if it still holds,
 * with no scheduling progress anywhere, after a 10 ms pause: that rules
 * out the windows in which a goroutine is between queues. */
static void check_dead(void)
{
    if (atomic_load(&S.npidle) != atomic_load(&S.nactive) || atomic_load(&nrunwaiters) == 0 ||
        atomic_load(&S.nblocking) != 0 || rt_ngoroutines() == 0)
        return;
    rt_lock_acquire(&S.lock);
    bool dead = looks_dead();
    rt_lock_release(&S.lock);
    if (!dead)
        return;
    uint64_t before = progress_signature();
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    rt_runtime_wait_begin();             /* not a blocking C call (sysmon) */
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;                                /* the collector's stop signal */
    rt_runtime_wait_end();
    rt_lock_acquire(&S.lock);
    if (!looks_dead() || progress_signature() != before) {
        rt_lock_release(&S.lock);
        return;
    }
    fflush(stdout);
    fputs("fatal error: all goroutines are asleep - deadlock!\n\n", stderr);
    rt_dump_goroutines();
    rt_trace_flush();
    fflush(stderr);
    _exit(2);
}

static void on_sigquit(int sig)
{
    fflush(stdout);
    fputs("SIGQUIT: quit\n\n", stderr);
    rt_dump_goroutines();
    rt_trace_flush();
    fflush(stderr);
    _exit(2);
}

/* ---------------------------------------------------------------------- */
/* Start-up and entry points                                              */
/* ---------------------------------------------------------------------- */

static int default_procs(void)
{
    const char *env = getenv("GOC_MAXPROCS");
    if (env && atoi(env) > 0)
        return atoi(env);
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void start_thread(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 8u << 20);
    if (pthread_create(&t, &attr, fn, arg) != 0)
        rt_fatal("cannot create worker thread");
    pthread_attr_destroy(&attr);
}

/* Pairs ps[i] with ms[i]; the P starts running (its M is about to). */
static void init_pm(int i)
{
    rt_p *p = &S.ps[i];
    rt_m *m = &S.ms[i];
    p->id = m->id = i;
    p->m = m;
    m->p = p;
    m->rand_state = (uint64_t)goc_nanotime() ^ (uint64_t)getpid() << 32 ^
                    (uint64_t)i * 0x9e3779b97f4a7c15ULL;
    atomic_store(&p->status, RT_P_RUNNING);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_once_fn(void)
{
    S.nprocs = default_procs();
    rt_stack_init();
    const char *dbg = getenv("GOC_DEBUG");
    const char *st = dbg ? strstr(dbg, "schedtrace=") : NULL;
    if (st)
        S.schedtrace_ms = atoll(st + 11);
    rt_trace_init();
    rt_process_fence_init();
    /* Room for the spares too, committed by the kernel only when used;
     * never moved, so loops may read S.ps without a lock. */
    S.maxp = S.nprocs + RT_MAX_SPARE;
    S.ps = mmap(NULL, sizeof(rt_p) * (size_t)S.maxp, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    S.ms = mmap(NULL, sizeof(rt_m) * (size_t)S.maxp, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (S.ps == MAP_FAILED || S.ms == MAP_FAILED)
        rt_fatal("out of memory");
    for (int i = 0; i < S.nprocs; i++)
        init_pm(i);
    atomic_store(&S.nallp, S.nprocs);
    atomic_store(&S.nactive, S.nprocs);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigquit;
    sigaction(SIGQUIT, &sa, NULL);
    atomic_store_explicit(&S.started, true, memory_order_release);
    for (int i = 0; i < S.nprocs; i++)
        start_thread(worker_main, &S.ms[i]);
    start_thread(sysmon_main, NULL);
}

void rt_init(void)
{
    pthread_once(&init_once, init_once_fn);
}

/* Spawns a goroutine that a non-goroutine thread will wait for.  While it
 * is being queued, nblocking keeps check_dead from reporting the other,
 * blocked goroutines as a deadlock: from then on it is in a run queue. */
static void start_waited(void (*fn)(void *), void *arg, const char *what, size_t stack)
{
    atomic_fetch_add(&S.nblocking, 1);
    atomic_fetch_add(&nrunwaiters, 1);
    spawn_env(fn, arg, 0, what, 0, stack);
    atomic_fetch_sub(&S.nblocking, 1);
    /* Every M may have gone idle while nblocking held them off. */
    check_dead();
}

struct main_args {
    int (*fn)(int, char **);
    int argc;
    char **argv;
};

static void main_goroutine(void *arg)
{
    struct main_args *a = arg;
    int status = a->fn(a->argc, a->argv);
    exit(status);
}

int goc_main(int (*main_fn)(int, char **), int argc, char **argv)
{
    static struct main_args args;
    args.fn = main_fn;
    args.argc = argc;
    args.argv = argv;
    rt_init();
    size_t stack = S.stack_size > (8u << 20) ? S.stack_size : (8u << 20);
    start_waited(main_goroutine, &args, "main", stack);
    for (;;)
        pause();
}

struct run_args {
    int (*fn)(void *);
    void *arg;
    int result;
    _Atomic uint32_t done;
};

static void run_goroutine(void *arg)
{
    struct run_args *a = arg;
    a->result = a->fn(a->arg);
    atomic_fetch_sub(&nrunwaiters, 1);   /* before done: see check_dead */
    atomic_store_explicit(&a->done, 1, memory_order_release);
    rt_futex_wake(&a->done, 1);
}

int goc_run(int (*fn)(void *), void *arg)
{
    rt_init();
    if (goc_goid() != 0)
        rt_fatal("goc_run called from a goroutine");
    struct run_args a = { fn, arg, 0, 0 };
    start_waited(run_goroutine, &a, "goc_run", 0);
    while (atomic_load_explicit(&a.done, memory_order_acquire) == 0)
        rt_futex_wait(&a.done, 0, -1);
    return a.result;
}
