/*
 * heap.c — goc_alloc, goc_alloc_noscan and goc_box: the entry points of the
 * garbage-collected heap (SPEC §8).  The allocator's design, and how the
 * collector will use it, is described in alloc.h.
 *
 * Three paths:
 *   fast   a goroutine (or a P's scheduler context) allocating <= 32 KiB:
 *          the P's cache, no lock and no atomic read-modify-write; the
 *          only call is rt_getm(), which must not be inlined (rt.h);
 *   shared a thread without a P (a plain pthread, or before the runtime
 *          starts): one cache shared by all such threads, under a lock;
 *   large  more than 32 KiB: a span of its own from the page heap (heap
 *          lock).
 *
 * Memory is zeroed on return: fresh pages are zero already and are not
 * written; reused slots and pages are cleared (see alloc.h, needzero).
 * Under AddressSanitizer every byte of a slot beyond the n requested stays
 * poisoned, as do free slots and free pages, so overruns and
 * use-after-free (after the collector frees) are reported.
 */
#include "alloc.h"
#include "gc.h"

#include <string.h>

static rt_lock shared_lock;              /* guards shared_cache          */
static rt_cache *shared_cache;

rt_cache *rt_heap_shared_cache(void)
{
    return shared_cache;
}

rt_cache *rt_cache_current(void)
{
    rt_m *m = rt_getm();
    rt_p *p = m ? m->p : NULL;
    if (!p)
        return NULL;
    if (RT_UNLIKELY(!p->cache)) {
        rt_heap_init();
        p->cache = rt_cache_new();
    }
    return p->cache;
}

static inline void *cache_alloc(rt_cache *c, size_t n, bool noscan)
{
    unsigned cls = rt_size_class(n);
    rt_cache_slot *sl = &c->slots[noscan][cls];
    char *obj;
    if (RT_LIKELY(sl->free_bits)) {
        obj = rt_slot_take(sl);
    } else {
        obj = rt_cache_refill_alloc(c, cls, noscan);
        rt_gc_after_grow(rt_heap_live());
    }
#if defined(GOC_ASAN)
    RT_ASAN_POISON(obj + n, rt_classes[cls].size - n);
#endif
    return obj;
}

static void *alloc_large(size_t n, bool noscan)
{
    if (n > ((size_t)1 << RT_ADDR_BITS))
        rt_fatal("out of memory");
    size_t size = (n + RT_ALIGN - 1) & ~(size_t)(RT_ALIGN - 1);
    size_t npages = (size + RT_PAGE_SIZE - 1) / RT_PAGE_SIZE;
    rt_span *s = rt_span_alloc_pages(npages, 0, size, noscan);
    char *obj = (char *)s->base;
    /* The pointer exists (in a register the collector's stop would spill)
     * before the span stops being fresh: until then it is never freed. */
    __asm__ volatile("" : "+r"(obj) : : "memory");
    s->gc_fresh = 0;
    if (s->needzero) {
        RT_ASAN_UNPOISON(obj, npages * RT_PAGE_SIZE);
        memset(obj, 0, npages * RT_PAGE_SIZE);
        RT_ASAN_POISON(obj, npages * RT_PAGE_SIZE);
        s->needzero = 0;
    }
    RT_ASAN_UNPOISON(obj, n);
    rt_heap_live_add((intptr_t)size);
    rt_gc_after_grow(rt_heap_live());
    return obj;
}

static __attribute__((noinline)) void *alloc_slow(size_t n, bool noscan)
{
    if (n == 0)
        n = 1;
    if (n > RT_SMALL_MAX)
        return alloc_large(n, noscan);
    rt_cache *c = rt_cache_current();
    if (c)
        return cache_alloc(c, n, noscan);
    rt_heap_init();
    rt_gc_register_thread();             /* its registers are roots too */
    rt_lock_acquire(&shared_lock);
    if (!shared_cache)
        shared_cache = rt_cache_new();
    void *obj = cache_alloc(shared_cache, n, noscan);
    rt_lock_release(&shared_lock);
    return obj;
}

static inline void *heap_alloc(size_t n, bool noscan)
{
    if (RT_LIKELY(n - 1 < RT_SMALL_MAX)) {      /* 1 <= n <= RT_SMALL_MAX */
        rt_m *m = rt_getm();
        rt_p *p;
        rt_cache *c;
        if (RT_LIKELY(m && (p = m->p) && (c = p->cache)))
            return cache_alloc(c, n, noscan);
    }
    return alloc_slow(n, noscan);
}

void *goc_alloc(size_t n)
{
    return heap_alloc(n, false);
}

void *goc_alloc_noscan(size_t n)
{
    return heap_alloc(n, true);
}

void *goc_box(const void *p, size_t n)
{
    void *b = goc_alloc(n);
    memcpy(b, p, n);
    return b;
}

void rt_heap_flush_caches(void)
{
    rt_cache *c = rt_cache_current();
    if (c)
        rt_cache_flush(c);
    rt_lock_acquire(&shared_lock);
    if (shared_cache)
        rt_cache_flush(shared_cache);
    rt_lock_release(&shared_lock);
}
