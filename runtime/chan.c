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
 * Waiters first.  Parking on a buffered channel (buffer empty, or full)
 * uses the lock and the queues, and Go's order holds as with Go's locked
 * buffer: a sender hands its value straight to a parked receiver, a
 * receive that frees a slot moves the first parked sender's value into
 * it, and no newcomer overtakes a parked goroutine.  While a queue is not
 * empty, its side's counter carries RT_CHAN_WAIT_BIT (deq for receivers,
 * enq for senders; set and cleared with the queue, under the lock): the
 * lock-free CAS of a newcomer then fails, and it takes the locked path,
 * where queued goroutines are served first (serve_receivers,
 * serve_senders).  So under the lock the ring's other side is frozen for
 * lock-free users: with receivers queued only the lock holder dequeues, so
 * an element it has counted stays there for the waiter it pops.
 *
 * The lost-wake-up argument is Dekker's, all operations sequentially
 * consistent: a receiver that finds the ring empty takes the lock, queues
 * itself (recvq.len, then the bit), then looks at the ring again and
 * serves the queue from it; a sender increments c->enq, then reads
 * recvq.len and, if a receiver waits, takes the lock and serves it.
 * Either the receiver's second look sees the element (a claimed but
 * unpublished slot counts: it spins until the sender publishes, a few
 * instructions later) or the sender sees the waiter.  Symmetrically for
 * senders on a full ring.  A parked goroutine is woken only when its
 * operation is done (success) or the channel closed, as with unbuffered
 * channels.
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
    /* Buffers up to 1 TiB; zero-size elements have no buffer, and 2^50
     * keeps their counters clear of the flag bits. */
    uint64_t max = elem_size ? ((uint64_t)1 << 40) / (elem_size + 8) : (uint64_t)1 << 50;
    if (cap < 0 || (uint64_t)cap > max)
        rt_panic("makechan: size out of range");
    size_t head = (sizeof(goc_chan) + RT_CACHELINE - 1) & ~(size_t)(RT_CACHELINE - 1);
    /* Zero-size elements need no slots: the counters are the channel. */
    size_t slot = cap && elem_size ? (sizeof(uint64_t) + elem_size + 7) & ~(size_t)7 : 0;
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
    for (uint64_t i = 0; slot && i < c->cap; i++)
        atomic_init((_Atomic uint64_t *)(c->buf + i * slot), 2 * i);
    return c;
}

/* ---------------------------------------------------------------------- */
/* Wait queues (caller holds c->lock)                                     */
/* ---------------------------------------------------------------------- */

/* Buffered channels: a side's counter carries RT_CHAN_WAIT_BIT exactly
 * while its queue holds a waiter (see "Waiters first"). */
static void sync_wait_bit(rt_waitq *q, goc_chan *c)
{
    if (!c || !c->cap)
        return;
    _Atomic uint64_t *word = q == &c->recvq ? &c->deq : &c->enq;
    bool want = q->head != NULL;
    bool has = atomic_load_explicit(word, memory_order_relaxed) & RT_CHAN_WAIT_BIT;
    if (want && !has)
        atomic_fetch_or(word, RT_CHAN_WAIT_BIT);
    else if (!want && has && !c->serving)
        atomic_fetch_and(word, ~RT_CHAN_WAIT_BIT);
}

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
    sync_wait_bit(q, w->c);
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
    sync_wait_bit(q, w->c);
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

/* The ring of a channel of zero-size elements is its two counters: an
 * element is claimed and published by one CAS.  A send compares its enq
 * with a deq read after it (deq only grows, so a full reading is true; a
 * deq past a stale enq means "read enq again"); a receive compares deq
 * with an enq read after it. */
static int count_send(goc_chan *c, bool locked)
{
    uint64_t word = atomic_load_explicit(&c->enq, memory_order_relaxed);
    int wait = 1;
    for (;;) {
        if (word & RT_CHAN_CLOSED_BIT)
            return RT_CHAN_CLOSED;
        if ((word & RT_CHAN_WAIT_BIT) && !locked)
            return RT_CHAN_BLOCK;
        int64_t n = (int64_t)(RT_CHAN_POS(word) - RT_CHAN_POS(atomic_load(&c->deq)));
        if (n < 0) {
            word = atomic_load_explicit(&c->enq, memory_order_relaxed);
            continue;
        }
        if ((uint64_t)n >= c->cap)
            return RT_CHAN_BLOCK;
        if (atomic_compare_exchange_weak_explicit(&c->enq, &word, word + 1,
                memory_order_seq_cst, memory_order_relaxed))
            return RT_CHAN_OK;
        backoff(&wait);
    }
}

static int count_recv(goc_chan *c, bool locked)
{
    uint64_t word = atomic_load_explicit(&c->deq, memory_order_relaxed);
    int wait = 1;
    for (;;) {
        if ((word & RT_CHAN_WAIT_BIT) && !locked)
            return RT_CHAN_BLOCK;
        uint64_t e = atomic_load(&c->enq);
        if (RT_CHAN_POS(e) <= RT_CHAN_POS(word))
            return (e & RT_CHAN_CLOSED_BIT) ? RT_CHAN_CLOSED : RT_CHAN_BLOCK;
        if (atomic_compare_exchange_weak_explicit(&c->deq, &word, word + 1,
                memory_order_seq_cst, memory_order_relaxed))
            return RT_CHAN_OK;
        backoff(&wait);
    }
}

/* With locked false (no lock), RT_CHAN_BLOCK also means "senders wait:
 * queue behind them"; the lock holder (locked) serves them and passes.
 * The CAS compares the whole word, so a bit set meanwhile fails it. */
int rt_ring_send(goc_chan *c, const void *elem, bool locked)
{
    if (RT_UNLIKELY(!c->slot_size))
        return count_send(c, locked);
    uint64_t word = atomic_load_explicit(&c->enq, memory_order_relaxed);
    int spins = 0, wait = 1;
    for (;;) {
        if (word & RT_CHAN_CLOSED_BIT)
            return RT_CHAN_CLOSED;
        if ((word & RT_CHAN_WAIT_BIT) && !locked)
            return RT_CHAN_BLOCK;
        uint64_t pos = RT_CHAN_POS(word);
        _Atomic uint64_t *seq = slot_seq(c, pos);
        int64_t dif = (int64_t)(atomic_load_explicit(seq, memory_order_acquire) - 2 * pos);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&c->enq, &word, word + 1,
                    memory_order_seq_cst, memory_order_relaxed)) {
                elem_copy(slot_data(seq), elem, c->elem_size);
                atomic_store_explicit(seq, 2 * pos + 1, memory_order_release);
                return RT_CHAN_OK;
            }
            backoff(&wait);
            word = atomic_load_explicit(&c->enq, memory_order_relaxed);
        } else if (dif < 0) {
            /* Full, unless a receiver has claimed the slot and is still
             * copying out of it. */
            uint64_t d = RT_CHAN_POS(atomic_load_explicit(&c->deq, memory_order_seq_cst));
            if (d + c->cap <= pos)
                return RT_CHAN_BLOCK;
            spin_pause(&spins);
            word = atomic_load_explicit(&c->enq, memory_order_relaxed);
        } else {
            word = atomic_load_explicit(&c->enq, memory_order_relaxed);
        }
    }
}

/* As rt_ring_send, for receivers. */
int rt_ring_recv(goc_chan *c, void *elem, bool locked)
{
    if (RT_UNLIKELY(!c->slot_size))
        return count_recv(c, locked);
    uint64_t word = atomic_load_explicit(&c->deq, memory_order_relaxed);
    int spins = 0, wait = 1;
    for (;;) {
        if ((word & RT_CHAN_WAIT_BIT) && !locked)
            return RT_CHAN_BLOCK;
        uint64_t pos = RT_CHAN_POS(word);
        _Atomic uint64_t *seq = slot_seq(c, pos);
        int64_t dif = (int64_t)(atomic_load_explicit(seq, memory_order_acquire) - (2 * pos + 1));
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&c->deq, &word, word + 1,
                    memory_order_seq_cst, memory_order_relaxed)) {
                if (elem)
                    elem_copy(elem, slot_data(seq), c->elem_size);
                atomic_store_explicit(seq, 2 * (pos + c->cap), memory_order_release);
                return RT_CHAN_OK;
            }
            backoff(&wait);
            word = atomic_load_explicit(&c->deq, memory_order_relaxed);
        } else if (dif < 0) {
            /* Empty, unless a sender has claimed the slot and is still
             * writing it. */
            uint64_t e = atomic_load_explicit(&c->enq, memory_order_seq_cst);
            if (RT_CHAN_POS(e) <= pos)
                return (e & RT_CHAN_CLOSED_BIT) ? RT_CHAN_CLOSED : RT_CHAN_BLOCK;
            spin_pause(&spins);
            word = atomic_load_explicit(&c->deq, memory_order_relaxed);
        } else {
            word = atomic_load_explicit(&c->deq, memory_order_relaxed);
        }
    }
}

/* Elements claimed by senders and not yet claimed by receivers. */
static uint64_t ring_count(goc_chan *c)
{
    return RT_CHAN_POS(atomic_load(&c->enq)) - RT_CHAN_POS(atomic_load(&c->deq));
}

/* ---------------------------------------------------------------------- */
/* Serving the queues (caller holds c->lock)                              */
/* ---------------------------------------------------------------------- */

/* Completed waiters are collected, oldest first, and readied once the
 * lock is released; the caller's own waiters (those of self) are left
 * out: it is running. */
static void wake_add(rt_wakelist *l, rt_waiter *w, rt_g *self)
{
    if (w->g == self)
        return;
    w->next = NULL;
    if (l->tail)
        l->tail->next = w;
    else
        l->head = w;
    l->tail = w;
}

void rt_wake_all(rt_wakelist *l)
{
    for (rt_waiter *w = l->head; w;) {
        rt_waiter *next = w->next;   /* before w's goroutine can run and return */
        rt_ready(w->g);
        w = next;
    }
    l->head = l->tail = NULL;
}

/* Gives the ring's elements to the parked receivers, oldest first.  With
 * receivers queued, no lock-free receive can take an element counted here
 * (the wait bit), so each pop is matched by an element.  The bit stays
 * set while serving, even once the last waiter is popped, until its
 * element is taken (c->serving). */
static void serve_receivers(goc_chan *c, rt_wakelist *l, rt_g *self)
{
    if (!c->cap || !c->recvq.head)
        return;
    c->serving = 1;
    while (c->recvq.head && ring_count(c) > 0) {
        rt_waiter *w = rt_waitq_pop(&c->recvq);
        if (!w)
            break;
        if (rt_ring_recv(c, w->elem, true) != RT_CHAN_OK)
            rt_throw("channel: a served receiver found no element");
        w->success = true;
        wake_add(l, w, self);
    }
    c->serving = 0;
    sync_wait_bit(&c->recvq, c);
}

/* Moves parked senders' values into the free slots, oldest first; the
 * same argument with the roles swapped. */
static void serve_senders(goc_chan *c, rt_wakelist *l, rt_g *self)
{
    if (!c->cap || !c->sendq.head || c->closed)
        return;
    c->serving = 1;
    while (c->sendq.head && ring_count(c) < c->cap) {
        rt_waiter *w = rt_waitq_pop(&c->sendq);
        if (!w)
            break;
        if (rt_ring_send(c, w->elem, true) != RT_CHAN_OK)
            rt_throw("channel: a served sender found no free slot");
        w->success = true;
        wake_add(l, w, self);
    }
    c->serving = 0;
    sync_wait_bit(&c->sendq, c);
}

void rt_chan_serve_locked(goc_chan *c, rt_wakelist *l, rt_g *self)
{
    serve_receivers(c, l, self);
    serve_senders(c, l, self);
}

/* A lock-free operation that saw the other side's queue non-empty: serve
 * it.  Only the lock and the list here; the callers' fast paths stay small. */
__attribute__((noinline)) static void serve(goc_chan *c)
{
    rt_wakelist l = { NULL, NULL };
    rt_lock_acquire(&c->lock);
    rt_chan_serve_locked(c, &l, NULL);
    rt_lock_release(&c->lock);
    rt_wake_all(&l);
}

/* ---------------------------------------------------------------------- */
/* Attempts under the lock, shared with select.c                          */
/* ---------------------------------------------------------------------- */

int rt_chan_try_send_locked(goc_chan *c, const void *elem, rt_wakelist *l)
{
    if (c->closed)
        return RT_CHAN_CLOSED;
    rt_chan_serve_locked(c, l, NULL);
    /* A parked receiver implies an empty ring (buffered): hand over. */
    rt_waiter *w = c->recvq.head ? rt_waitq_pop(&c->recvq) : NULL;
    if (w) {
        if (w->elem)
            elem_copy(w->elem, elem, c->elem_size);
        w->success = true;
        wake_add(l, w, NULL);
        return RT_CHAN_OK;
    }
    if (!c->cap || c->sendq.head)
        return RT_CHAN_BLOCK;   /* unbuffered, or behind parked senders */
    return rt_ring_send(c, elem, true);
}

int rt_chan_try_recv_locked(goc_chan *c, void *elem, bool *ok, rt_wakelist *l)
{
    if (c->cap) {
        rt_chan_serve_locked(c, l, NULL);
        int r = c->recvq.head ? RT_CHAN_BLOCK : rt_ring_recv(c, elem, true);
        if (r == RT_CHAN_OK) {
            *ok = true;
            serve_senders(c, l, NULL);
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
        wake_add(l, w, NULL);
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
    if (c->cap) {
        int r = rt_ring_send(c, elem, false);
        if (r == RT_CHAN_OK) {
            if (atomic_load_explicit(&c->recvq.len, memory_order_seq_cst))
                serve(c);
            return true;
        }
        if (r == RT_CHAN_CLOSED)
            rt_panic("send on closed channel");
        /* Full, or senders wait: the lock decides. */
    }
    rt_wakelist l = { NULL, NULL };
    rt_lock_acquire(&c->lock);
    int r = rt_chan_try_send_locked(c, elem, &l);
    if (r == RT_CHAN_BLOCK && block) {
        rt_waiter me = { .g = rt_needg("channel send"), .elem = (void *)elem, .c = c };
        rt_waitq_push(&c->sendq, &me);
        serve_senders(c, &l, me.g);   /* look again now that we are seen (Dekker) */
        if (!me.success) {
            rt_wake_all(&l);   /* now: the lock is let go only in rt_park */
            rt_park(unlock_chan, c, "chan send", c);
            if (!me.success)
                rt_panic("send on closed channel");
            return true;
        }
        r = RT_CHAN_OK;
    }
    rt_lock_release(&c->lock);
    rt_wake_all(&l);
    if (r == RT_CHAN_CLOSED)
        rt_panic("send on closed channel");
    return r == RT_CHAN_OK;
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
    if (c->cap) {
        int r = rt_ring_recv(c, elem, false);
        if (r == RT_CHAN_OK) {
            if (atomic_load_explicit(&c->sendq.len, memory_order_seq_cst))
                serve(c);
            *ok = true;
            return true;
        }
        if (r == RT_CHAN_CLOSED) {
            if (elem)
                memset(elem, 0, c->elem_size);
            *ok = false;
            return true;
        }
        /* Empty, or receivers wait: the lock decides. */
    }
    rt_wakelist l = { NULL, NULL };
    rt_lock_acquire(&c->lock);
    int r = rt_chan_try_recv_locked(c, elem, ok, &l);
    if (r == RT_CHAN_BLOCK && block) {
        rt_waiter me = { .g = rt_needg("channel receive"), .elem = elem, .c = c };
        rt_waitq_push(&c->recvq, &me);
        serve_receivers(c, &l, me.g);   /* look again now that we are seen (Dekker) */
        if (!me.success) {
            rt_wake_all(&l);   /* now: the lock is let go only in rt_park */
            rt_park(unlock_chan, c, "chan receive", c);
            *ok = me.success;
            return true;
        }
        *ok = true;
        r = RT_CHAN_OK;
    }
    rt_lock_release(&c->lock);
    rt_wake_all(&l);
    return r != RT_CHAN_BLOCK;
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
    rt_wakelist l = { NULL, NULL };
    /* Elements sent before the close still reach the receivers parked
     * for them; the rest of the receivers get the zero value. */
    rt_chan_serve_locked(c, &l, NULL);
    c->closed = 1;
    if (c->cap)
        atomic_fetch_or_explicit(&c->enq, RT_CHAN_CLOSED_BIT, memory_order_seq_cst);
    rt_waiter *w;
    while ((w = rt_waitq_pop(&c->recvq))) {
        if (w->elem)
            memset(w->elem, 0, c->elem_size);
        w->success = false;
        wake_add(&l, w, NULL);
    }
    while ((w = rt_waitq_pop(&c->sendq))) {
        w->success = false;
        wake_add(&l, w, NULL);
    }
    rt_lock_release(&c->lock);
    rt_wake_all(&l);
}

int goc_chan_len(goc_chan *c)
{
    if (!c || !c->cap)
        return 0;
    uint64_t d = RT_CHAN_POS(atomic_load_explicit(&c->deq, memory_order_acquire));
    uint64_t e = RT_CHAN_POS(atomic_load_explicit(&c->enq, memory_order_acquire));
    int64_t n = (int64_t)(e - d);
    return n < 0 ? 0 : n > (int64_t)c->cap ? (int)c->cap : (int)n;
}

int goc_chan_cap(goc_chan *c)
{
    return c ? (int)c->cap : 0;
}
