/*
 * panic.c — the runtime side of defer, panic and recover.
 *
 * Each goroutine has a chain of frames (goc_frame, innermost first), one per
 * function activation that defers something; each frame holds its deferred
 * calls, latest first.  goc_frame_leave runs a frame's calls LIFO.  The
 * translator open-codes defers outside loops and uses this chain for the
 * rest and for unwinding.
 *
 * A panic runs deferred calls from the innermost frame outwards.  A deferred
 * call that calls goc_recover marks the panic recovered; the runtime then
 * runs the rest of that frame's deferred calls normally and jumps back into
 * the frame's function at goc_frame_enter (goc__setjmp, jmp_*.S: a real
 * returns_twice setjmp without signal mask;
 * gcc keeps a real setjmp's second return even where the function also
 * has computed gotos and noreturn calls, which __builtin_setjmp loses at
 * -O2), which returns its zero value.
 *
 * Nested panics: a deferred call may panic again.  Active panics form a
 * chain (g->panicking, innermost first); each lives in the C frame of the
 * rt_panic_run that drives it.  A recovery that lands in frame F abandons
 * every panic whose driver is deeper on the stack than F, i.e. at a lower
 * address, since goroutine stacks grow down.
 *
 * Which recover() stops a panic: Go's rule is that only a function the
 * panic calls directly does, i.e. a deferred function run by the panic
 * itself, not a function it calls, and not a function deferred by a
 * deferred function (that one runs when its deferring function returns,
 * unless that function panics in turn).  In an inline frame the panic
 * runs "directly" exactly the records pending when it jumped into the
 * frame: unwind() notes the top of that list in f->pbound, and a record is
 * run by the panic when it is reachable from pbound (run_by_panic).  A
 * record pushed later, by a deferred block, sits above pbound and is not;
 * if that block panics, the new panic's jump moves pbound over it.
 *   The depth below a deferred call is told apart by function identity:
 * the deferred call site names its callee in the frame (dfn) for the
 * length of the call, and a translated function that calls recover()
 * claims it on entry (goc_recover_claim) when its own address is the one
 * named.  A function it calls has another address, and a recursive call
 * finds the claim taken.  The runtime's own deferred calls (goc_defer)
 * name their callee the same way while a panic runs them.
 *   Rejected: comparing stack addresses of the call site and of recover's
 * caller (they show that the caller is below the call site, not that no
 * frame is between them: frame sizes differ by architecture and
 * optimisation level);
 * a depth counter bumped by every translated function (a cost on every
 * call, and plain C callees do not count); marking records at push time
 * (a store on every defer, where a panic is rare).  Plain C code calling
 * goc_recover() keeps the looser rule goc.h states (any depth below a
 * deferred call the panic runs).
 *
 * Unrecovered: print "panic: MSG" (older panics first, as Go does), the
 * goroutine and where it was created, and exit 2 after flushing stdio.
 */
#include "rt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The jump back into frame f, matching goc_frame_enter's setjmp (goc.h). */
#if defined(GOC_ASAN)
void __asan_handle_no_return(void);
#endif
static RT_NORETURN void frame_longjmp(goc_frame *f)
{
#if defined(GOC_ASAN)
    __asan_handle_no_return();   /* the skipped frames' stack is unpoisoned */
#endif
    goc__longjmp(f->jb, 1);
}
#include <unistd.h>

struct goc_defer_rec {
    goc_defer_rec *link;
    void (*fn)(void *);
    void *arg;
};

struct rt_panic {
    const char *msg;
    struct rt_panic *link;
    char *sp;              /* a stack address of the goc_panic call that drives it */
    bool recovered;
};

void *goc_frame_push(goc_frame *f)
{
    rt_g *g = rt_needg("goc_frame_enter");
    f->defers = NULL;
    f->is_inline = 0;
    f->dfn = NULL;
    f->link = g->frames;
    g->frames = f;
    return f->jb;
}

void *goc_frame_push_inline(goc_frame *f)
{
    goc_frame **head = rt_tls_frames;   /* a leaf: no switch before the use */
    if (__builtin_expect(!head, 0))
        head = &rt_needg("goc_frame_enter_inline")->frames;
    f->defers = NULL;
    f->dtop = f->dcur = NULL;
    f->is_inline = 1;
    f->unwinding = 0;
    f->dfn = NULL;
    f->used = 0;
    f->spill = NULL;
    f->head = head;
    f->link = *head;
    *head = f;
    return f->jb;
}

void *goc_frame_alloc_slow(goc_frame *f, size_t n)
{
    void **b = malloc(sizeof(void *) * 2 + n);
    if (!b)
        rt_fatal("out of memory in defer");
    b[0] = f->spill;
    f->spill = b;
    return b + 2;
}

/* Drops the panics driven from deeper on the stack than frame f: a
 * recovery landing in f abandons them. */
static void drop_panics_below(rt_g *g, goc_frame *f)
{
    while (g->panicking && g->panicking->sp < (char *)f) {
        struct rt_panic *p = g->panicking;
        g->panicking = p->link;
        free(p);
    }
}

void goc_defer(goc_frame *f, void (*fn)(void *), void *arg)
{
    goc_defer_rec *d = malloc(sizeof *d);
    if (!d)
        rt_fatal("out of memory in defer");
    d->fn = fn;
    d->arg = arg;
    d->link = f->defers;
    f->defers = d;
}

/* Pops f's latest deferred call and runs it.  The record is freed before
 * the call, which may panic and never return here.  A call the panic runs
 * names its callee in dfn, so that a translated callee can claim its
 * recover(); a stale dfn left by a panic in fn is overwritten by the next
 * call or dies with the frame. */
static void run_one(goc_frame *f, bool by_panic)
{
    goc_defer_rec *d = f->defers;
    void (*fn)(void *) = d->fn;
    void *arg = d->arg;
    f->defers = d->link;
    free(d);
    f->dfn = by_panic ? (void (*)(void))fn : NULL;
    fn(arg);
    f->dfn = NULL;
}

/* Runs f's deferred calls, latest first, until none are left. */
static void run_defers(goc_frame *f)
{
    while (f->defers)
        run_one(f, false);
}

void goc_frame_leave(goc_frame *f)
{
    rt_g *g = rt_needg("goc_frame_leave");
    run_defers(f);
    g->frames = f->link;
}

/* The running goroutine when it has a panic that no one recovered yet. */
static rt_g *panicking_g(void)
{
    rt_m *m = rt_getm();
    rt_g *g = m ? m->curg : NULL;
    if (!g || g == &m->g0 || !g->panicking || g->panicking->recovered)
        return NULL;
    return g;
}

static const char *recover_now(rt_g *g)
{
    g->panicking->recovered = true;
    return g->panicking->msg;
}

/* Whether the latest panic to jump into inline frame f runs record d
 * itself: d was pending at the jump, so it is reachable from pbound (a
 * record pushed since sits above pbound; records never change once pushed
 * and live as long as the frame).  The records between pbound and d have
 * run, so pbound moves down to d: the walks of one unwind stay short. */
static bool run_by_panic(goc_frame *f, goc_dlink *d)
{
    for (goc_dlink *l = f->pbound; l; l = l->next)
        if (l == d) {
            f->pbound = d;
            return true;
        }
    return false;
}

/* Whether frame f runs, for the innermost panic, a deferred call itself. */
static bool runs_call_by_panic(goc_frame *f)
{
    if (!f->is_inline)
        return f->dfn != NULL;   /* set only by unwind's run_one */
    return f->unwinding && f->dfn && run_by_panic(f, f->dcur);
}

/* Plain C code: anywhere below a deferred call the panic runs, at any
 * depth (goc.h).  The innermost frame the panic reached decides: an
 * inline frame the panic unwinds recovers while it runs a deferred call
 * the panic runs, not while it runs a block (a helper of a block gets
 * NULL, as in Go); a runtime frame while unwind runs one of its calls.
 * The frames above it were entered by those calls and do not unwind. */
const char *goc_recover(void)
{
    rt_g *g = panicking_g();
    if (!g)
        return NULL;
    for (goc_frame *f = g->frames; f; f = f->link) {
        if (f->is_inline ? f->unwinding : f->dfn != NULL)
            return runs_call_by_panic(f) ? recover_now(g) : NULL;
    }
    return NULL;
}

const char *goc_recover_frame(goc_frame *f)
{
    rt_g *g = panicking_g();
    if (!g || !f->unwinding || !run_by_panic(f, f->dcur))
        return NULL;
    return recover_now(g);
}

/* What a claimed dfn names: a function no deferred call calls, so that no
 * second claim matches, while the frame still shows it runs a deferred
 * call (goc_recover's walk). */
static void claimed_call(void)
{
}

/* A prologue: a leaf that reads the chain head from TLS (no switch can
 * come between).  Off a goroutine there is nothing to claim. */
goc_frame *goc_recover_claim(void (*fn)(void))
{
    goc_frame **head = rt_tls_frames;
    goc_frame *f = head ? *head : NULL;
    if (!f || f->dfn != fn)
        return NULL;
    f->dfn = claimed_call;
    return f;
}

const char *goc_recover_claimed(goc_frame *f)
{
    rt_g *g = panicking_g();
    if (!g || !f)
        return NULL;
    if (f->is_inline && (!f->unwinding || !run_by_panic(f, f->dcur)))
        return NULL;
    return recover_now(g);   /* a runtime frame names fn only for the panic */
}

static void print_panic_chain(struct rt_panic *p)
{
    if (!p)
        return;
    print_panic_chain(p->link);
    /* Go marks a panic that a deferred call recovered before a newer one */
    fprintf(stderr, p->link ? "\tpanic: %s%s\n" : "panic: %s%s\n", p->msg, p->recovered ? " [recovered]" : "");
}

RT_NORETURN void rt_die_running(rt_g *g)
{
    if (g) {
        fprintf(stderr, "\ngoroutine %lld [running]:\n", (long long)g->id);
        if (g->parent_id)
            fprintf(stderr, "created by goroutine %lld at %s:%d\n", (long long)g->parent_id,
                    g->created_file ? g->created_file : "?", g->created_line);
        else
            fprintf(stderr, "created at %s:%d\n", g->created_file ? g->created_file : "?",
                    g->created_line);
    }
    fflush(stderr);
    rt_trace_flush();
    _exit(2);
}

static RT_NORETURN void die(rt_g *g, struct rt_panic *p)
{
    fflush(stdout);
    print_panic_chain(p);
    rt_die_running(g);
}

/* Unwinds g's frames for its innermost panic.  An inline frame (translated
 * code) is jumped back into to run its own defers; it continues the unwind
 * through goc_frame_finish. */
static RT_NORETURN void unwind(rt_g *g)
{
    struct rt_panic *p = g->panicking;
    goc_frame *f;
    while ((f = g->frames)) {
        if (f->is_inline) {
            f->unwinding = 1;
            f->pbound = f->dtop;   /* what this panic runs itself */
            f->dfn = NULL;         /* a deferred call it abandons */
            frame_longjmp(f);
        }
        if (!f->defers) {
            g->frames = f->link;
            continue;
        }
        run_one(f, true);
        if (!p->recovered)
            continue;
        /* Recovered: abandon the panics driven from deeper than f, finish
         * f's defers normally, and land in f. */
        drop_panics_below(g, f);
        run_defers(f);
        g->frames = f->link;
        frame_longjmp(f);
    }
    die(g, g->panicking);
}

static RT_NORETURN void panic_run(const char *msg)
{
    rt_m *m = rt_getm();
    rt_g *g = m ? m->curg : NULL;
    struct rt_panic *p = malloc(sizeof *p);
    if (!p)
        rt_fatal("out of memory in panic");
    *p = (struct rt_panic){ msg, NULL, (char *)&m, false };
    if (!g || g == &m->g0)
        die(NULL, p);
    p->link = g->panicking;
    g->panicking = p;
    unwind(g);
}

int goc_frame_finish_slow(goc_frame *f)
{
    rt_g *g = rt_needg("goc_frame_finish");
    g->frames = f->link;
    while (f->spill) {
        void **b = f->spill;
        f->spill = b[0];
        free(b);
    }
    if (!f->unwinding)
        return 0;
    if (g->panicking && g->panicking->recovered) {
        drop_panics_below(g, f);
        return 1;
    }
    unwind(g);
}

void rt_panic(const char *msg)
{
    panic_run(msg);
}

void goc_panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = "panic (message lost: out of memory)";
    va_end(ap);
    panic_run(msg);
}

void rt_goexit_frames(rt_g *g)
{
    /* A goroutine that returns with frames still entered skipped a leave:
     * run them so no deferred call is lost. */
    goc_frame *f;
    while ((f = g->frames)) {
        if (!f->is_inline)
            run_defers(f);
        g->frames = f->link;
    }
}
