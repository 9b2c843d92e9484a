/*
 * chan.h — what chan.c shares with select.c: the wait-queue operations and
 * the transfers.  All of them expect the caller to hold c->lock; after a
 * *_direct transfer the caller unlocks and readies the partner w->g.
 */
#ifndef GOC_RT_CHAN_H
#define GOC_RT_CHAN_H

#include "rt.h"

void rt_waitq_push(rt_waiter **head, rt_waiter **tail, rt_waiter *w) RT_HIDDEN;
void rt_waitq_remove(rt_waiter **head, rt_waiter **tail, rt_waiter *w) RT_HIDDEN;
rt_waiter *rt_waitq_pop(rt_waiter **head, rt_waiter **tail) RT_HIDDEN;

void rt_chan_send_direct(goc_chan *c, rt_waiter *w, const void *elem) RT_HIDDEN;
void rt_chan_recv_direct(goc_chan *c, rt_waiter *w, void *elem) RT_HIDDEN;
void rt_chan_buf_put(goc_chan *c, const void *elem) RT_HIDDEN;
void rt_chan_buf_take(goc_chan *c, void *elem) RT_HIDDEN;

#endif
