/*
 * trace.c — GOC_TRACE=FILE: an execution trace in the Chrome trace-event
 * format (the JSON array form), which Perfetto (ui.perfetto.dev) and
 * chrome://tracing open.
 *
 * What is recorded
 *   - every stretch of time a goroutine runs: a complete event ("ph":"X")
 *     named "G<id>" on the lane of the P it ran on, with the reason it
 *     stopped (what it parked on, "yield", "exit" or "preempted");
 *   - every spawn: an instant event "go" on the spawning P's lane with the
 *     new goroutine's id, its parent's and the source position;
 *   - every collection: its stop-the-world pause and its mark phase, on a
 *     lane of their own (gc.c calls rt_trace_gc);
 *   - lane names ("P0", "P1", ... "collector") as metadata events.
 *
 * Cost.  When GOC_TRACE is unset the only cost is one predictable branch on
 * rt_trace_on in the switch.  When set, every event is formatted into one
 * stdio buffer under one lock: a debugging mode, slower than an untraced
 * run (Go's tracer costs too), that shows what ran where and why it
 * stopped.
 *
 * The array form needs no closing bracket, so a trace stays readable when
 * the process ends by exit, a panic, a fatal error or a deadlock report:
 * those paths call rt_trace_flush before _exit.  A process killed by a
 * signal loses the events still in the buffer.
 */
#include "rt.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Atomic int rt_trace_on;

static rt_lock trace_lock;          /* guards out and the lanes' names   */
static FILE *out;
static int64_t t0;
static bool named[4096];            /* P lanes whose name was written     */
static bool named_threads, named_gc;

enum { LANE_THREADS = 99999, LANE_GC = 100000 };  /* lanes of their own */

static double us(int64_t ns) { return (double)(ns - t0) / 1000.0; }

/* The lane of P number p (-1: a thread that is not a worker), its name
 * written on first use.  Caller holds trace_lock. */
static int lane(int p)
{
    bool *done = p < 0 ? &named_threads : p < (int)(sizeof named / sizeof *named) ? &named[p] : NULL;
    int tid = p < 0 ? LANE_THREADS : p;
    if (done && !*done) {
        *done = true;
        char name[32];
        if (p < 0)
            snprintf(name, sizeof name, "other threads");
        else
            snprintf(name, sizeof name, "P%d", p);
        fprintf(out, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,"
                     "\"args\":{\"name\":\"%s\"}},\n", tid, name);
    }
    return tid;
}

static void flush_at_exit(void)
{
    rt_trace_flush();
}

void rt_trace_init(void)
{
    const char *path = getenv("GOC_TRACE");
    if (!path || !*path)
        return;
    out = fopen(path, "w");
    if (!out) {
        fprintf(stderr, "goc: GOC_TRACE: cannot create %s\n", path);
        return;
    }
    setvbuf(out, NULL, _IOFBF, 1 << 20);
    t0 = goc_nanotime();
    fputs("[\n", out);
    fprintf(out, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,"
                 "\"args\":{\"name\":\"goc\"}},\n");
    atexit(flush_at_exit);
    atomic_store(&rt_trace_on, 1);
}

void rt_trace_flush(void)
{
    if (!atomic_load(&rt_trace_on))
        return;
    rt_lock_acquire(&trace_lock);
    if (out)
        fflush(out);
    rt_lock_release(&trace_lock);
}

/* Why `from` stopped running: every switch away from a goroutine is an
 * exit or an rt_park with a reason ("yield" for goc_yield and preemption). */
static const char *stop_reason(rt_g *from)
{
    if (atomic_load_explicit(&from->status, memory_order_relaxed) == RT_G_DEAD)
        return "exit";
    return from->wait_reason ? from->wait_reason : "waiting";
}

/* s as the inside of a JSON string (source paths may hold '"' or '\'). */
static void put_json(const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        if ((unsigned char)*s < 0x20)
            fprintf(out, "\\u%04x", *s);
        else
            fputc(*s, out);
    }
}

void rt_trace_switch(rt_m *m, rt_g *from, rt_g *to)
{
    int64_t now = goc_nanotime();
    rt_lock_acquire(&trace_lock);
    if (out) {
        int tid = lane(m->p ? m->p->id : -1);
        if (from != &m->g0 && m->trace_since) {
            fprintf(out, "{\"name\":\"G%lld\",\"cat\":\"goroutine\",\"ph\":\"X\",\"ts\":%.3f,"
                         "\"dur\":%.3f,\"pid\":1,\"tid\":%d,\"args\":{\"goid\":%lld,"
                         "\"stop\":\"%s\"}},\n",
                    (long long)from->id, us(m->trace_since), (double)(now - m->trace_since) / 1000.0,
                    tid, (long long)from->id, stop_reason(from));
        }
    }
    rt_lock_release(&trace_lock);
    m->trace_since = to != &m->g0 ? now : 0;   /* 0: on g0, no slice open */
}

void rt_trace_go(rt_g *g, rt_m *m)
{
    int64_t now = goc_nanotime();
    rt_lock_acquire(&trace_lock);
    if (out) {
        int tid = lane(m && m->p ? m->p->id : -1);
        fprintf(out, "{\"name\":\"go\",\"cat\":\"spawn\",\"ph\":\"i\",\"s\":\"t\",\"ts\":%.3f,"
                     "\"pid\":1,\"tid\":%d,\"args\":{\"goid\":%lld,\"parent\":%lld,\"at\":\"",
                us(now), tid, (long long)g->id, (long long)g->parent_id);
        put_json(g->created_file ? g->created_file : "?");
        fprintf(out, ":%d\"}},\n", g->created_line);
    }
    rt_lock_release(&trace_lock);
}

void rt_trace_gc(const char *phase, int64_t start, int64_t end, uint64_t cycle)
{
    rt_lock_acquire(&trace_lock);
    if (out) {
        if (!named_gc) {
            named_gc = true;
            fprintf(out, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,"
                         "\"args\":{\"name\":\"collector\"}},\n", LANE_GC);
        }
        fprintf(out, "{\"name\":\"%s\",\"cat\":\"gc\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,"
                     "\"pid\":1,\"tid\":%d,\"args\":{\"cycle\":%llu}},\n",
                phase, us(start), (double)(end - start) / 1000.0, LANE_GC,
                (unsigned long long)cycle);
    }
    rt_lock_release(&trace_lock);
}
