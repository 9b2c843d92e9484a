/*
 * driver_diag.c — the C compiler's diagnostics on translated code, moved
 * to the .gc line and column.
 *
 * A compile of translated C runs with its stderr in a file of the work
 * directory; when it ends, the text is printed through tr_driver_diag_print
 * with the column maps of the unit's translated files (translate.h).  The
 * compiler's text is read as groups: a header `FILE:LINE:COL: KIND: MESSAGE`
 * and the lines it echoes under it —
 *   gcc     `  LINE | source` and `       | ^~~~` gutter lines (gcc reads
 *           the .gc named by #line, so the line is right but the caret is
 *           at the column of the generated line);
 *   clang   the generated line itself, then a caret line of `^`/`~`, then
 *           indented fix-it lines
 * — or any other line.  For a header in a mapped file:
 *   1. the position becomes the .gc position (tr_colmap_find), in the
 *      compiler's unit: display columns for gcc, bytes for clang;
 *   2. the echo is replaced by the .gc line and a caret under the column,
 *      in the compiler's own layout (nothing is printed if it echoed
 *      nothing);
 *   3. a follow-on error that names an internal `__goc_` name is dropped
 *      when another error without one was reported on the same .gc line
 *      (a failed `__auto_type` temporary of a go/defer lowering makes every
 *      later use of it an error), with the notes that follow it, and
 *      clang's "N errors generated." is counted again;
 *   4. the translator's static assertions speak Go ("invalid operation:
 *      cannot receive from send-only channel"): the message alone is
 *      printed, without the compiler's "static assertion failed" and
 *      clang's requirement.  When the operand of a channel operation is not
 *      a channel at all, everything else reported at that .gc line (the
 *      uses of the operand as a channel, with their notes in goc_lang.h)
 *      is dropped, and the operand's type, taken from one of those
 *      errors, is added as Go adds it: "non-channel x (variable of type
 *      int)".
 * `In function '__goc_user_main'` names main, and a go block's thunk is
 * "go block in F".  Every other line passes unchanged: a line this code
 * does not understand is printed as it came.
 *
 * Rejected: passing gcc -fdiagnostics-column-unit=byte (clang has no such
 * flag and older gcc rejects it; converting columns here costs little);
 * filtering every line that mentions `__goc_` (a diagnostic must never be
 * lost when it is the only one at its line).
 */
#define _GNU_SOURCE
#include "driver.h"
#include "translate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct line {
    const char *s;
    size_t n;
} line;

/* One group of the compiler's output. */
typedef struct group {
    int first, count;         /* lines */
    bool header;              /* first line is FILE:LINE:COL: KIND: */
    const tr_colmap *map;     /* the header's file is translated .gc/.gh */
    int line, col;            /* the header's position (mapped when map) */
    size_t rest;              /* offset of ": KIND: ..." after the position */
    bool error, note, internal, mapped, dropped;
    bool nonchan;             /* the translator's non-channel operand check */
    char *type;               /* nonchan: the operand's type, if seen */
} group;

static bool starts(const line *l, size_t at, const char *s)
{
    size_t k = strlen(s);
    return l->n >= at + k && memcmp(l->s + at, s, k) == 0;
}

static size_t digits(const line *l, size_t at, int *value)
{
    size_t i = at;
    long v = 0;
    while (i < l->n && l->s[i] >= '0' && l->s[i] <= '9' && v < 100000000)
        v = v * 10 + (l->s[i++] - '0');
    *value = (int)v;
    return i - at;
}

/* clang spells a type as 'typeof ((**__goc_s9_c0)[0])' (aka 'int'): where
 * the spelling names an internal name, the plain type will do.  Prints
 * s[0..n) so; with f NULL only says whether that removes every internal
 * name. */
static bool print_plain_types(FILE *f, const char *s, size_t n)
{
    bool left = false;
    const char *end = s + n;
    while (s < end) {
        const char *aka = memmem(s, (size_t)(end - s), "' (aka '", 8);
        const char *open = aka;
        while (open && open > s && open[-1] != '\'')
            open--;
        if (!aka || open == s) {
            left |= memmem(s, (size_t)(end - s), "__goc_", 6) != NULL;
            if (f) fprintf(f, "%.*s", (int)(end - s), s);
            break;
        }
        const char *plain = aka + 8, *close = memchr(plain, '\'', (size_t)(end - plain));
        if (!close || close + 1 >= end || close[1] != ')') close = NULL;
        /* the translator spells the types it declares as typeof(...) */
        bool internal = memmem(open, (size_t)(aka - open), "__goc_", 6) ||
                        memmem(open, (size_t)(aka - open), "goc__", 5) ||
                        (aka - open > 7 && memcmp(open, "typeof(", 7) == 0);
        if (!close || !internal) {
            left |= memmem(s, (size_t)(aka + 1 - s), "__goc_", 6) != NULL;
            if (f) fprintf(f, "%.*s", (int)(aka + 1 - s), s);
            s = aka + 1;
            continue;
        }
        left |= memmem(s, (size_t)(open - s), "__goc_", 6) != NULL;
        if (f) fprintf(f, "%.*s%.*s'", (int)(open - s), s, (int)(close - plain), plain);
        s = close + 2;
    }
    return !left;
}

static bool internal_types_only(const char *s, size_t n)
{
    return print_plain_types(NULL, s, n);
}

/* FILE:LINE:COL: KIND: — fills g's position, kind and rest. */
static bool parse_header(const line *l, group *g, tr_colmap *const *maps, int nmaps)
{
    const char *colon = l->s;
    for (;;) {
        colon = memchr(colon, ':', (size_t)(l->s + l->n - colon));
        if (!colon || colon == l->s)
            return false;
        size_t at = (size_t)(colon - l->s) + 1, k1, k2;
        if ((k1 = digits(l, at, &g->line)) && starts(l, at + k1, ":") &&
            (k2 = digits(l, at + k1 + 1, &g->col)) && starts(l, at + k1 + 1 + k2, ": ")) {
            size_t kind = at + k1 + 1 + k2 + 2;
            g->error = starts(l, kind, "error") || starts(l, kind, "fatal error");
            g->note = starts(l, kind, "note");
            if (!g->error && !g->note && !starts(l, kind, "warning"))
                return false;
            g->rest = at + k1 + 1 + k2;
            size_t path = (size_t)(colon - l->s);
            for (int i = 0; i < nmaps && !g->map; i++) {
                const char *p = tr_colmap_path(maps[i]);
                if (strlen(p) == path && memcmp(p, l->s, path) == 0)
                    g->map = maps[i];
            }
            g->internal = memmem(l->s + g->rest, l->n - g->rest, "__goc_", 6) != NULL &&
                          !(g->map && internal_types_only(l->s + g->rest, l->n - g->rest));
            return true;
        }
        colon++;
    }
}

static bool is_gutter(const line *l)
{
    size_t i = 0;
    int v;
    while (i < l->n && l->s[i] == ' ')
        i++;
    i += digits(l, i, &v);
    while (i < l->n && l->s[i] == ' ')
        i++;
    return i > 0 && i < l->n && l->s[i] == '|';
}

static bool is_caret(const line *l)
{
    bool caret = false;
    for (size_t i = 0; i < l->n; i++) {
        char c = l->s[i];
        if (c == '^')
            caret = true;
        else if (c != ' ' && c != '\t' && c != '~')
            return false;
    }
    return caret;
}

/* The lines echoed under the header at lines[i]. */
static int echo_lines(const line *lines, int n, int i)
{
    int j = i + 1;
    if (j < n && is_gutter(&lines[j])) {
        while (j < n && is_gutter(&lines[j]))
            j++;
        return j - i - 1;
    }
    if (j + 1 < n && is_caret(&lines[j + 1])) {
        j += 2;
        while (j < n && lines[j].n && lines[j].s[0] == ' ' && !is_gutter(&lines[j]))
            j++;
        return j - i - 1;
    }
    return 0;
}

static int split_lines(const char *text, size_t len, line **out)
{
    int n = 0, cap = 0;
    line *lines = NULL;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if (n == cap)
            lines = tr_driver_realloc(lines, (size_t)(cap = cap ? 2 * cap : 64) * sizeof *lines);
        lines[n++] = (line){p, (size_t)(eol - p)};
        p = eol + 1;
    }
    *out = lines;
    return n;
}

static int make_groups(const line *lines, int n, tr_colmap *const *maps, int nmaps, bool clang,
                       group **out)
{
    group *groups = tr_driver_alloc((size_t)(n + 1) * sizeof *groups);
    int ng = 0;
    for (int i = 0; i < n;) {
        group *g = &groups[ng++];
        *g = (group){.first = i, .count = 1};
        g->header = parse_header(&lines[i], g, maps, nmaps);
        if (g->header)
            g->count += echo_lines(lines, n, i);
        if (g->map) {
            int l, c;
            g->mapped = tr_colmap_find(g->map, g->line, g->col, !clang, &l, &c);
            if (g->mapped) {
                g->line = l;
                g->col = c;
            }
        }
        i += g->count;
    }
    *out = groups;
    return ng;
}

static bool same_line(const group *a, const group *b)
{
    return a->mapped && b->mapped && a->map == b->map && a->line == b->line;
}

/* Drops group k and the notes that follow it; returns 1 for an error. */
static int drop_group(group *groups, int ng, int k)
{
    groups[k].dropped = true;
    for (int j = k + 1; j < ng && groups[j].header && groups[j].note; j++)
        groups[j].dropped = true;
    return groups[k].error;
}

/* Step 3: drops follow-on errors about internal names, and their notes. */
static int drop_follow_ons(group *groups, int ng)
{
    int dropped = 0;
    for (int i = 0; i < ng; i++) {
        group *g = &groups[i];
        if (!g->mapped || g->note || !g->internal)
            continue;
        bool other = false;
        for (int k = 0; k < ng && !other; k++)
            other = k != i && same_line(&groups[k], g) && groups[k].error && !groups[k].internal;
        if (other)
            dropped += drop_group(groups, ng, i);
    }
    return dropped;
}

/* The type in "(have 'T')" (gcc) or "('T' invalid)" (clang), quoted
 * with ASCII or UTF-8 quotes; NULL if l has neither. */
static char *quoted_type(const line *l)
{
    static const char *const opens[] = { "(have '", "(have \xe2\x80\x98", "('", "(\xe2\x80\x98" };
    for (size_t k = 0; k < sizeof opens / sizeof opens[0]; k++) {
        const char *at = memmem(l->s, l->n, opens[k], strlen(opens[k]));
        if (!at)
            continue;
        const char *t = at + strlen(opens[k]), *end = l->s + l->n, *q = t;
        while (q < end && *q != '\'' && !(end - q >= 3 && !memcmp(q, "\xe2\x80\x99", 3)))
            q++;
        bool tail = k < 2 ? q + 1 < end : memmem(q, (size_t)(end - q), " invalid)", 9) != NULL;
        if (q < end && q > t && tail)
            return tr_driver_format("%.*s", (int)(q - t), t);
    }
    return NULL;
}

/* Step 4's drop: for each non-channel error, the other groups at its line,
 * the groups in goc_lang.h whose notes lead to that line, the notes after
 * a dropped group, and gcc's "In file included from" line before one.
 * Returns the errors dropped. */
static int drop_nonchan_follow_ons(const line *lines, group *groups, int ng)
{
    for (int i = 0; i < ng; i++) {
        group *g = &groups[i];
        const line *l = &lines[g->first];
        g->nonchan = g->header && g->mapped && g->error &&
                     memmem(l->s, l->n, "invalid operation: cannot ", 26) &&
                     memmem(l->s, l->n, "non-channel", 11);
    }
    int dropped = 0;
    for (int i = 0; i < ng; i++) {
        group *n = &groups[i];
        if (!n->nonchan)
            continue;
        for (int k = 0; k < ng; k++) {
            group *g = &groups[k];
            bool at_line = k != i && same_line(g, n) && !g->nonchan;
            /* an unmapped error whose notes, just after it, reach the line */
            for (int j = k + 1; !at_line && !g->mapped && g->header && !g->note && j < ng &&
                                groups[j].header && groups[j].note; j++)
                at_line = same_line(&groups[j], n);
            if (!at_line || g->dropped)
                continue;
            if (!n->type && g->error)
                n->type = quoted_type(&lines[g->first]);
            dropped += drop_group(groups, ng, k);
            if (k > 0 && !groups[k - 1].header &&
                memmem(lines[groups[k - 1].first].s, lines[groups[k - 1].first].n,
                       "In file included from", 21))
                groups[k - 1].dropped = true;
        }
    }
    return dropped;
}

/* Step 4's message: the Go words of a translator's static assertion (with
 * the non-channel operand's type), or false if rest is not one. */
static bool print_assertion(FILE *f, const group *g, const char *rest, size_t n)
{
    const char *at = memmem(rest, n, "\"invalid operation: ", 20);
    if (!at || !memmem(rest, (size_t)(at - rest), "static", 6))
        return false;
    const char *msg = at + 1, *end = memchr(msg, '"', n - (size_t)(msg - rest));
    if (!end)
        return false;
    fprintf(f, ": %s: %.*s", g->error ? "error" : "warning", (int)(end - msg), msg);
    if (g->nonchan && g->type) {
        /* Go's operand modes, roughly: a name, field, element or
         * indirection is a variable; a call or a literal is a value. */
        const char *name = memmem(msg, (size_t)(end - msg), "non-channel ", 12);
        bool variable = name && name + 12 < end && !(name[12] >= '0' && name[12] <= '9') &&
                        !memchr(name, '(', (size_t)(end - name));
        fprintf(f, " (%s of type %s)", variable ? "variable" : "value", g->type);
    }
    return true;
}

/* The source line and a caret under col, as the compiler lays them out. */
static void print_echo(FILE *f, const group *g, bool clang)
{
    size_t n;
    const char *s = tr_colmap_source_line(g->map, g->line, &n);
    if (!s)
        return;
    size_t upto = 0;
    for (int d = 1; upto < n && d < g->col; upto++) {   /* col back to a byte offset */
        unsigned char c = (unsigned char)s[upto];
        if (c == '\t')
            d = clang ? d + 1 : ((d - 1) / 8 + 1) * 8 + 1;
        else if (clang || (c & 0xC0) != 0x80)
            d++;
    }
    if (clang)
        fprintf(f, "%.*s\n", (int)n, s);
    else
        fprintf(f, "%5d | %.*s\n      | ", g->line, (int)n, s);
    for (size_t i = 0; i < upto; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            fputc(s[i] == '\t' ? '\t' : ' ', f);
    fputs("^\n", f);
}

/* `In function 'NAME'` with NAME an internal function: the user's name. */
static bool print_function_line(FILE *f, const line *l, tr_colmap *const *maps, int nmaps)
{
    const char *at = memmem(l->s, l->n, "In function ", 12);
    if (!at)
        return false;
    const char *q = at + 12, *end = l->s + l->n;
    size_t open = end - q >= 3 && !memcmp(q, "\xe2\x80\x98", 3) ? 3 : q < end && *q == '\'' ? 1 : 0;
    if (!open)
        return false;
    const char *name = q + open, *close = name;
    while (close < end && *close != '\'' && *close != '\xe2')
        close++;
    char *key = tr_driver_format("%.*s", (int)(close - name), name);
    const char *shown = NULL;
    for (int i = 0; i < nmaps && !shown; i++)
        shown = tr_colmap_function(maps[i], key);
    free(key);
    if (!shown)
        return false;
    fprintf(f, "%.*s%s%.*s\n", (int)(name - l->s), l->s, shown, (int)(end - close), close);
    return true;
}

/* clang's "N errors generated." after dropping some. */
static bool print_count_line(FILE *f, const line *l, int dropped)
{
    const char *at = memmem(l->s, l->n, " error", 6);
    if (!dropped || !at || !memmem(l->s, l->n, "generated.", 10))
        return false;
    const char *p = at;
    while (p > l->s && p[-1] >= '0' && p[-1] <= '9')
        p--;
    if (p == at)
        return false;
    int count = atoi(p) - dropped;
    const char *after = at + 6;
    if (after < l->s + l->n && *after == 's')
        after++;
    fprintf(f, "%.*s%d error%s%.*s\n", (int)(p - l->s), l->s, count, count == 1 ? "" : "s",
            (int)(l->s + l->n - after), after);
    return true;
}

/* A channel handle's C type, as the compiler spells it in a quoted type
 * ('int (**)[1]', 'double (*volatile *)[1]'), is respelled as the .gc
 * wrote it ('chan int', '<-chan double'; goc_lang.h has the encoding).
 * Only an element type without parentheses is respelled (a channel of
 * channels or of function pointers keeps the C spelling). */
static void print_chan_types(FILE *f, const char *s, size_t n)
{
    static const struct { const char *c, *go; } forms[] = {
        { " (**)[1]", "chan " },
        { " (*const *)[1]", "chan<- " },
        { " (*volatile *)[1]", "<-chan " },
        { " (* const*)[1]", "chan<- " },      /* gcc's spelling */
        { " (* volatile*)[1]", "<-chan " },
    };
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
            size_t m = strlen(forms[k].c);
            if (i + m >= n || memcmp(s + i, forms[k].c, m) != 0) continue;
            bool utf8 = i + m + 3 <= n && memcmp(s + i + m, "\xe2\x80\x99", 3) == 0;
            if (!utf8 && s[i + m] != '\'') continue;
            size_t open = i;   /* back to the opening quote; no parentheses */
            while (open > done && s[open - 1] != '\'' && s[open - 1] != '\x98' && s[open - 1] != '(' &&
                   s[open - 1] != ')')
                open--;
            if (open == done || (s[open - 1] != '\'' && s[open - 1] != '\x98') || open == i) continue;
            fprintf(f, "%.*s%s%.*s", (int)(open - done), s + done, forms[k].go, (int)(i - open), s + open);
            done = i = i + m;
            break;
        }
    }
    fprintf(f, "%.*s", (int)(n - done), s + done);
}

void tr_driver_diag_print(const tr_driver_config *cfg, const char *text, size_t len,
                          tr_colmap *const *maps, int nmaps, FILE *f)
{
    bool clang = cfg->cc_is_clang == 1;
    line *lines;
    int n = split_lines(text, len, &lines);
    group *groups;
    int ng = make_groups(lines, n, maps, nmaps, clang, &groups);
    int dropped = drop_follow_ons(groups, ng) + drop_nonchan_follow_ons(lines, groups, ng);
    for (int i = 0; i < ng; i++) {
        const group *g = &groups[i];
        const line *l = &lines[g->first];
        if (g->dropped)
            continue;
        if (g->mapped) {
            fprintf(f, "%s:%d:%d", tr_colmap_path(g->map), g->line, g->col);
            char *msg = NULL;
            size_t msg_n = 0;
            FILE *m = open_memstream(&msg, &msg_n);
            if (m && print_assertion(m, g, l->s + g->rest, l->n - g->rest)) {
                fclose(m);
                fprintf(f, "%.*s", (int)msg_n, msg);
                free(msg);
            } else if (m) {
                print_plain_types(m, l->s + g->rest, l->n - g->rest);
                fclose(m);
                print_chan_types(f, msg, msg_n);
                free(msg);
            } else {
                print_plain_types(f, l->s + g->rest, l->n - g->rest);
            }
            fputc('\n', f);
            if (g->count > 1)
                print_echo(f, g, clang);
            continue;
        }
        if (g->count == 1 && (print_function_line(f, l, maps, nmaps) || print_count_line(f, l, dropped)))
            continue;
        for (int k = 0; k < g->count; k++)
            fprintf(f, "%.*s\n", (int)l[k].n, l[k].s);
    }
    fflush(f);
    for (int i = 0; i < ng; i++)
        free(groups[i].type);
    free(groups);
    free(lines);
}

int tr_driver_run_mapped(tr_driver_config *cfg, const tr_driver_list *argv,
                         tr_colmap *const *maps, int nmaps)
{
    static int serial;
    tr_driver_cc_is_clang(cfg);
    char *path = tr_driver_format("%s/cc%d.err", tr_driver_work_dir(), ++serial);
    int status = tr_driver_wait(tr_driver_spawn_to(cfg, argv, path));
    tr_driver_diag_flush(cfg, path, maps, nmaps);
    free(path);
    return status;
}

void tr_driver_diag_flush(const tr_driver_config *cfg, const char *path, tr_colmap *const *maps,
                          int nmaps)
{
    size_t len;
    char *text = tr_driver_read_file(path, &len);
    if (!text)
        return;
    tr_driver_diag_print(cfg, text, len, maps, nmaps, stderr);
    free(text);
    remove(path);
}
