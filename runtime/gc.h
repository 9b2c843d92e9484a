/*
 * gc.h — the collector's internal interface: what the allocator, the
 * scheduler and the stack code tell it, and what the marking process
 * (gc_mark.c) and the controller (gc.c) share.  The design is described at
 * the top of gc.c.
 */
#ifndef GOC_GC_H
#define GOC_GC_H

#include "alloc.h"

/* ---------------------------------------------------------------------- */
/* Regions the marker must not scan as roots (gc.c)                       */
/* ---------------------------------------------------------------------- */

/* [lo, hi) holds no roots: heap arenas (traced from roots instead),
 * allocator metadata (span structs hold heap addresses but are not
 * references), goroutine stack reservations (scanned precisely, from each
 * goroutine's stack pointer).  Any thread; takes a leaf lock. */
void rt_gc_exclude(void *lo, void *hi) RT_HIDDEN;
/* Undoes rt_gc_exclude for exactly that range (an unmapped stack). */
void rt_gc_unexclude(void *lo, void *hi) RT_HIDDEN;

/* Keeps the collector from starting or finishing a cycle until released
 * (the heap validator, rt_heap_check).  Not from the collector thread. */
void rt_gc_hold(void) RT_HIDDEN;
void rt_gc_release(void) RT_HIDDEN;

/* ---------------------------------------------------------------------- */
/* Hooks                                                                  */
/* ---------------------------------------------------------------------- */

/* Installs the stop signal's handler and reads GOC_GC, GOC_MEMLIMIT and
 * GOC_DEBUG=gctrace.  Idempotent, any thread. */
void rt_gc_init(void) RT_HIDDEN;
/* The calling thread is an M (its tid is signalled to stop the world). */
void rt_gc_register_m(rt_m *m) RT_HIDDEN;
/* Odd while the collector stops the world (for sysmon, which must not
 * take stopped threads for stuck ones). */
uint32_t rt_gc_stop_epoch(void) RT_HIDDEN;
/* The calling thread, not an M, allocated: it is stopped with the Ms so
 * that its registers are seen.  Called once per thread. */
void rt_gc_register_thread(void) RT_HIDDEN;

/* rt_futex_wait brackets its sleep with these: a sleeping thread with its
 * callee-saved registers spilled above sp needs no signal to be stopped. */
bool rt_gc_enter_safe(uintptr_t sp) RT_HIDDEN;
void rt_gc_exit_safe(void) RT_HIDDEN;

/* heap_live passed the trigger: starts a cycle (cheap when one runs). */
extern _Atomic intptr_t rt_gc_trigger RT_HIDDEN;
/* heap_live passed the hard goal while a cycle runs: wait for it. */
extern _Atomic intptr_t rt_gc_hard_goal RT_HIDDEN;
void rt_gc_start_async(void) RT_HIDDEN;
void rt_gc_assist(void) RT_HIDDEN;

/* Called by the allocator after it took a new span or a large object
 * (never on the fast path, never with an allocator lock held). */
static inline void rt_gc_after_grow(intptr_t live)
{
    if (RT_UNLIKELY(live >= atomic_load_explicit(&rt_gc_trigger, memory_order_relaxed))) {
        if (live >= atomic_load_explicit(&rt_gc_hard_goal, memory_order_relaxed))
            rt_gc_assist();
        else
            rt_gc_start_async();
    }
}

/* ---------------------------------------------------------------------- */
/* What the stopped world hands the marking process                       */
/* ---------------------------------------------------------------------- */

#define RT_GC_MAX_THREADS 8192
#define RT_GC_MAX_EXCLUDE 65536

typedef struct rt_gc_range {
    uintptr_t lo, hi;
} rt_gc_range;

/* A stack pointer of a stopped thread, and that thread's own stack
 * [lo, hi) (0, 0 if unknown): frames below sp are dead only there. */
typedef struct rt_gc_sp {
    uintptr_t sp, lo, hi;
} rt_gc_sp;

/* A span with objects the marker found unreachable: dead[] are slot bits
 * (a large span: bit 0). */
typedef struct rt_gc_dead {
    rt_span *span;
    uint64_t dead[RT_BITMAP_WORDS];
} rt_gc_dead;

/* The result page shared between the collector and its marking process
 * (MAP_SHARED), followed by the dead records. */
typedef struct rt_gc_result {
    uint64_t status;                    /* 1 when the marker finished      */
    uint64_t ndead, cap;                /* records written, room for      */
    uint64_t marked_bytes, marked_objects;
    uint64_t dead_bytes, dead_objects;
    uint64_t root_bytes;                /* bytes of roots scanned          */
    uint64_t overflow;                  /* records that did not fit        */
    rt_gc_dead recs[];
} rt_gc_result;

/* The snapshot the marker reads, in the collector's (copied) memory. */
typedef struct rt_gc_snapshot {
    rt_gc_range *exclude;               /* unsorted                        */
    size_t nexclude;
    rt_gc_sp *thread_sps;               /* stack pointers of stopped threads */
    size_t nthreads;
    rt_arena **arenas;                  /* sorted by base                  */
    size_t narenas;
    rt_arena *_Atomic *arena_map;
    rt_g *allg;
    bool *sigchld;                      /* set: the child signals SIGCHLD  */
    rt_cache **caches;                  /* every P's and the shared one    */
    size_t ncaches;
    rt_gc_result *result;
} rt_gc_snapshot;

/* The marking process's body: marks from every root, writes the dead
 * records, never returns (gc_mark.c). */
RT_NORETURN void rt_gc_mark_child(const rt_gc_snapshot *snap) RT_HIDDEN;
/* clone(2) without CLONE_VM and with exit signal 0 (wait(2) in the program
 * never sees the child); the child runs rt_gc_mark_child.  Returns its pid,
 * or -1 with errno. */
long rt_gc_clone_marker(const rt_gc_snapshot *snap) RT_HIDDEN;

/* heap.c: the cache of threads without a P (NULL until one allocates). */
rt_cache *rt_heap_shared_cache(void) RT_HIDDEN;

/* alloc_page.c: the heap lock and the arena list, for the collector. */
void rt_heap_lock(void) RT_HIDDEN;
void rt_heap_unlock(void) RT_HIDDEN;
rt_arena **rt_heap_arenas(size_t *n) RT_HIDDEN;
rt_arena *_Atomic *rt_heap_arena_map(void) RT_HIDDEN;
/* alloc_cache.c: frees the dead slots of one span, or a large span's
 * object (sweep); returns the bytes freed and adds the objects to *nobj. */
size_t rt_span_sweep(rt_span *s, const uint64_t *dead, uint64_t *nobj) RT_HIDDEN;
/* sched.c: the allg lock, held across the stop so the G list is whole. */
void rt_allg_lock(void) RT_HIDDEN;
void rt_allg_unlock(void) RT_HIDDEN;
rt_g *rt_allg_head(void) RT_HIDDEN;

#endif
