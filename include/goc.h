/*
 * goc.h — the public C interface of libgoc, goc's M:N runtime.
 *
 * Everything a .gc program can do with `go`, `chan`, `select` and `defer`
 * is reachable from plain C through this header: goroutines, channels,
 * select, time, sync, context and panics.
 *
 * Conventions
 *   - Every name starts with goc_.  Types are opaque unless a zero value must
 *     be usable (goc_mutex, goc_waitgroup, ... may be declared as globals or
 *     struct members and used without initialisation, as in Go).
 *   - "Blocks" means the calling goroutine parks; its OS thread runs other
 *     goroutines meanwhile.  Blocking calls must be made from a goroutine
 *     (code started by goc_main, goc_run or goc_go); called from any other
 *     thread they panic.
 *   - Misuse that Go reports with a panic (send on a closed channel, close of
 *     a closed channel, a negative WaitGroup counter, ...) panics with Go's
 *     message; see goc_panic.  Misuse that Go treats as fatal (unlocking an
 *     unlocked mutex or RWMutex) is fatal here too: "fatal error: ...",
 *     exit 2, no deferred calls run.
 *   - Durations are int64_t nanoseconds; GOC_MILLISECOND etc. help spell them.
 *   - Goroutines may migrate between OS threads at every blocking call: never
 *     keep the address of a thread-local variable (errno included) across one.
 *
 * Environment: GOC_MAXPROCS (worker threads, default the CPUs this process
 * may use), GOC_STACK_SIZE (bytes per goroutine stack, default 64 KiB; the
 * main goroutine gets at least 8 MiB), GOC_DEBUG=schedtrace=MS (a line of
 * scheduler state on stderr every MS ms), GOC_TRACE=FILE (a Chrome
 * trace-event file of goroutine run slices, spawns and collections, for
 * Perfetto; see runtime/trace.c).
 */
#ifndef GOC_H
#define GOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

#define GOC_VERSION "0.1.0"

#if defined(__GNUC__)
#define GOC_NORETURN __attribute__((noreturn))
#define GOC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define GOC_NORETURN
#define GOC_PRINTF(f, a)
#endif

/* ===================================================================== */
/* Entry points                                                          */
/* ===================================================================== */

/*
 * goc_main runs main_fn(argc, argv) as the main goroutine (goroutine 1) on
 * the runtime's worker threads and, when it returns, exits the process with
 * its return value as the status — goroutines still running are abandoned,
 * as in Go.  Call it once, from the program's real main:
 *
 *     static int real_main(int argc, char **argv) { ... }
 *     int main(int argc, char **argv) { return goc_main(real_main, argc, argv); }
 *
 * Never returns.
 */
GOC_NORETURN int goc_main(int (*main_fn)(int, char **), int argc, char **argv);

/*
 * goc_run runs fn(arg) as a goroutine and blocks the calling OS thread (which
 * must not itself be a goroutine) until fn returns, then returns its result.
 * The runtime starts on first use and keeps running afterwards, so goc_run
 * may be called repeatedly (the unit tests do).  Goroutines that fn started
 * keep running after it returns.
 */
int goc_run(int (*fn)(void *), void *arg);

/* ===================================================================== */
/* Goroutines                                                            */
/* ===================================================================== */

/*
 * goc_go starts fn(arg) in a new goroutine and returns at once.  The new
 * goroutine records the caller's file and line for goroutine dumps and panic
 * reports.  Ownership of arg is the caller's business; the runtime only
 * passes it on.
 */
#define goc_go(fn, arg) goc_go_at((fn), (arg), __FILE__, __LINE__)
void goc_go_at(void (*fn)(void *), void *arg, const char *file, int line);

/* goc_go_copy_at is goc_go_at for a start argument the caller does not keep:
 * it copies the `size` bytes at env to the top of the new goroutine's stack
 * (to the collected heap when size > GOC_GO_ENV_MAX) and fn receives a
 * pointer to that copy, 16-byte aligned, valid until fn returns.  env may
 * be reused or go out of scope as soon as the call returns.  Pointers in
 * the copy keep what they point to alive, as on any goroutine's stack.  The
 * translator lowers `go f(args)` to it, so a go statement allocates
 * nothing, as in Go. */
#define GOC_GO_ENV_MAX 1024
void goc_go_copy_at(void (*fn)(void *), const void *env, size_t size, const char *file, int line);

/* goc_yield lets other goroutines run; the caller stays runnable. */
void goc_yield(void);

/* goc_goid returns the running goroutine's id (1 for the main goroutine), 0
 * outside goroutines. */
int64_t goc_goid(void);

/* goc_num_goroutine returns the number of live goroutines. */
int goc_num_goroutine(void);

/* goc_maxprocs returns the number of worker threads. */
int goc_maxprocs(void);

/* ===================================================================== */
/* Channels                                                              */
/* ===================================================================== */

/*
 * A channel carries elements of a fixed size.  NULL is the nil channel: send
 * and receive on it block forever, a select case on it is never ready.
 * Channels are never freed by the program (the collector owns them).
 */
typedef struct goc_chan goc_chan;

/* goc_chan_make returns a channel of elem_size-byte elements with buffer
 * capacity cap (0: unbuffered).  Panics "makechan: size out of range" when
 * cap is negative or too large. */
goc_chan *goc_chan_make(size_t elem_size, int64_t cap);

/* goc_chan_send copies elem_size bytes from elem into c, blocking until a
 * receiver takes them (unbuffered) or a buffer slot is free.  Panics "send on
 * closed channel". */
void goc_chan_send(goc_chan *c, const void *elem);

/* goc_chan_recv blocks until a value is available and copies it into elem
 * (which may be NULL to discard it).  Returns true for a value sent by a
 * sender, false when c is closed and drained; then *elem is zeroed. */
bool goc_chan_recv(goc_chan *c, void *elem);

/* Non-blocking forms: return true when the operation happened.  For
 * goc_chan_try_recv, *ok (may be NULL) tells a real value from a close. */
bool goc_chan_try_send(goc_chan *c, const void *elem);
bool goc_chan_try_recv(goc_chan *c, void *elem, bool *ok);

/* goc_chan_close: no more sends; receivers drain the buffer, then get zero
 * values.  Panics "close of nil channel" / "close of closed channel". */
void goc_chan_close(goc_chan *c);

/* Number of queued elements and buffer capacity; 0 for the nil channel. */
int goc_chan_len(goc_chan *c);
int goc_chan_cap(goc_chan *c);

/* ===================================================================== */
/* select                                                                */
/* ===================================================================== */

enum goc_select_dir { GOC_SELECT_RECV = 0, GOC_SELECT_SEND = 1 };

/* One case of a select.  For a send, elem points at the value to send; for a
 * receive, at the place that receives it (or NULL to discard), and ok is set
 * to the comma-ok result of the chosen case. */
typedef struct goc_select_case {
    goc_chan *chan;
    void *elem;
    int dir; /* enum goc_select_dir */
    bool ok;
} goc_select_case;

/*
 * goc_select waits until one of the n cases can proceed, performs it and
 * returns its index.  When several can, one is chosen uniformly at random.
 * With has_default and no case ready it returns -1 at once.  n == 0 without
 * default blocks forever.  Panics "send on closed channel" when the chosen
 * case sends on a closed channel.
 */
int goc_select(goc_select_case *cases, int n, bool has_default);

/* ===================================================================== */
/* Time                                                                  */
/* ===================================================================== */

#define GOC_NANOSECOND  ((int64_t)1)
#define GOC_MICROSECOND ((int64_t)1000)
#define GOC_MILLISECOND ((int64_t)1000000)
#define GOC_SECOND      ((int64_t)1000000000)

/* Monotonic clock in nanoseconds (arbitrary origin). */
int64_t goc_nanotime(void);

/* goc_sleep blocks the goroutine for at least d nanoseconds (d <= 0 returns
 * at once after a yield). */
void goc_sleep(int64_t d);

/*
 * A timer delivers the monotonic time (int64_t) on its channel once, d after
 * it was started.  The channel has capacity 1, so an unread tick is not lost.
 */
typedef struct goc_timer goc_timer;
goc_timer *goc_timer_new(int64_t d);
goc_chan *goc_timer_chan(goc_timer *t);
/* Stop prevents the timer from firing; returns true if it stopped a pending
 * timer, false if it had already fired or been stopped. */
bool goc_timer_stop(goc_timer *t);
/* Reset restarts the timer to fire d from now; returns what Stop would have
 * returned.  As in Go, drain the channel first if the timer had fired. */
bool goc_timer_reset(goc_timer *t, int64_t d);

/* goc_timer_after_func runs fn(arg) in its own goroutine d from now. */
goc_timer *goc_timer_after_func(int64_t d, void (*fn)(void *), void *arg);

/* goc_after returns a channel that receives the time d from now. */
goc_chan *goc_after(int64_t d);

/* A ticker delivers the time on its channel every d (d > 0, else panic
 * "non-positive interval for NewTicker"); slow receivers miss ticks. */
typedef struct goc_ticker goc_ticker;
goc_ticker *goc_ticker_new(int64_t d);
goc_chan *goc_ticker_chan(goc_ticker *t);
void goc_ticker_stop(goc_ticker *t);
void goc_ticker_reset(goc_ticker *t, int64_t d);

/* ===================================================================== */
/* sync: zero values are ready to use; never copy one after first use.    */
/* ===================================================================== */

/* Private layout shared by the sync types: a lock word, a semaphore count
 * and a FIFO of parked goroutines.  Fields are the runtime's; do not touch
 * them. */
typedef struct goc_waitq {
    uint32_t lock;
    uint32_t sema;
    void *head;
    void *tail;
} goc_waitq;

typedef struct goc_mutex {
    uint32_t state;       /* locked bit, woken bit, waiter count (sync.c) */
    uint32_t mode;        /* 0 until some goroutine first waits (sync.c) */
    goc_waitq q;
} goc_mutex;
void goc_mutex_lock(goc_mutex *m);
bool goc_mutex_trylock(goc_mutex *m);
/* Unlocking an unlocked mutex is fatal, as in Go:
 * "fatal error: sync: unlock of unlocked mutex", exit 2.  As with POSIX
 * mutexes, a goroutine that takes the mutex after another's unlock may
 * free it: an unlock touches the mutex no more once it is released. */
void goc_mutex_unlock(goc_mutex *m);

/* The uncontended lock is one atomic instruction, and the unlock of a
 * mutex that no goroutine ever waited on is plain stores and loads, no
 * atomic read-modify-write; both are inlined into the caller through these
 * macros, and the functions above are the same operations out of line
 * (their addresses may be taken as usual).  The unlocker names the mutex
 * in its thread's slot (goc__unlocking) while it releases; the first
 * goroutine about to wait on the mutex switches it to atomic unlocks,
 * fences every thread (membarrier) and waits until no thread names it
 * (runtime/sync.c).  The slot is found from the thread pointer read anew
 * at every unlock: a goroutine may resume on another thread after any
 * call, and compilers keep a TLS address across calls.  The slot is 1 on
 * threads that are not the runtime's workers, and on every thread when the
 * process cannot use membarrier: they always unlock atomically.  An atomic
 * unlock with waiters releases the mutex and
 * claims the wake-up of one of them in the same instruction, so that the
 * waiter keeps the mutex alive while it is woken. */
void goc_mutex_lock_slow(goc_mutex *m);
void goc_mutex_unlock_slow(goc_mutex *m, uint32_t state);
extern __thread const void *goc__unlocking __attribute__((tls_model("initial-exec")));
extern long goc__unlocking_offset;    /* &goc__unlocking - thread pointer */
static inline const void **goc__unlocking_slot(void)
{
#if defined(__x86_64__) || defined(__aarch64__)
    char *tp;
#if defined(__x86_64__)
    __asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
#else
    __asm__ volatile("mrs %0, tpidr_el0" : "=r"(tp));
#endif
    return (const void **)(tp + __atomic_load_n(&goc__unlocking_offset, __ATOMIC_RELAXED));
#else
    static const void *const atomic_only = (const void *)1;   /* never written */
    return (const void **)&atomic_only;
#endif
}
static inline void goc_mutex_lock_inline(goc_mutex *m)
{
    /* Setting the locked bit of a locked mutex changes nothing, so one
     * atomic OR (x86: lock bts) takes a free mutex even while waiters are
     * counted in the state. */
    if (__builtin_expect(__atomic_fetch_or(&m->state, 1, __ATOMIC_ACQUIRE) & 1, 0))
        goc_mutex_lock_slow(m);
}
static inline void goc_mutex_unlock_inline(goc_mutex *m)
{
    const void **slot = goc__unlocking_slot();
    if (__builtin_expect(__atomic_load_n(slot, __ATOMIC_RELAXED) == 0, 1)) {
        __atomic_store_n(slot, m, __ATOMIC_RELAXED);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        if (__builtin_expect(__atomic_load_n(&m->mode, __ATOMIC_RELAXED) == 0 &&
                             __atomic_load_n(&m->state, __ATOMIC_RELAXED) == 1, 1)) {
            __atomic_store_n(&m->state, 0, __ATOMIC_RELEASE);
            __atomic_store_n(slot, 0, __ATOMIC_RELEASE);
            return;
        }
        __atomic_store_n(slot, 0, __ATOMIC_RELEASE);
    }
    uint32_t locked = 1;
    if (__builtin_expect(!__atomic_compare_exchange_n(&m->state, &locked, 0, 0, __ATOMIC_RELEASE,
                                                      __ATOMIC_RELAXED), 0))
        goc_mutex_unlock_slow(m, locked);
}
#define goc_mutex_lock(m) goc_mutex_lock_inline(m)
#define goc_mutex_unlock(m) goc_mutex_unlock_inline(m)

typedef struct goc_rwmutex {
    goc_mutex w;          /* held by writers between themselves */
    int32_t readers;      /* active readers; negative while a writer waits */
    int32_t departing;    /* readers the waiting writer still waits for */
    goc_waitq readerq;
    goc_waitq writerq;
} goc_rwmutex;
void goc_rwmutex_lock(goc_rwmutex *rw);
/* Misuse is fatal, as in Go: "sync: Unlock of unlocked RWMutex" and
 * "sync: RUnlock of unlocked RWMutex". */
void goc_rwmutex_unlock(goc_rwmutex *rw);
void goc_rwmutex_rlock(goc_rwmutex *rw);
void goc_rwmutex_runlock(goc_rwmutex *rw);

typedef struct goc_waitgroup {
    int64_t count;
    goc_waitq q;
} goc_waitgroup;
/* Panics "sync: negative WaitGroup counter". */
void goc_waitgroup_add(goc_waitgroup *wg, int64_t delta);
void goc_waitgroup_done(goc_waitgroup *wg);
void goc_waitgroup_wait(goc_waitgroup *wg);

typedef struct goc_once {
    uint32_t done;
    uint32_t pad;
    goc_mutex m;
} goc_once;
/* Runs fn(arg) exactly once over all calls; every caller returns after it
 * has completed. */
void goc_once_do(goc_once *o, void (*fn)(void *), void *arg);

/* A condition variable tied to a mutex (set m before first use, or use
 * goc_cond_init). */
typedef struct goc_cond {
    goc_mutex *m;
    goc_waitq q;
} goc_cond;
void goc_cond_init(goc_cond *c, goc_mutex *m);
/* Atomically unlocks c->m and parks; relocks before returning. */
void goc_cond_wait(goc_cond *c);
void goc_cond_signal(goc_cond *c);
void goc_cond_broadcast(goc_cond *c);

/* ===================================================================== */
/* context                                                               */
/* ===================================================================== */

/*
 * Contexts carry cancellation down a tree, as Go's context package.  They are
 * never freed by the program.  Errors are the strings Go uses:
 * "context canceled" and "context deadline exceeded".
 */
typedef struct goc_context goc_context;
typedef void (*goc_cancel_func)(void);   /* see goc_context_cancel */

goc_context *goc_context_background(void);
/* A child that is cancelled by goc_context_cancel(child) or when parent is. */
goc_context *goc_context_with_cancel(goc_context *parent);
goc_context *goc_context_with_deadline(goc_context *parent, int64_t deadline_nanotime);
goc_context *goc_context_with_timeout(goc_context *parent, int64_t d);
/* Cancels ctx and its descendants; idempotent. */
void goc_context_cancel(goc_context *ctx);
/* A channel (of int elements) that is closed when ctx is cancelled; NULL
 * (never ready) for the background context. */
goc_chan *goc_context_done(goc_context *ctx);
/* NULL while ctx is live, else the error that ended it. */
const char *goc_context_err(goc_context *ctx);
/* The deadline as a goc_nanotime value; false if there is none. */
bool goc_context_deadline(goc_context *ctx, int64_t *deadline);

/* ===================================================================== */
/* I/O: network, descriptors, signals, child processes                   */
/* ===================================================================== */

/*
 * A goroutine that waits for a file descriptor parks; its thread runs other
 * goroutines.  Readiness comes from one epoll instance (runtime/netpoll.c),
 * polled by an idle worker thread, by a worker that runs out of work and
 * by the monitor thread.  C's conventions throughout: -1 and errno on
 * failure.  Called outside a goroutine, the same functions block the
 * calling thread (poll(2)) with the same results.
 *
 * Descriptors made here are nonblocking and close-on-exec.  goc_read,
 * goc_write and goc_fd_wait switch any other descriptor to O_NONBLOCK on
 * first use (the flag belongs to the open file: a terminal shared with
 * another process sees it too); one that epoll cannot watch (a regular
 * file) is read and written with plain blocking calls instead.  Close a
 * descriptor used here with goc_close, not close(2): the runtime keeps
 * state per descriptor number.
 *
 * Deadlines are absolute goc_nanotime() values, 0 for none, set per
 * descriptor (as on Go's net.Conn) and kept until changed; they apply to
 * waits in progress too.  A wait that reaches its deadline fails with
 * ETIMEDOUT ("i/o timeout").  goc_close wakes the goroutines waiting on
 * the descriptor, which fail with EBADF ("use of closed network
 * connection").  A goroutine waiting here counts as woken from outside,
 * so it never makes the deadlock report fire.
 */

/* goc_errno_location is errno's address on the thread running now.  A
 * goroutine may resume on another thread after any call that can block,
 * and compilers keep errno's address (glibc's __errno_location is declared
 * const) across such calls, so code that reads errno after one, in the
 * same function as an earlier errno access, may read another thread's.
 * Translated .gc code gets errno defined as *goc_errno_location()
 * (goc_lang.h); plain C on goc.h can do the same. */
int *goc_errno_location(void);

/* goc_tcp_listen listens on addr: "host:port", "[v6addr]:port" or ":port"
 * (every interface); port 0 picks a free one (goc_tcp_port tells which).
 * host may be a name (resolved with getaddrinfo, which blocks the thread).
 * SO_REUSEADDR is set; the backlog is SOMAXCONN.  Returns the descriptor. */
int goc_tcp_listen(const char *addr);
/* goc_tcp_accept waits for a connection on a listening descriptor and
 * returns it (TCP_NODELAY set, as Go does), honouring ln's read deadline. */
int goc_tcp_accept(int ln);
/* goc_tcp_dial connects to addr ("host:port"), waiting at most until
 * deadline (0: the kernel's own timeout); tries each address the name
 * resolves to, in order.  Returns the connected descriptor. */
int goc_tcp_dial(const char *addr, int64_t deadline);
/* The local port a socket is bound to, or -1. */
int goc_tcp_port(int fd);

/* goc_read waits until fd has data, end of file or an error and then reads
 * at most n bytes: > 0 bytes read, 0 at end of file, -1 on error. */
ssize_t goc_read(int fd, void *buf, size_t n);
/* goc_write writes all n bytes, waiting as often as needed; returns n, or
 * -1 if an error (EPIPE, ETIMEDOUT, ...) stopped it, with the number of
 * bytes written before then in *done when done is not NULL.  As in Go, a
 * write to a socket whose peer has gone, or to a pipe nobody reads, fails
 * with EPIPE instead of raising SIGPIPE, except on descriptors 1 and 2. */
ssize_t goc_write_some(int fd, const void *buf, size_t n, size_t *done);
ssize_t goc_write(int fd, const void *buf, size_t n);
/* goc_fd_wait waits until fd is readable (write false) or writable: 0, or
 * -1 with ETIMEDOUT or EBADF.  For I/O the calls above do not cover
 * (recvfrom, sendmsg, a library's own nonblocking descriptor). */
int goc_fd_wait(int fd, bool write);
/* Deadlines (see above); 0 on success, -1 with EBADF for a bad fd. */
int goc_set_deadline(int fd, int64_t deadline);
int goc_set_read_deadline(int fd, int64_t deadline);
int goc_set_write_deadline(int fd, int64_t deadline);
/* goc_close wakes fd's waiters (EBADF), forgets fd and closes it. */
int goc_close(int fd);

/* goc_signal_notify relays signal sig to channel c, a channel of int (a
 * goc_chan *, or in .gc a chan int, taken as it is): the runtime sends the
 * signal number, as Go's signal.Notify does, without
 * blocking, so a signal that finds c full is dropped; give c a buffer.
 * Several channels may watch one signal.  A channel registered here
 * counts as a possible waker for the deadlock report.  SIGKILL, SIGSTOP,
 * SIGSEGV, SIGBUS, SIGFPE, SIGILL and the collector's SIGPWR are refused:
 * -1 with EINVAL.  Returns 0. */
int goc_signal_notify(void *c, int sig);
/* goc_signal_stop stops relaying to c: once it returns, c receives no more
 * signals.  A signal nobody watches any more gets back the disposition it
 * had before its first watch. */
void goc_signal_stop(void *c);

/* goc_proc_start starts path (searched in PATH when it has no slash) with
 * argv (NULL-terminated) and envp (NULL: this process's environment).
 * fds, when not NULL, gives the child's standard input, output and error
 * (-1 entries: inherited).  Returns the child's pid, or -1 with errno
 * (ENOENT when the program cannot be found or run). */
pid_t goc_proc_start(const char *path, char *const argv[], char *const envp[], const int fds[3]);
/* goc_proc_wait waits for child pid to exit, parking the goroutine, not the
 * thread, and reaps it; *status (may be NULL) gets the waitpid(2) status.
 * Returns pid, or -1 with errno (ECHILD). */
pid_t goc_proc_wait(pid_t pid, int *status);

/* ===================================================================== */
/* panic, defer and recover                                              */
/* ===================================================================== */

/*
 * goc_panic stops the goroutine with a formatted message and unwinds it,
 * running deferred calls (latest first).  A deferred call that calls
 * goc_recover ends the panic, and execution continues where the frame that
 * registered it was entered (goc_frame_enter returns nonzero there), which
 * the function then leaves with a zero value.  Unrecovered, the program
 * prints "panic: MESSAGE", the goroutine and where it was created, and exits
 * with status 2.
 */
GOC_NORETURN void goc_panic(const char *fmt, ...) GOC_PRINTF(1, 2);

/* Inside a deferred call run by a panic: returns the panic message and stops
 * the panic.  Anywhere else: NULL.  In C, "inside" means anywhere below the
 * deferred function, at any depth: goc cannot see how directly plain C code
 * was called.  Translated code follows Go's rule instead (only the deferred
 * function itself recovers) through goc_recover_frame and goc_recover_claim
 * below; a translated function that goc_defer registers recovers too. */
const char *goc_recover(void);

/*
 * A frame groups the deferred calls of one function activation.
 *
 *     int f(void) {
 *         goc_frame fr;
 *         if (goc_frame_enter(&fr)) return 0;     // a defer recovered
 *         goc_defer(&fr, unlock_it, &mu);
 *         ...
 *         goc_frame_leave(&fr);                   // runs the defers, LIFO
 *         return 1;
 *     }
 *
 * Frames nest along the goroutine's calls; leave every frame you enter, on
 * every return path.  The fields are the runtime's.
 */
typedef struct goc_defer_rec goc_defer_rec;

/* A pending deferred call of a translated function (inline defers, below). */
typedef struct goc_dlink {
    struct goc_dlink *next;
    void *label;              /* where the function runs this call */
} goc_dlink;

typedef struct goc_frame {
    struct goc_frame *link;
    goc_defer_rec *defers;
    void *jb[21];             /* goc__setjmp's registers (runtime/jmp_*.S) */
    /* the function a deferred call of this frame is calling (a mark once
     * goc_recover_claim took it); NULL between calls */
    void (*dfn)(void);
    /* Inline frames only (translated code): */
    goc_dlink *dtop;          /* pending deferred calls, latest first */
    goc_dlink *dcur;          /* the one running */
    int is_inline;
    int unwinding;            /* the runtime jumped here to run defers for a panic */
    goc_dlink *pbound;        /* dtop when the latest panic jumped here (panic.c) */
    struct goc_frame **head;  /* the goroutine's chain head this frame is on */
    size_t used;              /* bytes of buf handed out by goc_frame_alloc */
    void *spill;              /* malloc'ed blocks beyond buf, freed on finish */
    _Alignas(16) unsigned char buf[160];
} goc_frame;

/* The jump back into a frame a panic unwinds: a small returns_twice
 * setjmp of the callee-saved registers (runtime/jmp_*.S), the same in
 * every build so that code compiled with and without a sanitizer agrees
 * on the buffer (the sanitizer runtimes are told of the jump, panic.c). */
int goc__setjmp(void *jb) __attribute__((returns_twice));
#define goc__frame_setjmp(jb) goc__setjmp(jb)
void goc__longjmp(void *jb, int v) __attribute__((noreturn));

/* For translated code's preemption polls (goc_lang.h, runtime/sched.c):
 * the flag sysmon raises, alone in its cache line. */
extern struct goc__preempt_line {
    _Alignas(64) _Atomic int pending;
    char pad[64 - sizeof(int)];
} goc__preempt_line;
void goc__preempt(void);

/* Pushes f on the goroutine's chain and returns its jump buffer. */
void *goc_frame_push(goc_frame *f);
/* goc_frame_enter returns 0 on entry, nonzero when a panic was recovered by
 * one of this frame's defers (the frame is then already left).  It is a
 * setjmp: use it only as the whole condition of an if.  (A real setjmp, not
 * __builtin_setjmp: with computed gotos and noreturn calls in the function
 * gcc -O2 drops __builtin_setjmp's second return.) */
#define goc_frame_enter(f) goc__frame_setjmp(goc_frame_push(f))
/* Registers fn(arg) to run when f is left or unwound. */
void goc_defer(goc_frame *f, void (*fn)(void *), void *arg);
/* Runs f's deferred calls, latest first, and pops f. */
void goc_frame_leave(goc_frame *f);

/*
 * Inline frames: how the translator lowers `defer` (Go's open-coded defers).
 * The function keeps its deferred calls as code of its own and a list of
 * goc_dlink records (storage from goc_frame_alloc, which lives as long as
 * the frame).  On every way out it runs them itself, latest first.  When a
 * panic unwinds through the frame, the runtime jumps back to
 * goc_frame_enter_inline, which then returns nonzero: the function runs its
 * deferred calls and calls goc_frame_finish, which either continues the
 * panic (it is not recovered) or returns 1 (a deferred call recovered: the
 * function returns its zero value).  goc_frame_finish returns 0 on a normal
 * exit.  Every path out of the function must reach goc_frame_finish.
 */
void *goc_frame_push_inline(goc_frame *f);
/* recover() written in a deferred block of frame f: the panic's message
 * only when the panic itself runs the block (not when a block deferred by
 * a deferred block runs as that block returns). */
const char *goc_recover_frame(goc_frame *f);
/* recover() written in a function body, in two steps.  The function's
 * first statement is `goc_frame *rf = goc_recover_claim(fn)`, fn its own
 * address: when a deferred call of the innermost frame is calling fn right
 * now (the caller's dfn, set around the call), it takes that call (a
 * callee or a recursive call finds it taken) and returns the frame, else
 * NULL.  recover() there is goc_recover_claimed(rf): the panic's message
 * only when rf is non-NULL and the panic itself runs that deferred call. */
goc_frame *goc_recover_claim(void (*fn)(void));
const char *goc_recover_claimed(goc_frame *f);
#define goc_frame_enter_inline(f) goc__frame_setjmp(goc_frame_push_inline(f))
int goc_frame_finish_slow(goc_frame *f);
static inline int goc_frame_finish(goc_frame *f)
{
    if (__builtin_expect(!f->unwinding && !f->spill, 1)) {
        *f->head = f->link;   /* leave the chain: no other work on a normal exit */
        return 0;
    }
    return goc_frame_finish_slow(f);
}
void *goc_frame_alloc_slow(goc_frame *f, size_t n);
static inline void *goc_frame_alloc(goc_frame *f, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (__builtin_expect(f->used + n <= sizeof f->buf, 1)) {
        void *p = f->buf + f->used;
        f->used += n;
        return p;
    }
    return goc_frame_alloc_slow(f, n);
}
static inline void goc_defer_push_inline(goc_frame *f, goc_dlink *l, void *label)
{
    l->label = label;
    l->next = f->dtop;
    f->dtop = l;
}

/* ===================================================================== */
/* Memory                                                                */
/* ===================================================================== */

/*
 * goc_alloc returns n zeroed bytes, 16-byte aligned, that live as long as
 * the program can reach them (SPEC §8); goc_new(T) a zeroed T.  There is no
 * free: a concurrent mark-sweep collector reclaims blocks that nothing
 * reachable points to.  Never NULL: running out of memory is a fatal error.
 * Callable from goroutines and from any other thread.
 *
 * Reachable means: a word that holds an address inside the block (its start
 * or any byte of it) is found in a root or in a reachable block.  Roots are
 * every goroutine's stack and saved registers, the stacks and registers of
 * the runtime's threads and of threads that have allocated, the globals of
 * the executable and its shared libraries, and every other private writable
 * mapping, which includes memory from malloc/calloc/realloc (it stays
 * manually managed; a channel kept only in a malloc'ed struct stays alive).
 * Pointers are found conservatively: an integer that looks like an address
 * keeps a block alive.  Not seen: pointers hidden by arithmetic (XOR lists),
 * kept only in MAP_SHARED memory, in memory marked MADV_DONTFORK or
 * MADV_WIPEONFORK (the collector marks a fork-like copy of the process), in
 * files or in another process, or in the registers of a thread that has
 * never called goc_alloc.
 *
 * The collector stops threads with SIGPWR: a thread that called goc must
 * not block it, and the program must not take it over (either is reported
 * as a fatal error at the next collection).  Blocking calls that Linux
 * never restarts (nanosleep, poll and epoll_wait with a timeout) may return
 * EINTR during a collection.  At most 8192 threads may allocate at once.
 *
 * goc_alloc_noscan is goc_alloc for blocks that will never hold a pointer to
 * the heap (strings, numbers, pixels): the collector does not look inside
 * them, so a heap pointer stored in one does not keep its target alive.
 */
void *goc_alloc(size_t n);
void *goc_alloc_noscan(size_t n);
#define goc_new(T) ((T *)goc_alloc(sizeof(T)))
/* goc_box copies n bytes at p into a new goc_alloc'ed block. */
void *goc_box(const void *p, size_t n);
/* goc_gc runs a full collection and returns when it is over (SPEC §8): a
 * cycle that starts after the call, marks, and frees what it found
 * unreachable.  Blocks the calling thread; other goroutines keep running.
 * Works with GOC_GC=off too. */
void goc_gc(void);

/*
 * Collector statistics, read at any time from any thread (a consistent
 * snapshot of the counters, not of the heap).  Pause percentiles are over
 * the last 1024 stop-the-world pauses.  Environment: GOC_GC=percent (heap
 * growth over the last cycle's live bytes before the next cycle; default
 * 100; "off" disables automatic cycles), GOC_MEMLIMIT=bytes (a soft limit:
 * cycles run more often as the heap approaches it; suffixes KiB MiB GiB as
 * in Go's GOMEMLIMIT), GOC_DEBUG=gctrace=1 (one line per cycle on stderr).
 */
typedef struct goc_gc_stats {
    uint64_t cycles;            /* completed collections                   */
    uint64_t pause_total_ns;    /* sum of stop-the-world pauses            */
    uint64_t pause_max_ns;
    uint64_t pause_p50_ns;
    uint64_t pause_p99_ns;
    uint64_t last_pause_ns;
    uint64_t heap_live;         /* bytes allocated and not freed, now      */
    uint64_t heap_marked;       /* bytes the last cycle found reachable    */
    uint64_t heap_goal;         /* heap_live that starts the next cycle... */
    uint64_t heap_mapped;       /* ...and address space reserved for it    */
    uint64_t freed_bytes;       /* reclaimed since start                   */
    uint64_t freed_objects;
    uint64_t mark_ns_total;     /* concurrent marking, all cycles          */
} goc_gc_stats;
void goc_gc_read_stats(goc_gc_stats *st);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
#ifdef __cplusplus
}
#endif
#endif /* GOC_H */
