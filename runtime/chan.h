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

/* Buffered channels' ring: RT_CHAN_OK, RT_CHAN_BLOCK (full / empty) or
 * RT_CHAN_CLOSED (send: closed; receive: closed and drained). */
int rt_ring_send(goc_chan *c, const void *elem) RT_HIDDEN;
int rt_ring_recv(goc_chan *c, void *elem) RT_HIDDEN;

/* One send or receive attempt with c->lock held.  On RT_CHAN_OK, *wake is
 * a partner to rt_ready after unlocking (or NULL).  A receive from a closed,
 * drained channel returns RT_CHAN_CLOSED with *elem zeroed and *ok false. */
int rt_chan_try_send_locked(goc_chan *c, const void *elem, rt_waiter **wake) RT_HIDDEN;
int rt_chan_try_recv_locked(goc_chan *c, void *elem, bool *ok, rt_waiter **wake) RT_HIDDEN;

#endif
