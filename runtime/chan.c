/*
 * chan.c — channels with Go's semantics.
 *
 * Two representations share one struct.
 *
 * Unbuffered channels are Go's: a lock and two FIFO queues of parked
 * goroutines (rt_waiter records living on the parked goroutines' stacks).
 * A sender that finds a parked receiver copies its value straight into the
 * receiver's destination and readies it (direct hand-off), and vice versa.
 * Invariant (c->lock): at least one of recvq and sendq is empty.
 *
 * Buffered channels keep their elements in a bounded lock-free ring
 * (after Vyukov's MPMC queue): every slot carries a sequence number; a
 * sender claims position p by CAS on c->enq when slot p's sequence is 2p,
 * writes the element and publishes 2p + 1; a receiver claims p by CAS on
 * c->deq when the sequence is 2p + 1, copies the element out and publishes
 * 2(p + cap), freeing the slot for the next lap.  (Vyukov's p / p + 1
 * encoding cannot tell full from free when cap is 1; doubling can.)  Senders contend only with
 * senders and receivers with receivers, each on its own cache line, so
 * producers and consumers on different cores do not serialise on a lock.
 * Closing sets RT_CHAN_CLOSED_BIT in c->enq: a sender's CAS then fails, so a
 * send either happened before the close or panics, and the number of
 * elements left for receivers to drain is fixed.
 *
 * Parking on a buffered channel (buffer empty, or full) uses the lock and
 * the queues.  The lost-wake-up argument is Dekker's, all operations
 * sequentially consistent: a receiver that finds the ring empty takes the
 * lock, increments recvq.len, then looks at the ring again; a sender
 * increments c->enq, then reads recvq.len.  Either the receiver's second
 * look sees the element (a claimed but unpublished slot counts: it spins
 * until the sender publishes, a few instructions later) or the sender sees
 * the waiter and wakes it.  Symmetrically for senders on a full ring.  A
 * woken waiter retries from the start rather than receiving a hand-off, so
 * another goroutine may take the element first; it then parks again.
 *
 * Select waiters sit in the same queues with is_select set.  Whoever
 * dequeues one must win g->select_done (0 -> 1) first; a loser drops the
 * stale record and looks at the next one.  See select.c.
 *
 * The panics are Go's: "send on closed channel", "close of closed channel",
 * "close of nil channel", "makechan: size out of range".
 */
#include "chan.h"

#include <sched.h>
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

goc_chan *goc_chan_make(size_t elem_size, int64_t cap)
{
    if (cap < 0 || (elem_size && (uint64_t)cap > ((uint64_t)1 << 40) / (elem_size + 8)))
        rt_panic("makechan: size out of range");
    size_t head = (sizeof(goc_chan) + RT_CACHELINE - 1) & ~(size_t)(RT_CACHELINE - 1);
    size_t slot = cap ? (sizeof(uint64_t) + elem_size + 7) & ~(size_t)7 : 0;
    size_t total = head + slot * (size_t)cap;
    total = (total + RT_CACHELINE - 1) & ~(size_t)(RT_CACHELINE - 1);
    /* On the collected heap (SPEC §8), cache-line aligned inside its block:
     * an interior pointer keeps the block alive. */
    char *block = goc_alloc(total + RT_CACHELINE - 16);
    goc_chan *c = (goc_chan *)(((uintptr_t)block + RT_CACHELINE - 1) &
                               ~(uintptr_t)(RT_CACHELINE - 1));
    c->elem_size = elem_size;
    c->cap = (uint64_t)cap;
    c->slot_size = slot;
    c->mask = cap && ((uint64_t)cap & ((uint64_t)cap - 1)) == 0 ? (uint64_t)cap - 1 : 0;
    c->buf = (char *)c + head;
    for (uint64_t i = 0; i < c->cap; i++)
        atomic_init((_Atomic uint64_t *)(c->buf + i * slot), 2 * i);
    return c;
}

/* ---------------------------------------------------------------------- */
/* Wait queues (caller holds c->lock)                                     */
/* ---------------------------------------------------------------------- */

void rt_waitq_push(rt_waitq *q, rt_waiter *w)
{
    w->next = NULL;
    w->prev = q->tail;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
    w->queued = true;
    atomic_fetch_add_explicit(&q->len, 1, memory_order_seq_cst);
}

void rt_waitq_remove(rt_waitq *q, rt_waiter *w)
{
    if (!w->queued)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    w->next = w->prev = NULL;
    w->queued = false;
    atomic_fetch_sub_explicit(&q->len, 1, memory_order_relaxed);
}

/* Pops the first waiter that can still be woken: plain ones always, select
 * ones only if this call wins their goroutine. */
rt_waiter *rt_waitq_pop(rt_waitq *q)
{
    for (;;) {
        rt_waiter *w = q->head;
        if (!w)
            return NULL;
        rt_waitq_remove(q, w);
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
/* The lock-free ring of buffered channels                                */
/* ---------------------------------------------------------------------- */

static inline _Atomic uint64_t *slot_seq(goc_chan *c, uint64_t pos)
{
    uint64_t i = c->mask ? pos & c->mask : pos % c->cap;
    return (_Atomic uint64_t *)(c->buf + i * c->slot_size);
}

static inline void *slot_data(_Atomic uint64_t *seq)
{
    return (char *)seq + sizeof(uint64_t);
}

static void spin_pause(int *n)
{
    if (++*n < 64)
        rt_cpu_relax();
    else
        sched_yield();   /* the other side's thread was descheduled */
}

/* After a lost CAS on c->enq or c->deq: another core has just moved the
 * same counter.  Retrying at once pulls the line straight back, and two
 * cores that keep doing so complete about one operation per cache-line
 * transfer (measured: 4 senders and 4 receivers on 2 cores ran at a third
 * of the 1-core rate).  Waiting 1, 2, 4 ... 64 pauses lets the winner run a
 * burst of operations on a line it keeps; the ring stays lock-free, since
 * a lost CAS means some other operation succeeded. */
static void backoff(int *n)
{
    for (int i = 0; i < *n; i++)
        rt_cpu_relax();
    if (*n < 64)
        *n *= 2;
}

int rt_ring_send(goc_chan *c, const void *elem)
{
    uint64_t pos = atomic_load_explicit(&c->enq, memory_order_relaxed);
    int spins = 0, wait = 1;
    for (;;) {
        if (pos & RT_CHAN_CLOSED_BIT)
            return RT_CHAN_CLOSED;
        _Atomic uint64_t *seq = slot_seq(c, pos);
        int64_t dif = (int64_t)(atomic_load_explicit(seq, memory_order_acquire) - 2 * pos);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&c->enq, &pos, pos + 1,
                    memory_order_seq_cst, memory_order_relaxed)) {
                elem_copy(slot_data(seq), elem, c->elem_size);
                atomic_store_explicit(seq, 2 * pos + 1, memory_order_release);
                return RT_CHAN_OK;
            }
            backoff(&wait);
            pos = atomic_load_explicit(&c->enq, memory_order_relaxed);
        } else if (dif < 0) {
            /* Full, unless a receiver has claimed the slot and is still
             * copying out of it. */
            uint64_t d = atomic_load_explicit(&c->deq, memory_order_seq_cst);
            if (d + c->cap <= pos)
                return RT_CHAN_BLOCK;
            spin_pause(&spins);
            pos = atomic_load_explicit(&c->enq, memory_order_relaxed);
        } else {
            pos = atomic_load_explicit(&c->enq, memory_order_relaxed);
        }
    }
}

int rt_ring_recv(goc_chan *c, void *elem)
{
    uint64_t pos = atomic_load_explicit(&c->deq, memory_order_relaxed);
    int spins = 0, wait = 1;
    for (;;) {
        _Atomic uint64_t *seq = slot_seq(c, pos);
        int64_t dif = (int64_t)(atomic_load_explicit(seq, memory_order_acquire) - (2 * pos + 1));
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&c->deq, &pos, pos + 1,
                    memory_order_seq_cst, memory_order_relaxed)) {
                if (elem)
                    elem_copy(elem, slot_data(seq), c->elem_size);
                atomic_store_explicit(seq, 2 * (pos + c->cap), memory_order_release);
                return RT_CHAN_OK;
            }
            backoff(&wait);
            pos = atomic_load_explicit(&c->deq, memory_order_relaxed);
        } else if (dif < 0) {
            /* Empty, unless a sender has claimed the slot and is still
             * writing it. */
            uint64_t e = atomic_load_explicit(&c->enq, memory_order_seq_cst);
            if ((e & ~RT_CHAN_CLOSED_BIT) <= pos)
                return (e & RT_CHAN_CLOSED_BIT) ? RT_CHAN_CLOSED : RT_CHAN_BLOCK;
            spin_pause(&spins);
            pos = atomic_load_explicit(&c->deq, memory_order_relaxed);
        } else {
            pos = atomic_load_explicit(&c->deq, memory_order_relaxed);
        }
    }
}

/* Wakes one goroutine parked on q (buffered channels: it retries). */
static void wake_one(goc_chan *c, rt_waitq *q)
{
    rt_lock_acquire(&c->lock);
    rt_waiter *w = rt_waitq_pop(q);
    rt_lock_release(&c->lock);
    if (w)
        rt_ready(w->g);
}

/* ---------------------------------------------------------------------- */
/* Attempts under the lock, shared with select.c                          */
/* ---------------------------------------------------------------------- */

int rt_chan_try_send_locked(goc_chan *c, const void *elem, rt_waiter **wake)
{
    *wake = NULL;
    if (c->cap) {
        int r = rt_ring_send(c, elem);
        if (r == RT_CHAN_OK && atomic_load_explicit(&c->recvq.len, memory_order_seq_cst))
            *wake = rt_waitq_pop(&c->recvq);
        return r;
    }
    if (c->closed)
        return RT_CHAN_CLOSED;
    rt_waiter *w = rt_waitq_pop(&c->recvq);
    if (!w)
        return RT_CHAN_BLOCK;
    if (w->elem)
        elem_copy(w->elem, elem, c->elem_size);
    w->success = true;
    *wake = w;
    return RT_CHAN_OK;
}

int rt_chan_try_recv_locked(goc_chan *c, void *elem, bool *ok, rt_waiter **wake)
{
    *wake = NULL;
    if (c->cap) {
        int r = rt_ring_recv(c, elem);
        if (r == RT_CHAN_OK) {
            *ok = true;
            if (atomic_load_explicit(&c->sendq.len, memory_order_seq_cst))
                *wake = rt_waitq_pop(&c->sendq);
        } else if (r == RT_CHAN_CLOSED) {
            if (elem)
                memset(elem, 0, c->elem_size);
            *ok = false;
        }
        return r;
    }
    rt_waiter *w = rt_waitq_pop(&c->sendq);
    if (w) {
        if (elem)
            elem_copy(elem, w->elem, c->elem_size);
        w->success = true;
        *wake = w;
        *ok = true;
        return RT_CHAN_OK;
    }
    if (c->closed) {
        if (elem)
            memset(elem, 0, c->elem_size);
        *ok = false;
        return RT_CHAN_CLOSED;
    }
    return RT_CHAN_BLOCK;
}

static void unlock_chan(rt_g *g, void *arg)
{
    rt_lock_release(&((goc_chan *)arg)->lock);
}

/* ---------------------------------------------------------------------- */
/* Send                                                                   */
/* ---------------------------------------------------------------------- */

static RT_NORETURN void block_forever(const char *reason)
{
    rt_needg(reason);
    rt_park(NULL, NULL, reason, NULL);
    rt_throw("woke from a nil channel operation");
}

static bool chan_send(goc_chan *c, const void *elem, bool block)
{
    if (!c) {
        if (!block)
            return false;
        block_forever("chan send (nil chan)");
    }
    for (;;) {
        if (c->cap) {
            int r = rt_ring_send(c, elem);
            if (r == RT_CHAN_OK) {
                if (atomic_load_explicit(&c->recvq.len, memory_order_seq_cst))
                    wake_one(c, &c->recvq);
                return true;
            }
            if (r == RT_CHAN_CLOSED)
                rt_panic("send on closed channel");
            if (!block)
                return false;
        }
        rt_lock_acquire(&c->lock);
        rt_waiter *w;
        int r = rt_chan_try_send_locked(c, elem, &w);
        if (r == RT_CHAN_BLOCK && block) {
            rt_waiter me = { .g = rt_needg("channel send"), .elem = (void *)elem, .c = c };
            rt_waitq_push(&c->sendq, &me);
            if (c->cap) {
                /* Look again now that receivers can see us (Dekker). */
                r = rt_chan_try_send_locked(c, elem, &w);
                if (r != RT_CHAN_BLOCK)
                    rt_waitq_remove(&c->sendq, &me);
            }
            if (r == RT_CHAN_BLOCK) {
                rt_park(unlock_chan, c, "chan send", c);
                if (c->cap)
                    continue;   /* woken to retry */
                if (!me.success)
                    rt_panic("send on closed channel");
                return true;
            }
        }
        rt_lock_release(&c->lock);
        if (r == RT_CHAN_CLOSED)
            rt_panic("send on closed channel");
        if (w)
            rt_ready(w->g);
        return r == RT_CHAN_OK;
    }
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
        block_forever("chan receive (nil chan)");
    }
    for (;;) {
        if (c->cap) {
            int r = rt_ring_recv(c, elem);
            if (r == RT_CHAN_OK) {
                if (atomic_load_explicit(&c->sendq.len, memory_order_seq_cst))
                    wake_one(c, &c->sendq);
                *ok = true;
                return true;
            }
            if (r == RT_CHAN_CLOSED) {
                if (elem)
                    memset(elem, 0, c->elem_size);
                *ok = false;
                return true;
            }
            if (!block)
                return false;
        }
        rt_lock_acquire(&c->lock);
        rt_waiter *w;
        int r = rt_chan_try_recv_locked(c, elem, ok, &w);
        if (r == RT_CHAN_BLOCK && block) {
            rt_waiter me = { .g = rt_needg("channel receive"), .elem = elem, .c = c };
            rt_waitq_push(&c->recvq, &me);
            if (c->cap) {
                r = rt_chan_try_recv_locked(c, elem, ok, &w);
                if (r != RT_CHAN_BLOCK)
                    rt_waitq_remove(&c->recvq, &me);
            }
            if (r == RT_CHAN_BLOCK) {
                rt_park(unlock_chan, c, "chan receive", c);
                if (c->cap)
                    continue;   /* woken to retry */
                *ok = me.success;
                return true;
            }
        }
        rt_lock_release(&c->lock);
        if (w)
            rt_ready(w->g);
        return r != RT_CHAN_BLOCK;
    }
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
    if (c->cap)
        atomic_fetch_or_explicit(&c->enq, RT_CHAN_CLOSED_BIT, memory_order_seq_cst);
    /* Collect every waiter first, ready them after unlocking. */
    rt_waiter *list = NULL, *w;
    while ((w = rt_waitq_pop(&c->recvq))) {
        if (w->elem && !c->cap)
            memset(w->elem, 0, c->elem_size);
        w->success = false;
        w->next = list;
        list = w;
    }
    while ((w = rt_waitq_pop(&c->sendq))) {
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
    if (!c || !c->cap)
        return 0;
    uint64_t d = atomic_load_explicit(&c->deq, memory_order_acquire);
    uint64_t e = atomic_load_explicit(&c->enq, memory_order_acquire) & ~RT_CHAN_CLOSED_BIT;
    int64_t n = (int64_t)(e - d);
    return n < 0 ? 0 : n > (int64_t)c->cap ? (int)c->cap : (int)n;
}

int goc_chan_cap(goc_chan *c)
{
    return c ? (int)c->cap : 0;
}
