/*
 * colmap.c — the column map of an output (translate.h): built from the
 * column marks the emitter leaves in stage 2 (lower.h), asked by the goc
 * command to move the C compiler's diagnostics to .gc columns.
 *
 * Building is one sweep over the marked text that removes the marks in
 * place.  It keeps, per output line, anchors: "from output byte COL on,
 * the text is source byte SRC onwards (verbatim) / stands for SRC
 * (generated)".  A verbatim copy of spelled text is further cut where the
 * pre-pass rewrote the source: a segment of the pre-pass map whose spelled
 * length equals the source length it covers is the source itself and maps
 * byte for byte; any other segment is a respelling (`__goc_send(`,
 * `switch (__goc_select)`) and maps to the start of what it replaced.
 * Anchors that continue the previous one are not stored, so plain C costs
 * one anchor per line.
 *
 * Lines.  The compiler names a position by the line #line gives it, not by
 * the output line; the map records that "presumed" line for each output
 * line from the directives in the output (ours: `#line 1` at the top and
 * one before each go-block thunk; the user's own too).  A source line can
 * appear twice in the output, for a go block: its first line holds the
 * spawn code in the function and the thunk's opening at the end.  A lookup
 * takes the output line where the column falls on verbatim text, else one
 * that is long enough.
 *
 * Generated text never moves a diagnostic to an earlier line: when what it
 * stands for starts before the compiler's line (a check a lowering puts on
 * a later line of the construct), the position is the compiler's line at
 * its first non-blank column.  It may move it to a later one: a select
 * evaluates its cases' operands at the select, each marked as its operand.
 *
 * Columns are bytes (clang's unit) or display columns with tabs to the
 * next multiple of 8 and one column per UTF-8 character (gcc's default
 * unit).  gcc counts its display columns over the line of the file that
 * #line names — the .gc line — and one per byte past its end, not over
 * the line it compiled; the lookup undoes exactly that.
 *
 * Rejected: recording output offsets as the emitter writes (the emitter
 * writes into several buffers — the function, its file-scope prelude, the
 * thunks, flattened argument text — that are pasted together later, and
 * channel types are respelled after emission; marks travel with the text
 * through all of that).
 */
#include "lower.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct anchor {
    uint32_t col;       /* output byte offset in its line */
    uint32_t src;       /* source byte offset */
    uint32_t verbatim;  /* 1: col+k is src+k; 0: the whole stretch is src */
} anchor;

struct tr_colmap {
    char *path;
    char *src;
    size_t src_len;
    size_t *src_line;        /* start offset of each source line */
    int nsrc_lines;
    char *out;               /* the output, marks removed */
    size_t *out_line;        /* start offset of each output line, and out_len at [nout_lines] */
    int nout_lines;
    int *presumed;           /* per output line: its source line as the compiler sees it, or 0 */
    uint32_t *first;         /* per output line: its first anchor; [nout_lines] = nanchors */
    anchor *anchors;
    size_t nanchors, cap;
    char **names;            /* internal name, shown name, ... */
    int nnames;
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) abort();
    return p;
}

/* ---- building ---------------------------------------------------------------- */

typedef struct builder {
    tr_colmap *m;
    const tr_spelled *sp;
    int verbatim;
    size_t spos;              /* verbatim: spelled offset of the next byte */
    size_t gen;               /* generated: the spelled offset it stands for */
    size_t last_end;          /* where the last verbatim copy ended */
    size_t seg, bound;        /* verbatim: current pre-pass segment, where it ends */
    uint32_t *stack;
    size_t depth, stack_cap;
    int line;                 /* output line being written */
    size_t line_start;        /* its start in the compacted output */
} builder;

static int seg_is_source(const tr_spelled *sp, size_t k)
{
    if (k + 1 >= sp->nmap) return 1;
    return sp->map[k + 1].spelled - sp->map[k].spelled == sp->map[k + 1].source - sp->map[k].source;
}

static size_t seg_find(const tr_spelled *sp, size_t off)
{
    size_t lo = 0, hi = sp->nmap;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (sp->map[mid].spelled <= off) lo = mid; else hi = mid;
    }
    return lo;
}

static void add_anchor(builder *b, size_t col, size_t src, int verbatim)
{
    tr_colmap *m = b->m;
    if (m->nanchors > m->first[b->line]) {
        anchor *p = &m->anchors[m->nanchors - 1];
        if (p->verbatim == (uint32_t)verbatim &&
            (verbatim ? src - p->src == col - p->col : src == p->src))
            return;
    }
    if (m->nanchors == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->anchors = xrealloc(m->anchors, m->cap * sizeof *m->anchors);
    }
    m->anchors[m->nanchors++] = (anchor){ (uint32_t)col, (uint32_t)src, (uint32_t)verbatim };
}

/* The anchor for the current state at output column col. */
static void anchor_here(builder *b, size_t col)
{
    const tr_spelled *sp = b->sp;
    if (!sp->nmap) { add_anchor(b, col, b->verbatim ? b->spos : b->gen, b->verbatim); return; }
    if (b->verbatim) {
        const tr_map_seg *s = &sp->map[b->seg];
        if (seg_is_source(sp, b->seg)) add_anchor(b, col, s->source + (b->spos - s->spelled), 1);
        else add_anchor(b, col, s->source, 0);
        return;
    }
    size_t k = seg_find(sp, b->gen);
    const tr_map_seg *s = &sp->map[k];
    add_anchor(b, col, seg_is_source(sp, k) ? s->source + (b->gen - s->spelled) : s->source, 0);
}

static void set_generated(builder *b)
{
    b->verbatim = 0;
    b->gen = b->depth ? b->stack[b->depth - 1] : b->last_end;
}

static void start_verbatim(builder *b, size_t at)
{
    const tr_spelled *sp = b->sp;
    b->verbatim = 1;
    b->spos = at;
    b->seg = sp->nmap ? seg_find(sp, at) : 0;
    b->bound = b->seg + 1 < sp->nmap ? sp->map[b->seg + 1].spelled : SIZE_MAX;
}

/* Applies the mark at s[*r] (TR_MARK ... TR_MARK_END); *r moves past it. */
static void apply_mark(builder *b, const char *s, size_t n, size_t *r)
{
    size_t i = *r + 1;
    char kind = i < n ? s[i++] : 0;
    size_t at = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') at = at * 10 + (size_t)(s[i++] - '0');
    if (i < n && s[i] == TR_MARK_END) i++;
    *r = i;
    switch (kind) {
    case 'V': start_verbatim(b, at); break;
    case 'E': if (b->verbatim) b->last_end = b->spos; set_generated(b); break;
    case 'G':
        if (b->depth == b->stack_cap) {
            b->stack_cap = b->stack_cap ? b->stack_cap * 2 : 32;
            b->stack = xrealloc(b->stack, b->stack_cap * sizeof *b->stack);
        }
        b->stack[b->depth++] = (uint32_t)at;
        set_generated(b);
        break;
    case 'P': if (b->depth) b->depth--; set_generated(b); break;
    case 'A': b->verbatim = 0; b->gen = at; break;
    }
}

static void new_line(builder *b, size_t w)
{
    tr_colmap *m = b->m;
    b->line++;
    m->first = xrealloc(m->first, (size_t)(b->line + 2) * sizeof *m->first);
    m->out_line = xrealloc(m->out_line, (size_t)(b->line + 2) * sizeof *m->out_line);
    m->first[b->line] = (uint32_t)m->nanchors;
    m->out_line[b->line] = w;
    b->line_start = w;
}

/* Removes the marks from text (in place) and records their anchors. */
static void sweep(builder *b, tr_buf *text)
{
    tr_colmap *m = b->m;
    char *s = text->s;
    size_t n = text->n, w = 0;
    int dirty = 1;
    m->first = xrealloc(NULL, 2 * sizeof *m->first);
    m->out_line = xrealloc(NULL, 2 * sizeof *m->out_line);
    m->first[0] = 0;
    m->out_line[0] = 0;
    for (size_t r = 0; r < n;) {
        if (s[r] == TR_MARK) { apply_mark(b, s, n, &r); dirty = 1; continue; }
        if (b->verbatim && b->spos >= b->bound) {
            while (b->seg + 1 < b->sp->nmap && b->sp->map[b->seg + 1].spelled <= b->spos) b->seg++;
            b->bound = b->seg + 1 < b->sp->nmap ? b->sp->map[b->seg + 1].spelled : SIZE_MAX;
            dirty = 1;
        }
        if (dirty) { anchor_here(b, w - b->line_start); dirty = 0; }
        char c = s[r++];
        s[w++] = c;
        if (b->verbatim) b->spos++;
        if (c == '\n') { new_line(b, w); dirty = 1; }
    }
    text->n = w;
    if (s) s[w] = 0;
    m->nout_lines = b->line + 1;
    m->first[m->nout_lines] = (uint32_t)m->nanchors;
    m->out_line[m->nout_lines] = w;
}

/* `#line N "F"` or `# N "F"` at p (a line of n bytes): 1 and *num, and
 * *ours when F is absent or the map's path. */
static int directive(const tr_colmap *m, const char *p, size_t n, int *num, int *ours)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    if (i == n || p[i++] != '#') return 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    if (n - i >= 4 && !memcmp(p + i, "line", 4)) i += 4;
    while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    if (i == n || p[i] < '0' || p[i] > '9') return 0;
    long v = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9') v = v * 10 + (p[i++] - '0');
    *num = (int)v;
    while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    if (i == n || p[i] != '"') return 1;
    /* compare the string literal with the path, undoing \" and \\ */
    const char *q = m->path;
    for (i++; i < n && p[i] != '"'; i++) {
        if (p[i] == '\\' && i + 1 < n) i++;
        if (*q++ != p[i]) { *ours = 0; return 1; }
    }
    *ours = *q == 0;
    return 1;
}

static void presumed_lines(tr_colmap *m)
{
    m->presumed = xrealloc(NULL, (size_t)m->nout_lines * sizeof *m->presumed);
    int cur = 0, ours = 0;
    for (int i = 0; i < m->nout_lines; i++) {
        const char *p = m->out + m->out_line[i];
        size_t n = m->out_line[i + 1] - m->out_line[i];
        int num;
        if (directive(m, p, n, &num, &ours)) { m->presumed[i] = 0; cur = num; continue; }
        m->presumed[i] = ours ? cur : 0;
        cur++;
    }
}

tr_colmap *tr_colmap_build(tr_buf *text, const tr_spelled *sp, const char *src, size_t len,
                           const char *path)
{
    tr_colmap *m = calloc(1, sizeof *m);
    if (!m) abort();
    builder b = { .m = m, .sp = sp };
    sweep(&b, text);
    free(b.stack);
    m->path = strdup(path);
    m->src = xrealloc(NULL, len + 1);
    memcpy(m->src, src, len);
    m->src[len] = 0;
    m->src_len = len;
    m->out = xrealloc(NULL, text->n + 1);
    memcpy(m->out, text->s ? text->s : "", text->n);
    m->out[text->n] = 0;
    m->src_line = xrealloc(NULL, sizeof *m->src_line);
    m->src_line[m->nsrc_lines++] = 0;
    for (size_t i = 0; i < len; i++)
        if (src[i] == '\n') {
            m->src_line = xrealloc(m->src_line, (size_t)(m->nsrc_lines + 1) * sizeof *m->src_line);
            m->src_line[m->nsrc_lines++] = i + 1;
        }
    presumed_lines(m);
    return m;
}

void tr_colmap_name(tr_colmap *m, const char *internal, const char *shown)
{
    m->names = xrealloc(m->names, (size_t)(m->nnames + 2) * sizeof *m->names);
    m->names[m->nnames++] = strdup(internal);
    m->names[m->nnames++] = strdup(shown);
}

/* ---- queries ----------------------------------------------------------------- */

const char *tr_colmap_path(const tr_colmap *m) { return m->path; }

const char *tr_colmap_function(const tr_colmap *m, const char *name)
{
    for (int i = 0; i + 1 < m->nnames; i += 2)
        if (!strcmp(m->names[i], name)) return m->names[i + 1];
    return NULL;
}

const char *tr_colmap_source_line(const tr_colmap *m, int line, size_t *len)
{
    if (line < 1 || line > m->nsrc_lines) return NULL;
    size_t a = m->src_line[line - 1], b = a;
    while (b < m->src_len && m->src[b] != '\n') b++;
    *len = b - a;
    return m->src + a;
}

/* The byte offset where 1-based column col is, display columns counted
 * over p[0..n) and one per byte after it. */
static size_t col_to_byte(const char *p, size_t n, int col, int display)
{
    if (!display) return col > 0 ? (size_t)(col - 1) : 0;
    int d = 1;
    size_t j = 0;
    for (; j < n && d < col; j++) {
        unsigned char c = (unsigned char)p[j];
        if (c == '\t') d = ((d - 1) / 8 + 1) * 8 + 1;
        else if ((c & 0xC0) != 0x80) d++;
    }
    while (j < n && ((unsigned char)p[j] & 0xC0) == 0x80) j++;
    return d < col ? j + (size_t)(col - d) : j;
}

/* The 1-based column of byte offset k in p. */
static int byte_to_col(const char *p, size_t k, int display)
{
    if (!display) return (int)k + 1;
    int d = 1;
    for (size_t j = 0; j < k; j++) {
        unsigned char c = (unsigned char)p[j];
        if (c == '\t') d = ((d - 1) / 8 + 1) * 8 + 1;
        else if ((c & 0xC0) != 0x80) d++;
    }
    return d;
}

/* The 0-based source line holding byte src. */
static int source_line_of(const tr_colmap *m, size_t src)
{
    int lo = 0, hi = m->nsrc_lines;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (m->src_line[mid] <= src) lo = mid; else hi = mid;
    }
    return lo;
}

static const anchor *anchor_at(const tr_colmap *m, int line, size_t off)
{
    const anchor *a = NULL;
    for (uint32_t i = m->first[line]; i < m->first[line + 1]; i++) {
        if (m->anchors[i].col > off) break;
        a = &m->anchors[i];
    }
    return a;
}

int tr_colmap_find(const tr_colmap *m, int line, int col, int display, int *src_line, int *src_col)
{
    int best = -1, best_score = -1;
    size_t best_off = 0;
    for (int i = 0; i < m->nout_lines; i++) {
        if (m->presumed[i] != line || line <= 0) continue;
        const char *p = m->out + m->out_line[i];
        size_t n = m->out_line[i + 1] - m->out_line[i];
        if (n && p[n - 1] == '\n') n--;
        /* gcc counts display columns over the line of the file #line
         * names, the .gc line, not over the line it compiled */
        size_t sn = 0;
        const char *sl = tr_colmap_source_line(m, line, &sn);
        size_t off = sl ? col_to_byte(sl, sn, col, display) : col_to_byte(p, n, col, display);
        const anchor *a = anchor_at(m, i, off);
        int score = !a ? -1 : off < n && a->verbatim ? 2 : off <= n ? 1 : 0;
        if (score > best_score) { best = i; best_score = score; best_off = off; }
    }
    if (best < 0 || best_score < 0) return 0;
    const anchor *a = anchor_at(m, best, best_off);
    size_t src = a->verbatim ? a->src + (best_off - a->col) : a->src;
    if (src > m->src_len) src = m->src_len;
    int lo = source_line_of(m, src);
    if (!a->verbatim && lo + 1 < line && line <= m->nsrc_lines) {
        /* generated text on a later line of a construct (a select's case
         * check stands for the select): the line stays */
        lo = line - 1;
        src = m->src_line[lo];
        while (src < m->src_len && (m->src[src] == ' ' || m->src[src] == '\t')) src++;
    }
    *src_line = lo + 1;
    *src_col = byte_to_col(m->src + m->src_line[lo], src - m->src_line[lo], display);
    return 1;
}

void tr_colmap_free(tr_colmap *m)
{
    if (!m) return;
    for (int i = 0; i < m->nnames; i++) free(m->names[i]);
    free(m->names);
    free(m->path);
    free(m->src);
    free(m->src_line);
    free(m->out);
    free(m->out_line);
    free(m->presumed);
    free(m->first);
    free(m->anchors);
    free(m);
}
