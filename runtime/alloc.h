/*
 * alloc.h — the garbage-collected heap's allocator: size classes, spans,
 * the page map, per-P caches and central lists.  The collector (SPEC §8,
 * issue 5) is built on these structures; this header is where they and
 * their invariants are described once.
 *
 * Glossary
 *   page     RT_PAGE_SIZE (8 KiB) of address space, the heap's unit.
 *   arena    RT_ARENA_SIZE (64 MiB) of address space, reserved with one
 *            mmap (MAP_NORESERVE: the kernel commits pages on first touch)
 *            and aligned to its size.  Arenas are never unmapped.
 *   span     a run of pages with one job, described by an rt_span:
 *              free   in the page heap's free lists (alloc_page.c);
 *              small  cut into equal slots of one size class (<= 32 KiB);
 *              large  one object of more than RT_SMALL_MAX bytes.
 *   class    a slot size; small spans of class c hold nelems slots of
 *            elem_size bytes.  Computed at start-up (alloc_class.c).
 *   noscan   a span whose objects hold no pointers (goc_alloc_noscan).
 *            Every class exists twice, scan and noscan, in different spans,
 *            so that a marker skips noscan spans without looking inside.
 *   cache    a P's private set of spans, one per class and scan kind, from
 *            which it hands out slots with no lock (alloc_cache.c).
 *   central  the spans of one class and kind that no cache holds, in a
 *            partial and a full list under one lock per class.
 *
 * Memory layout
 *
 *     arena map (2^22 entries, one per 64 MiB of a 48-bit address space)
 *       [ ... | arena* | NULL | ... ]
 *                 |
 *                 v
 *     rt_arena:  base, spans[8192]       one span pointer per page
 *                         |
 *                         v
 *     rt_span:   base, npages, class, nelems, elem_size, state,
 *                alloc_bits[8], mark_bits[8], pending_free[8]
 *
 *     heap memory (one arena):
 *       [ span: 16-byte slots | span: 48-byte slots | large object ... ]
 *
 * Metadata (arena map, rt_arena, rt_span, caches) lives in its own mmap'ed
 * memory, never in the heap, in .bss or in malloc'ed blocks: the collector
 * will scan .data/.bss and malloc'ed memory as roots, and must not find
 * heap addresses in its own bookkeeping.  Span structs are never unmapped,
 * only recycled, so a reader holding a stale pointer still reads a span.
 *
 * Page map (rt_heap_span_of, rt_heap_find)
 *   From any address, two loads reach the span: the arena map entry, then
 *   the arena's spans[] entry of the page.  Every page of an in-use span
 *   points to it; a free span sets only its first and last page (to
 *   coalesce neighbours), so other entries may be stale or NULL.  A reader
 *   therefore accepts a span only if its state is in use and the address
 *   lies in [base, base + npages * RT_PAGE_SIZE); entries are atomics and
 *   need no lock.  For a small span the slot is offset * div_magic >> 32
 *   (a multiply instead of a divide, exact for every offset inside a span:
 *   test_alloc checks all of them).  An address in the unused tail of a
 *   span, in a slot that is free, or past a large object's rounded size is
 *   rejected.  A pointer one past the end of a small object is a pointer to
 *   the next slot, as in Go.
 *
 * Allocation state of a small span
 *   alloc_bits: bit i set means slot i is allocated.  It is exact whenever
 *   no cache holds the span.  A cache holding it hands out the free slots
 *   of one 64-slot word (its "window", published in span->window) from a
 *   private copy of that word's free bits, so the fast path is: find the
 *   lowest set bit, clear it, multiply.  Leaving a window, the owner sets
 *   the whole word in alloc_bits (all its slots are then allocated);
 *   releasing the span to the central lists, it writes the window word from
 *   its private bits.  So at any moment alloc_bits is exact except in the
 *   window of a cached span, where a slot may be allocated without its bit:
 *   readers treat every slot of that word as allocated (rt_heap_find).
 *   Only the owner writes alloc_bits of a cached span; rt_heap_free of an
 *   object in a cached span sets its bit in pending_free instead, under the
 *   central lock, and the release applies it.
 *
 *   A fresh span comes from pages that are zero (never touched, or returned
 *   to the kernel); needzero is clear and nothing is memset.  A span whose
 *   slots were freed has needzero set and the cache zeroes each slot it
 *   hands out.  Dirty pages that become a new small span are zeroed once,
 *   all together.
 *
 * Locks (acquire left before right; never held across a goroutine switch):
 *   shared cache lock (threads without a P) < one central lock < heap lock
 *   The fast path takes none and does no atomic read-modify-write: a P's
 *   cache is touched only by the M holding the P, between two switches
 *   (goc_alloc never switches).  Anything that later lets a goroutine be
 *   interrupted inside goc_alloc (asynchronous preemption by signal) or
 *   hands a P to another M while its M runs C code must not do so while
 *   that M is inside the allocator.
 *
 * How the collector uses this (gc.c, gc_mark.c)
 *   The collector marks in a clone(2) snapshot of the process, so nothing
 *   here changes while it marks.  Marking: each word of a root or of a
 *   scanned object is looked up as in rt_heap_find, in the snapshot's page
 *   map; the slot's bit is set in mark_bits of the snapshot's span struct
 *   (the child's private copy: the program's mark_bits stay zero).  A slot
 *   counts as maybe allocated for scanning (alloc bit, or in a cache's
 *   window and handed out by it), and as surely allocated for freeing
 *   (alloc bit or handed out, and no pending free).  Large spans use bit 0;
 *   a large span is never freed while gc_fresh (its allocating thread may
 *   not hold the pointer yet).
 *   Allocation during marking needs no barrier: objects allocated after the
 *   snapshot are not in it.  Sweeping: the child reports each span's
 *   unreachable slots; the collector thread frees them with rt_span_sweep
 *   (into pending_free if a cache holds the span, else straight into
 *   alloc_bits), concurrently with allocation, and sweeping ends before the
 *   next snapshot.  Mutations during marking are isolated by copy-on-write
 *   (gc.c explains why nothing reachable is freed).
 *   Enumeration: rt_heap_for_each_span visits every in-use span in address
 *   order under the heap lock.
 *   Returning memory: rt_heap_scavenge releases free spans that have stayed
 *   free for a while (MADV_DONTNEED; they read back as zero); the page heap
 *   calls it at most every RT_SCAVENGE_PERIOD_NS, and the collector thread
 *   after each sweep.
 *
 * Known limits of this first version
 *   - A free run has one needzero flag: a run merged from returned (zero)
 *     and dirty pages is memset whole when reused, faulting the returned
 *     pages back in.  A per-arena bitmap of returned pages (Go's scavenged
 *     bits) would zero only the dirty ones.
 *   - Scavenging is by age only (free for 1 s, looked at on frees at most
 *     every 250 ms, and after each collection), with the heap lock held
 *     across madvise.  Retaining free memory up to the heap goal instead
 *     would suit the collector better.
 *   - Span identity fields (base, npages, elem_size, nelems) are plain
 *     fields written under the heap lock; lookups are exact for live
 *     objects (the snapshot marker reads a frozen copy), but an in-process
 *     marker racing with the recycling of a span struct would have to
 *     re-check state after reading them (or they become relaxed atomics).
 *   - The free list of runs of 128 pages or more is searched linearly.
 *   - No transparent huge pages: MADV_HUGEPAGE first touches measured
 *     0.5 to 14 us per 4 KiB here (direct compaction stalls), against a
 *     steady 2 to 3 us without.
 */
#ifndef GOC_ALLOC_H
#define GOC_ALLOC_H

#include "rt.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* AddressSanitizer: heap slots are poisoned while free                   */
/* ---------------------------------------------------------------------- */

#if defined(GOC_ASAN)
void __asan_poison_memory_region(const volatile void *addr, size_t size);
void __asan_unpoison_memory_region(const volatile void *addr, size_t size);
#define RT_ASAN_POISON(p, n) __asan_poison_memory_region((p), (n))
#define RT_ASAN_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define RT_ASAN_POISON(p, n) ((void)(p), (void)(n))
#define RT_ASAN_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define RT_PAGE_SHIFT 13
#define RT_PAGE_SIZE ((size_t)1 << RT_PAGE_SHIFT)
#define RT_ARENA_SHIFT 26
#define RT_ARENA_SIZE ((size_t)1 << RT_ARENA_SHIFT)
#define RT_ARENA_PAGES (RT_ARENA_SIZE / RT_PAGE_SIZE)
#define RT_ADDR_BITS 48                 /* user addresses on x86-64, aarch64 */
#define RT_ARENA_MAP_SIZE ((size_t)1 << (RT_ADDR_BITS - RT_ARENA_SHIFT))

#define RT_SMALL_MAX 32768              /* larger objects get their own span */
#define RT_NCLASS_MAX 96                /* room for the computed classes    */
#define RT_SPAN_MAX_OBJS 512            /* so a span's bitmaps are 8 words  */
#define RT_BITMAP_WORDS (RT_SPAN_MAX_OBJS / 64)
#define RT_ALIGN 16                     /* every object's alignment         */

/* Free spans that stay free this long are returned to the kernel. */
#define RT_SCAVENGE_AGE_NS (1000LL * 1000 * 1000)
#define RT_SCAVENGE_PERIOD_NS (250LL * 1000 * 1000)

enum rt_span_state {
    RT_SPAN_DEAD,                       /* struct in the span pool          */
    RT_SPAN_FREE,                       /* pages in the page heap           */
    RT_SPAN_SMALL,                      /* in use: slots of one class       */
    RT_SPAN_LARGE,                      /* in use: one large object         */
};

enum rt_span_where {                    /* small spans (central lock)       */
    RT_SPAN_NOWHERE,
    RT_SPAN_CACHED,
    RT_SPAN_PARTIAL,
    RT_SPAN_FULL,
};

#define RT_NO_WINDOW UINT32_MAX

typedef struct rt_span rt_span;
struct rt_span {
    /* Identity: written under the heap lock before the span is published
     * in the page map (release); read by lock-free lookups after an
     * acquire load of the page map entry. */
    uintptr_t base;
    size_t npages;
    size_t elem_size;                   /* slot size; large: rounded size   */
    _Atomic uint32_t state;             /* enum rt_span_state               */
    uint32_t nelems;                    /* slots (large: 1)                 */
    uint32_t div_magic;                 /* ceil(2^32 / elem_size), small    */
    uint8_t sizeclass;                  /* 0 for large and free spans       */
    uint8_t noscan;
    uint8_t needzero;                   /* free slots/pages may be dirty    */
    uint8_t released;                   /* free: all pages given back       */
    uint8_t gc_fresh;                   /* large: its allocating thread may
                                           not hold a pointer to it yet, so
                                           the collector must not free it  */

    /* Links: page heap free lists (heap lock) or central lists (central
     * lock), never both. */
    rt_span *next, *prev;

    /* Small spans.  where and nalloc: central lock (nalloc is exact only
     * when not cached).  window: the cache's current bitmap word, or
     * RT_NO_WINDOW when no cache holds the span; written by the owner,
     * read by lookups. */
    uint8_t where;                      /* enum rt_span_where               */
    uint32_t nalloc;
    _Atomic uint32_t window;

    int64_t free_time;                  /* free: when it became free (heap lock) */

    /* Written only by the collector's marking process, in its own copy
     * (gc_mark.c): which slots of the window word a cache had handed out
     * at the snapshot.  win_word is the window word + 1, 0 if unknown. */
    uint32_t gc_win_word;
    uint64_t gc_win_taken;

    /* See the top comment.  mark_bits is for the collector. */
    _Atomic uint64_t alloc_bits[RT_BITMAP_WORDS];
    _Atomic uint64_t mark_bits[RT_BITMAP_WORDS];
    uint64_t pending_free[RT_BITMAP_WORDS];   /* central lock            */
};

/* Unlinks s from the doubly linked span list at *head. */
static inline void rt_span_unlink(rt_span **head, rt_span *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        *head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

typedef struct rt_arena {
    uintptr_t base;
    rt_span *_Atomic spans[RT_ARENA_PAGES];   /* heap lock to write        */
} rt_arena;

/* One size class's slot in a cache: the span it allocates from and a
 * private copy of the free bits of its current window.  Owner only. */
typedef struct rt_cache_slot {
    uint64_t free_bits;                 /* free slots of the window         */
    char *window_base;                  /* address of the window's slot 0   */
    uint32_t elem_size;
    uint32_t needzero;
    rt_span *span;                      /* NULL: refill on next use         */
    uint32_t gc_stable;                 /* 0 while the window is changing:
                                           the collector then does not use
                                           free_bits (gc_mark.c)           */
} rt_cache_slot;

typedef struct rt_cache {
    rt_cache_slot slots[2][RT_NCLASS_MAX];    /* [noscan][class]          */
} rt_cache;

/* ---------------------------------------------------------------------- */
/* alloc_class.c: size classes                                            */
/* ---------------------------------------------------------------------- */

typedef struct rt_class_info {
    uint32_t size;                      /* slot size, a multiple of 16      */
    uint32_t npages;                    /* pages per span                   */
    uint32_t nelems;
    uint32_t div_magic;
} rt_class_info;

extern int rt_nclasses RT_HIDDEN;       /* classes 1..rt_nclasses-1; 0 unused */
extern rt_class_info rt_classes[RT_NCLASS_MAX] RT_HIDDEN;
extern uint8_t rt_class_index_16[1024 / 16 + 1] RT_HIDDEN;
extern uint8_t rt_class_index_128[(RT_SMALL_MAX - 1024) / 128 + 1] RT_HIDDEN;

void rt_class_init(void) RT_HIDDEN;
/* The class of a request of n bytes, 0 < n <= RT_SMALL_MAX. */
static inline unsigned rt_size_class(size_t n)
{
    if (n <= 1024)
        return rt_class_index_16[(n + 15) >> 4];
    return rt_class_index_128[(n - 1024 + 127) >> 7];
}

/* ---------------------------------------------------------------------- */
/* alloc_page.c: arenas, the page map, the page heap                      */
/* ---------------------------------------------------------------------- */

/* Sets up the arena map and size classes once; any thread, idempotent. */
void rt_heap_init(void) RT_HIDDEN;
/* Metadata memory: zeroed, 16-byte aligned, never freed, never scanned. */
void *rt_meta_alloc(size_t n) RT_HIDDEN;

/* An in-use span of npages, taken off the free lists or from new arenas,
 * every page map entry pointing to it: small of class sizeclass, or (class
 * 0) large holding one object of elem_size bytes.  Its pages are zero
 * unless span->needzero; the caller zeroes.  Takes the heap lock. */
rt_span *rt_span_alloc_pages(size_t npages, unsigned sizeclass, size_t elem_size,
                             bool noscan) RT_HIDDEN;
/* Gives an in-use span's pages back to the page heap, coalescing with free
 * neighbours.  The span must be in no central list.  Takes the heap lock. */
void rt_span_free_pages(rt_span *s) RT_HIDDEN;

/* The in-use span containing p, or NULL (lock-free). */
rt_span *rt_heap_span_of(const void *p) RT_HIDDEN;
/* Whether slot idx of small span s may be allocated (exact unless cached,
 * see the top comment). */
bool rt_span_slot_allocated(rt_span *s, uint32_t idx) RT_HIDDEN;
/* The allocated object containing p: sets *base and *size (the slot size;
 * for a large object its size rounded to 16) and returns its span; NULL if
 * p is not inside an allocated object.  Lock-free, O(1). */
rt_span *rt_heap_find(const void *p, void **base, size_t *size) RT_HIDDEN;
/* Calls fn on every in-use span, in address order, with the heap lock held
 * (fn must not allocate). */
void rt_heap_for_each_span(void (*fn)(rt_span *, void *), void *arg) RT_HIDDEN;
/* Returns to the kernel the pages of free spans that have been free for at
 * least min_age_ns; returns the bytes released. */
size_t rt_heap_scavenge(int64_t min_age_ns) RT_HIDDEN;
/* Whole-heap consistency check (expensive): page map, free lists, counts.
 * Returns NULL when valid, else what is wrong.  Call with no cache active
 * on other threads. */
const char *rt_heap_check(void) RT_HIDDEN;

typedef struct rt_heap_stats {
    size_t mapped;                      /* bytes of arenas reserved          */
    size_t inuse;                       /* bytes of in-use spans             */
    size_t free;                        /* bytes of free spans               */
    size_t released;                    /* of which returned to the kernel   */
    size_t live;                        /* bytes handed out or in caches     */
    size_t nspans;                      /* in-use spans                      */
} rt_heap_stats;
void rt_heap_get_stats(rt_heap_stats *st) RT_HIDDEN;
/* heap_live accounting (alloc_cache.c and heap.c update it). */
void rt_heap_live_add(intptr_t delta) RT_HIDDEN;
intptr_t rt_heap_live(void) RT_HIDDEN;

/* ---------------------------------------------------------------------- */
/* alloc_cache.c: per-P caches and central lists                          */
/* ---------------------------------------------------------------------- */

rt_cache *rt_cache_new(void) RT_HIDDEN;
/* Called when slot s (class cls) of cache c has no free bit left: moves to
 * the next window, or releases the span and takes another.  Returns a
 * slot-sized block, zeroed. */
void *rt_cache_refill_alloc(rt_cache *c, unsigned cls, bool noscan) RT_HIDDEN;
/* Gives every span of c back to the central lists (owner, or with the owner
 * stopped). */
void rt_cache_flush(rt_cache *c) RT_HIDDEN;
/* Frees the object at base (exactly an object's address); for the sweeper
 * and tests.  Any thread. */
void rt_heap_free(void *base) RT_HIDDEN;

/* The fast path: hands out the lowest free slot of the window, zeroed.
 * The slot must have a free bit.  The collector counts a slot whose free bit
 * is clear as handed out, and frees it if nothing points to it; so the
 * pointer exists, in a register, before the bit is cleared: the empty asm
 * makes the stored bits depend on obj, and obj opaque, so the compiler can
 * neither compute it only afterwards nor recompute it from i later. */
static inline void *rt_slot_take(rt_cache_slot *sl)
{
    uint64_t bits = sl->free_bits;
    unsigned i = (unsigned)__builtin_ctzll(bits);
    char *obj = sl->window_base + (size_t)i * sl->elem_size;
    uint64_t rest = bits & (bits - 1);
    __asm__("" : "+r"(rest), "+r"(obj));  /* the store needs obj made */
    sl->free_bits = rest;
    RT_ASAN_UNPOISON(obj, sl->elem_size);
    if (RT_UNLIKELY(sl->needzero))
        memset(obj, 0, sl->elem_size);
    return obj;
}

/* ---------------------------------------------------------------------- */
/* heap.c                                                                 */
/* ---------------------------------------------------------------------- */

/* The current P's cache, created on first use; NULL on a thread without a
 * P.  Valid until the caller next switches goroutines. */
rt_cache *rt_cache_current(void) RT_HIDDEN;
/* Flushes the current P's cache and the shared one (tests). */
void rt_heap_flush_caches(void) RT_HIDDEN;


#endif
