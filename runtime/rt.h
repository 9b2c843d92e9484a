/*
 * rt.h — the runtime's internal header: glossary, core structures, and the
 * prototypes shared between runtime files, grouped by the file defining them.
 *
 * Glossary (as in Go's runtime)
 *   G  a goroutine: a stack, a saved context, a status.  rt_g.
 *   M  an OS thread that runs goroutines.  It has its own scheduler stack
 *      (g0, the thread's original stack) where it looks for work and sleeps.
 *   P  a processor: the right to run goroutines, with a local run queue, a
 *      timer heap and a cache of free Gs.  An M must hold a P to run Gs,
 *      and every M owns one P for life.  GOC_MAXPROCS Ps exist, plus spare
 *      ones that sysmon adds while Ps are stuck in blocking C calls (see
 *      "Blocking C calls" in sched.c).
 *
 * Switching
 *   A goroutine that blocks calls rt_park(unlock, arg, reason).  rt_park
 *   switches straight to the next runnable G of the P when there is one
 *   (no detour through g0), else to g0.  The `unlock` callback then runs on
 *   the *new* context (rt_switch_finish), after the parking G's registers
 *   are saved: only then may another M see the parked G (e.g. in a channel's
 *   wait queue) and rt_ready it.  The same after-switch hook frees the stack
 *   of an exiting G once nothing runs on it any more.
 *
 * Thread-locals move under a goroutine
 *   A G may resume on another M after any switch.  The compiler may cache the
 *   address of a __thread variable across calls, so the current M is only
 *   read through rt_getm(), a non-inlined call, and re-read after anything
 *   that may switch.
 *
 * Lock order (acquire left before right; never hold a runtime lock while
 * switching except as the `unlock` argument of rt_park):
 *   select's channels (by address) < one channel < waitq locks
 *   < P timer lock < sched.lock < allg lock
 */
#ifndef GOC_RT_H
#define GOC_RT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "goc.h"

#define RT_HIDDEN __attribute__((visibility("hidden")))
#define RT_NORETURN __attribute__((noreturn))
#define RT_LIKELY(x) __builtin_expect(!!(x), 1)
#define RT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define RT_CACHELINE 64

typedef struct rt_g rt_g;
typedef struct rt_m rt_m;
typedef struct rt_p rt_p;
typedef struct rt_waiter rt_waiter;
typedef struct rt_timer rt_timer;

/* ---------------------------------------------------------------------- */
/* lock.c: a futex mutex for short runtime critical sections              */
/* ---------------------------------------------------------------------- */

/* 0 unlocked, 1 locked, 2 locked with sleepers.  Spins briefly, then sleeps
 * on a futex: it blocks the OS thread, so hold it only for a few hundred
 * instructions and never across a goroutine switch. */
typedef struct rt_lock { _Atomic uint32_t state; } rt_lock;

void rt_lock_slow(rt_lock *l);
void rt_unlock_slow(rt_lock *l);
static inline void rt_lock_acquire(rt_lock *l)
{
    uint32_t zero = 0;
    if (!atomic_compare_exchange_weak_explicit(&l->state, &zero, 1,
            memory_order_acquire, memory_order_relaxed))
        rt_lock_slow(l);
}
static inline void rt_lock_release(rt_lock *l)
{
    if (atomic_exchange_explicit(&l->state, 0, memory_order_release) == 2)
        rt_unlock_slow(l);
}

/* One spin-wait pause: tells the core that this is a busy-wait loop. */
static inline void rt_cpu_relax(void)
{
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* The current stack pointer: everything of the calling frame is above it. */
static inline __attribute__((always_inline)) uintptr_t rt_current_sp(void)
{
    uintptr_t sp;
#if defined(__x86_64__)
    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
#elif defined(__aarch64__)
    __asm__ volatile("mov %0, sp" : "=r"(sp));
#endif
    return sp;
}

/* Futex helpers: sleep while *addr == val (timeout_ns < 0: no timeout);
 * wake up to n sleepers. */
void rt_futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t timeout_ns);
/* rt_futex_wait without a deadline and without telling the collector that
 * the thread sleeps: for the collector's own stop protocol (gc.c), and
 * async-signal-safe. */
void rt_futex_wait_raw(_Atomic uint32_t *addr, uint32_t val);
void rt_futex_wake(_Atomic uint32_t *addr, int n);

/* ---------------------------------------------------------------------- */
/* Goroutines                                                             */
/* ---------------------------------------------------------------------- */

enum rt_gstatus {
    RT_G_IDLE,      /* in a free list, no goroutine                 */
    RT_G_RUNNABLE,  /* in a run queue or runnext                    */
    RT_G_RUNNING,   /* on an M                                      */
    RT_G_WAITING,   /* parked; wait_reason says on what             */
    RT_G_DEAD,      /* finished; stack not yet reused               */
};

/* A wait record: a G queued on a channel (Go's sudog).  It lives on the
 * parked G's stack, which stays put while it waits. */
struct rt_waiter {
    rt_g *g;
    rt_waiter *next, *prev;
    void *elem;            /* value to send, or where to receive        */
    struct goc_chan *c;
    int case_index;        /* select: which case this record stands for */
    bool is_select;
    bool queued;           /* in c's queue (channel lock)               */
    bool success;          /* woken by a real transfer (not a close)    */
};

struct rt_g {
    void *sp;                      /* saved stack pointer when not running */
    _Atomic uint32_t status;       /* enum rt_gstatus                      */
    int64_t id;
    void (*fn)(void *);
    void *arg;
    char *stack_lo, *stack_hi;     /* usable stack [lo, hi)                */
    size_t stack_class;            /* 0: pooled slot, else size of own map */
    rt_g *schedlink;               /* global run queue, free lists         */
    rt_g *batchnext;               /* free lists: next batch (stack.c)     */
    rt_g *allnext, *allprev;       /* every G ever made, live or pooled
                                      (allg lock)                          */
    const char *wait_reason;       /* set while WAITING                    */
    const void *wait_on;           /* the channel/lock waited on, for dumps */
    const char *created_file;
    int created_line;
    int64_t parent_id;
    rt_m *m;                       /* M running it, while RUNNING          */

    /* select: the first waker to flip this from 0 to 1 wins the G. */
    _Atomic uint32_t select_done;
    rt_waiter *select_winner;      /* set by the winning waker             */

    /* panic/defer (panic.c) */
    goc_frame *frames;             /* innermost frame first                */
    struct rt_panic *panicking;    /* innermost active panic               */

    void *timer;                   /* sleep timer, created on first sleep  */
    void *tsan_fiber;              /* ThreadSanitizer fiber                */
    void *asan_fake_stack;
};

/* ---------------------------------------------------------------------- */
/* P and M                                                                */
/* ---------------------------------------------------------------------- */

#define RT_RUNQ_SIZE 256

struct rt_p {
    int id;
    /* Local run queue: a ring under runq_lock.  The owner pushes and pops
     * at the tail (LIFO), except every 61st pop, which takes the head;
     * thieves take the older half from the head.  See sched.c. */
    rt_lock runq_lock;
    _Atomic uint32_t runq_head;  /* written under runq_lock only          */
    _Atomic uint32_t runq_tail;
    rt_g *runq[RT_RUNQ_SIZE];
    rt_g *_Atomic runnext;       /* next to run, ahead of the queue      */
    uint32_t schedtick;          /* incremented on every schedule        */
    _Atomic uint32_t fairtick;   /* runq_get calls (owner writes; check_dead
                                    reads it as a sign of progress)     */
    _Atomic uint32_t status;     /* RT_P_IDLE, _RUNNING or _RETIRED      */
    _Atomic uint32_t retire_req; /* sysmon asks this spare P to retire   */
    _Atomic uint32_t sysmon_tick;
    _Atomic uint32_t preempt_req;  /* sysmon: the G running here ran too long */
    uint32_t sm_fairtick;        /* sysmon only: fairtick when last seen   */
    int64_t sm_since;            /* sysmon only: since when it is unchanged */
    bool sm_running;             /* sysmon only: seen running at the last
                                    look (else its clock restarts)     */
    bool stuck;                  /* sysmon only: its M is in a blocking call */
    int64_t sm_cpu0, sm_cpu_at;  /* sysmon only: M's CPU time at the look
                                    after the clock restarted (-1 before),
                                    and when                             */
    int64_t sm_asked;            /* sysmon only: first unanswered preemption
                                    request since the restart, or 0     */

    rt_g *gfree;                 /* free Gs with stacks (owner only)     */
    int ngfree;
    rt_g *gspare;                /* a full batch of free Gs, or NULL     */
    int64_t goid_next, goid_end; /* ids reserved for this P (owner only) */
    _Atomic int32_t gcount;      /* spawned minus exited here; written by
                                    the owner only, summed by readers   */

    /* timer.c: a 4-ary min-heap of timers, guarded by timer_lock. */
    rt_lock timer_lock;
    rt_timer **timers;
    int ntimers, timers_cap;
    _Atomic int64_t timer0_when; /* earliest deadline, 0 when none       */

    rt_m *m;
    uint64_t rand_state;
    struct rt_cache *cache;      /* alloc.h: this P's allocation cache,
                                    created on first use (owner only)    */
} __attribute__((aligned(RT_CACHELINE)));

enum { RT_P_IDLE, RT_P_RUNNING, RT_P_RETIRED };

struct rt_m {
    int id;
    _Atomic int tid;             /* kernel thread id, once started        */
    _Atomic uint32_t in_rt_wait; /* in a runtime wait (rt_runtime_wait_begin) */
    clockid_t cpuclock;          /* this thread's CPU-time clock         */
    rt_p *p;
    rt_g *curg;
    rt_g g0;                     /* the scheduler context on the thread stack */
    bool spinning;
    rt_m *idle_next;             /* sched.idle list                      */
    _Atomic uint32_t park;       /* futex word for sleeping when idle    */
    const void **unlocking;      /* the thread's goc__unlocking (sync.c) */

    /* After-switch hook: run by whoever resumes on this M next. */
    void (*after_fn)(rt_g *prev, void *arg);
    rt_g *after_g;
    void *after_arg;

    uint64_t rand_state;
    void *altstack;
    int64_t trace_since;         /* trace.c: when the running G started, 0 on g0 */
} __attribute__((aligned(RT_CACHELINE)));

/* The scheduler's global state. */
typedef struct rt_sched {
    rt_lock lock;                /* guards the fields up to `idle`       */
    rt_g *runq_head, *runq_tail; /* global run queue: single Gs          */
    struct rt_gchunk *chunk_head, *chunk_tail; /* ... and arrays of Gs    */
    bool take_singles;           /* which part globrunq_take serves next */
    _Atomic int32_t runq_size;   /* Gs in both; written under lock, read
                                    without                              */
    rt_m *idle;                  /* Ms sleeping without work             */
    _Atomic int32_t npidle;
    _Atomic int32_t nmspinning;
    int nprocs;                  /* GOC_MAXPROCS: Ps running Go code     */
    rt_p *ps;                    /* nprocs, then the spares: room for maxp */
    rt_m *ms;                    /* ms[i] owns ps[i]                     */
    int maxp;
    _Atomic int32_t nallp;       /* Ps made so far (spares only grow it) */
    _Atomic int32_t nactive;     /* Ps not retired (sched.lock to write)  */
    _Atomic int64_t goid_gen;
    _Atomic int32_t ngoroutines; /* spawned minus exited off any P       */

    rt_lock allg_lock;
    rt_g *allg;                  /* every G, pooled ones too: a G joins
                                    when its stack is made, so spawning
                                    and exiting take no global lock       */

    _Atomic uint32_t sysmon_wake;/* futex word: sysmon sleeps while all idle */
    _Atomic bool started;
    _Atomic bool exiting;
    size_t stack_size;
    int64_t schedtrace_ms;
    _Atomic int32_t nblocking;   /* external wakers (signals, netpoll...) */
} rt_sched;

extern rt_sched rt_sched_state RT_HIDDEN;

/* ---------------------------------------------------------------------- */
/* sched.c                                                                */
/* ---------------------------------------------------------------------- */

rt_m *rt_getm(void) RT_HIDDEN;           /* never cached: see top comment */
/* For leaf functions that cannot switch goroutines between reading it and
 * using it (a non-inlined runtime function reads it afresh on each call). */
extern __thread rt_m *rt_tls_m RT_HIDDEN;
extern __thread goc_frame **rt_tls_frames RT_HIDDEN;   /* sched.c, set on each switch */
/* Bracket the runtime's own waits and system calls that may sleep (futex
 * waits, mapping and populating stacks, the deadlock check's pause) so
 * that sysmon does not take them for blocking C calls (sched.c); they
 * nest. */
static inline void rt_runtime_wait_begin(void)
{
    rt_m *m = rt_tls_m;
    if (m)
        atomic_fetch_add_explicit(&m->in_rt_wait, 1, memory_order_relaxed);
}
static inline void rt_runtime_wait_end(void)
{
    rt_m *m = rt_tls_m;
    if (m)
        atomic_fetch_sub_explicit(&m->in_rt_wait, 1, memory_order_relaxed);
}
static inline rt_g *rt_curg_leaf(void)
{
    rt_m *m = rt_tls_m;
    return m && m->curg != &m->g0 ? m->curg : NULL;
}
static inline rt_g *rt_getg(void)
{
    rt_m *m = rt_getm();
    return m ? m->curg : NULL;
}
/* The running goroutine; panics when called outside one. */
rt_g *rt_needg(const char *what) RT_HIDDEN;

void rt_init(void) RT_HIDDEN;
rt_g *rt_spawn(void (*fn)(void *), void *arg, const char *file, int line) RT_HIDDEN;
/* Parks the running G.  unlock(g, arg), if not NULL, runs after the G's
 * context is saved, on whatever runs next on this M. */
void rt_park(void (*unlock)(rt_g *, void *), void *arg, const char *reason,
             const void *wait_on) RT_HIDDEN;
/* Makes a parked G runnable (any thread, including non-goroutine ones). */
void rt_ready(rt_g *g) RT_HIDDEN;
/* Like rt_ready, but queues g behind the P's other work and wakes no idle
 * M: for wake-ups that are hints (a contended mutex), where waking a thread
 * costs more than it gains; sysmon still hands queued work to idle Ps. */
void rt_ready_later(rt_g *g) RT_HIDDEN;
uint32_t rt_fastrand(void) RT_HIDDEN;
/* Registers a G whose stack was just made / is being unmapped. */
void rt_allg_add(rt_g *g) RT_HIDDEN;
void rt_allg_remove(rt_g *g) RT_HIDDEN;
/* Ps made so far: loops over every P use it (S.ps[0 .. rt_nallp())). */
static inline int rt_nallp(void)
{
    return atomic_load_explicit(&rt_sched_state.nallp, memory_order_acquire);
}
/* Live goroutines (spawned and not exited). */
int rt_ngoroutines(void) RT_HIDDEN;
/* Called with the allg lock; visits every G, including pooled ones
 * (status RT_G_IDLE). */
void rt_for_each_g(void (*fn)(rt_g *, void *), void *arg) RT_HIDDEN;
/* Prints every goroutine to stderr (SIGQUIT, deadlock). */
void rt_dump_goroutines(void) RT_HIDDEN;
/* Wakes an idle M if some P is idle and nobody spins. */
void rt_wakep(void) RT_HIDDEN;
/* Wakes sysmon before its next tick (work for it: stack slabs). */
void rt_sysmon_kick(void) RT_HIDDEN;
/* Tells idle Ms that the timer set changed (an earlier deadline). */
void rt_timers_changed(int64_t when) RT_HIDDEN;
RT_NORETURN void rt_fatal(const char *fmt, ...) RT_HIDDEN;
RT_NORETURN void rt_throw(const char *msg) RT_HIDDEN;

/* ---------------------------------------------------------------------- */
/* stack.c                                                                */
/* ---------------------------------------------------------------------- */

/* Returns a G with a stack of `size` bytes (0: the default), from the P's
 * pool when possible.  The G struct lives at the top of its stack. */
rt_g *rt_stack_alloc_g(rt_p *p, size_t size) RT_HIDDEN;
void rt_stack_free_g(rt_p *p, rt_g *g) RT_HIDDEN;
/* One slab of that work, for an M with nothing else to do; returns
 * whether there was any. */
bool rt_stack_prepare_one(void) RT_HIDDEN;
/* A cheap hint that rt_stack_prepare_one has work. */
bool rt_stack_wants_help(void) RT_HIDDEN;
/* Installs the SIGSEGV handler and the current thread's signal stack. */
void rt_stack_init_thread(rt_m *m) RT_HIDDEN;
void rt_stack_init(void) RT_HIDDEN;

/* ---------------------------------------------------------------------- */
/* timer.c                                                                */
/* ---------------------------------------------------------------------- */

/* A runtime timer: f(arg, seq) runs on an M's scheduler (not in a
 * goroutine) at `when`, then again every `period` if nonzero.  f must not
 * block: it may rt_ready a G or try_send on a channel. */
struct rt_timer {
    int64_t when;
    int64_t period;
    void (*f)(void *arg, int64_t now);
    void *arg;
    rt_p *p;            /* heap it is in, NULL when not pending (p lock) */
    int index;          /* position in that heap                         */
};
/* Adds t (not pending) to the current P's heap, firing at t->when. */
void rt_timer_start(rt_timer *t) RT_HIDDEN;
/* Removes t if pending; returns whether it was. */
bool rt_timer_stop(rt_timer *t) RT_HIDDEN;
/* Runs p's expired timers (all of them if force); returns the earliest
 * remaining deadline or 0. */
int64_t rt_timers_run(rt_p *p, int64_t now, bool try_only) RT_HIDDEN;

/* ---------------------------------------------------------------------- */
/* chan.c / select.c                                                      */
/* ---------------------------------------------------------------------- */

/* A FIFO of parked goroutines on a channel; len is readable without the
 * channel lock (buffered channels' fast paths check it). */
typedef struct rt_waitq {
    rt_waiter *head, *tail;
    _Atomic uint32_t len;
} rt_waitq;

#define RT_CHAN_CLOSED_BIT ((uint64_t)1 << 63)   /* in enq */
/* In enq: senders wait; in deq: receivers wait (chan.c, "Waiters first"). */
#define RT_CHAN_WAIT_BIT ((uint64_t)1 << 62)
#define RT_CHAN_POS(word) ((word) & ~(RT_CHAN_CLOSED_BIT | RT_CHAN_WAIT_BIT))

/* See chan.c for the two representations (unbuffered: lock and queues;
 * buffered: a lock-free ring with the queues for parked goroutines). */
struct goc_chan {
    /* read-only after make */
    size_t elem_size;
    uint64_t cap;          /* buffer slots                               */
    size_t slot_size;      /* buffered: sequence word + element, rounded */
    uint64_t mask;         /* cap - 1 when cap is a power of two, else 0 */
    char *buf;
    /* buffered: ring positions, each on its own cache line */
    _Atomic uint64_t enq __attribute__((aligned(RT_CACHELINE)));  /* sends claimed | CLOSED | WAIT */
    _Atomic uint64_t deq __attribute__((aligned(RT_CACHELINE)));  /* receives claimed | WAIT */
    /* lock and queues */
    rt_lock lock __attribute__((aligned(RT_CACHELINE)));
    uint32_t closed;       /* lock */
    uint32_t serving;      /* lock: a server keeps the wait bits (chan.c) */
    rt_waitq recvq;        /* lock (len also read without)               */
    rt_waitq sendq;
};

/* ---------------------------------------------------------------------- */
/* panic.c                                                                */
/* ---------------------------------------------------------------------- */

/* A runtime panic with Go's message, recoverable like goc_panic. */
RT_NORETURN void rt_panic(const char *msg) RT_HIDDEN;
/* The end of a fatal report about goroutine g (NULL: none): "goroutine N
 * [running]:" and where it was created; then exit 2. */
RT_NORETURN void rt_die_running(rt_g *g) RT_HIDDEN;
/* Called when a G's function returns or a panic reaches the top. */
void rt_goexit_frames(rt_g *g) RT_HIDDEN;

/* ---------------------------------------------------------------------- */
/* trace.c: GOC_TRACE=FILE                                                */
/* ---------------------------------------------------------------------- */

extern _Atomic int rt_trace_on RT_HIDDEN;   /* GOC_TRACE is being written */
void rt_trace_init(void) RT_HIDDEN;
/* fence.c: a full fence on every running thread of the process. */
void rt_process_fence_init(void) RT_HIDDEN;
extern bool rt_plain_unlocks RT_HIDDEN;   /* membarrier usable: workers' unlocks may be plain */
void rt_process_fence(void) RT_HIDDEN;
/* sched.c: waits until no worker thread's goc__unlocking names m. */
void rt_unlockers_wait(const void *m) RT_HIDDEN;
/* Writes out buffered events (before _exit). */
void rt_trace_flush(void) RT_HIDDEN;
/* m switches from `from` to `to` (either may be m's g0). */
void rt_trace_switch(rt_m *m, rt_g *from, rt_g *to) RT_HIDDEN;
/* g was just spawned by the goroutine running on m (m may be NULL). */
void rt_trace_go(rt_g *g, rt_m *m) RT_HIDDEN;
/* A phase of collection `cycle` ran from start to end (nanotime). */
void rt_trace_gc(const char *phase, int64_t start, int64_t end, uint64_t cycle) RT_HIDDEN;

/* ---------------------------------------------------------------------- */
/* sanitizer annotations (san.c)                                          */
/* ---------------------------------------------------------------------- */

void rt_san_new_g(rt_g *g) RT_HIDDEN;
void rt_san_free_g(rt_g *g) RT_HIDDEN;
/* Around rt_ctx_switch from `from` to `to`. */
void rt_san_before_switch(rt_g *from, rt_g *to, bool from_exiting) RT_HIDDEN;
void rt_san_after_switch(rt_g *now) RT_HIDDEN;

#endif
