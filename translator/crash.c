/*
 * crash.c — internal errors: where the translator was when it failed.
 *
 * Tree-sitter reads code it cannot parse (macros, mostly) in shapes nobody
 * foresaw, and tree-sitter's node functions crash on a null node.  A
 * translator bug that such a shape uncovers must not end goc with a bare
 * "Segmentation fault" and no hint of the line that caused it.  So the
 * passes note where they are: tr_where_unit names the unit being
 * translated, tr_where_phase the pass, tr_where_at the node (a store per
 * node visited, see diag.h).  The goc command's handler for fatal signals
 * (driver_util.c) calls tr_crash_report, which prints
 *
 *     file.gc:12:9: internal error: the translator crashed here (SIGSEGV, in the lowering)
 *        12 |     M(op) { return 1; }
 *           |         ^
 *
 * The test hook GOC_TEST_TRANSLATOR_CRASH (any value) makes the lowering
 * fault at its first go statement (lower_go.c), so that the report and
 * the cleanup behind it are tested (tests/driver/test_translator_crash.sh).
 *
 * Invariants.  The record is thread-local (a fault is delivered to the
 * thread that faulted) and cleared by tr_where_unit(NULL) when a
 * translation ends, so a crash elsewhere in goc names no stale position.
 * tr_crash_report runs in a signal handler after a fault that may have
 * struck inside malloc or stdio: it only reads memory and calls write(2),
 * and reads no more of the source than the unit's length.
 *
 * Rejected: recovering from the fault (siglongjmp out of the handler and
 * report an error): the translator's heap, and malloc's, may be corrupt
 * by then.  Guarding every tree-sitter call against null nodes: the bugs
 * are wrong assumptions about a tree's shape, which guards would turn
 * into silent mistranslations; one forgotten guard would crash silently
 * again.
 */
#include "diag.h"
#include "lex.h"
#include "prepass.h"
#include "translate.h"

#include <string.h>
#include <unistd.h>

_Thread_local size_t tr_where_off;

static _Thread_local struct {
    const tr_diag *diag;         /* the unit; NULL outside a translation */
    const tr_spelled *sp;        /* once the pre-pass is done: offsets are spelled */
    const char *phase;
} where;

void tr_where_unit(const tr_diag *d)
{
    where.diag = d;
    where.sp = NULL;
    where.phase = "pre-pass";
    tr_where_off = 0;
}

void tr_where_spelled(const struct tr_spelled *sp)
{
    where.sp = sp;
    tr_where_off = 0;
}

void tr_where_phase(const char *phase)
{
    where.phase = phase;
}

/* ---- the report: write(2) only --------------------------------------------- */

typedef struct out {
    char buf[1024];
    size_t n;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (n > sizeof o->buf - o->n) n = sizeof o->buf - o->n;
    memcpy(o->buf + o->n, s, n);
    o->n += n;
}

static void put_str(out *o, const char *s) { put(o, s, strlen(s)); }

static void put_int(out *o, long v, int width)
{
    char d[24];
    int k = 0;
    do d[k++] = (char)('0' + v % 10); while ((v /= 10) > 0 && k < 20);
    while (width-- > k) put(o, " ", 1);
    while (k > 0) put(o, &d[--k], 1);
}

/* The source offset the translator was at, clamped to the source. */
static size_t source_offset(const tr_diag *d)
{
    size_t off = tr_where_off;
    if (where.sp && where.sp->nmap > 0 && off <= where.sp->len) off = tr_map_to_source(where.sp, off);
    return off > d->len ? d->len : off;
}

/* The source line around off, then a caret under off (at most 200 bytes
 * of the line: a minified file has long ones). */
static void put_line(out *o, const tr_diag *d, size_t off, int line, int col)
{
    size_t ls = off - (size_t)(col - 1), le = ls;
    while (le < d->len && le - ls < 200 && d->src[le] != '\n') le++;
    put_int(o, line, 5);
    put_str(o, " | ");
    put(o, d->src + ls, le - ls);
    put_str(o, "\n      | ");
    for (size_t i = ls; i < off && i < le; i++) put(o, d->src[i] == '\t' ? "\t" : " ", 1);
    put_str(o, "^\n");
}

int tr_crash_report(int fd, const char *what)
{
    const tr_diag *d = where.diag;
    if (!d) return 0;
    out o = { .n = 0 };
    size_t off = source_offset(d);
    int line, col;
    tr_line_col(d->src, off, &line, &col);
    put_str(&o, d->path);
    put(&o, ":", 1);
    put_int(&o, line, 0);
    put(&o, ":", 1);
    put_int(&o, col, 0);
    put_str(&o, ": internal error: the translator crashed here (");
    put_str(&o, what);
    put_str(&o, ", in the ");
    put_str(&o, where.phase);
    put_str(&o, "); please report it with this input\n");
    put_line(&o, d, off, line, col);
    for (size_t done = 0; done < o.n;) {
        ssize_t k = write(fd, o.buf + done, o.n - done);
        if (k <= 0) break;
        done += (size_t)k;
    }
    return 1;
}
