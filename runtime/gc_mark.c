/*
 * gc_mark.c — the marking process: runs in a copy of the program made by
 * clone(2) while the world was stopped (see gc.c for why), finds every
 * heap object reachable from the roots of that copy, and writes the spans'
 * unreachable objects into the result page it shares with the program.
 *
 * The copy is frozen: nothing else runs in it, so nothing here takes a lock
 * or uses an atomic, and the heap's metadata reads as it was at the stop.
 * It was cloned from a multithreaded process by a raw system call, so only
 * raw system calls are made here: no malloc, no stdio, no function a
 * sanitizer intercepts (the other threads' copies of their locks may be
 * held forever).  Every function is built without sanitizer
 * instrumentation: scanning reads poisoned bytes (free slots, redzones)
 * on purpose.
 *
 * Roots
 *   - Every private writable mapping listed in /proc/self/maps, minus the
 *     excluded ranges (heap arenas, allocator metadata, goroutine stack
 *     reservations: gc.h) and the sanitizers' shadow memory.  This covers
 *     the globals of the executable and of every shared library, malloc's
 *     heap and its mmap'ed blocks, thread stacks and TLS, and anything else
 *     C code mapped.  A mapping that holds the recorded stack pointer of a
 *     stopped thread is scanned from that pointer up (its registers are in
 *     the signal frame there, above the pointer).
 *   - Every goroutine that exists (not pooled, not dead): its stack from
 *     its saved stack pointer (where its callee-saved registers were
 *     pushed) to the top of its G struct (which holds its start argument).
 *     A running goroutine is scanned from the stopped thread's pointer if
 *     one lies in its stack, else from the bottom of its stack.
 *
 * Marking is conservative: every aligned word is looked up in the page map
 * (two loads reject a non-heap word); a word inside an allocated slot marks
 * the slot whatever offset it points at.  "Allocated" here errs towards yes
 * (a cache's current 64-slot window counts as allocated), so no reachable
 * object is left unscanned.  Freeing errs towards no: a slot is reported
 * dead only if it is unmarked, has no pending free, and its alloc bit is
 * set or its cache had handed it out (the cache's free bits, read only when
 * the cache marked its window state stable; rt_slot_take makes the pointer
 * before it clears the bit).  Where the window state is unknown, slots
 * handed out from the window wait for the next cycle.
 */
#include "gc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define NOSAN __attribute__((no_sanitize("address", "thread", "undefined")))

/* ---------------------------------------------------------------------- */
/* Raw system calls                                                       */
/* ---------------------------------------------------------------------- */

NOSAN static long raw_syscall(long n, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return x0;
#else
#error "unsupported architecture"
#endif
}

NOSAN static RT_NORETURN void child_exit(int code)
{
    for (;;)
        raw_syscall(SYS_exit_group, code, 0, 0, 0, 0, 0);
}

NOSAN static void *child_map(size_t n)
{
    long p = raw_syscall(SYS_mmap, 0, (long)n, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p < 0 && p > -4096)
        child_exit(3);
    return (void *)p;
}

/* ---------------------------------------------------------------------- */
/* The mark stack: chunks of object ranges to scan                        */
/* ---------------------------------------------------------------------- */

#define CHUNK_ITEMS ((1 << 20) / sizeof(rt_gc_range) - 2)

typedef struct chunk {
    struct chunk *prev;
    size_t n;
    rt_gc_range item[CHUNK_ITEMS];
} chunk;

static chunk *top, *spare;
static uint64_t marked_bytes, marked_objects, root_bytes;
static rt_arena *_Atomic *arena_map;
static uintptr_t heap_lo, heap_len;       /* the arenas' address range     */

NOSAN static void push(uintptr_t lo, uintptr_t hi)
{
    if (!top || top->n == CHUNK_ITEMS) {
        chunk *c = spare ? spare : child_map(sizeof(chunk));
        spare = NULL;
        c->prev = top;
        c->n = 0;
        top = c;
    }
    top->item[top->n].lo = lo;
    top->item[top->n].hi = hi;
    top->n++;
}

NOSAN static bool pop(rt_gc_range *r)
{
    while (top && top->n == 0) {
        chunk *c = top;
        top = c->prev;
        spare = c;
    }
    if (!top)
        return false;
    *r = top->item[--top->n];
    return true;
}

/* ---------------------------------------------------------------------- */
/* Marking                                                                */
/* ---------------------------------------------------------------------- */

/* Whether slot idx may hold an object: its alloc bit, or, in a cache's
 * window, handed out by the cache (gc_win_taken, when the cache's state
 * was consistent at the snapshot), else any slot of the window.  A slot
 * handed out in the instant of the stop, its free bit not yet cleared,
 * reads as free: its contents are not scanned, but nothing is in it yet
 * (the pointer to it is in a spilled register and keeps it unreported). */
NOSAN static inline bool slot_maybe_allocated(const rt_span *s, uint32_t idx)
{
    uint32_t w = idx / 64;
    uint64_t bit = (uint64_t)1 << (idx % 64);
    if (*(const uint32_t *)&s->window == w) {
        if (s->gc_win_word == w + 1)
            return ((*(const uint64_t *)&s->alloc_bits[w] | s->gc_win_taken) & bit) != 0;
        return true;
    }
    return (*(const uint64_t *)&s->alloc_bits[w] & bit) != 0;
}

/* Records, in this copy's span structs, what each cache's window had
 * handed out, where the cache slot and the span agree on the window. */
NOSAN static void note_windows(const rt_gc_snapshot *snap)
{
    for (size_t i = 0; i < snap->ncaches; i++) {
        rt_cache *c = snap->caches[i];
        for (int k = 0; k < 2; k++)
            for (int cls = 0; cls < RT_NCLASS_MAX; cls++) {
                rt_cache_slot *sl = &c->slots[k][cls];
                rt_span *s = sl->span;
                if (!s || !sl->gc_stable)
                    continue;
                uint32_t w = *(const uint32_t *)&s->window;
                if (w == RT_NO_WINDOW || (w + 1) * 64 > s->nelems + 63 ||
                    (uintptr_t)sl->window_base != s->base + (uintptr_t)w * 64 * s->elem_size)
                    continue;
                uint32_t left = s->nelems - w * 64;
                uint64_t mask = left >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << left) - 1;
                s->gc_win_word = w + 1;
                s->gc_win_taken = mask & ~sl->free_bits;
            }
    }
}

/* Marks the object containing w, if any, and queues it for scanning.  The
 * lookup is rt_heap_find's, written again: that one reads through atomics
 * and is instrumented in sanitizer builds, which this process must not run
 * (gcc does not inline an instrumented function into a NOSAN one). */
NOSAN static inline void mark_word(uintptr_t w)
{
    if (w - heap_lo >= heap_len)          /* most non-pointers: one compare */
        return;
    rt_arena *a = *(rt_arena **)&arena_map[w >> RT_ARENA_SHIFT];
    if (!a)
        return;
    rt_span *s = *(rt_span **)&a->spans[(w - a->base) >> RT_PAGE_SHIFT];
    if (!s)
        return;
    uint32_t state = *(const uint32_t *)&s->state;
    if ((state != RT_SPAN_SMALL && state != RT_SPAN_LARGE) || w < s->base ||
        w - s->base >= s->npages * RT_PAGE_SIZE)
        return;
    uintptr_t off = w - s->base;
    uint32_t idx = 0;
    if (state == RT_SPAN_SMALL)
        idx = (uint32_t)(((uint64_t)off * s->div_magic) >> 32);
    if (idx >= s->nelems || off - (uintptr_t)idx * s->elem_size >= s->elem_size)
        return;
    if (!slot_maybe_allocated(s, idx))
        return;
    uint64_t *mw = (uint64_t *)&s->mark_bits[idx / 64];
    uint64_t bit = (uint64_t)1 << (idx % 64);
    if (*mw & bit)
        return;
    *mw |= bit;
    marked_bytes += s->elem_size;
    marked_objects++;
    if (!s->noscan) {
        uintptr_t base = s->base + (uintptr_t)idx * s->elem_size;
        __builtin_prefetch((const void *)base);
        push(base, base + s->elem_size);
    }
}

NOSAN static void scan(uintptr_t lo, uintptr_t hi)
{
    lo = (lo + sizeof(void *) - 1) & ~(uintptr_t)(sizeof(void *) - 1);
    for (uintptr_t p = lo; p + sizeof(void *) <= hi; p += sizeof(void *))
        mark_word(*(const uintptr_t *)p);
}

/* Objects wait in a small FIFO between the mark stack and the scan, their
 * first line prefetched when they enter it: tracing is a chain of cache
 * misses, and this overlaps eight of them. */
#define PREFETCH 8

NOSAN static void drain(void)
{
    rt_gc_range q[PREFETCH];
    unsigned head = 0, n = 0;
    for (;;) {
        rt_gc_range r;
        while (n < PREFETCH && pop(&r)) {
            __builtin_prefetch((const void *)r.lo);
            q[(head + n++) % PREFETCH] = r;
        }
        if (n == 0)
            return;
        r = q[head];
        head = (head + 1) % PREFETCH;
        n--;
        scan(r.lo, r.hi);
    }
}

NOSAN static void scan_dense(uintptr_t lo, uintptr_t hi)
{
    if (hi <= lo)
        return;
    root_bytes += hi - lo;
    scan(lo, hi);
    drain();
}

/* Roots are scanned only where /proc/self/pagemap says pages are present
 * or swapped out.  Large roots (thread stacks of 8 MiB, sparse malloc
 * arenas) are mostly pages never touched: reading one would fault in a zero
 * page for nothing.  A page of a file mapping that is not present holds the
 * file's bytes, never a heap address (storing one would have made it
 * present), and past the end of the file reading it would raise SIGBUS. */
static long pagemap_fd = -1;

NOSAN static void scan_root(uintptr_t lo, uintptr_t hi)
{
    const uintptr_t pg = 4096;
    if (hi <= lo)
        return;
    if (pagemap_fd < 0) {
        scan_dense(lo, hi);
        return;
    }
    uint64_t ent[512];
    uintptr_t run = 0;                      /* start of a present run, or 0 */
    for (uintptr_t page = lo & ~(pg - 1); page < hi;) {
        size_t n = (size_t)((hi - page + pg - 1) / pg);
        if (n > 512)
            n = 512;
        long got = raw_syscall(SYS_pread64, pagemap_fd, (long)ent, (long)(n * 8),
                               (long)(page / pg * 8), 0, 0);
        if (got != (long)(n * 8)) {         /* cannot tell: scan it all */
            scan_dense(run ? run : page > lo ? page : lo, hi);
            return;
        }
        for (size_t i = 0; i < n; i++, page += pg) {
            bool in = (ent[i] >> 62) & 3;  /* present or swapped */
            if (in && !run)
                run = page > lo ? page : lo;
            else if (!in && run) {
                scan_dense(run, page);
                run = 0;
            }
        }
    }
    if (run)
        scan_dense(run, hi);
}

/* ---------------------------------------------------------------------- */
/* Ranges                                                                 */
/* ---------------------------------------------------------------------- */

NOSAN static void sort_ranges(rt_gc_range *r, size_t n)
{
    /* Shell sort: no recursion, no libc. */
    static const size_t gaps[] = { 4071, 1561, 701, 301, 132, 57, 23, 10, 4, 1 };
    for (size_t gi = 0; gi < sizeof gaps / sizeof gaps[0]; gi++) {
        size_t gap = gaps[gi];
        for (size_t i = gap; i < n; i++) {
            rt_gc_range t = r[i];
            size_t j = i;
            for (; j >= gap && r[j - gap].lo > t.lo; j -= gap)
                r[j] = r[j - gap];
            r[j] = t;
        }
    }
}

NOSAN static void sort_sps(rt_gc_sp *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        rt_gc_sp t = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1].sp > t.sp; j--)
            v[j] = v[j - 1];
        v[j] = t;
    }
}

static rt_gc_range *excl;
static size_t nexcl;
static rt_gc_sp *sps;
static size_t nsps;
static rt_g *snap_allg;

/* Scans [lo, hi) of one mapping minus the excluded ranges; a stopped
 * thread's stack pointer in a piece starts that piece's scan there. */
NOSAN static void scan_mapping(uintptr_t lo, uintptr_t hi)
{
    /* Sanitizer shadow memory: terabytes, and no roots. */
#if defined(GOC_ASAN) && defined(__x86_64__)
    if (lo < 0x10007fff8000ULL && hi > 0x7fff7000ULL)
        return;
#endif
#if defined(GOC_TSAN) && defined(__x86_64__)
    /* Shadow and metadata (0x3400... in gcc 12's layout, up to 0x4000... in
     * others). */
    if (lo < 0x400000000000ULL && hi > 0x010000000000ULL)
        return;
#endif
    /* First excluded range that ends after lo (ranges are sorted, merged). */
    size_t a = 0, b = nexcl;
    while (a < b) {
        size_t mid = (a + b) / 2;
        if (excl[mid].hi <= lo)
            a = mid + 1;
        else
            b = mid;
    }
    uintptr_t cur = lo;
    for (size_t i = a; cur < hi; i++) {
        uintptr_t end = i < nexcl && excl[i].lo < hi ? excl[i].lo : hi;
        if (end > cur) {
            /* Below the lowest stack pointer of a thread inside its own
             * stack: dead frames (several pointers: the lowest is the safe
             * one).  Elsewhere (a stack in malloc'ed memory, an alternate
             * signal stack) the whole piece is scanned. */
            uintptr_t skip_lo = 0, skip_hi = 0;
            for (size_t k = 0; k < nsps; k++)
                if (sps[k].sp > cur && sps[k].sp < end && sps[k].sp > sps[k].lo &&
                    sps[k].sp < sps[k].hi) {
                    skip_lo = sps[k].lo > cur ? sps[k].lo : cur;
                    skip_hi = sps[k].sp;
                    break;
                }
            if (skip_hi > skip_lo) {
                scan_root(cur, skip_lo);
                scan_root(skip_hi, end);
            } else {
                scan_root(cur, end);
            }
        }
        if (i >= nexcl || excl[i].lo >= hi)
            break;
        cur = excl[i].hi;
    }
}

NOSAN static uintptr_t parse_hex(const char **pp)
{
    const char *p = *pp;
    uintptr_t v = 0;
    for (;;) {
        char c = *p;
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            break;
        v = v * 16 + d;
        p++;
    }
    *pp = p;
    return v;
}

/* Collects the private writable mappings (before scanning, which maps
 * mark-stack chunks of its own). */
NOSAN static rt_gc_range *read_maps(size_t *n)
{
    const size_t bufsize = 1 << 16;
    char *buf = child_map(bufsize);
    size_t cap = 1 << 16;
    rt_gc_range *maps = child_map(cap * sizeof *maps);
    size_t count = 0;
    long fd = raw_syscall(SYS_openat, AT_FDCWD, (long)"/proc/self/maps", O_RDONLY, 0, 0, 0);
    if (fd < 0)
        child_exit(4);
    size_t have = 0;
    for (;;) {
        long got = raw_syscall(SYS_read, fd, (long)(buf + have), (long)(bufsize - have), 0, 0, 0);
        if (got < 0)
            child_exit(5);
        have += (size_t)got;
        size_t used = 0;
        for (;;) {
            char *line = buf + used, *nl = NULL;
            for (char *q = line; q < buf + have; q++)
                if (*q == '\n') {
                    nl = q;
                    break;
                }
            if (!nl)
                break;
            const char *p = line;
            uintptr_t lo = parse_hex(&p);
            p++;
            uintptr_t hi = parse_hex(&p);
            p++;
            if (p[0] == 'r' && p[1] == 'w' && p[3] == 'p') {
                if (count == cap) {
                    rt_gc_range *more = child_map(2 * cap * sizeof *maps);
                    for (size_t i = 0; i < count; i++)
                        more[i] = maps[i];
                    maps = more;
                    cap *= 2;
                }
                maps[count].lo = lo;
                maps[count].hi = hi;
                count++;
            }
            used = (size_t)(nl + 1 - buf);
        }
        if (got == 0)
            break;
        for (size_t i = used; i < have; i++)
            buf[i - used] = buf[i];
        have -= used;
        if (have == bufsize)
            child_exit(6);                /* a line longer than the buffer */
    }
    raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
    *n = count;
    return maps;
}

/* ---------------------------------------------------------------------- */
/* Goroutine stacks                                                       */
/* ---------------------------------------------------------------------- */

NOSAN static void scan_goroutines(void)
{
    for (rt_g *g = snap_allg; g; g = g->allnext) {
        uint32_t st = *(const uint32_t *)&g->status;
        if (st == RT_G_IDLE || st == RT_G_DEAD)
            continue;
        uintptr_t lo = (uintptr_t)g->stack_lo, hi = (uintptr_t)(g + 1);
        uintptr_t from = lo;
        if (st != RT_G_RUNNING && (uintptr_t)g->sp >= lo && (uintptr_t)g->sp < hi)
            from = (uintptr_t)g->sp;
        for (size_t k = 0; k < nsps; k++)
            if (sps[k].sp >= lo && sps[k].sp < hi && sps[k].sp < from)
                from = sps[k].sp;
        /* A running G with no stopped thread in its stack: whole stack. */
        scan_root(from, hi);
    }
}

/* ---------------------------------------------------------------------- */
/* The dead                                                               */
/* ---------------------------------------------------------------------- */

NOSAN static void emit(rt_gc_result *res, rt_span *s, const uint64_t *dead)
{
    if (res->ndead == res->cap) {
        res->overflow++;
        return;
    }
    rt_gc_dead *d = &res->recs[res->ndead];
    d->span = s;
    for (int w = 0; w < RT_BITMAP_WORDS; w++)
        d->dead[w] = dead[w];
    res->ndead++;
}

NOSAN static void find_dead(rt_span *s, rt_gc_result *res)
{
    uint64_t dead[RT_BITMAP_WORDS] = { 0 };
    uint32_t state = *(const uint32_t *)&s->state;
    if (state == RT_SPAN_LARGE) {
        if ((*(uint64_t *)&s->mark_bits[0] & 1) || s->gc_fresh)
            return;
        dead[0] = 1;
        res->dead_bytes += s->elem_size;
        res->dead_objects++;
        emit(res, s, dead);
        return;
    }
    bool any = false;
    for (uint32_t w = 0; w * 64 < s->nelems; w++) {
        uint32_t left = s->nelems - w * 64;
        uint64_t mask = left >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << left) - 1;
        uint64_t alloc = *(uint64_t *)&s->alloc_bits[w];
        if (s->gc_win_word == w + 1)
            alloc |= s->gc_win_taken;      /* handed out by its cache */
        uint64_t d = alloc & ~s->pending_free[w] & ~*(uint64_t *)&s->mark_bits[w] & mask;
        if (d) {
            dead[w] = d;
            any = true;
            uint64_t n = (uint64_t)__builtin_popcountll(d);
            res->dead_objects += n;
            res->dead_bytes += n * s->elem_size;
        }
    }
    if (any)
        emit(res, s, dead);
}

NOSAN static void sweep_report(const rt_gc_snapshot *snap)
{
    rt_gc_result *res = snap->result;
    for (size_t i = 0; i < snap->narenas; i++) {
        rt_arena *a = snap->arenas[i];
        for (size_t pg = 0; pg < RT_ARENA_PAGES;) {
            rt_span *s = *(rt_span **)&a->spans[pg];
            uintptr_t addr = a->base + pg * RT_PAGE_SIZE;
            if (!s || s->base != addr) {
                pg++;
                continue;
            }
            uint32_t state = *(const uint32_t *)&s->state;
            if (state == RT_SPAN_SMALL || state == RT_SPAN_LARGE)
                find_dead(s, res);
            pg += s->npages ? s->npages : 1;
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Entry                                                                  */
/* ---------------------------------------------------------------------- */

NOSAN void rt_gc_mark_child(const rt_gc_snapshot *snap)
{
    /* Die with the collector thread that waits for us. */
    raw_syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0, 0);
    arena_map = snap->arena_map;
    if (snap->narenas) {
        heap_lo = snap->arenas[0]->base;
        heap_len = snap->arenas[snap->narenas - 1]->base + RT_ARENA_SIZE - heap_lo;
    }

    excl = child_map((snap->nexclude + 1) * sizeof *excl);
    size_t n = 0;
    for (size_t i = 0; i < snap->nexclude; i++)
        excl[n++] = snap->exclude[i];
    sort_ranges(excl, n);
    nexcl = 0;
    for (size_t i = 0; i < n; i++) {               /* merge overlaps */
        if (nexcl && excl[i].lo <= excl[nexcl - 1].hi) {
            if (excl[i].hi > excl[nexcl - 1].hi)
                excl[nexcl - 1].hi = excl[i].hi;
        } else {
            excl[nexcl++] = excl[i];
        }
    }
    nsps = snap->nthreads;
    sps = child_map((nsps + 1) * sizeof *sps);
    for (size_t i = 0; i < nsps; i++)
        sps[i] = snap->thread_sps[i];
    sort_sps(sps, nsps);
    snap_allg = snap->allg;
    note_windows(snap);

    size_t nmaps;
    rt_gc_range *maps = read_maps(&nmaps);
    pagemap_fd = raw_syscall(SYS_openat, AT_FDCWD, (long)"/proc/self/pagemap", O_RDONLY, 0, 0, 0);
    if (arena_map) {
        for (size_t i = 0; i < nmaps; i++)
            scan_mapping(maps[i].lo, maps[i].hi);
        scan_goroutines();
    }

    rt_gc_result *res = snap->result;
    res->marked_bytes = marked_bytes;
    res->marked_objects = marked_objects;
    res->root_bytes = root_bytes;
    if (arena_map)
        sweep_report(snap);
    __atomic_store_n(&res->status, 1, __ATOMIC_RELEASE);
    child_exit(0);
}

NOSAN long rt_gc_clone_marker(const rt_gc_snapshot *snap)
{
    long pid = raw_syscall(SYS_clone, 0, 0, 0, 0, 0, 0);
    if (pid == -EINVAL) {
        /* qemu-user emulates only fork-like clones that signal SIGCHLD. */
        pid = raw_syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
        *snap->sigchld = pid >= 0;
    }
    if (pid == 0)
        rt_gc_mark_child(snap);
    if (pid < 0) {
        errno = (int)-pid;
        return -1;
    }
    return pid;
}
