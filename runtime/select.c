/*
 * select.c — Go's select over any number of channel cases.
 *
 * The algorithm is Go's (runtime/select.go):
 *
 *   pass 0  Pick a random poll order (Fisher-Yates over the non-nil cases) and
 *           a lock order (the same cases sorted by channel address, so two
 *           selects over the same channels never lock them in opposite
 *           orders).  Lock every channel, each once.
 *   pass 1  Walk the poll order; the first case that can proceed now wins.
 *           Because the order is a uniformly random permutation, every ready
 *           case is equally likely.  With none ready: default, if present.
 *   pass 2  Enqueue one waiter per case on its channel, all with is_select
 *           set and pointing at this goroutine, and park; the channels are
 *           unlocked only after the goroutine's context is saved.
 *           Buffered channels' queues are served once more after the
 *           waiters are queued, because their fast paths run without the
 *           lock (chan.c): that may complete one of ours.
 *   pass 3  A partner that wants one of the waiters must first win
 *           g->select_done (0 -> 1) with a CAS, so exactly one case fires; it
 *           records its waiter in g->select_winner and does the transfer
 *           (on a buffered channel: from or into the ring, chan.c).  Woken,
 *           the goroutine relocks everything and removes its other waiters
 *           from their queues.
 *
 * Careful: the unlock callback of pass 2 runs on another stack while this
 * goroutine may already have been readied by a partner; it must not touch
 * the select's state after its last unlock (see select_unlock_cb).
 *
 * Known to the translator: `select { ... }` lowers to goc_select with cases
 * in source order; the returned index picks the case body (-1: default).
 */
#include "chan.h"

#include <stdlib.h>
#include <string.h>

enum { SMALL = 16 };

typedef struct sel_state {
    goc_chan **lockorder;   /* sorted channels, duplicates kept adjacent */
    int nlock;
} sel_state;

static int cmp_address(const void *x, const void *y)
{
    uintptr_t a = (uintptr_t)*(goc_chan *const *)x, b = (uintptr_t)*(goc_chan *const *)y;
    return a < b ? -1 : a > b;
}

static void sort_by_address(goc_chan **a, int n)
{
    if (n > 32) {
        qsort(a, (size_t)n, sizeof *a, cmp_address);
        return;
    }
    for (int i = 1; i < n; i++) {
        goc_chan *x = a[i];
        int j = i - 1;
        for (; j >= 0 && (uintptr_t)a[j] > (uintptr_t)x; j--)
            a[j + 1] = a[j];
        a[j + 1] = x;
    }
}

static void lock_all(sel_state *s)
{
    for (int i = 0; i < s->nlock; i++)
        if (i == 0 || s->lockorder[i] != s->lockorder[i - 1])
            rt_lock_acquire(&s->lockorder[i]->lock);
}

static void unlock_all(goc_chan **order, int n)
{
    /* Reverse order; the last access to `order` precedes the last unlock. */
    for (int i = n - 1; i >= 0; i--) {
        goc_chan *c = order[i];
        if (i == 0 || order[i - 1] != c)
            rt_lock_release(&c->lock);
    }
}

static void select_unlock_cb(rt_g *g, void *arg)
{
    sel_state *s = arg;
    goc_chan **order = s->lockorder;
    int n = s->nlock;
    unlock_all(order, n);   /* touches nothing of s after the last unlock */
}

/* pass 1, with every channel locked: performs the first case in poll order
 * that can proceed and returns its index (-1: none).  Goroutines that this
 * completed join l, to be readied once the channels are unlocked. */
static int poll_cases(goc_select_case *cases, const int *pollorder, int npoll,
                      sel_state *s, rt_wakelist *l)
{
    for (int k = 0; k < npoll; k++) {
        int i = pollorder[k];
        goc_select_case *cs = &cases[i];
        int r;
        if (cs->dir == GOC_SELECT_SEND) {
            r = rt_chan_try_send_locked(cs->chan, cs->elem, l);
            if (r == RT_CHAN_CLOSED) {
                unlock_all(s->lockorder, s->nlock);
                rt_wake_all(l);
                rt_panic("send on closed channel");
            }
        } else {
            r = rt_chan_try_recv_locked(cs->chan, cs->elem, &cs->ok, l);
        }
        if (r != RT_CHAN_BLOCK)
            return i;
    }
    return -1;
}

static rt_waitq *queue_of(goc_chan *c, int dir)
{
    return dir == GOC_SELECT_SEND ? &c->sendq : &c->recvq;
}

static void remove_waiters(goc_select_case *cases, rt_waiter *ws, int npoll, rt_waiter *keep)
{
    for (int k = 0; k < npoll; k++) {
        if (&ws[k] == keep)
            continue;
        goc_select_case *cs = &cases[ws[k].case_index];
        rt_waitq_remove(queue_of(cs->chan, cs->dir), &ws[k]);
    }
}

/* The case whose waiter won: a send that a close woke panics. */
static int finish(goc_select_case *cases, rt_waiter *win)
{
    goc_select_case *cs = &cases[win->case_index];
    if (cs->dir == GOC_SELECT_SEND) {
        if (!win->success)
            rt_panic("send on closed channel");
    } else {
        cs->ok = win->success;
    }
    return win->case_index;
}

/* passes 2 and 3.  Returns the index of the case that fired.  Called with
 * every channel locked; returns with them unlocked. */
static int wait_cases(goc_select_case *cases, const int *pollorder, int npoll,
                      sel_state *s, rt_waiter *ws)
{
    rt_g *g = rt_needg("select");
    atomic_store_explicit(&g->select_done, 0, memory_order_relaxed);
    g->select_winner = NULL;
    bool any_buffered = false;
    for (int k = 0; k < npoll; k++) {
        int i = pollorder[k];
        goc_chan *c = cases[i].chan;
        ws[k] = (rt_waiter){ .g = g, .elem = cases[i].elem, .c = c,
                             .case_index = i, .is_select = true };
        rt_waitq_push(queue_of(c, cases[i].dir), &ws[k]);
        any_buffered |= c->cap != 0;
    }
    if (any_buffered) {
        /* The second look at buffered channels, now that our waiters are
         * seen (chan.c, Dekker): serving their queues in poll order may
         * complete one of ours.  Nobody else can: we hold every lock. */
        rt_wakelist l = { NULL, NULL };
        for (int k = 0; k < npoll; k++)
            rt_chan_serve_locked(cases[pollorder[k]].chan, &l, g);
        rt_waiter *win = g->select_winner;
        if (win) {
            remove_waiters(cases, ws, npoll, win);
            unlock_all(s->lockorder, s->nlock);
            rt_wake_all(&l);
            return finish(cases, win);
        }
        rt_wake_all(&l);   /* now: the locks are let go only in rt_park */
    }
    rt_park(select_unlock_cb, s, "select", NULL);

    lock_all(s);
    rt_waiter *win = g->select_winner;
    remove_waiters(cases, ws, npoll, win);
    unlock_all(s->lockorder, s->nlock);
    if (!win)
        rt_throw("select woke without a winner");
    return finish(cases, win);
}

int goc_select(goc_select_case *cases, int n, bool has_default)
{
    int small_poll[SMALL];
    goc_chan *small_lock[SMALL];
    rt_waiter small_w[SMALL];
    int *pollorder = small_poll;
    goc_chan **lockorder = small_lock;
    rt_waiter *ws = small_w;
    if (n > SMALL) {
        pollorder = malloc(sizeof(int) * (size_t)n);
        lockorder = malloc(sizeof(goc_chan *) * (size_t)n);
        ws = malloc(sizeof(rt_waiter) * (size_t)n);
        if (!pollorder || !lockorder || !ws)
            rt_fatal("out of memory in select");
    }

    /* pass 0: random poll order over non-nil cases, then the lock order. */
    int npoll = 0;
    for (int i = 0; i < n; i++) {
        if (!cases[i].chan)
            continue;
        int j = (int)(rt_fastrand() % (uint32_t)(npoll + 1));
        pollorder[npoll] = pollorder[j];
        pollorder[j] = i;
        npoll++;
    }
    for (int k = 0; k < npoll; k++)
        lockorder[k] = cases[pollorder[k]].chan;
    sort_by_address(lockorder, npoll);
    sel_state s = { lockorder, npoll };

    int chosen;
    if (npoll == 0) {
        if (has_default) {
            chosen = -1;
            goto out;
        }
        /* Go's words: `select {}` has no cases; a single case on a nil
         * channel is that operation (Go compiles it to one); otherwise
         * every channel is nil. */
        const char *reason = n == 0 ? "select (no cases)"
                           : n > 1 ? "select"
                           : cases[0].dir == GOC_SELECT_SEND ? "chan send (nil chan)"
                                                             : "chan receive (nil chan)";
        rt_needg("select");
        rt_park(NULL, NULL, reason, NULL);
        rt_throw("unreachable: woke from an empty select");
    }
    rt_wakelist l = { NULL, NULL };
    lock_all(&s);
    chosen = poll_cases(cases, pollorder, npoll, &s, &l);
    if (chosen >= 0 || has_default) {
        unlock_all(lockorder, npoll);
        rt_wake_all(&l);
    } else {
        rt_wake_all(&l);   /* served while polling; the locks stay held */
        chosen = wait_cases(cases, pollorder, npoll, &s, ws);
    }
out:
    if (n > SMALL) {
        free(pollorder);
        free(lockorder);
        free(ws);
    }
    return chosen;
}
