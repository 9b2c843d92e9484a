/*
 * alloc_cache.c — small objects: per-P caches, the central span lists of
 * each class, and freeing (see alloc.h for the span bitmaps).
 *
 * A cache holds at most one span per class and scan kind.  Its fast path
 * (rt_slot_take, inline) is a count-trailing-zeros on a private copy of one
 * bitmap word; when that word runs out, rt_cache_refill_alloc
 *   1. marks the word allocated in the span and loads the span's next word
 *      with a free slot, else
 *   2. releases the span to its central lists (under the central lock,
 *      applying frees that arrived while it was cached), and
 *   3. takes a partial span from the central lists, or a fresh span from
 *      the page heap (central lock not held).
 * So a lock is taken once per span, and a bitmap word is read once per 64
 * slots.
 *
 * Why bitmaps rather than free lists threaded through the free objects
 * (mimalloc, tcmalloc): sweeping becomes "alloc_bits = mark_bits" without
 * touching dead objects; a fresh span is never written before use (its
 * pages are faulted in by the program, one at a time, not by the
 * allocator); and the marker can tell free slots from objects without
 * reading them.  The cost, a multiply per allocation, is hidden in the
 * latency of the caller's first store.
 *
 * Central lists, per class and kind, under its lock: `partial` (some slot
 * free) and `full`; spans in a cache are in neither (where ==
 * RT_SPAN_CACHED).  A span that becomes empty while not cached goes back to
 * the page heap.
 *
 * heap_live accounting (for a future pacer): a span's free slots count as
 * live when a cache takes it and stop counting when the cache gives it back
 * unused; a freed object stops counting when freed.
 */
#include "alloc.h"
#include "gc.h"

typedef struct rt_central {
    rt_lock lock;
    rt_span *partial, *full;
} __attribute__((aligned(RT_CACHELINE))) rt_central;

static rt_central centrals[2][RT_NCLASS_MAX];

/* ---------------------------------------------------------------------- */
/* Span lists (central lock)                                              */
/* ---------------------------------------------------------------------- */

static void list_push(rt_span **head, rt_span *s)
{
    s->prev = NULL;
    s->next = *head;
    if (*head)
        (*head)->prev = s;
    *head = s;
}


static rt_span **list_of(rt_central *c, rt_span *s)
{
    return s->where == RT_SPAN_FULL ? &c->full : &c->partial;
}

/* Puts an uncached span with nalloc set into its list; returns whether it
 * is empty instead (the caller frees its pages after unlocking). */
static bool central_place(rt_central *c, rt_span *s)
{
    if (s->nalloc == 0) {
        s->where = RT_SPAN_NOWHERE;
        return true;
    }
    s->where = s->nalloc == s->nelems ? RT_SPAN_FULL : RT_SPAN_PARTIAL;
    list_push(list_of(c, s), s);
    return false;
}

/* ---------------------------------------------------------------------- */
/* Windows                                                                */
/* ---------------------------------------------------------------------- */

static inline uint32_t span_words(const rt_span *s)
{
    return (s->nelems + 63) / 64;
}

static inline uint64_t word_mask(const rt_span *s, uint32_t w)
{
    uint32_t left = s->nelems - w * 64;
    return left >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << left) - 1;
}

/* Owner.  Writes the window word back to alloc_bits: the slots free at load
 * and not handed out since are the private free bits.  The free bits stay
 * as they are (the caller replaces or clears them): the collector may read
 * them if the owner is stopped here. */
static void window_store(rt_cache_slot *sl)
{
    rt_span *s = sl->span;
    uint32_t w = atomic_load_explicit(&s->window, memory_order_relaxed);
    atomic_store_explicit(&s->alloc_bits[w], word_mask(s, w) & ~sl->free_bits,
                          memory_order_relaxed);
}

/* Owner.  Marks the slot's window state as being changed (stable = 0) or
 * consistent again (1).  A thread is stopped for a collection at any
 * instruction, so the compiler must keep these stores in program order
 * around the ones they bracket: a signal fence. */
static inline void slot_stable(rt_cache_slot *sl, uint32_t v)
{
    atomic_signal_fence(memory_order_seq_cst);
    sl->gc_stable = v;
    atomic_signal_fence(memory_order_seq_cst);
}

/* Owner.  Loads the first word from `from` on with a free slot; false when
 * the span has none. */
static bool window_load(rt_cache_slot *sl, uint32_t from)
{
    rt_span *s = sl->span;
    for (uint32_t w = from; w < span_words(s); w++) {
        uint64_t free = ~atomic_load_explicit(&s->alloc_bits[w], memory_order_relaxed) &
                        word_mask(s, w);
        if (free) {
            sl->free_bits = free;
            sl->window_base = (char *)s->base + (size_t)w * 64 * s->elem_size;
            /* Release: a reader that sees the new window sees the old
             * window's word stored. */
            atomic_store_explicit(&s->window, w, memory_order_release);
            return true;
        }
    }
    return false;
}

/* ---------------------------------------------------------------------- */
/* Cache <-> central                                                      */
/* ---------------------------------------------------------------------- */

static void cache_release(rt_cache_slot *sl, unsigned cls, bool noscan)
{
    rt_span *s = sl->span;
    if (!s)
        return;
    slot_stable(sl, 0);
    window_store(sl);
    uint32_t nalloc = 0;
    for (uint32_t w = 0; w < span_words(s); w++)
        nalloc += (uint32_t)__builtin_popcountll(
            atomic_load_explicit(&s->alloc_bits[w], memory_order_relaxed));
    rt_heap_live_add(-(intptr_t)((s->nelems - nalloc) * s->elem_size));
    sl->span = NULL;
    sl->free_bits = 0;

    rt_central *c = &centrals[noscan][cls];
    rt_lock_acquire(&c->lock);
    atomic_store_explicit(&s->window, RT_NO_WINDOW, memory_order_release);
    for (uint32_t w = 0; w < span_words(s); w++) {
        uint64_t pend = s->pending_free[w];
        if (!pend)
            continue;
        uint64_t bits = atomic_load_explicit(&s->alloc_bits[w], memory_order_relaxed);
        if (pend & ~bits)
            rt_throw("rt_heap_free: double free");
        atomic_store_explicit(&s->alloc_bits[w], bits & ~pend, memory_order_relaxed);
        nalloc -= (uint32_t)__builtin_popcountll(pend);
        s->pending_free[w] = 0;
        s->needzero = 1;
    }
    s->nalloc = nalloc;
    bool empty = central_place(c, s);
    rt_lock_release(&c->lock);
    if (empty)
        rt_span_free_pages(s);
}

static void cache_take_span(rt_cache_slot *sl, unsigned cls, bool noscan)
{
    rt_central *c = &centrals[noscan][cls];
    rt_lock_acquire(&c->lock);
    rt_span *s = c->partial;
    if (s) {
        rt_span_unlink(&c->partial, s);
        s->where = RT_SPAN_CACHED;
    }
    rt_lock_release(&c->lock);
    if (!s) {
        const rt_class_info *ci = &rt_classes[cls];
        s = rt_span_alloc_pages(ci->npages, cls, 0, noscan);
        if (s->needzero) {
            /* Dirty pages: zero them all now rather than slot by slot. */
            size_t bytes = s->npages * RT_PAGE_SIZE;
            RT_ASAN_UNPOISON((void *)s->base, bytes);
            memset((void *)s->base, 0, bytes);
            RT_ASAN_POISON((void *)s->base, bytes);
            s->needzero = 0;
        }
        s->nalloc = 0;
        s->where = RT_SPAN_CACHED;       /* no object yet: nobody frees   */
    }
    rt_heap_live_add((intptr_t)((s->nelems - s->nalloc) * s->elem_size));
    sl->span = s;
    sl->elem_size = (uint32_t)s->elem_size;
    sl->needzero = s->needzero;
    if (!window_load(sl, 0))
        rt_throw("allocator: a partial span has no free slot");
    slot_stable(sl, 1);
}

rt_cache *rt_cache_new(void)
{
    return rt_meta_alloc(sizeof(rt_cache));   /* zero: every slot empty  */
}

void *rt_cache_refill_alloc(rt_cache *c, unsigned cls, bool noscan)
{
    rt_cache_slot *sl = &c->slots[noscan][cls];
    if (sl->span) {
        uint32_t w = atomic_load_explicit(&sl->span->window, memory_order_relaxed);
        slot_stable(sl, 0);
        window_store(sl);
        if (window_load(sl, w + 1)) {
            slot_stable(sl, 1);
            return rt_slot_take(sl);
        }
        cache_release(sl, cls, noscan);
    }
    cache_take_span(sl, cls, noscan);
    return rt_slot_take(sl);
}

void rt_cache_flush(rt_cache *c)
{
    for (int noscan = 0; noscan < 2; noscan++)
        for (int cls = 1; cls < rt_nclasses; cls++)
            cache_release(&c->slots[noscan][cls], (unsigned)cls, noscan);
}

/* ---------------------------------------------------------------------- */
/* Freeing                                                                */
/* ---------------------------------------------------------------------- */

/* Central lock held, span not cached: clears slot idx's bit. Returns
 * whether the span became empty. */
static bool free_uncached(rt_central *c, rt_span *s, uint32_t idx)
{
    uint32_t w = idx / 64;
    uint64_t bit = (uint64_t)1 << (idx % 64);
    uint64_t bits = atomic_load_explicit(&s->alloc_bits[w], memory_order_relaxed);
    if (!(bits & bit))
        rt_throw("rt_heap_free: double free");
    atomic_store_explicit(&s->alloc_bits[w], bits & ~bit, memory_order_relaxed);
    s->needzero = 1;
    rt_span_unlink(list_of(c, s), s);
    s->nalloc--;
    return central_place(c, s);
}

static void free_small(rt_span *s, void *base)
{
    uintptr_t off = (uintptr_t)base - s->base;
    uint32_t idx = (uint32_t)(((uint64_t)off * s->div_magic) >> 32);
    if ((uintptr_t)idx * s->elem_size != off || idx >= s->nelems)
        rt_throw("rt_heap_free: not the start of an object");
    RT_ASAN_POISON(base, s->elem_size);
    rt_heap_live_add(-(intptr_t)s->elem_size);
    rt_central *c = &centrals[s->noscan][s->sizeclass];
    bool empty = false;
    rt_lock_acquire(&c->lock);
    if (s->where == RT_SPAN_CACHED) {
        /* The owning cache applies it when it lets the span go. */
        uint64_t bit = (uint64_t)1 << (idx % 64);
        if (s->pending_free[idx / 64] & bit)
            rt_throw("rt_heap_free: double free");
        s->pending_free[idx / 64] |= bit;
    } else {
        empty = free_uncached(c, s, idx);
    }
    rt_lock_release(&c->lock);
    if (empty)
        rt_span_free_pages(s);
}

/* A large span's object: its pages go back to the page heap (which
 * poisons them).  Returns its size. */
static size_t free_large(rt_span *s)
{
    size_t size = s->elem_size;
    rt_heap_live_add(-(intptr_t)size);
    rt_span_free_pages(s);
    return size;
}

void rt_heap_free(void *base)
{
    rt_span *s = rt_heap_span_of(base);
    if (!s)
        rt_throw("rt_heap_free: not a heap object");
    if (atomic_load_explicit(&s->state, memory_order_relaxed) == RT_SPAN_SMALL) {
        free_small(s, base);
        return;
    }
    if ((uintptr_t)base != s->base)
        rt_throw("rt_heap_free: not the start of an object");
    free_large(s);
}

/* ---------------------------------------------------------------------- */
/* Sweeping (gc.c)                                                        */
/* ---------------------------------------------------------------------- */

size_t rt_span_sweep(rt_span *s, const uint64_t *dead, uint64_t *nobj)
{
    if (atomic_load_explicit(&s->state, memory_order_relaxed) == RT_SPAN_LARGE) {
        (*nobj)++;
        return free_large(s);
    }
    uint32_t n = 0;
    for (uint32_t w = 0; w < span_words(s); w++) {
        n += (uint32_t)__builtin_popcountll(dead[w]);
#if defined(GOC_ASAN)
        for (uint64_t d = dead[w]; d; d &= d - 1) {
            size_t idx = (size_t)w * 64 + (size_t)__builtin_ctzll(d);
            RT_ASAN_POISON((char *)s->base + idx * s->elem_size, s->elem_size);
        }
#endif
    }
    size_t bytes = (size_t)n * s->elem_size;  /* s may be recycled below */
    rt_central *c = &centrals[s->noscan][s->sizeclass];
    bool empty = false;
    rt_lock_acquire(&c->lock);
    if (s->where == RT_SPAN_CACHED) {
        /* The owning cache applies them when it lets the span go. */
        for (uint32_t w = 0; w < span_words(s); w++) {
            if (s->pending_free[w] & dead[w])
                rt_throw("sweep: an object freed twice");
            s->pending_free[w] |= dead[w];
        }
    } else {
        for (uint32_t w = 0; w < span_words(s); w++) {
            uint64_t bits = atomic_load_explicit(&s->alloc_bits[w], memory_order_relaxed);
            if (dead[w] & ~bits)
                rt_throw("sweep: freeing a free slot");
            atomic_store_explicit(&s->alloc_bits[w], bits & ~dead[w], memory_order_relaxed);
        }
        s->needzero = 1;
        rt_span_unlink(list_of(c, s), s);
        s->nalloc -= n;
        empty = central_place(c, s);
    }
    rt_lock_release(&c->lock);
    if (empty)
        rt_span_free_pages(s);
    rt_heap_live_add(-(intptr_t)bytes);
    *nobj += n;
    return bytes;
}
