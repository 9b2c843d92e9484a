/*
 * gc.c — the collector: a concurrent, conservative, non-moving mark-sweep
 * collector whose marking runs in a snapshot of the program.
 *
 * A cycle
 *   1. Stop the world (short).  The collector thread takes the heap lock
 *      (no span is half made), the excluded-range lock and the allg lock (the
 *      G list is whole), then sends GC_SIGNAL to every M and to every other
 *      thread that has allocated.  Each handler spills its registers
 *      (__builtin_unwind_init; the kernel's signal frame holds them too),
 *      records its stack pointer, acknowledges and waits.
 *   2. Snapshot.  With every mutator stopped the collector calls clone(2)
 *      without CLONE_VM: a child process with a copy-on-write copy of the
 *      whole address space.  That copy is the snapshot; the child
 *      (gc_mark.c) marks in it.
 *   3. Restart the world.  The pause ends here: it lasts as long as the
 *      signals' round trip plus the kernel's copy of the page tables
 *      (about 3 ms per 100 MB mapped on these machines; see issue notes).
 *   4. Mark, concurrently.  The child scans the roots of the snapshot and
 *      traces the heap, single-threaded, on whatever core is free, while
 *      the goroutines keep running on theirs.  It writes, into a page
 *      shared with the parent (MAP_SHARED), for every span the slots that
 *      were allocated at the snapshot and are unreachable in it.
 *   5. Sweep, concurrently.  The collector thread frees those slots span by
 *      span under the span's central lock (rt_span_sweep), as goroutines
 *      allocate beside it; then it sets the next trigger.
 *
 * Why nothing reachable is freed (how mutations during marking are caught)
 *   The child sees the heap exactly as it was at the snapshot, whatever the
 *   goroutines do afterwards: copy-on-write isolates it from every later
 *   store, by any thread, C code and system calls included.  An object that
 *   is unreachable in the snapshot stays unreachable: nothing can create a
 *   pointer to an object without already holding one (conservative roots
 *   only err towards keeping more).  An object allocated after the
 *   snapshot is not in it as an allocated slot, so it cannot be reported:
 *   the child reports only slots whose alloc bit was set at the snapshot
 *   (alloc.h: slots handed out from a cache's current window get their bit
 *   later, so they are never reported in the cycle that sees them first).
 *   The registers of every thread that may hold a heap pointer are in
 *   memory at the snapshot (signal frames).  Sweeping of one cycle ends
 *   before the next snapshot, so a slot is never reported twice, and a
 *   reported slot is still allocated when it is freed (only the sweeper
 *   frees).  This is the "snapshot at the beginning" invariant of
 *   incremental collectors, with the kernel's page protection as the write
 *   barrier, and no per-store cost in the program.
 *
 * Pacing (as Go's GOGC)
 *   After a cycle that found M bytes reachable, the goal is
 *   M + (M + R) * GOC_GC/100, at least 4 MiB, at most GOC_MEMLIMIT when
 *   set, where R is the resident memory outside the heap (goroutine and
 *   thread stacks, malloc, globals).  Go (since 1.18) counts stacks and
 *   globals in its goal the same way, as work a cycle must do; here both the
 *   pause (the kernel copies the page tables of everything resident) and the
 *   root scan grow with R, so a program of a million goroutines and a small
 *   heap does not pay a cycle per 4 MiB allocated.
 *   A cycle starts when heap_live (allocator accounting: spans handed to
 *   caches count whole) reaches the trigger, 6/10 of the way from M to the
 *   goal.  A thread that allocates past the hard goal (the goal plus the
 *   growth again; half of it when GOC_MEMLIMIT set the goal) while a
 *   cycle runs waits for the cycle to end: an assist
 *   that bounds the heap when the program allocates faster than the child
 *   marks.  (A hard goal of half the growth made gcbench's mutator wait
 *   1.2 s of its 6.5 s; this one, 0.08 s of 5.4 s, for 20% more peak RSS.)
 *   The controller thread calls the allocator's scavenger after each sweep.
 *
 * Threads
 *   The collector thread is a plain pthread (not an M), started at the
 *   first cycle.  The child dies with it (PR_SET_PDEATHSIG).  GC_SIGNAL is
 *   SIGPWR, with SA_RESTART; a blocking call interrupted by it restarts,
 *   except those Linux never restarts (nanosleep, poll with a timeout,
 *   ...), which return EINTR as they do in Go programs under SIGURG.
 */
#include "gc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <ucontext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define GC_SIGNAL SIGPWR
#define PAUSE_RING 1024
#define MIN_GOAL ((intptr_t)4 << 20)

/* ---------------------------------------------------------------------- */
/* Excluded ranges                                                        */
/* ---------------------------------------------------------------------- */

static rt_lock excl_lock;               /* after the heap lock            */
static rt_gc_range *excl;
static size_t nexcl;

static void excl_ready(void)
{
    if (excl)
        return;
    size_t bytes = RT_GC_MAX_EXCLUDE * sizeof *excl;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        rt_fatal("out of memory");
    excl = p;
    excl[nexcl++] = (rt_gc_range){ (uintptr_t)p, (uintptr_t)p + bytes };
}

void rt_gc_exclude(void *lo, void *hi)
{
    rt_lock_acquire(&excl_lock);
    excl_ready();
    if (nexcl == RT_GC_MAX_EXCLUDE)
        rt_fatal("collector: too many excluded memory ranges");
    excl[nexcl++] = (rt_gc_range){ (uintptr_t)lo, (uintptr_t)hi };
    rt_lock_release(&excl_lock);
}

void rt_gc_unexclude(void *lo, void *hi)
{
    rt_lock_acquire(&excl_lock);
    for (size_t i = 0; i < nexcl; i++)
        if (excl[i].lo == (uintptr_t)lo && excl[i].hi == (uintptr_t)hi) {
            excl[i] = excl[--nexcl];
            break;
        }
    rt_lock_release(&excl_lock);
}

/* ---------------------------------------------------------------------- */
/* Settings, pacing state, statistics                                     */
/* ---------------------------------------------------------------------- */

/* Set by pace(), first from rt_gc_init, which runs before the heap's first
 * allocation. */
_Atomic intptr_t rt_gc_trigger = INTPTR_MAX;
_Atomic intptr_t rt_gc_hard_goal = INTPTR_MAX;

static struct {
    int percent;                        /* -1: off                        */
    intptr_t memlimit;                  /* 0: none                        */
    bool trace;
    int64_t start_ns;

    _Atomic uint32_t want;              /* cycles requested (futex)       */
    _Atomic uint32_t started;           /* cycles begun                   */
    _Atomic uint32_t done;              /* cycles finished (futex)        */
    _Atomic uint32_t forced;            /* highest cycle goc_gc or an
                                           assist needs (others may be
                                           skipped if no longer due)      */

    rt_lock stats_lock;                 /* guards st and the ring         */
    goc_gc_stats st;
    uint64_t ring[PAUSE_RING];
    uint32_t nring;
} C;

static intptr_t parse_bytes(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    static const struct { const char *suffix; double mult; } units[] = {
        { "", 1 }, { "B", 1 }, { "KiB", 1024.0 }, { "MiB", 1048576.0 },
        { "GiB", 1073741824.0 }, { "TiB", 1099511627776.0 },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].suffix) == 0)
            return v > 0 ? (intptr_t)(v * units[i].mult) : 0;
    fprintf(stderr, "goc: GOC_MEMLIMIT=%s: not a byte count (e.g. 512MiB)\n", s);
    return 0;
}

static intptr_t last_root_bytes;

#if !defined(GOC_TSAN) && !defined(GOC_ASAN)
/* Resident bytes of the process (/proc/self/statm), 0 if unknown. */
static intptr_t resident_bytes(void)
{
    char buf[128];
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    long size = 0, res = 0;
    if (sscanf(buf, "%ld %ld", &size, &res) != 2)
        return 0;
    return (intptr_t)res * (intptr_t)sysconf(_SC_PAGESIZE);
}
#endif

/* The non-heap memory a cycle pays for: the resident bytes of the process
 * minus those the heap may have resident (in use, or free and not yet
 * returned to the kernel).  Under a sanitizer the resident set is mostly
 * shadow memory: the roots the last cycle scanned stand in. */
static intptr_t nonheap_bytes(const rt_heap_stats *hs)
{
#if defined(GOC_TSAN) || defined(GOC_ASAN)
    (void)hs;
    return last_root_bytes;
#else
    intptr_t n = resident_bytes() - (intptr_t)(hs->mapped - hs->released);
    return n > 0 ? n : 0;
#endif
}

/* Sets the trigger and the hard goal from the bytes found reachable and the
 * resident bytes outside the heap. */
static void pace(intptr_t marked, intptr_t nonheap)
{
    intptr_t goal = INTPTR_MAX, trigger = INTPTR_MAX, hard = INTPTR_MAX;
    if (C.percent >= 0) {
        goal = marked + (marked + nonheap) / 100 * C.percent;
        if (goal < MIN_GOAL)
            goal = MIN_GOAL;
    }
    bool limited = C.memlimit && goal > C.memlimit;
    if (limited)
        goal = C.memlimit > marked ? C.memlimit : marked + MIN_GOAL;
    if (goal != INTPTR_MAX) {
        trigger = marked + (goal - marked) * 6 / 10;
        /* Under a memory limit the slack is half the room, as the limit
         * promises more than a growth target does (gc/gc_memlimit). */
        hard = goal + (goal - marked) / (limited ? 2 : 1);
    }
    atomic_store_explicit(&rt_gc_trigger, trigger, memory_order_relaxed);
    atomic_store_explicit(&rt_gc_hard_goal, hard, memory_order_relaxed);
    C.st.heap_goal = goal == INTPTR_MAX ? 0 : (uint64_t)goal;
}

/* ---------------------------------------------------------------------- */
/* Stopping the world                                                     */
/* ---------------------------------------------------------------------- */

static _Atomic uint32_t stw_epoch;      /* odd while the world is stopped */
static _Atomic uint32_t stw_acks;       /* futex: bumped by each handler  */

/* A thread the collector stops.  state: RUNNING, or SAFE while it sleeps
 * in rt_futex_wait with its registers spilled above safe_sp; the collector
 * turns SAFE into HELD instead of signalling (a sleeping thread is already
 * stopped: ThreadSanitizer would not even run the handler of a thread in a
 * raw futex wait), and the thread, waking, waits until HELD is SAFE again. */
enum { THR_RUNNING, THR_SAFE, THR_HELD };
typedef struct rt_gc_thr {
    _Atomic uint32_t state;
    _Atomic uint32_t ack_epoch;         /* the stop its handler joined     */
    uintptr_t safe_sp, sig_sp, sig_sp2;   /* sig: interrupted, handler's */
    uintptr_t stack_lo, stack_hi;       /* the thread's own stack          */
    pid_t tid;                          /* 0: free slot                    */
    rt_m *m;
    bool held, stopped;                 /* collector only, this stop      */
} rt_gc_thr;

static rt_lock thr_lock;
static rt_gc_thr thr[RT_GC_MAX_THREADS];
static int nthr;
static pthread_key_t thr_key;
static __thread rt_gc_thr *tls_thr;

/* The calling thread's own stack, [*lo, *hi); 0, 0 if unknown. */
static void own_stack(uintptr_t *lo, uintptr_t *hi)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    *lo = *hi = 0;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
        *lo = (uintptr_t)addr;
        *hi = (uintptr_t)addr + size;
    }
    pthread_attr_destroy(&attr);
}

static void thr_add(rt_m *m)
{
    pid_t tid = (pid_t)syscall(SYS_gettid);
    uintptr_t lo, hi;
    own_stack(&lo, &hi);
    rt_lock_acquire(&thr_lock);
    int slot = -1;
    for (int i = 0; i < nthr; i++)
        if (thr[i].tid == 0) {
            slot = i;
            break;
        }
    if (slot < 0 && nthr < RT_GC_MAX_THREADS)
        slot = nthr++;
    if (slot >= 0) {
        atomic_store_explicit(&thr[slot].state, THR_RUNNING, memory_order_relaxed);
        thr[slot].m = m;
        thr[slot].stack_lo = lo;
        thr[slot].stack_hi = hi;
        thr[slot].tid = tid;
        tls_thr = &thr[slot];
    }
    rt_lock_release(&thr_lock);
    if (slot < 0)
        rt_fatal("collector: more than %d threads allocate", RT_GC_MAX_THREADS);
}

static void thr_exit(void *arg)
{
    rt_gc_thr *t = arg;
    rt_lock_acquire(&thr_lock);
    t->tid = 0;
    rt_lock_release(&thr_lock);
    tls_thr = NULL;
}

void rt_gc_register_m(rt_m *m)
{
    rt_gc_init();
    thr_add(m);
}

void rt_gc_register_thread(void)
{
    if (tls_thr)
        return;
    rt_gc_init();
    thr_add(NULL);
    pthread_setspecific(thr_key, tls_thr);
}

bool rt_gc_enter_safe(uintptr_t sp)
{
    rt_gc_thr *t = tls_thr;
    if (!t)
        return false;
    t->safe_sp = sp;
    atomic_store_explicit(&t->state, THR_SAFE, memory_order_release);
    return true;
}

void rt_gc_exit_safe(void)
{
    rt_gc_thr *t = tls_thr;
    uint32_t s = THR_SAFE;
    while (!atomic_compare_exchange_weak_explicit(&t->state, &s, THR_RUNNING,
                                                  memory_order_acquire, memory_order_relaxed)) {
        if (s == THR_HELD)
            rt_futex_wait_raw(&t->state, THR_HELD);
        s = THR_SAFE;
    }
}

/* The stack pointer where the signal interrupted the thread. */
static uintptr_t interrupted_sp(void *ucv)
{
    ucontext_t *uc = ucv;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.sp;
#endif
}

/* Runs on the M's alternate signal stack (SA_ONSTACK: a signal frame of a
 * few KiB on a nearly full goroutine stack would overflow it); the
 * interrupted registers are in the frame there (malloc'ed memory, scanned
 * whole), the interrupted stack is scanned from its sp.  Under
 * ThreadSanitizer the handler may run later, called from an interceptor on
 * the thread's current stack: its own sp is recorded too. */
static void stw_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si;
    int saved = errno;
    uint32_t e = atomic_load_explicit(&stw_epoch, memory_order_acquire);
    rt_gc_thr *t = tls_thr;
    if ((e & 1) && t) {
        __builtin_unwind_init();        /* callee-saved registers, above sp */
        t->sig_sp = interrupted_sp(uc);
        t->sig_sp2 = rt_current_sp();
        atomic_store_explicit(&t->ack_epoch, e, memory_order_release);
        atomic_fetch_add_explicit(&stw_acks, 1, memory_order_release);
        rt_futex_wake(&stw_acks, 1);
        while (atomic_load_explicit(&stw_epoch, memory_order_acquire) == e)
            rt_futex_wait_raw(&stw_epoch, e);
    }
    errno = saved;
}

/* A thread that has not answered the stop signal for a while: if it blocks
 * GC_SIGNAL, or the program replaced the handler, it never will.  Says so
 * and exits rather than hang (no malloc: other threads may be stopped
 * inside it). */
static void diagnose_unstopped(pid_t tid)
{
    struct sigaction cur;
    if (sigaction(GC_SIGNAL, NULL, &cur) == 0 &&
        (!(cur.sa_flags & SA_SIGINFO) || cur.sa_sigaction != stw_handler))
        rt_fatal("collector: the program replaced goc's SIGPWR handler; goc stops threads "
                 "with SIGPWR to collect garbage");
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = 0;
    const char *blk = strstr(buf, "SigBlk:");
    if (blk && (strtoull(blk + 7, NULL, 16) >> (GC_SIGNAL - 1)) & 1)
        rt_fatal("collector: thread %d blocks SIGPWR, which goc uses to stop threads for a "
                 "collection: leave SIGPWR unblocked in threads that call goc",
                 (int)tid);
}

/* A thread asleep in rt_futex_wait is stopped already: holds it there. */
static bool try_hold(rt_gc_thr *t)
{
    uint32_t s = THR_SAFE;
    if (!atomic_compare_exchange_strong_explicit(&t->state, &s, THR_HELD, memory_order_acq_rel,
                                                 memory_order_relaxed))
        return false;
    t->held = t->stopped = true;
    return true;
}

uint32_t rt_gc_stop_epoch(void)
{
    return atomic_load_explicit(&stw_epoch, memory_order_acquire);
}

/* Stops every registered thread but this one (thr_lock held). */
static void stop_world(void)
{
    uint32_t e = atomic_fetch_add_explicit(&stw_epoch, 1, memory_order_acq_rel) + 1;
    pid_t pid = getpid(), self = (pid_t)syscall(SYS_gettid);
    for (int i = 0; i < nthr; i++) {
        rt_gc_thr *t = &thr[i];
        t->held = false;
        t->stopped = t->tid == 0 || t->tid == self;
        if (t->stopped || try_hold(t))
            continue;
        if (syscall(SYS_tgkill, pid, t->tid, GC_SIGNAL) != 0)
            t->stopped = true;            /* it has exited */
    }
    for (int64_t waited = 0, t0 = goc_nanotime();; waited = goc_nanotime() - t0) {
        uint32_t acks = atomic_load_explicit(&stw_acks, memory_order_acquire);
        bool all = true;
        for (int i = 0; i < nthr; i++) {
            rt_gc_thr *t = &thr[i];
            if (t->stopped)
                continue;
            if (atomic_load_explicit(&t->ack_epoch, memory_order_acquire) == e)
                t->stopped = true;
            else if (!try_hold(t)) {
                all = false;
                if (waited > 1000 * 1000 * 1000)
                    diagnose_unstopped(t->tid);
            }
        }
        if (all)
            return;
        rt_futex_wait(&stw_acks, acks, 1000 * 1000);
    }
}

static void start_world(void)
{
    atomic_fetch_add_explicit(&stw_epoch, 1, memory_order_release);
    rt_futex_wake(&stw_epoch, INT32_MAX);
    for (int i = 0; i < nthr; i++)
        if (thr[i].held) {
            atomic_store_explicit(&thr[i].state, THR_SAFE, memory_order_release);
            rt_futex_wake(&thr[i].state, 1);
        }
}

/* ---------------------------------------------------------------------- */
/* A cycle                                                                */
/* ---------------------------------------------------------------------- */

static rt_gc_snapshot snap;
static uintptr_t collector_lo, collector_hi;
static bool snap_sigchld;
static rt_cache *snap_caches[1024];
static rt_gc_sp snap_sps[4 * RT_GC_MAX_THREADS + 1];

/* Fills snap while the world is stopped. */
static void take_snapshot(rt_gc_result *res)
{
    size_t n = 0;
    uint32_t e = atomic_load_explicit(&stw_epoch, memory_order_relaxed);
    for (int i = 0; i < nthr; i++) {
        rt_gc_thr *t = &thr[i];
        if (!t->tid)
            continue;
        uintptr_t lo = t->stack_lo, hi = t->stack_hi;
        if (atomic_load_explicit(&t->ack_epoch, memory_order_acquire) == e) {
            snap_sps[n++] = (rt_gc_sp){ t->sig_sp, lo, hi };
            snap_sps[n++] = (rt_gc_sp){ t->sig_sp2, lo, hi };
        }
        if (t->held)
            snap_sps[n++] = (rt_gc_sp){ t->safe_sp, lo, hi };
        rt_m *m = t->m;
        if (m && m->curg && m->curg != &m->g0 && m->g0.sp)   /* its scheduler stack */
            snap_sps[n++] = (rt_gc_sp){ (uintptr_t)m->g0.sp, lo, hi };
    }
    snap_sps[n++] = (rt_gc_sp){ rt_current_sp(), collector_lo, collector_hi };
    snap.thread_sps = snap_sps;
    snap.nthreads = n;
    snap.exclude = excl;
    snap.nexclude = nexcl;
    snap.arenas = rt_heap_arenas(&snap.narenas);
    snap.arena_map = rt_heap_arena_map();
    snap.allg = rt_allg_head();
    size_t nc = 0;
    for (int i = 0, np = rt_sched_state.ps ? rt_nallp() : 0; i < np && nc < 1023; i++)
        if (rt_sched_state.ps[i].cache)
            snap_caches[nc++] = rt_sched_state.ps[i].cache;
    if (rt_heap_shared_cache())
        snap_caches[nc++] = rt_heap_shared_cache();
    snap.caches = snap_caches;
    snap.ncaches = nc;
    snap.result = res;
    snap.sigchld = &snap_sigchld;
}

static void record_pause(uint64_t ns)
{
    C.st.pause_total_ns += ns;
    if (ns > C.st.pause_max_ns)
        C.st.pause_max_ns = ns;
    C.st.last_pause_ns = ns;
    C.ring[C.nring++ % PAUSE_RING] = ns;
}

static size_t sweep(rt_gc_result *res, uint64_t *nobj)
{
    size_t bytes = 0;
    for (uint64_t i = 0; i < res->ndead; i++)
        bytes += rt_span_sweep(res->recs[i].span, res->recs[i].dead, nobj);
    return bytes;
}

static _Atomic int64_t assist_ns;       /* allocating threads waited      */
static rt_lock cycle_lock;              /* held across a cycle; before
                                           the heap lock                  */

void rt_gc_hold(void)
{
    rt_lock_acquire(&cycle_lock);
}

void rt_gc_release(void)
{
    rt_lock_release(&cycle_lock);
}

/* The result page the marking process writes, sized for every span. */
static rt_gc_result *map_result(size_t *bytes)
{
    rt_heap_stats hs;
    rt_heap_get_stats(&hs);
    size_t cap = hs.nspans + 4096;
    *bytes = sizeof(rt_gc_result) + cap * sizeof(rt_gc_dead);
    rt_gc_result *res = mmap(NULL, *bytes, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (res == MAP_FAILED)
        rt_fatal("collector: cannot map its result page: %s", strerror(errno));
    res->cap = cap;
    return res;
}

/* Phases 1 to 3: stop, snapshot, restart.  Returns the child's pid. */
static long stop_and_snapshot(rt_gc_result *res)
{
    rt_heap_lock();
    rt_lock_acquire(&excl_lock);
    excl_ready();
    rt_allg_lock();
    rt_lock_acquire(&thr_lock);
    stop_world();
    take_snapshot(res);
    long pid = rt_gc_clone_marker(&snap);
    int clone_err = pid < 0 ? errno : 0;
    start_world();
    rt_lock_release(&thr_lock);
    rt_allg_unlock();
    rt_lock_release(&excl_lock);
    rt_heap_unlock();
    if (pid < 0)
        rt_fatal("collector: clone failed: %s", strerror(clone_err));
    return pid;
}

/* Phase 4: waits for the marking process; fatal if it did not finish. */
static void wait_marker(long pid, const rt_gc_result *res)
{
    int status = 0;
    while (waitpid((pid_t)pid, &status, snap_sigchld ? 0 : __WCLONE) < 0) {
        if (errno == ECHILD && snap_sigchld) {
            /* A SIGCHLD child (qemu-user) that the program reaped, or that
             * SIG_IGN reaped: it has exited; its result page says how. */
            status = 0;
            break;
        }
        if (errno != EINTR)
            rt_fatal("collector: waitpid: %s", strerror(errno));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || res->status != 1) {
        if (WIFSIGNALED(status))
            rt_fatal("collector: the marking process died of signal %d", WTERMSIG(status));
        rt_fatal("collector: the marking process failed (status %d)", WEXITSTATUS(status));
    }
}

static void trace_line(uint64_t cycle, const int64_t t[4], intptr_t live_before,
                       const rt_heap_stats *hs, size_t freed, uint64_t marked,
                       uint64_t goal, uint64_t roots)
{
    const double mb = 1024.0 * 1024.0;
    fprintf(stderr,
            "gc %llu @%.3fs: %.3f+%.3f+%.3f ms clock (pause+mark+sweep), "
            "%.1f->%.1f->%.1f MB, %.1f MB goal, %.1f MB mapped, %.1f MB roots, %d P, "
            "%.1f ms assists in all\n",
            (unsigned long long)cycle, (double)(t[0] - C.start_ns) / 1e9,
            (double)(t[1] - t[0]) / 1e6, (double)(t[2] - t[1]) / 1e6, (double)(t[3] - t[2]) / 1e6,
            (double)live_before / mb, (double)(hs->live + freed) / mb, (double)marked / mb,
            (double)goal / mb, (double)hs->mapped / mb, (double)roots / mb,
            rt_sched_state.nprocs, (double)atomic_load(&assist_ns) / 1e6);
}

static void run_cycle(void)
{
    int64_t t[4];
    size_t bytes;
    intptr_t live_before = rt_heap_live();
    rt_gc_result *res = map_result(&bytes);
    t[0] = goc_nanotime();
    long pid = stop_and_snapshot(res);
    t[1] = goc_nanotime();
    wait_marker(pid, res);
    t[2] = goc_nanotime();
    uint64_t nobj = 0;
    size_t freed = sweep(res, &nobj);              /* phase 5 */
    t[3] = goc_nanotime();
    uint64_t marked = res->marked_bytes, roots = res->root_bytes;
    munmap(res, bytes);
    rt_heap_scavenge(RT_SCAVENGE_AGE_NS);

    rt_heap_stats hs;
    rt_heap_get_stats(&hs);
    rt_lock_acquire(&C.stats_lock);
    last_root_bytes = (intptr_t)roots;
    pace((intptr_t)marked, nonheap_bytes(&hs));
    C.st.cycles++;
    record_pause((uint64_t)(t[1] - t[0]));
    C.st.heap_marked = marked;
    C.st.freed_bytes += freed;
    C.st.freed_objects += nobj;
    C.st.mark_ns_total += (uint64_t)(t[2] - t[1]);
    uint64_t cycle = C.st.cycles, goal = C.st.heap_goal;
    rt_lock_release(&C.stats_lock);
    if (C.trace)
        trace_line(cycle, t, live_before, &hs, freed, marked, goal, roots);
    if (atomic_load_explicit(&rt_trace_on, memory_order_relaxed)) {
        rt_trace_gc("gc pause", t[0], t[1], cycle);
        rt_trace_gc("gc mark", t[1], t[2], cycle);
        rt_trace_gc("gc sweep", t[2], t[3], cycle);
    }
}

/* Whether cycle n must run: asked for by goc_gc or an assist, or still
 * due once the trigger is recomputed with the resident memory of now (the
 * first cycles of a program that spawns many goroutines before it
 * allocates much are skipped this way). */
static bool forced_or_due(uint32_t n)
{
    if ((int32_t)(atomic_load(&C.forced) - n) >= 0)
        return true;
    rt_heap_stats hs;
    rt_heap_get_stats(&hs);
    intptr_t nonheap = nonheap_bytes(&hs);
    rt_lock_acquire(&C.stats_lock);
    pace((intptr_t)C.st.heap_marked, nonheap);
    rt_lock_release(&C.stats_lock);
    return rt_heap_live() >= atomic_load_explicit(&rt_gc_trigger, memory_order_relaxed);
}

static void *collector_main(void *arg)
{
    (void)arg;
    own_stack(&collector_lo, &collector_hi);
    sigset_t set;
    sigfillset(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);  /* signals go to other threads */
    for (;;) {
        uint32_t want = atomic_load_explicit(&C.want, memory_order_acquire);
        uint32_t started = atomic_load_explicit(&C.started, memory_order_relaxed);
        if (want == started) {
            rt_futex_wait(&C.want, want, -1);
            continue;
        }
        if (!forced_or_due(started + 1)) {
            /* Cancel the request; a goc_gc that raced with us re-asks. */
            if (atomic_compare_exchange_strong(&C.want, &want, started) &&
                (int32_t)(atomic_load(&C.forced) - (started + 1)) >= 0)
                atomic_store(&C.want, started + 1);
            continue;
        }
        rt_lock_acquire(&cycle_lock);
        atomic_store_explicit(&C.started, started + 1, memory_order_release);
        run_cycle();
        rt_lock_release(&cycle_lock);
        atomic_fetch_add_explicit(&C.done, 1, memory_order_release);
        rt_futex_wake(&C.done, INT32_MAX);
    }
    return NULL;
}

static _Atomic bool collector_running;   /* its thread exists           */
static rt_lock collector_start_lock;

static void collector_start(void)
{
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, collector_main, NULL) != 0)
        rt_fatal("collector: cannot create its thread");
    pthread_attr_destroy(&attr);
}

/* Raises C.forced to at least target. */
static void force(uint32_t target)
{
    uint32_t f = atomic_load(&C.forced);
    while ((int32_t)(target - f) > 0 && !atomic_compare_exchange_weak(&C.forced, &f, target))
        ;
}

/* Asks for cycle number `target` (1-based) to run; returns at once. */
static void request(uint32_t target)
{
    if (!atomic_load_explicit(&collector_running, memory_order_acquire)) {
        rt_lock_acquire(&collector_start_lock);
        if (!atomic_load_explicit(&collector_running, memory_order_relaxed)) {
            collector_start();
            atomic_store_explicit(&collector_running, true, memory_order_release);
        }
        rt_lock_release(&collector_start_lock);
    }
    uint32_t w = atomic_load_explicit(&C.want, memory_order_relaxed);
    while ((int32_t)(target - w) > 0 &&
           !atomic_compare_exchange_weak_explicit(&C.want, &w, target,
                                                  memory_order_release, memory_order_relaxed))
        ;
    rt_futex_wake(&C.want, 1);
}

static void wait_done(uint32_t target)
{
    for (;;) {
        uint32_t d = atomic_load_explicit(&C.done, memory_order_acquire);
        if ((int32_t)(d - target) >= 0)
            return;
        rt_futex_wait(&C.done, d, -1);
    }
}

void rt_gc_start_async(void)
{
    uint32_t started = atomic_load_explicit(&C.started, memory_order_acquire);
    if (atomic_load_explicit(&C.want, memory_order_relaxed) != started)
        return;                          /* one is requested or running   */
    if (atomic_load_explicit(&C.done, memory_order_relaxed) != started)
        return;                          /* one runs: its end re-paces    */
    request(started + 1);
}

void rt_gc_assist(void)
{
    uint32_t started = atomic_load_explicit(&C.started, memory_order_acquire);
    uint32_t done = atomic_load_explicit(&C.done, memory_order_acquire);
    if (done == started) {
        force(started + 1);
        request(started + 1);
    }
    int64_t t0 = goc_nanotime();
    wait_done(done + 1);
    atomic_fetch_add_explicit(&assist_ns, goc_nanotime() - t0, memory_order_relaxed);
}

void goc_gc(void)
{
    rt_heap_init();
    /* A cycle that starts after this call: one that is running may have
     * taken its snapshot before the caller dropped its last pointers. */
    uint32_t target = atomic_load_explicit(&C.started, memory_order_acquire) + 1;
    force(target);
    request(target);
    wait_done(target);                   /* rt_futex_wait spills registers */
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void goc_gc_read_stats(goc_gc_stats *out)
{
    rt_heap_init();
    rt_heap_stats hs;
    rt_heap_get_stats(&hs);
    rt_lock_acquire(&C.stats_lock);
    *out = C.st;
    uint32_t n = C.nring < PAUSE_RING ? C.nring : PAUSE_RING;
    uint64_t v[PAUSE_RING];
    memcpy(v, C.ring, n * sizeof v[0]);
    rt_lock_release(&C.stats_lock);
    qsort(v, n, sizeof v[0], cmp_u64);
    if (n) {
        out->pause_p50_ns = v[(n - 1) / 2];
        out->pause_p99_ns = v[(n - 1) * 99 / 100];
    }
    out->heap_live = hs.live;
    out->heap_mapped = hs.mapped;
}

/* ---------------------------------------------------------------------- */
/* Start-up                                                               */
/* ---------------------------------------------------------------------- */

/* fork(2) without exec: the child has one thread and no collector.  The
 * fork holds every collector lock (in their order), so it waits for a
 * running cycle to end and for the heap to be consistent; the child forgets
 * the other threads, the cycle counters and the collector thread, which it
 * starts again when it needs one. */
static void atfork_prepare(void)
{
    rt_lock_acquire(&collector_start_lock);
    rt_lock_acquire(&cycle_lock);
    rt_heap_lock();
    rt_lock_acquire(&excl_lock);
    rt_lock_acquire(&thr_lock);
    rt_lock_acquire(&C.stats_lock);
}

static void atfork_parent(void)
{
    rt_lock_release(&C.stats_lock);
    rt_lock_release(&thr_lock);
    rt_lock_release(&excl_lock);
    rt_heap_unlock();
    rt_lock_release(&cycle_lock);
    rt_lock_release(&collector_start_lock);
}

static void atfork_child(void)
{
    for (int i = 0; i < nthr; i++)
        if (&thr[i] != tls_thr)
            thr[i].tid = 0;
    if (tls_thr) {
        tls_thr->tid = (pid_t)syscall(SYS_gettid);
        atomic_store(&tls_thr->state, THR_RUNNING);
    }
    uint32_t done = atomic_load(&C.done);
    atomic_store(&C.started, done);
    atomic_store(&C.want, done);
    atomic_store(&C.forced, done);
    atomic_store(&collector_running, false);
    atfork_parent();
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_once_fn(void)
{
    C.start_ns = goc_nanotime();
    C.percent = 100;
    const char *e = getenv("GOC_GC");
    if (e && *e) {
        if (strcmp(e, "off") == 0)
            C.percent = -1;
        else
            C.percent = atoi(e) >= 0 ? atoi(e) : 100;
    }
    e = getenv("GOC_MEMLIMIT");
    if (e && *e)
        C.memlimit = parse_bytes(e);
    e = getenv("GOC_DEBUG");
    C.trace = e && strstr(e, "gctrace=1");
    pace(0, 0);
    pthread_key_create(&thr_key, thr_exit);
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = stw_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigfillset(&sa.sa_mask);
    sigdelset(&sa.sa_mask, SIGSEGV);     /* an overflow still reports */
    sigdelset(&sa.sa_mask, SIGBUS);
    sigaction(GC_SIGNAL, &sa, NULL);
}

void rt_gc_init(void)
{
    pthread_once(&init_once, init_once_fn);
}
