/*
 * timer.c — timers in per-P heaps, and the time API built on them (sleep,
 * goc_timer, goc_after, goc_ticker).
 *
 * Each P keeps a binary min-heap of pending rt_timers under its timer_lock
 * and publishes the earliest deadline in p->timer0_when.  No thread exists
 * per timer: the P's M runs due timers when it schedules (rt_park sends it
 * through g0 when timer0_when has passed), idle spinning Ms run other Ps' due
 * timers while stealing, and a sleeping M sets its futex timeout to the
 * earliest deadline of all Ps.  A new timer that becomes its heap's earliest
 * wakes an idle M (rt_timers_changed) so that a busy P's timers still fire
 * on time.
 *
 * A timer's function runs on an M's scheduler stack with no lock held; it
 * must not block.  Ours ready a goroutine (sleep), try-send the time on a
 * capacity-1 channel (timers, tickers, after) or spawn a goroutine
 * (after_func).
 *
 * Invariants (p->timer_lock): t->p == p iff t is in p's heap, at
 * p->timers[t->index]; p->timer0_when == p->timers[0]->when, or 0 if empty.
 */
#include "rt.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* The heap (caller holds p->timer_lock)                                  */
/* ---------------------------------------------------------------------- */

/* A timer's deadline is written by its owner while the timer is in no
 * heap and read under heap locks; relaxed atomics keep those accesses
 * well defined for the C memory model and ThreadSanitizer, which cannot
 * see every hand-off between a sleeping goroutine and the M that runs its
 * after-switch callback. */
static inline int64_t when_of(const rt_timer *t)
{
    return __atomic_load_n(&t->when, __ATOMIC_RELAXED);
}

static inline void set_when(rt_timer *t, int64_t when)
{
    __atomic_store_n(&t->when, when, __ATOMIC_RELAXED);
}

static void heap_set(rt_p *p, int i, rt_timer *t)
{
    p->timers[i] = t;
    t->index = i;
}

static void sift_up(rt_p *p, int i)
{
    rt_timer *t = p->timers[i];
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (when_of(p->timers[parent]) <= when_of(t))
            break;
        heap_set(p, i, p->timers[parent]);
        i = parent;
    }
    heap_set(p, i, t);
}

static void sift_down(rt_p *p, int i)
{
    rt_timer *t = p->timers[i];
    int n = p->ntimers;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && when_of(p->timers[c + 1]) < when_of(p->timers[c]))
            c++;
        if (when_of(t) <= when_of(p->timers[c]))
            break;
        heap_set(p, i, p->timers[c]);
        i = c;
    }
    heap_set(p, i, t);
}

static void publish_min(rt_p *p)
{
    atomic_store_explicit(&p->timer0_when, p->ntimers ? when_of(p->timers[0]) : 0,
                          memory_order_release);
}

static void heap_push(rt_p *p, rt_timer *t)
{
    if (p->ntimers == p->timers_cap) {
        int cap = p->timers_cap ? p->timers_cap * 2 : 64;
        rt_timer **a = realloc(p->timers, sizeof *a * (size_t)cap);
        if (!a)
            rt_fatal("out of memory growing a timer heap");
        p->timers = a;
        p->timers_cap = cap;
    }
    __atomic_store_n(&t->p, p, __ATOMIC_RELEASE);
    heap_set(p, p->ntimers++, t);
    sift_up(p, t->index);
}

static void heap_remove(rt_p *p, rt_timer *t)
{
    int i = t->index;
    rt_timer *last = p->timers[--p->ntimers];
    __atomic_store_n(&t->p, NULL, __ATOMIC_RELEASE);
    if (i == p->ntimers)
        return;
    heap_set(p, i, last);
    sift_up(p, i);
    sift_down(p, last->index);
}

/* ---------------------------------------------------------------------- */
/* Runtime timers                                                         */
/* ---------------------------------------------------------------------- */

static rt_p *current_p(void)
{
    rt_m *m = rt_getm();
    if (m && m->p)
        return m->p;
    if (!atomic_load_explicit(&rt_sched_state.started, memory_order_acquire))
        rt_init();
    return &rt_sched_state.ps[0];
}

void rt_timer_start(rt_timer *t)
{
    rt_p *p = current_p();
    rt_lock_acquire(&p->timer_lock);
    heap_push(p, t);
    bool first = t->index == 0;
    publish_min(p);
    rt_lock_release(&p->timer_lock);
    if (first)
        rt_timers_changed(when_of(t));
}

bool rt_timer_stop(rt_timer *t)
{
    for (;;) {
        rt_p *p = __atomic_load_n(&t->p, __ATOMIC_ACQUIRE);
        if (!p)
            return false;
        rt_lock_acquire(&p->timer_lock);
        if (__atomic_load_n(&t->p, __ATOMIC_RELAXED) == p) {
            heap_remove(p, t);
            publish_min(p);
            rt_lock_release(&p->timer_lock);
            return true;
        }
        rt_lock_release(&p->timer_lock);   /* moved or fired meanwhile */
    }
}

int64_t rt_timers_run(rt_p *p, int64_t now, bool try_only)
{
    if (try_only) {
        uint32_t zero = 0;
        if (!atomic_compare_exchange_strong_explicit(&p->timer_lock.state, &zero, 1,
                memory_order_acquire, memory_order_relaxed))
            return atomic_load_explicit(&p->timer0_when, memory_order_relaxed);
    } else {
        rt_lock_acquire(&p->timer_lock);
    }
    while (p->ntimers && when_of(p->timers[0]) <= now) {
        rt_timer *t = p->timers[0];
        if (t->period > 0) {
            /* Tickers: the next multiple of period after now (missed ticks
             * are dropped, as Go's tickers drop them). */
            set_when(t, when_of(t) + t->period * (1 + (now - when_of(t)) / t->period));
            sift_down(p, 0);
        } else {
            heap_remove(p, t);
        }
        publish_min(p);
        void (*f)(void *, int64_t) = t->f;
        void *arg = t->arg;
        rt_lock_release(&p->timer_lock);
        f(arg, now);
        rt_lock_acquire(&p->timer_lock);
    }
    int64_t next = p->ntimers ? when_of(p->timers[0]) : 0;
    rt_lock_release(&p->timer_lock);
    return next;
}

/* ---------------------------------------------------------------------- */
/* sleep                                                                  */
/* ---------------------------------------------------------------------- */

static void sleep_wake(void *arg, int64_t now)
{
    rt_ready(arg);
}

static void sleep_start(rt_g *g, void *arg)
{
    rt_timer_start(arg);
}

void goc_sleep(int64_t d)
{
    rt_g *g = rt_needg("goc_sleep");
    if (d <= 0) {
        goc_yield();
        return;
    }
    rt_timer *t = g->timer;
    if (!t) {
        t = calloc(1, sizeof *t);
        if (!t)
            rt_fatal("out of memory");
        g->timer = t;   /* kept with the G across reuse */
    }
    set_when(t, goc_nanotime() + d);
    t->period = 0;
    t->f = sleep_wake;
    t->arg = g;
    /* Start the timer only once this G is parked, or it could be readied
     * before it has stopped running. */
    rt_park(sleep_start, t, "sleep", NULL);
}

/* ---------------------------------------------------------------------- */
/* goc_timer, goc_after, goc_ticker                                       */
/* ---------------------------------------------------------------------- */

struct goc_timer {
    rt_timer t;
    goc_chan *c;
    void (*fn)(void *);
    void *fn_arg;
};

struct goc_ticker {
    rt_timer t;
    goc_chan *c;
};

static void send_time(void *arg, int64_t now)
{
    goc_chan_try_send(arg, &now);   /* capacity 1: a slow reader misses ticks */
}

static void go_func(void *arg, int64_t now)
{
    struct goc_timer *tm = arg;
    rt_spawn(tm->fn, tm->fn_arg, "goc_timer_after_func", 0);
}

static struct goc_timer *timer_alloc(int64_t d)
{
    struct goc_timer *tm = calloc(1, sizeof *tm);
    if (!tm)
        rt_fatal("out of memory");
    set_when(&tm->t, goc_nanotime() + (d > 0 ? d : 0));
    return tm;
}

goc_timer *goc_timer_new(int64_t d)
{
    struct goc_timer *tm = timer_alloc(d);
    tm->c = goc_chan_make(sizeof(int64_t), 1);
    tm->t.f = send_time;
    tm->t.arg = tm->c;
    rt_timer_start(&tm->t);
    return tm;
}

goc_timer *goc_timer_after_func(int64_t d, void (*fn)(void *), void *arg)
{
    struct goc_timer *tm = timer_alloc(d);
    tm->fn = fn;
    tm->fn_arg = arg;
    tm->t.f = go_func;
    tm->t.arg = tm;
    rt_timer_start(&tm->t);
    return tm;
}

goc_chan *goc_timer_chan(goc_timer *t)
{
    return t->c;
}

bool goc_timer_stop(goc_timer *t)
{
    return rt_timer_stop(&t->t);
}

bool goc_timer_reset(goc_timer *t, int64_t d)
{
    bool was = rt_timer_stop(&t->t);
    set_when(&t->t, goc_nanotime() + (d > 0 ? d : 0));
    rt_timer_start(&t->t);
    return was;
}

goc_chan *goc_after(int64_t d)
{
    return goc_timer_chan(goc_timer_new(d));
}

goc_ticker *goc_ticker_new(int64_t d)
{
    if (d <= 0)
        rt_panic("non-positive interval for NewTicker");
    struct goc_ticker *tk = calloc(1, sizeof *tk);
    if (!tk)
        rt_fatal("out of memory");
    tk->c = goc_chan_make(sizeof(int64_t), 1);
    set_when(&tk->t, goc_nanotime() + d);
    tk->t.period = d;
    tk->t.f = send_time;
    tk->t.arg = tk->c;
    rt_timer_start(&tk->t);
    return tk;
}

goc_chan *goc_ticker_chan(goc_ticker *t)
{
    return t->c;
}

void goc_ticker_stop(goc_ticker *t)
{
    rt_timer_stop(&t->t);
}

void goc_ticker_reset(goc_ticker *t, int64_t d)
{
    if (d <= 0)
        rt_panic("non-positive interval for Ticker.Reset");
    rt_timer_stop(&t->t);
    set_when(&t->t, goc_nanotime() + d);
    t->t.period = d;
    rt_timer_start(&t->t);
}
