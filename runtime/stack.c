/*
 * stack.c — goroutine stacks: where they live, how they are reused, and how
 * an overflow is caught.
 *
 * Layout.  Stacks of the default size are slots carved out of large
 * anonymous mappings ("slabs") of RT_SLAB_SLOTS slots each.  A slot is
 *
 *     low                                                          high
 *     [ guard (RT_GUARD bytes) | stack, grows down  <-- | rt_g struct ]
 *
 * so a G and its stack are one allocation and a fresh goroutine touches a
 * single page (its G and its first frames share the top page).  Memory is
 * MAP_NORESERVE and committed by the kernel on first touch.
 *
 * Guards without mappings.  One mprotect'ed guard page per stack would cost
 * a kernel mapping (VMA) each, and vm.max_map_count is 65,530 by default, so
 * a million parked goroutines could not each have one.  Linux 6.13 added
 * madvise(MADV_GUARD_INSTALL), which plants fault-on-access markers in the
 * page tables without splitting the mapping: a slab of 64 guarded stacks is
 * still one VMA.  Where the kernel lacks it we fall back to mprotect (correct,
 * but then the mapping limit caps the number of stacks, as it does for
 * pthreads), and say so once under GOC_DEBUG.  The guards of a new slab are
 * installed, and the top pages of its stacks committed, with one
 * process_madvise call each (see populate_tops for why).
 *
 * Overflow.  A goroutine that runs past its stack faults in the guard.  The
 * SIGSEGV handler runs on a per-thread alternate signal stack, sees the
 * address inside the running goroutine's guard, prints
 * "goroutine N stack overflow" and exits with status 2.  Any other fault
 * of a goroutine (SIGSEGV, SIGBUS, SIGFPE) is reported in Go's words
 * (fault_in_goroutine) with status 2; off a goroutine it is reported and
 * re-raised with the default action.
 *
 * Reuse.  Freed Gs go to their P's free list (no lock).  Free Gs move
 * between a P and the global pool only in whole batches of RT_BATCH, each
 * a NULL-terminated schedlink chain whose first G links the next batch
 * (batchnext): a P whose list fills keeps it as a spare batch and passes
 * an older spare to the pool; a P that runs dry takes its spare or a pool
 * batch.  Moving a batch is O(1).  The Gs of a batch sit in different pages
 * scattered over the stack slabs, so walking a chain costs a cache and TLB
 * miss per G (expensive under nested paging): measured, walking 64 Gs per
 * refill made up most of a warm spawn.  The spare batch gives hysteresis,
 * so a P that alternates spawning and exiting at the boundary does not
 * take the pool lock every time.  A first touch of a fresh page costs
 * 2 to 13 us on these virtual machines (the hypervisor traps the first user
 * access to each page even after the kernel has populated it), so reuse is
 * what makes spawning cheap.  When a P had to map a slab itself, sysmon
 * and idle Ms prepare slabs ahead (rt_stack_prepare_one) until
 * RT_PREPARED_TARGET Gs wait in the global pool, taking the first-touch
 * cost off the spawning goroutine's path when a core is free to pay it.  Stacks of other
 * sizes (the main goroutine's) get a mapping of their own and are unmapped
 * when the goroutine exits.
 */
#include "rt.h"
#include "gc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif

enum {
    RT_GUARD = 16 * 1024,
    RT_SLAB_SLOTS = 64,
    RT_BATCH = 64,               /* free Gs moved between a P and the pool */
    RT_ALTSTACK = 64 * 1024,
    RT_PREPARED_TARGET = 1024,   /* Gs sysmon keeps ready under demand    */
    RT_RESERVE_BYTES = 256 << 20,/* addresses per mmap, at least a slab   */
};

static size_t page_size;
static size_t slot_size;             /* guard + default stack            */
static _Atomic int guard_mode;       /* 0 untried, 1 madvise, 2 mprotect */

static rt_lock gfree_lock;           /* guards gfree_global, ngfree_global */
static _Atomic int stack_demand;     /* a P had to map a slab itself      */
static rt_g *gfree_global;           /* stack of batches (see Reuse)      */
static int ngfree_global;            /* Gs in those batches               */

void rt_stack_init(void)
{
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    size_t sz = 64 * 1024;
    const char *env = getenv("GOC_STACK_SIZE");
    if (env && *env) {
        char *end;
        unsigned long long v = strtoull(env, &end, 0);
        if (*end == 'k' || *end == 'K') v <<= 10;
        else if (*end == 'm' || *end == 'M') v <<= 20;
        if (v < 16 * 1024) v = 16 * 1024;
        sz = (size_t)v;
    }
    sz = (sz + page_size - 1) & ~(page_size - 1);
    rt_sched_state.stack_size = sz;
    slot_size = sz + RT_GUARD;
}

/* process_madvise(2) on ourselves applies one advice to many ranges in a
 * single system call (any advice since Linux 6.13).  Returns false when the
 * kernel refuses, so the caller falls back to one madvise per range. */
static bool madvise_many(struct iovec *iov, int n, int advice)
{
    static _Atomic int pidfd = -1;
    static _Atomic pid_t pidfd_owner;
    if (atomic_load(&pidfd_owner) != getpid()) {
        int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
        if (fd < 0)
            return false;
        atomic_store(&pidfd, fd);
        atomic_store(&pidfd_owner, getpid());
    }
    size_t want = 0;
    for (int i = 0; i < n; i++)
        want += iov[i].iov_len;
    return syscall(SYS_process_madvise, atomic_load(&pidfd), iov, (size_t)n, advice, 0)
           == (long)want;
}

/* Puts a guard below each of the n slots at base: markers in the page
 * tables (no new mappings) where the kernel has MADV_GUARD_INSTALL, else
 * mprotect'ed pages. */
static void install_guards(char *base, int n)
{
    struct iovec iov[RT_SLAB_SLOTS];
    for (int i = 0; i < n; i++)
        iov[i] = (struct iovec){ base + (size_t)i * slot_size, RT_GUARD };
    int mode = atomic_load_explicit(&guard_mode, memory_order_relaxed);
    if (mode != 2 && madvise_many(iov, n, MADV_GUARD_INSTALL)) {
        atomic_store_explicit(&guard_mode, 1, memory_order_relaxed);
        return;
    }
    for (int i = 0; i < n; i++) {
        if (mode != 2 && madvise(iov[i].iov_base, RT_GUARD, MADV_GUARD_INSTALL) == 0) {
            atomic_store_explicit(&guard_mode, mode = 1, memory_order_relaxed);
            continue;
        }
        if (mode == 0 && getenv("GOC_DEBUG"))
            fprintf(stderr, "goc: MADV_GUARD_INSTALL unavailable; mprotect guards\n");
        atomic_store_explicit(&guard_mode, mode = 2, memory_order_relaxed);
        if (mprotect(iov[i].iov_base, RT_GUARD, PROT_NONE) != 0)
            rt_fatal("goroutine stack guard: out of kernel mappings (vm.max_map_count)");
    }
}

/* Commits the top page of each slot (where the G and the first frames
 * live) in one system call: a page fault costs several times more than
 * populating the same page in bulk, on these virtual machines about 13 us
 * against 2.5 us.  Best effort: without it the pages fault in on use. */
static void populate_tops(char *base, int n)
{
    struct iovec iov[RT_SLAB_SLOTS];
    for (int i = 0; i < n; i++)
        iov[i] = (struct iovec){ base + (size_t)(i + 1) * slot_size - page_size, page_size };
    madvise_many(iov, n, MADV_POPULATE_WRITE);
}

/* Carves the slot whose guard starts at lo into a fresh G. */
static rt_g *g_in_slot(char *lo, size_t size, size_t stack_class)
{
    char *hi = lo + size;
    uintptr_t gaddr = ((uintptr_t)hi - sizeof(rt_g)) & ~(uintptr_t)(RT_CACHELINE - 1);
    rt_g *g = (rt_g *)gaddr;
    g->stack_lo = lo + RT_GUARD;
    g->stack_hi = (char *)(gaddr & ~(uintptr_t)15);
    g->stack_class = stack_class;
    atomic_store_explicit(&g->status, RT_G_IDLE, memory_order_relaxed);
    return g;
}

static void *map_region(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        rt_fatal("out of memory allocating goroutine stacks (%zu bytes)", bytes);
    return p;
}

/* Slabs are carved from reservations of RT_RESERVE_BYTES (51 slabs of
 * the default stack size, or one slab of huge stacks): one mmap per
 * reservation rather than per slab.  mmap takes the address-space lock
 * for writing, and would wait for a concurrent MADV_POPULATE_WRITE (sysmon
 * preparing slabs ahead holds it for reading for a whole batch), which
 * stalled the spawning P for up to a batch's population time. */
static rt_lock reserve_lock;         /* guards reserve_next, reserve_left */
static char *reserve_next;
static int reserve_left;             /* slabs left in the reservation     */

static char *slab_region(void)
{
    rt_lock_acquire(&reserve_lock);
    if (reserve_left == 0) {
        size_t slab = slot_size * RT_SLAB_SLOTS;
        int n = RT_RESERVE_BYTES / slab > 1 ? (int)(RT_RESERVE_BYTES / slab) : 1;
        reserve_next = map_region(slab * (size_t)n);
        rt_gc_exclude(reserve_next, reserve_next + slab * (size_t)n);
        reserve_left = n;
    }
    char *base = reserve_next;
    reserve_next += slot_size * RT_SLAB_SLOTS;
    reserve_left--;
    rt_lock_release(&reserve_lock);
    return base;
}

/* Maps a slab and returns its Gs chained through schedlink. */
static rt_g *new_slab(int *count)
{
    rt_runtime_wait_begin();     /* the address-space lock may make us wait */
    char *base = slab_region();
    install_guards(base, RT_SLAB_SLOTS);
    populate_tops(base, RT_SLAB_SLOTS);
    rt_runtime_wait_end();
    rt_g *list = NULL;
    for (int i = RT_SLAB_SLOTS - 1; i >= 0; i--) {
        char *lo = base + (size_t)i * slot_size;
        rt_g *g = g_in_slot(lo, slot_size, 0);
        rt_allg_add(g);
        g->schedlink = list;
        list = g;
    }
    *count = RT_SLAB_SLOTS;
    return list;
}

/* Every batch in the pool holds exactly RT_BATCH Gs: a slab or a full
 * free list. */
_Static_assert(RT_SLAB_SLOTS == RT_BATCH, "a slab is one batch");

/* Pushes the batch b of n Gs on the global pool. */
static void pool_push(rt_g *b, int n)
{
    rt_lock_acquire(&gfree_lock);
    b->batchnext = gfree_global;
    gfree_global = b;
    ngfree_global += n;
    rt_lock_release(&gfree_lock);
}

/* Pops a batch (of RT_BATCH Gs) from the global pool, or NULL. */
static rt_g *pool_pop(void)
{
    rt_lock_acquire(&gfree_lock);
    rt_g *b = gfree_global;
    if (b) {
        gfree_global = b->batchnext;
        ngfree_global -= RT_BATCH;
    }
    rt_lock_release(&gfree_lock);
    return b;
}

/* Gives p's empty free list a batch: its spare, one from the pool, or a
 * new slab. */
static void refill(rt_p *p)
{
    int n = RT_BATCH;
    rt_g *b = p->gspare;
    p->gspare = NULL;
    if (!b)
        b = pool_pop();
    if (!b) {
        if (!atomic_exchange_explicit(&stack_demand, 1, memory_order_relaxed))
            rt_sysmon_kick();
        b = new_slab(&n);
    }
    p->gfree = b;
    p->ngfree = n;
}

/* Prepares one slab for the pool if a P recently had to map its own and
 * the pool is below RT_PREPARED_TARGET; returns whether it did.  Called by
 * sysmon and by Ms about to sleep for want of work, so that the first
 * touch of new stacks runs on otherwise idle cores. */
bool rt_stack_wants_help(void)
{
    return atomic_load_explicit(&stack_demand, memory_order_relaxed);
}

bool rt_stack_prepare_one(void)
{
    if (!atomic_load_explicit(&stack_demand, memory_order_relaxed))
        return false;
    rt_lock_acquire(&gfree_lock);
    int have = ngfree_global;
    rt_lock_release(&gfree_lock);
    if (have >= RT_PREPARED_TARGET) {
        atomic_store_explicit(&stack_demand, 0, memory_order_relaxed);
        return false;
    }
    int n;
    rt_g *list = new_slab(&n);
    pool_push(list, n);
    return true;
}

rt_g *rt_stack_alloc_g(rt_p *p, size_t size)
{
    if (size != 0 && size != rt_sched_state.stack_size) {
        size = (size + page_size - 1) & ~(page_size - 1);
        char *lo = map_region(size + RT_GUARD);
        rt_gc_exclude(lo, lo + size + RT_GUARD);
        if (mprotect(lo, RT_GUARD, PROT_NONE) != 0)
            rt_fatal("goroutine stack guard: mprotect failed");
        rt_g *g = g_in_slot(lo, size + RT_GUARD, size + RT_GUARD);
        rt_allg_add(g);
        return g;
    }
    if (!p->gfree)
        refill(p);
    rt_g *g = p->gfree;
    p->gfree = g->schedlink;
    p->ngfree--;
    /* The next G is in another page, likely out of the TLB and the cache:
     * start fetching it now, behind this spawn, rather than on the next. */
    if (p->gfree)
        __builtin_prefetch(p->gfree, 1);
    return g;
}

void rt_stack_free_g(rt_p *p, rt_g *g)
{
    if (g->stack_class != 0) {
        rt_allg_remove(g);
        rt_gc_unexclude(g->stack_lo - RT_GUARD, g->stack_lo - RT_GUARD + g->stack_class);
        munmap(g->stack_lo - RT_GUARD, g->stack_class);
        return;
    }
    g->schedlink = p->gfree;
    p->gfree = g;
    if (++p->ngfree < RT_BATCH)
        return;
    /* The list is a full batch: it becomes the spare, and an older spare
     * goes to the pool for other Ps. */
    if (p->gspare)
        pool_push(p->gspare, RT_BATCH);
    p->gspare = p->gfree;
    p->gfree = NULL;
    p->ngfree = 0;
}

/* ---------------------------------------------------------------------- */
/* Overflow detection                                                     */
/* ---------------------------------------------------------------------- */

static void write_str(const char *s)
{
    ssize_t r = write(2, s, strlen(s));
    (void)r;
}

static void *fault_pc(void *uctx)
{
    ucontext_t *uc = uctx;
#if defined(__x86_64__)
    return (void *)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (void *)uc->uc_mcontext.pc;
#else
    (void)uc;
    return NULL;
#endif
}

/* What the program printed before a fatal fault must not be lost (the
 * other fatal paths flush too).  Not async-signal-safe, but the process is
 * ending and the message is out first.  If another thread holds stdout the
 * flush is skipped rather than waited for. */
static void flush_stdout_nowait(void)
{
    if (ftrylockfile(stdout) == 0) {
        fflush_unlocked(stdout);
        funlockfile(stdout);
    }
}

/* A goroutine's own fault, reported as Go reports it and with its exit
 * status 2: a nil dereference (an address in the first page) or an
 * integer division by zero is a runtime error panic, any other bad address
 * "unexpected fault address".  Not recoverable: the deferred calls do not
 * run (the fault may be in the middle of any C code). */
static RT_NORETURN void fault_in_goroutine(rt_g *g, int sig, siginfo_t *info, void *uctx)
{
    flush_stdout_nowait();
    unsigned long addr = (unsigned long)info->si_addr, pc = (unsigned long)fault_pc(uctx);
    if (sig == SIGFPE) {
        bool div = info->si_code == FPE_INTDIV;
        fprintf(stderr, "panic: runtime error: %s\n",
                div ? "integer divide by zero" : "floating-point exception");
        if (!div)
            fprintf(stderr, "[signal SIGFPE: floating-point exception code=0x%x addr=0x%lx pc=0x%lx]\n",
                    (unsigned)info->si_code, addr, pc);
    } else {
        const char *name = sig == SIGBUS ? "SIGBUS: bus error" : "SIGSEGV: segmentation violation";
        if (addr < 4096)
            fputs("panic: runtime error: invalid memory address or nil pointer dereference\n", stderr);
        else
            fprintf(stderr, "unexpected fault address 0x%lx\nfatal error: fault\n", addr);
        fprintf(stderr, "[signal %s code=0x%x addr=0x%lx pc=0x%lx]\n", name, (unsigned)info->si_code,
                addr, pc);
    }
    rt_die_running(g);
}

/* SIGSEGV, SIGBUS and SIGFPE: a goroutine's stack overflow or other fault
 * (see the top of the file); off a goroutine, the default action. */
static void on_fault(int sig, siginfo_t *info, void *uctx)
{
    rt_m *m = rt_getm();
    rt_g *g = m && m->curg != &m->g0 ? m->curg : NULL;
    char *addr = info->si_addr;
    char buf[160];
    if (g && sig != SIGFPE && addr >= g->stack_lo - RT_GUARD && addr < g->stack_lo) {
        snprintf(buf, sizeof buf,
                 "fatal error: goroutine %lld stack overflow "
                 "(stack of %zu bytes; set GOC_STACK_SIZE for more)\n",
                 (long long)g->id, (size_t)(g->stack_hi - g->stack_lo));
        write_str(buf);
        flush_stdout_nowait();
        _exit(2);
    }
    if (g)
        fault_in_goroutine(g, sig, info, uctx);
    snprintf(buf, sizeof buf, "fatal error: unexpected signal %s at address %p (not in a goroutine)\n",
             sig == SIGBUS ? "SIGBUS" : sig == SIGFPE ? "SIGFPE" : "SIGSEGV", (void *)addr);
    write_str(buf);
    signal(sig, SIG_DFL);
    raise(sig);
}

void rt_stack_init_thread(rt_m *m)
{
    stack_t ss;
    /* mmap, not malloc: the only pointer to it is in m, which lives in
     * mmap'ed memory LeakSanitizer does not scan (it would report it). */
    m->altstack = mmap(NULL, RT_ALTSTACK, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m->altstack == MAP_FAILED)
        rt_fatal("out of memory");
    ss.ss_sp = m->altstack;
    ss.ss_size = RT_ALTSTACK;
    ss.ss_flags = 0;
    sigaltstack(&ss, NULL);

    static _Atomic int installed;
    if (atomic_exchange(&installed, 1))
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
}
