/*
 * chan.c — channels with Go's semantics.
 *
 * A channel is a lock, a ring buffer of cap elements, and two FIFO queues of
 * parked goroutines (rt_waiter records that live on the parked goroutines'
 * stacks).  Invariants, under c->lock:
 *
 *   - At least one of recvq and sendq is empty.  (Unbuffered: a sender meets
 *     a parked receiver directly.  Buffered: receivers wait only while the
 *     buffer is empty, senders only while it is full.)
 *   - count > 0 implies recvq is empty; count < cap implies sendq is empty.
 *   - Once closed is set it stays set and sendq is empty.
 *
 * Direct hand-off: a sender that finds a parked receiver copies its value
 * straight into the receiver's destination and readies it; the value never
 * touches the buffer.  A receiver that finds a parked sender on a full
 * buffered channel takes the head of the buffer and moves the sender's
 * value to its tail, keeping FIFO order.
 *
 * Select waiters sit in the same queues with is_select set.  Whoever
 * dequeues one must win g->select_done (0 -> 1) first; a loser drops the
 * stale record and looks at the next one.  See select.c.
 *
 * The panics are Go's: "send on closed channel", "close of closed channel",
 * "close of nil channel", "makechan: size out of range".
 */
#include "chan.h"

#include <stdlib.h>
#include <string.h>

/* Copies one element; the sizes of scalars and pointers get a move. */
static inline void elem_copy(void *dst, const void *src, size_t size)
{
    switch (size) {
    case 8: memcpy(dst, src, 8); break;
    case 4: memcpy(dst, src, 4); break;
    default: memcpy(dst, src, size); break;
    }
}

static inline char *slot(goc_chan *c, uint64_t i)
{
    return c->buf + i * c->elem_size;
}

goc_chan *goc_chan_make(size_t elem_size, int64_t cap)
{
    if (cap < 0 || (elem_size && (uint64_t)cap > ((uint64_t)1 << 40) / elem_size))
        rt_panic("makechan: size out of range");
    size_t head = (sizeof(goc_chan) + 15) & ~(size_t)15;
    goc_chan *c = calloc(1, head + elem_size * (size_t)cap);
    if (!c)
        rt_fatal("out of memory allocating a channel");
    c->elem_size = elem_size;
    c->cap = (uint64_t)cap;
    c->buf = (char *)c + head;
    return c;
}

/* ---------------------------------------------------------------------- */
/* Wait queues (caller holds c->lock)                                     */
/* ---------------------------------------------------------------------- */

void rt_waitq_push(rt_waiter **head, rt_waiter **tail, rt_waiter *w)
{
    w->next = NULL;
    w->prev = *tail;
    if (*tail)
        (*tail)->next = w;
    else
        *head = w;
    *tail = w;
    w->queued = true;
}

void rt_waitq_remove(rt_waiter **head, rt_waiter **tail, rt_waiter *w)
{
    if (!w->queued)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        *head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        *tail = w->prev;
    w->next = w->prev = NULL;
    w->queued = false;
}

/* Pops the first waiter that can still be woken: plain ones always, select
 * ones only if this call wins their goroutine. */
rt_waiter *rt_waitq_pop(rt_waiter **head, rt_waiter **tail)
{
    for (;;) {
        rt_waiter *w = *head;
        if (!w)
            return NULL;
        rt_waitq_remove(head, tail, w);
        if (!w->is_select)
            return w;
        uint32_t zero = 0;
        if (atomic_compare_exchange_strong_explicit(&w->g->select_done, &zero, 1,
                memory_order_acq_rel, memory_order_relaxed)) {
            w->g->select_winner = w;
            return w;
        }
    }
}

/* ---------------------------------------------------------------------- */
/* The three transfers, shared with select.c                              */
/* ---------------------------------------------------------------------- */

/* A receiver w is parked: hand it elem.  The caller then unlocks and
 * readies w->g. */
void rt_chan_send_direct(goc_chan *c, rt_waiter *w, const void *elem)
{
    if (w->elem)
        elem_copy(w->elem, elem, c->elem_size);
    w->success = true;
}

/* A sender w is parked: take its value (through the buffer if buffered).
 * The caller then unlocks and readies w->g. */
void rt_chan_recv_direct(goc_chan *c, rt_waiter *w, void *elem)
{
    if (c->cap == 0) {
        if (elem)
            elem_copy(elem, w->elem, c->elem_size);
    } else {
        /* Full buffer: take the head, put the sender's value at the tail
         * (same slot, since the ring is full). */
        char *s = slot(c, c->recvx);
        if (elem)
            elem_copy(elem, s, c->elem_size);
        elem_copy(s, w->elem, c->elem_size);
        if (++c->recvx == c->cap)
            c->recvx = 0;
        c->sendx = c->recvx;
    }
    w->success = true;
}

void rt_chan_buf_put(goc_chan *c, const void *elem)
{
    elem_copy(slot(c, c->sendx), elem, c->elem_size);
    if (++c->sendx == c->cap)
        c->sendx = 0;
    c->count++;
}

void rt_chan_buf_take(goc_chan *c, void *elem)
{
    char *s = slot(c, c->recvx);
    if (elem)
        elem_copy(elem, s, c->elem_size);
    memset(s, 0, c->elem_size);
    if (++c->recvx == c->cap)
        c->recvx = 0;
    c->count--;
}

static void unlock_chan(rt_g *g, void *arg)
{
    rt_lock_release(&((goc_chan *)arg)->lock);
}

/* ---------------------------------------------------------------------- */
/* Send                                                                   */
/* ---------------------------------------------------------------------- */

static bool chan_send(goc_chan *c, const void *elem, bool block)
{
    if (!c) {
        if (!block)
            return false;
        rt_needg("channel send");
        rt_park(NULL, NULL, "chan send (nil chan)", NULL);
        rt_throw("unreachable: woke from a nil channel send");
    }
    rt_lock_acquire(&c->lock);
    if (c->closed) {
        rt_lock_release(&c->lock);
        rt_panic("send on closed channel");
    }
    rt_waiter *w = rt_waitq_pop(&c->recvq_head, &c->recvq_tail);
    if (w) {
        rt_chan_send_direct(c, w, elem);
        rt_lock_release(&c->lock);
        rt_ready(w->g);
        return true;
    }
    if (c->count < c->cap) {
        rt_chan_buf_put(c, elem);
        rt_lock_release(&c->lock);
        return true;
    }
    if (!block) {
        rt_lock_release(&c->lock);
        return false;
    }
    rt_waiter me = { .g = rt_needg("channel send"), .elem = (void *)elem, .c = c };
    rt_waitq_push(&c->sendq_head, &c->sendq_tail, &me);
    rt_park(unlock_chan, c, "chan send", c);
    if (!me.success)
        rt_panic("send on closed channel");
    return true;
}

void goc_chan_send(goc_chan *c, const void *elem)
{
    chan_send(c, elem, true);
}

bool goc_chan_try_send(goc_chan *c, const void *elem)
{
    return chan_send(c, elem, false);
}

/* ---------------------------------------------------------------------- */
/* Receive                                                                */
/* ---------------------------------------------------------------------- */

/* Returns whether a receive happened; *ok tells a value from a close. */
static bool chan_recv(goc_chan *c, void *elem, bool block, bool *ok)
{
    if (!c) {
        if (!block)
            return false;
        rt_needg("channel receive");
        rt_park(NULL, NULL, "chan receive (nil chan)", NULL);
        rt_throw("unreachable: woke from a nil channel receive");
    }
    rt_lock_acquire(&c->lock);
    if (c->closed && c->count == 0) {
        rt_lock_release(&c->lock);
        if (elem)
            memset(elem, 0, c->elem_size);
        *ok = false;
        return true;
    }
    rt_waiter *w = rt_waitq_pop(&c->sendq_head, &c->sendq_tail);
    if (w) {
        rt_chan_recv_direct(c, w, elem);
        rt_lock_release(&c->lock);
        rt_ready(w->g);
        *ok = true;
        return true;
    }
    if (c->count > 0) {
        rt_chan_buf_take(c, elem);
        rt_lock_release(&c->lock);
        *ok = true;
        return true;
    }
    if (!block) {
        rt_lock_release(&c->lock);
        return false;
    }
    rt_waiter me = { .g = rt_needg("channel receive"), .elem = elem, .c = c };
    rt_waitq_push(&c->recvq_head, &c->recvq_tail, &me);
    rt_park(unlock_chan, c, "chan receive", c);
    *ok = me.success;
    return true;
}

bool goc_chan_recv(goc_chan *c, void *elem)
{
    bool ok = false;
    chan_recv(c, elem, true, &ok);
    return ok;
}

bool goc_chan_try_recv(goc_chan *c, void *elem, bool *ok)
{
    bool dummy;
    return chan_recv(c, elem, false, ok ? ok : &dummy);
}

/* ---------------------------------------------------------------------- */
/* Close, len, cap                                                        */
/* ---------------------------------------------------------------------- */

void goc_chan_close(goc_chan *c)
{
    if (!c)
        rt_panic("close of nil channel");
    rt_lock_acquire(&c->lock);
    if (c->closed) {
        rt_lock_release(&c->lock);
        rt_panic("close of closed channel");
    }
    c->closed = 1;
    /* Collect every waiter first, ready them after unlocking. */
    rt_waiter *list = NULL, *w;
    while ((w = rt_waitq_pop(&c->recvq_head, &c->recvq_tail))) {
        if (w->elem)
            memset(w->elem, 0, c->elem_size);
        w->success = false;
        w->next = list;
        list = w;
    }
    while ((w = rt_waitq_pop(&c->sendq_head, &c->sendq_tail))) {
        w->success = false;
        w->next = list;
        list = w;
    }
    rt_lock_release(&c->lock);
    while (list) {
        w = list;
        list = w->next;   /* read before w's goroutine can run and return */
        rt_ready(w->g);
    }
}

int goc_chan_len(goc_chan *c)
{
    if (!c)
        return 0;
    rt_lock_acquire(&c->lock);
    int n = (int)c->count;
    rt_lock_release(&c->lock);
    return n;
}

int goc_chan_cap(goc_chan *c)
{
    return c ? (int)c->cap : 0;
}
