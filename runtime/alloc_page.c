/*
 * alloc_page.c — the page heap: arenas, the page map, span structs, free
 * page runs, returning memory to the kernel, and the lock-free lookups from
 * an address to its span and object (see alloc.h for the layout).
 *
 * Free runs.  A free span sits in one of RT_FREE_EXACT - 1 lists by exact
 * page count, or in one list of large runs (RT_FREE_EXACT pages or more).
 * A bitmap of non-empty exact lists finds the smallest fitting list in a
 * couple of instructions; the large list is searched best fit (smallest,
 * then lowest address), linearly: it stays short because runs coalesce with
 * both neighbours when freed.  Rejected for now: a tree ordered by size
 * (Go's treap, later its radix summary), which only pays with thousands of
 * large free runs.
 *
 * Growth.  A request that no free run can satisfy reserves enough new arenas
 * (one, or several contiguous ones for a huge object) and adds them as one
 * free run; adjacent reservations coalesce.  Fresh pages are zero and
 * "released": they cost no memory until touched.
 *
 * Returning memory.  A freed run remembers when (free_time).  At most every
 * RT_SCAVENGE_PERIOD_NS a free operation calls the scavenger, which gives
 * back (MADV_DONTNEED) the runs free for RT_SCAVENGE_AGE_NS; they read back
 * as zero, so their next user does not memset them.  The heap lock is held
 * across madvise: simple, and scavenging is rare; a collector's background
 * worker can take this off the allocating threads (alloc.h).
 *
 * Every function here except the lock-free lookups runs with the heap lock.
 */
#include "alloc.h"
#include "gc.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define RT_FREE_EXACT 128

static struct {
    rt_lock lock;
    rt_span *free_exact[RT_FREE_EXACT];   /* by npages, 1..RT_FREE_EXACT-1 */
    uint64_t nonempty[RT_FREE_EXACT / 64];
    rt_span *free_large;
    rt_span *pool;                        /* dead span structs            */
    rt_arena **arenas;                    /* sorted by base               */
    size_t narenas, arenas_cap;
    size_t mapped, inuse, free, released, nspans;
    int64_t last_scavenge;
} H;

/* One pointer per 64 MiB of address space; NULL until rt_heap_init. */
static rt_arena *_Atomic *_Atomic arena_map;
static _Atomic uint32_t heap_ready;
static rt_lock init_lock;
static _Atomic intptr_t heap_live;

/* ---------------------------------------------------------------------- */
/* Metadata memory                                                        */
/* ---------------------------------------------------------------------- */

static void *os_reserve(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        rt_fatal("out of memory");
    rt_gc_exclude(p, (char *)p + n);    /* metadata holds no references */
    return p;
}

static rt_lock meta_lock;                 /* leaf lock                    */
static char *meta_next, *meta_end;

void *rt_meta_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n >= 256 * 1024)
        return os_reserve(n);
    rt_lock_acquire(&meta_lock);
    if ((size_t)(meta_end - meta_next) < n) {
        meta_next = os_reserve(1 << 20);
        meta_end = meta_next + (1 << 20);
    }
    void *p = meta_next;
    meta_next += n;
    rt_lock_release(&meta_lock);
    return p;
}

void rt_heap_init(void)
{
    if (atomic_load_explicit(&heap_ready, memory_order_acquire))
        return;
    rt_lock_acquire(&init_lock);
    if (!atomic_load_explicit(&heap_ready, memory_order_relaxed)) {
        rt_class_init();
        atomic_store_explicit(&arena_map, os_reserve(RT_ARENA_MAP_SIZE * sizeof(rt_arena *)),
                              memory_order_release);
        atomic_store_explicit(&heap_ready, 1, memory_order_release);
    }
    rt_lock_release(&init_lock);
    rt_gc_init();
}

/* ---------------------------------------------------------------------- */
/* Page map                                                               */
/* ---------------------------------------------------------------------- */

static inline rt_arena *arena_of(uintptr_t addr)
{
    rt_arena *_Atomic *map = atomic_load_explicit(&arena_map, memory_order_acquire);
    if (!map || (addr >> RT_ADDR_BITS) != 0)
        return NULL;
    return atomic_load_explicit(&map[addr >> RT_ARENA_SHIFT], memory_order_acquire);
}

static inline rt_span *_Atomic *page_entry(rt_arena *a, uintptr_t addr)
{
    return &a->spans[(addr >> RT_PAGE_SHIFT) & (RT_ARENA_PAGES - 1)];
}

/* Heap lock.  The entry of the page at addr, or NULL outside the heap. */
static rt_span *page_get(uintptr_t addr)
{
    rt_arena *a = arena_of(addr);
    return a ? atomic_load_explicit(page_entry(a, addr), memory_order_relaxed) : NULL;
}

static void page_set(uintptr_t addr, rt_span *s)
{
    atomic_store_explicit(page_entry(arena_of(addr), addr), s, memory_order_release);
}

static void page_set_range(rt_span *s)
{
    for (size_t i = 0; i < s->npages; i++)
        page_set(s->base + i * RT_PAGE_SIZE, s);
}

static void page_set_ends(rt_span *s)
{
    page_set(s->base, s);
    page_set(s->base + (s->npages - 1) * RT_PAGE_SIZE, s);
}

rt_span *rt_heap_span_of(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    rt_arena *ar = arena_of(a);
    if (!ar)
        return NULL;
    rt_span *s = atomic_load_explicit(page_entry(ar, a), memory_order_acquire);
    if (!s)
        return NULL;
    uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
    if (st != RT_SPAN_SMALL && st != RT_SPAN_LARGE)
        return NULL;
    if (a < s->base || a - s->base >= s->npages * RT_PAGE_SIZE)
        return NULL;                      /* a stale entry                 */
    return s;
}

bool rt_span_slot_allocated(rt_span *s, uint32_t idx)
{
    uint32_t w = idx / 64;
    if (atomic_load_explicit(&s->window, memory_order_acquire) == w)
        return true;                      /* a cache's window: maybe       */
    uint64_t bits = atomic_load_explicit(&s->alloc_bits[w], memory_order_relaxed);
    return (bits >> (idx % 64)) & 1;
}

rt_span *rt_heap_find(const void *p, void **base, size_t *size)
{
    rt_span *s = rt_heap_span_of(p);
    if (!s)
        return NULL;
    uintptr_t off = (uintptr_t)p - s->base;
    uint32_t idx = 0;
    if (atomic_load_explicit(&s->state, memory_order_relaxed) == RT_SPAN_SMALL)
        idx = (uint32_t)(((uint64_t)off * s->div_magic) >> 32);
    if (idx >= s->nelems || off - (uintptr_t)idx * s->elem_size >= s->elem_size)
        return NULL;                      /* the span's tail               */
    if (!rt_span_slot_allocated(s, idx))
        return NULL;
    if (base)
        *base = (void *)(s->base + (uintptr_t)idx * s->elem_size);
    if (size)
        *size = s->elem_size;
    return s;
}

/* ---------------------------------------------------------------------- */
/* Span structs and free lists (heap lock)                                */
/* ---------------------------------------------------------------------- */

static rt_span *span_new(void)
{
    rt_span *s = H.pool;
    if (s)
        H.pool = s->next;
    else
        s = rt_meta_alloc(sizeof *s);
    /* A lock-free reader may still hold a stale pointer to it: only its
     * state tells it apart, so state is written first. */
    atomic_store_explicit(&s->state, RT_SPAN_DEAD, memory_order_relaxed);
    s->next = s->prev = NULL;
    return s;
}

static void span_dispose(rt_span *s)
{
    atomic_store_explicit(&s->state, RT_SPAN_DEAD, memory_order_release);
    s->next = H.pool;
    H.pool = s;
}

static rt_span **free_head(size_t npages)
{
    return npages < RT_FREE_EXACT ? &H.free_exact[npages] : &H.free_large;
}

static void free_insert(rt_span *s)
{
    rt_span **head = free_head(s->npages);
    s->prev = NULL;
    s->next = *head;
    if (*head)
        (*head)->prev = s;
    *head = s;
    if (s->npages < RT_FREE_EXACT)
        H.nonempty[s->npages / 64] |= (uint64_t)1 << (s->npages % 64);
    size_t bytes = s->npages * RT_PAGE_SIZE;
    H.free += bytes;
    if (s->released)
        H.released += bytes;
}

static void free_remove(rt_span *s)
{
    rt_span **head = free_head(s->npages);
    rt_span_unlink(head, s);
    if (s->npages < RT_FREE_EXACT && !*head)
        H.nonempty[s->npages / 64] &= ~((uint64_t)1 << (s->npages % 64));
    size_t bytes = s->npages * RT_PAGE_SIZE;
    H.free -= bytes;
    if (s->released)
        H.released -= bytes;
}

/* The smallest free run of at least npages, removed from its list. */
static rt_span *free_take(size_t npages)
{
    for (size_t k = npages; k < RT_FREE_EXACT; k = (k | 63) + 1) {
        uint64_t bits = H.nonempty[k / 64] & (~(uint64_t)0 << (k % 64));
        if (bits) {
            rt_span *s = H.free_exact[(k & ~(size_t)63) + (size_t)__builtin_ctzll(bits)];
            free_remove(s);
            return s;
        }
    }
    rt_span *best = NULL;
    for (rt_span *s = H.free_large; s; s = s->next)
        if (s->npages >= npages &&
            (!best || s->npages < best->npages ||
             (s->npages == best->npages && s->base < best->base)))
            best = s;
    if (best)
        free_remove(best);
    return best;
}

/* Inserts free span s, coalescing with free neighbours; s's page entries
 * need not be set yet. */
static void free_coalesce_insert(rt_span *s)
{
    rt_span *prev = s->base >= RT_PAGE_SIZE ? page_get(s->base - RT_PAGE_SIZE) : NULL;
    if (prev && atomic_load_explicit(&prev->state, memory_order_relaxed) == RT_SPAN_FREE &&
        prev->base + prev->npages * RT_PAGE_SIZE == s->base) {
        free_remove(prev);
        s->base = prev->base;
        s->npages += prev->npages;
        s->needzero |= prev->needzero;
        s->released &= prev->released;
        s->free_time = s->free_time > prev->free_time ? s->free_time : prev->free_time;
        span_dispose(prev);
    }
    uintptr_t end = s->base + s->npages * RT_PAGE_SIZE;
    rt_span *next = page_get(end);
    if (next && atomic_load_explicit(&next->state, memory_order_relaxed) == RT_SPAN_FREE &&
        next->base == end) {
        free_remove(next);
        s->npages += next->npages;
        s->needzero |= next->needzero;
        s->released &= next->released;
        s->free_time = s->free_time > next->free_time ? s->free_time : next->free_time;
        span_dispose(next);
    }
    page_set_ends(s);
    free_insert(s);
}

/* ---------------------------------------------------------------------- */
/* Arenas                                                                 */
/* ---------------------------------------------------------------------- */

static void arena_register(uintptr_t base)
{
    rt_arena *a = rt_meta_alloc(sizeof *a);
    a->base = base;
    rt_arena *_Atomic *map = atomic_load_explicit(&arena_map, memory_order_relaxed);
    if (H.narenas == H.arenas_cap) {
        size_t cap = H.arenas_cap ? 2 * H.arenas_cap : 64;
        rt_arena **n = rt_meta_alloc(cap * sizeof *n);
        if (H.narenas)
            memcpy(n, H.arenas, H.narenas * sizeof *n);
        H.arenas = n;                     /* the old array is abandoned    */
        H.arenas_cap = cap;
    }
    size_t i = H.narenas++;
    while (i > 0 && H.arenas[i - 1]->base > base) {
        H.arenas[i] = H.arenas[i - 1];
        i--;
    }
    H.arenas[i] = a;
    atomic_store_explicit(&map[base >> RT_ARENA_SHIFT], a, memory_order_release);
}

/* Reserves n contiguous arenas and adds them to the free runs. */
static void heap_grow(size_t n)
{
    size_t size = n * RT_ARENA_SIZE;
    if (n > RT_ARENA_MAP_SIZE)
        rt_fatal("out of memory");
    char *raw = mmap(NULL, size + RT_ARENA_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED)
        rt_fatal("out of memory");
    uintptr_t base = ((uintptr_t)raw + RT_ARENA_SIZE - 1) & ~(uintptr_t)(RT_ARENA_SIZE - 1);
    if (base > (uintptr_t)raw)
        munmap(raw, base - (uintptr_t)raw);
    uintptr_t tail = (uintptr_t)raw + size + RT_ARENA_SIZE - (base + size);
    if (tail)
        munmap((void *)(base + size), tail);
    if ((base + size - 1) >> RT_ADDR_BITS)
        rt_fatal("out of memory (heap address beyond %d bits)", RT_ADDR_BITS);
    RT_ASAN_POISON((void *)base, size);
    rt_gc_exclude((void *)base, (void *)(base + size));   /* traced, not roots */
    for (size_t i = 0; i < n; i++)
        arena_register(base + i * RT_ARENA_SIZE);
    H.mapped += size;
    rt_span *s = span_new();
    s->base = base;
    s->npages = size / RT_PAGE_SIZE;
    s->needzero = 0;
    s->released = 1;
    s->free_time = 0;
    atomic_store_explicit(&s->state, RT_SPAN_FREE, memory_order_release);
    free_coalesce_insert(s);
}

/* ---------------------------------------------------------------------- */
/* Spans in and out of use                                                */
/* ---------------------------------------------------------------------- */

static void span_init_use(rt_span *s, unsigned sizeclass, size_t elem_size, bool noscan)
{
    s->sizeclass = (uint8_t)sizeclass;
    s->noscan = noscan;
    s->where = RT_SPAN_NOWHERE;
    s->next = s->prev = NULL;
    atomic_store_explicit(&s->window, RT_NO_WINDOW, memory_order_relaxed);
    for (int i = 0; i < RT_BITMAP_WORDS; i++) {
        atomic_store_explicit(&s->alloc_bits[i], 0, memory_order_relaxed);
        atomic_store_explicit(&s->mark_bits[i], 0, memory_order_relaxed);
        s->pending_free[i] = 0;
    }
    if (sizeclass) {
        const rt_class_info *ci = &rt_classes[sizeclass];
        s->elem_size = ci->size;
        s->nelems = ci->nelems;
        s->div_magic = ci->div_magic;
        s->nalloc = 0;
    } else {
        s->elem_size = elem_size;
        s->nelems = 1;
        s->div_magic = 0;
        s->nalloc = 1;
        s->gc_fresh = 1;                  /* alloc_large clears it */
        atomic_store_explicit(&s->alloc_bits[0], 1, memory_order_relaxed);
    }
}

rt_span *rt_span_alloc_pages(size_t npages, unsigned sizeclass, size_t elem_size, bool noscan)
{
    rt_heap_init();
    rt_lock_acquire(&H.lock);
    rt_span *s = free_take(npages);
    if (!s) {
        heap_grow((npages + RT_ARENA_PAGES - 1) / RT_ARENA_PAGES);
        s = free_take(npages);
        if (!s)
            rt_throw("page heap: no run after growing");
    }
    if (s->npages > npages) {
        rt_span *rest = span_new();
        rest->base = s->base + npages * RT_PAGE_SIZE;
        rest->npages = s->npages - npages;
        rest->needzero = s->needzero;
        rest->released = s->released;
        rest->free_time = s->free_time;
        atomic_store_explicit(&rest->state, RT_SPAN_FREE, memory_order_release);
        s->npages = npages;
        page_set_ends(rest);
        free_insert(rest);
    }
    s->released = 0;
    span_init_use(s, sizeclass, elem_size, noscan);
    atomic_store_explicit(&s->state, sizeclass ? RT_SPAN_SMALL : RT_SPAN_LARGE,
                          memory_order_release);
    page_set_range(s);
    H.inuse += npages * RT_PAGE_SIZE;
    H.nspans++;
    rt_lock_release(&H.lock);
    return s;
}

static size_t scavenge_locked(int64_t min_age_ns, int64_t now);

void rt_span_free_pages(rt_span *s)
{
    RT_ASAN_POISON((void *)s->base, s->npages * RT_PAGE_SIZE);
    int64_t now = goc_nanotime();
    rt_lock_acquire(&H.lock);
    H.inuse -= s->npages * RT_PAGE_SIZE;
    H.nspans--;
    atomic_store_explicit(&s->state, RT_SPAN_FREE, memory_order_release);
    s->sizeclass = 0;
    s->needzero = 1;
    s->released = 0;
    s->free_time = now;
    free_coalesce_insert(s);
    if (now - H.last_scavenge >= RT_SCAVENGE_PERIOD_NS)
        scavenge_locked(RT_SCAVENGE_AGE_NS, now);
    rt_lock_release(&H.lock);
}

/* ---------------------------------------------------------------------- */
/* Returning memory                                                       */
/* ---------------------------------------------------------------------- */

static size_t scavenge_list(rt_span *s, int64_t min_age_ns, int64_t now)
{
    size_t total = 0;
    for (; s; s = s->next) {
        if (s->released || now - s->free_time < min_age_ns)
            continue;
        size_t bytes = s->npages * RT_PAGE_SIZE;
        madvise((void *)s->base, bytes, MADV_DONTNEED);
        s->released = 1;
        s->needzero = 0;
        H.released += bytes;
        total += bytes;
    }
    return total;
}

static size_t scavenge_locked(int64_t min_age_ns, int64_t now)
{
    H.last_scavenge = now;
    size_t total = scavenge_list(H.free_large, min_age_ns, now);
    for (size_t k = 1; k < RT_FREE_EXACT; k++)
        total += scavenge_list(H.free_exact[k], min_age_ns, now);
    return total;
}

size_t rt_heap_scavenge(int64_t min_age_ns)
{
    rt_heap_init();
    int64_t now = goc_nanotime();
    rt_lock_acquire(&H.lock);
    size_t n = scavenge_locked(min_age_ns, now);
    rt_lock_release(&H.lock);
    return n;
}

/* ---------------------------------------------------------------------- */
/* Enumeration, statistics, validation                                    */
/* ---------------------------------------------------------------------- */

/* Heap lock.  Visits every span (free or in use) in address order; returns
 * NULL, or what is wrong with the tiling of the arenas by spans. */
static const char *for_each_run(void (*fn)(rt_span *, void *), void *arg)
{
    size_t i = 0;
    while (i < H.narenas) {
        /* A group of contiguous arenas: spans may cross arenas inside it,
         * never out of it. */
        uintptr_t addr = H.arenas[i]->base, end = addr + RT_ARENA_SIZE;
        size_t j = i + 1;
        while (j < H.narenas && H.arenas[j]->base == end) {
            end += RT_ARENA_SIZE;
            j++;
        }
        while (addr < end) {
            rt_span *s = page_get(addr);
            if (!s || s->base != addr || s->npages == 0 ||
                atomic_load_explicit(&s->state, memory_order_relaxed) == RT_SPAN_DEAD)
                return "page map: no span starts where the previous ended";
            fn(s, arg);
            addr += s->npages * RT_PAGE_SIZE;
        }
        if (addr != end)
            return "a span runs past its arenas";
        i = j;
    }
    return NULL;
}

struct each_inuse {
    void (*fn)(rt_span *, void *);
    void *arg;
};

static void visit_inuse(rt_span *s, void *arg)
{
    struct each_inuse *e = arg;
    if (atomic_load_explicit(&s->state, memory_order_relaxed) != RT_SPAN_FREE)
        e->fn(s, e->arg);
}

void rt_heap_for_each_span(void (*fn)(rt_span *, void *), void *arg)
{
    rt_heap_init();
    struct each_inuse e = { fn, arg };
    rt_lock_acquire(&H.lock);
    const char *err = for_each_run(visit_inuse, &e);
    rt_lock_release(&H.lock);
    if (err)
        rt_throw(err);
}

void rt_heap_live_add(intptr_t delta)
{
    atomic_fetch_add_explicit(&heap_live, delta, memory_order_relaxed);
}

intptr_t rt_heap_live(void)
{
    return atomic_load_explicit(&heap_live, memory_order_relaxed);
}

void rt_heap_lock(void)
{
    rt_lock_acquire(&H.lock);
}

void rt_heap_unlock(void)
{
    rt_lock_release(&H.lock);
}

rt_arena **rt_heap_arenas(size_t *n)
{
    *n = H.narenas;
    return H.arenas;
}

rt_arena *_Atomic *rt_heap_arena_map(void)
{
    return atomic_load_explicit(&arena_map, memory_order_acquire);
}

void rt_heap_get_stats(rt_heap_stats *st)
{
    rt_heap_init();
    rt_lock_acquire(&H.lock);
    st->mapped = H.mapped;
    st->inuse = H.inuse;
    st->free = H.free;
    st->released = H.released;
    st->nspans = H.nspans;
    rt_lock_release(&H.lock);
    intptr_t live = atomic_load_explicit(&heap_live, memory_order_relaxed);
    st->live = live > 0 ? (size_t)live : 0;
}

struct check_state {
    const char *err;
    size_t inuse, free, released, nspans, nfree;
};

static void check_span(rt_span *s, void *arg)
{
    struct check_state *c = arg;
    uint32_t st = atomic_load_explicit(&s->state, memory_order_relaxed);
    size_t bytes = s->npages * RT_PAGE_SIZE;
    if (st == RT_SPAN_FREE) {
        c->free += bytes;
        c->nfree++;
        if (s->released)
            c->released += bytes;
        if (page_get(s->base + bytes - RT_PAGE_SIZE) != s)
            c->err = "free span: last page entry";
        return;
    }
    c->inuse += bytes;
    c->nspans++;
    for (size_t i = 0; i < s->npages; i++)
        if (page_get(s->base + i * RT_PAGE_SIZE) != s)
            c->err = "in-use span: a page entry points elsewhere";
    if (st == RT_SPAN_SMALL) {
        const rt_class_info *ci = &rt_classes[s->sizeclass];
        if (s->sizeclass == 0 || s->sizeclass >= rt_nclasses || s->elem_size != ci->size ||
            s->nelems != ci->nelems || s->npages != ci->npages)
            c->err = "small span: class fields";
        if (atomic_load_explicit(&s->window, memory_order_relaxed) == RT_NO_WINDOW) {
            uint32_t n = 0;
            for (int i = 0; i < RT_BITMAP_WORDS; i++)
                n += (uint32_t)__builtin_popcountll(
                    atomic_load_explicit(&s->alloc_bits[i], memory_order_relaxed));
            if (n != s->nalloc || n == 0)
                c->err = "uncached small span: nalloc differs from alloc_bits, or empty";
        }
    } else if (s->nelems != 1 || s->elem_size > bytes) {
        c->err = "large span: fields";
    }
}

static const char *heap_check(void)
{
    rt_heap_init();
    struct check_state c = { 0 };
    rt_lock_acquire(&H.lock);
    const char *err = for_each_run(check_span, &c);
    size_t nlisted = 0;
    for (size_t k = 1; k <= RT_FREE_EXACT; k++) {
        rt_span *head = k < RT_FREE_EXACT ? H.free_exact[k] : H.free_large;
        for (rt_span *s = head; s; s = s->next) {
            nlisted++;
            if (atomic_load_explicit(&s->state, memory_order_relaxed) != RT_SPAN_FREE ||
                (k < RT_FREE_EXACT ? s->npages != k : s->npages < RT_FREE_EXACT))
                err = "free list: a span in the wrong list";
        }
    }
    if (!err)
        err = c.err;
    if (!err && (c.inuse != H.inuse || c.free != H.free || c.released != H.released ||
                 c.nspans != H.nspans))
        err = "page heap counters differ from the spans";
    if (!err && nlisted != c.nfree)
        err = "free lists and the page map disagree";
    if (!err && H.inuse + H.free != H.mapped)
        err = "in use + free != mapped";
    rt_lock_release(&H.lock);
    return err;
}

const char *rt_heap_check(void)
{
    /* Not while the collector sweeps: it changes span counts under the
     * central locks, which this check does not take. */
    rt_gc_hold();
    const char *err = heap_check();
    rt_gc_release();
    return err;
}
