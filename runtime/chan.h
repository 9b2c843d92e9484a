/*
 * chan.h — what chan.c shares with select.c: wait queues and the attempts
 * that never block.  Caller holds c->lock for all of them except the
 * rt_ring_* functions, which are lock-free.
 */
#ifndef GOC_RT_CHAN_H
#define GOC_RT_CHAN_H

#include "rt.h"

enum { RT_CHAN_OK, RT_CHAN_BLOCK, RT_CHAN_CLOSED };

void rt_waitq_push(rt_waitq *q, rt_waiter *w) RT_HIDDEN;
void rt_waitq_remove(rt_waitq *q, rt_waiter *w) RT_HIDDEN;
rt_waiter *rt_waitq_pop(rt_waitq *q) RT_HIDDEN;

/* Buffered channels' ring: RT_CHAN_OK, RT_CHAN_BLOCK (full / empty, or,
 * without locked, goroutines of that side wait) or RT_CHAN_CLOSED (send:
 * closed; receive: closed and drained).  locked: the caller holds c->lock. */
int rt_ring_send(goc_chan *c, const void *elem, bool locked) RT_HIDDEN;
int rt_ring_recv(goc_chan *c, void *elem, bool locked) RT_HIDDEN;

/* Waiters whose operation a lock holder completed, oldest first, linked
 * through next; readied by rt_wake_all after the channel is unlocked. */
typedef struct rt_wakelist {
    rt_waiter *head, *tail;
} rt_wakelist;
void rt_wake_all(rt_wakelist *l) RT_HIDDEN;

/* One send or receive attempt with c->lock held; the goroutines it
 * completes (a partner, parked goroutines served first) join l.  A
 * receive from a closed, drained channel returns RT_CHAN_CLOSED with
 * *elem zeroed and *ok false. */
int rt_chan_try_send_locked(goc_chan *c, const void *elem, rt_wakelist *l) RT_HIDDEN;
int rt_chan_try_recv_locked(goc_chan *c, void *elem, bool *ok, rt_wakelist *l) RT_HIDDEN;

/* Buffered c, locked: gives the ring's elements to parked receivers and
 * its free slots to parked senders, oldest first.  Waiters of self (the
 * caller's goroutine) complete but do not join l. */
void rt_chan_serve_locked(goc_chan *c, rt_wakelist *l, rt_g *self) RT_HIDDEN;

#endif
