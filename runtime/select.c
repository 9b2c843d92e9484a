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
 *   pass 3  A partner that wants one of the waiters must first win
 *           g->select_done (0 -> 1) with a CAS, so exactly one case fires; it
 *           records its waiter in g->select_winner and does the transfer.
 *           Woken, the goroutine relocks everything and removes its other
 *           waiters from their queues.
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

/* pass 1: performs the first ready case in poll order; returns its index,
 * or -1.  On success all channels are unlocked and the partner readied. */
static int poll_cases(goc_select_case *cases, const int *pollorder, int npoll,
                      sel_state *s)
{
    for (int k = 0; k < npoll; k++) {
        int i = pollorder[k];
        goc_select_case *cs = &cases[i];
        goc_chan *c = cs->chan;
        rt_waiter *w = NULL;
        if (cs->dir == GOC_SELECT_SEND) {
            if (c->closed) {
                unlock_all(s->lockorder, s->nlock);
                rt_panic("send on closed channel");
            }
            if ((w = rt_waitq_pop(&c->recvq_head, &c->recvq_tail)))
                rt_chan_send_direct(c, w, cs->elem);
            else if (c->count < c->cap)
                rt_chan_buf_put(c, cs->elem);
            else
                continue;
        } else {
            if ((w = rt_waitq_pop(&c->sendq_head, &c->sendq_tail))) {
                rt_chan_recv_direct(c, w, cs->elem);
                cs->ok = true;
            } else if (c->count > 0) {
                rt_chan_buf_take(c, cs->elem);
                cs->ok = true;
            } else if (c->closed) {
                if (cs->elem)
                    memset(cs->elem, 0, c->elem_size);
                cs->ok = false;
            } else {
                continue;
            }
        }
        unlock_all(s->lockorder, s->nlock);
        if (w)
            rt_ready(w->g);
        return i;
    }
    return -1;
}

static rt_waiter **queue_head(goc_chan *c, int dir)
{
    return dir == GOC_SELECT_SEND ? &c->sendq_head : &c->recvq_head;
}

static rt_waiter **queue_tail(goc_chan *c, int dir)
{
    return dir == GOC_SELECT_SEND ? &c->sendq_tail : &c->recvq_tail;
}

/* passes 2 and 3; returns the index of the case that fired. */
static int wait_cases(goc_select_case *cases, const int *pollorder, int npoll,
                      sel_state *s, rt_waiter *ws)
{
    rt_g *g = rt_needg("select");
    atomic_store_explicit(&g->select_done, 0, memory_order_relaxed);
    g->select_winner = NULL;
    for (int k = 0; k < npoll; k++) {
        int i = pollorder[k];
        goc_chan *c = cases[i].chan;
        ws[k] = (rt_waiter){ .g = g, .elem = cases[i].elem, .c = c,
                             .case_index = i, .is_select = true };
        rt_waitq_push(queue_head(c, cases[i].dir), queue_tail(c, cases[i].dir), &ws[k]);
    }
    rt_park(select_unlock_cb, s, "select", NULL);

    lock_all(s);
    rt_waiter *win = g->select_winner;
    for (int k = 0; k < npoll; k++) {
        if (&ws[k] == win)
            continue;
        goc_select_case *cs = &cases[ws[k].case_index];
        rt_waitq_remove(queue_head(cs->chan, cs->dir), queue_tail(cs->chan, cs->dir), &ws[k]);
    }
    unlock_all(s->lockorder, s->nlock);
    if (!win)
        rt_throw("select woke without a winner");
    goc_select_case *cs = &cases[win->case_index];
    if (cs->dir == GOC_SELECT_SEND) {
        if (!win->success)
            rt_panic("send on closed channel");
    } else {
        cs->ok = win->success;
    }
    return win->case_index;
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
        rt_needg("select");
        rt_park(NULL, NULL, "select (no cases)", NULL);
        rt_throw("unreachable: woke from an empty select");
    }
    lock_all(&s);
    chosen = poll_cases(cases, pollorder, npoll, &s);
    if (chosen < 0) {
        if (has_default)
            unlock_all(lockorder, npoll);
        else
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
