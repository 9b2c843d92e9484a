/*
 * translate.c — tr_translate: the pipeline from .gc text to C text.
 *
 *   1. pre-pass (prepass.c): extension tokens -> valid C spelling
 *   2. tree-sitter-c parse; ERROR/MISSING nodes that touch an extension
 *      construct are errors, the rest is plain C the parser did not
 *      understand and passes through ("parse errors" below)
 *   3. analysis (analyze.c): scopes, contexts, captures
 *   4. stage 1 emission + libclang (types_clang.c) when file-scope thunks
 *      need types or close/len/cap need to know their operand's type
 *   5. stage 2 emission (lower*.c), then chan types respelled as C types;
 *      the include of goc_lang.h placed after the file's feature-test
 *      macros, a main appended for each main ("where <goc_lang.h> goes",
 *      "main" below)
 *
 * A file with no extension syntax (and no .gh include, no goc_ names) is
 * plain C: it is not parsed at all and passes through behind a #line.
 *
 * Each pass notes its name and the node it is at (tr_where_*, crash.c),
 * so that a crash of the translator is still reported at a position.
 */
#include "emit.h"
#include "lex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const TSLanguage *tree_sitter_c(void);

/* ---- parse errors ------------------------------------------------------------
 *
 * tree-sitter parses before any preprocessing, so a conditional whose
 * branches leave braces unbalanced (`#ifdef __cplusplus` / `extern "C" {`,
 * a function header split by #ifdef/#else, stb's headers) leaves it an
 * ERROR node that may run to the end of the file.  Such a node holds
 * complete constructs (function definitions, declarations) with loose
 * tokens between them.  The complete ones are C like any other: analysed,
 * and their extension constructs lowered, as anywhere.  The loose tokens
 * are what the parser did not understand: an error when they stand next
 * to an extension construct, else plain C that passes through for the C
 * compiler to judge (SPEC §1), as does everything else the parser missed.
 *
 * An extension construct the parser finds outside any function cannot be
 * lowered (a go block needs its function's variables, a defer its frame):
 * an error at the construct.  Inside an ERROR it is usually a function
 * body whose header or braces an #if/#else split; a note says where the
 * parser lost track.
 *
 * "Next to" is within 16 bytes, but not into a function definition beside
 * the loose token: what is wrong outside a function is not around the
 * constructs inside it.  Channel type names do not count: they are
 * respelled as text wherever they stand. */

/* The first extension construct spelled in s[a, b), other than a channel
 * type name, or NULL. */
static const char *construct_in(tr_unit *u, uint32_t a, uint32_t b)
{
    const char *p = u->s + a, *end = u->s + b;
    for (; (p = memmem(p, (size_t)(end - p), "__goc_", 6)); p += 6)
        if (end - p < 11 || memcmp(p + 6, "chan_", 5)) return p;
    return NULL;
}

/* What the user wrote for the construct spelled at p. */
static const char *construct_name(const char *p)
{
    static const char *names[][2] = {
        { "__goc_go", "go statement" },         { "__goc_defer", "defer statement" },
        { "__goc_select", "select statement" }, { "__goc_send", "send statement" },
        { "__goc_recv", "receive" },            { "__goc_range", "range loop" },
        { "__goc_make", "make" },               { "__goc_new", "goc_new" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strncmp(p, names[i][0], strlen(names[i][0]))) return names[i][1];
    return "goc construct";
}

/* Whether the parser's MISSING node n stands next to an extension
 * construct. */
static int missing_touches(tr_unit *u, TSNode n)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    if (b <= a) b = a + 1;
    uint32_t lo = a > 16 ? a - 16 : 0, hi = b + 16 > u->sp->len ? (uint32_t)u->sp->len : b + 16;
    return construct_in(u, lo, hi) != NULL;
}

/* The source token at off, quoted, for "syntax error: unexpected T" (Go
 * names the token it could not take), as the lexer cuts it from a window
 * of the source; "end of file" past the end. */
static void token_at(const tr_diag *d, size_t off, char *buf, size_t n)
{
    size_t w = d->len - off < 256 ? d->len - off : 256;
    tr_tokens t = { 0 };
    tr_lex(d->src + off, w, &t);   /* a literal cut by the window ends the list */
    if (t.n > 0 && t.v[0].kind != TK_EOF) {
        unsigned a = t.v[0].start, b = t.v[0].end;
        snprintf(buf, n, "'%.*s'", (int)(b - a < 32 ? b - a : 32), d->src + off + a);
    } else if (off + w >= d->len) {
        snprintf(buf, n, "end of file");
    } else {
        snprintf(buf, n, "'%c'", d->src[off]);
    }
    free(t.v);
}

/* Reports the first extension construct in the error-free node n outside
 * any function; err is the ERROR node around n, if any (for the note). */
static int check_stray(tr_unit *u, TSNode n, TSNode err)
{
    if (tr_node_is(n, "function_definition")) return 0;
    const char *p = construct_in(u, ts_node_start_byte(n), ts_node_end_byte(n));
    if (!p) return 0;
    uint32_t k = ts_node_child_count(n);
    if (k > 0) {
        for (uint32_t i = 0; i < k; i++)
            if (check_stray(u, ts_node_child(n, i), err)) return 1;
        return 0;
    }
    if (p != u->s + ts_node_start_byte(n) || !strstr(ts_node_type(n), "identifier")) return 0;
    size_t off = tr_src_off(u, ts_node_start_byte(n));
    if (ts_node_is_null(err)) {
        tr_error(u->diag, off, "%s outside a function", construct_name(p));
        return 1;
    }
    tr_error(u->diag, off, "%s outside any function the C parser sees (goc parses before "
             "preprocessing: an #if/#else that splits a function's header or braces hides "
             "the function)", construct_name(p));
    return 1;
}

/* The loose token c, child i of ERROR node err: an error when it stands
 * next to an extension construct. */
static int check_loose(tr_unit *u, TSNode err, uint32_t i, TSNode c)
{
    uint32_t a = ts_node_start_byte(c), b = ts_node_end_byte(c);
    if (b <= a) b = a + 1;
    uint32_t lo = a > 16 ? a - 16 : 0, hi = b + 16 > u->sp->len ? (uint32_t)u->sp->len : b + 16;
    for (uint32_t j = i; j-- > 0;)   /* not into the function definitions beside it */
        if (tr_node_is(ts_node_child(err, j), "function_definition")) {
            uint32_t end = ts_node_end_byte(ts_node_child(err, j));
            lo = end > lo ? end : lo;
            break;
        }
    for (uint32_t j = i + 1, k = ts_node_child_count(err); j < k; j++)
        if (tr_node_is(ts_node_child(err, j), "function_definition")) {
            uint32_t start = ts_node_start_byte(ts_node_child(err, j));
            hi = start < hi ? start : hi;
            break;
        }
    if (lo >= hi || !construct_in(u, lo, hi)) return 0;
    size_t off = tr_src_off(u, a);
    char tok[48];
    token_at(u->diag, off, tok, sizeof tok);
    tr_error(u->diag, off, "syntax error: unexpected %s", tok);
    return 1;
}

static void check_tree(tr_unit *u, TSNode n, int in_fn, TSNode err);

/* An ERROR node: its complete children are checked as any node, its loose
 * tokens against the constructs beside them (one error for the node); at
 * file scope a construct outside a function is the better message. */
static void check_error_node(tr_unit *u, TSNode n, int in_fn)
{
    uint32_t k = ts_node_child_count(n);
    if (k == 0) { check_loose(u, n, 0, n); return; }
    int errors = u->diag->errors;
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_child(n, i);
        if (ts_node_child_count(c) > 0 || ts_node_has_error(c)) check_tree(u, c, in_fn, n);
    }
    if (u->diag->errors > errors && !in_fn) {
        tr_note(u->diag, tr_src_off(u, ts_node_start_byte(n)), "the C parser lost track of the "
                "functions here");
        return;
    }
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_child(n, i);
        if (ts_node_child_count(c) == 0 && !ts_node_has_error(c) && !tr_node_is(c, "comment") &&
            check_loose(u, n, i, c))
            return;
    }
}

/* Reports the parse errors around extension constructs, and the
 * constructs outside any function, in the tree under n. */
static void check_tree(tr_unit *u, TSNode n, int in_fn, TSNode err)
{
    tr_where_at(ts_node_start_byte(n));
    if (!ts_node_has_error(n)) {
        if (!in_fn) check_stray(u, n, err);
        return;
    }
    if (ts_node_is_missing(n)) {
        if (missing_touches(u, n))
            tr_error(u->diag, tr_src_off(u, ts_node_start_byte(n)), "syntax error: missing '%s'",
                     ts_node_type(n));
        return;
    }
    if (!strcmp(ts_node_type(n), "ERROR")) { check_error_node(u, n, in_fn); return; }
    in_fn |= tr_node_is(n, "function_definition");
    uint32_t k = ts_node_child_count(n);
    for (uint32_t i = 0; i < k; i++) check_tree(u, ts_node_child(n, i), in_fn, err);
}

/* With column marks: whether the text before s[at] (from pos on, given
 * the state at pos) is inside a verbatim run, and where it started: raw
 * offset *v_raw is spelled offset *v_sp. */
static void track_marks(const char *s, size_t pos, size_t at, int *in_v, size_t *v_raw, size_t *v_sp)
{
    const char *m = at > pos ? memrchr(s + pos, TR_MARK, at - pos) : NULL;
    if (!m) return;
    *in_v = m[1] == 'V';
    if (!*in_v) return;
    size_t n = 0, i = (size_t)(m - s) + 2;
    while (s[i] >= '0' && s[i] <= '9') n = n * 10 + (size_t)(s[i++] - '0');
    *v_sp = n;
    *v_raw = i + 1;
}

/* Respells __goc_chan_N as its C type, recursively.  Inside a verbatim
 * run (column marks), the respelling is marked as generated text standing
 * for the name, and the run resumes after it. */
static void expand_chans(tr_unit *u, const char *s, size_t n, tr_buf *out)
{
    size_t pos = 0, v_raw = 0, v_sp = 0;
    int in_v = 0;
    for (;;) {
        const char *hit = memmem(s + pos, n - pos, "__goc_chan_", 11);
        if (!hit) break;
        size_t at = (size_t)(hit - s);
        if (u->marks) track_marks(s, pos, at, &in_v, &v_raw, &v_sp);
        tr_buf_add(out, s + pos, at - pos);
        size_t j = at + 11;
        int id = 0;
        while (j < n && s[j] >= '0' && s[j] <= '9') id = id * 10 + (s[j++] - '0');
        if (id >= u->sp->nchans) { tr_buf_add(out, s + at, j - at); pos = j; continue; }
        if (in_v) tr_buf_mark(out, 'A', (uint32_t)(v_sp + at - v_raw), 1);
        tr_chan_type *c = &u->sp->chans[id];
        tr_buf_puts(out, "__typeof__(__typeof__(");
        expand_chans(u, c->elem, strlen(c->elem), out);
        tr_buf_puts(out, c->dir == CHAN_SEND ? ") (*const *)[1])"
                         : c->dir == CHAN_RECV ? ") (*volatile *)[1])" : ") (**)[1])");
        if (in_v) {
            v_sp += j - v_raw;
            v_raw = j;
            tr_buf_mark(out, 'V', (uint32_t)v_sp, 1);
        }
        pos = j;
    }
    tr_buf_add(out, s + pos, n - pos);
}

/* ---- where <goc_lang.h> goes ---------------------------------------------
 *
 * goc_lang.h includes system headers, and glibc reads the feature-test
 * macros (_GNU_SOURCE, _POSIX_C_SOURCE, _FILE_OFFSET_BITS, ...) once, at
 * the first of them: a `#define _GNU_SOURCE` at the top of the .gc must
 * come before the include, as C requires it to come before any header.
 * The include goes after the file's leading run of directives that only
 * define or undefine reserved names (`_X`, `__x`: the feature-test macros
 * and nothing a program may define for its own use), the #if family
 * around them, null directives and `#pragma once`; at a line where no
 * conditional is open (a header's include guard aside), followed by a
 * #line to the source line after it.
 * An #include of a .gh may be part of the run too: its translation
 * includes goc_lang.h after its own leading run, so that a feature-test
 * macro the .gh defines first takes effect as it would in a .h.
 * Anything else ends the run: code, another #include (a header the file
 * includes first may use goc names without including goc.h), the define
 * of another name (a `#define count 3` must not reach goc.h's structs),
 * another pragma (`#pragma pack` would change goc.h's layouts), #line.
 *
 * Rejected: copying the feature-test defines to the top (they may sit
 * under conditionals, or be undefined again); moving the include past the
 * file's own headers, where configuration headers such as Lua's lprefix.h
 * define them (such a header may use goc names, and the file's own macros
 * would reach goc.h). */

/* A directive cut into its word (`define`) and the identifier or string
 * after it (`_GNU_SOURCE`, `"x.gh"`), with `end` the end of the line. */
typedef struct directive {
    const char *word, *arg;
    size_t nword, narg;
    const char *end;
} directive;

static directive cut_directive(const char *s, const tr_token *t)
{
    const char *p = s + t->start + 1, *end = s + t->end;
    directive d = { .end = end };
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    for (d.word = p; p < end && *p >= 'a' && *p <= 'z'; p++) d.nword++;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    d.arg = p;
    if (p < end && *p == '"') {
        const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
        d.narg = q ? (size_t)(q - p) + 1 : 0;
    } else
        while (p + d.narg < end && tr_is_ident_char(p[d.narg])) d.narg++;
    return d;
}

static int word_is(const directive *d, const char *w)
{
    return d->nword == strlen(w) && !memcmp(d->word, w, d->nword);
}

static int opens_group(const directive *d)
{
    return word_is(d, "if") || word_is(d, "ifdef") || word_is(d, "ifndef");
}

static int next_branch(const directive *d)
{
    return word_is(d, "elif") || word_is(d, "else") || word_is(d, "elifdef") || word_is(d, "elifndef");
}

/* The define of an identifier C reserves: a feature-test macro. */
static int reserved_define(const directive *d)
{
    return (word_is(d, "define") || word_is(d, "undef")) && d->narg >= 2 && d->arg[0] == '_' &&
           (d->arg[1] == '_' || (d->arg[1] >= 'A' && d->arg[1] <= 'Z'));
}

/* Whether directive d may precede goc_lang.h; tracks the conditional
 * depth in *depth. */
static int leading_directive(const directive *d, int *depth)
{
    if (d->nword == 0) return d->arg == d->end || *d->arg == '\r';   /* `#` alone */
    if (opens_group(d)) { ++*depth; return 1; }
    if (next_branch(d)) return *depth > 0;
    if (word_is(d, "endif")) return --*depth >= 0;
    if (word_is(d, "pragma")) return d->narg == 4 && !memcmp(d->arg, "once", 4);
    if (word_is(d, "include"))   /* a .gh includes goc_lang.h itself */
        return d->narg >= 5 && !memcmp(d->arg + d->narg - 4, ".gh\"", 4);
    return reserved_define(d);
}

/* Whether the file is wrapped in an include guard: `#ifndef G`, `#define
 * G` first, and the #endif that matches the first is the file's last
 * token.  Where G is defined the whole file is skipped, and goc_lang.h was
 * included with it before: the guard is no conditional for placing it. */
static int include_guard(const char *s, const tr_tokens *t)
{
    if (t->n < 4 || t->v[0].kind != TK_DIRECTIVE || t->v[1].kind != TK_DIRECTIVE ||
        t->v[t->n - 2].kind != TK_DIRECTIVE)
        return 0;
    directive g = cut_directive(s, &t->v[0]), def = cut_directive(s, &t->v[1]);
    if (!word_is(&g, "ifndef") || !word_is(&def, "define") || g.narg == 0 || g.narg != def.narg ||
        memcmp(g.arg, def.arg, g.narg))
        return 0;
    int depth = 0;
    for (size_t k = 0; k + 1 < t->n; k++) {
        if (t->v[k].kind != TK_DIRECTIVE) continue;
        directive d = cut_directive(s, &t->v[k]);
        if (opens_group(&d)) depth++;
        else if (word_is(&d, "endif") && --depth == 0) return k == t->n - 2;
    }
    return 0;
}

/* The spelled offset, at the start of a line, where goc_lang.h goes; 0
 * when nothing may precede it.  t: the tokens of s. */
static size_t goc_lang_point(const char *s, size_t len, const tr_tokens *t)
{
    size_t at = 0;
    int depth = 0;
    for (size_t k = include_guard(s, t) ? 2 : 0; k < t->n && t->v[k].kind == TK_DIRECTIVE; k++) {
        directive d = cut_directive(s, &t->v[k]);
        if (!leading_directive(&d, &depth)) break;
        if (depth == 0 && t->v[k].end < len && s[t->v[k].end] == '\n') at = t->v[k].end + 1;
    }
    return at;
}

/* Lexes the spelled text once: where goc_lang.h goes, and the directives
 * (for the mains and split function headers below). */
static void scan_directives(tr_unit *u)
{
    tr_tokens t = { 0 };
    tr_lex(u->s, u->sp->len, &t);
    u->goc_lang_at = goc_lang_point(u->s, u->sp->len, &t);
    size_t n = 0;
    for (size_t k = 0; k < t.n; k++)
        if (t.v[k].kind == TK_DIRECTIVE) t.v[n++] = t.v[k];
    u->dirs = t.v;
    u->ndirs = n;
}

/* The offset in body (column-marked when marks is set) of the byte that
 * copies spelled offset at, when body starts with a verbatim copy of
 * s[0..at), else SIZE_MAX. */
static size_t body_offset(const char *body, size_t n, const char *s, size_t at, int marks)
{
    size_t i = 0, sp = 0;
    while (sp < at) {
        if (i >= n) return SIZE_MAX;
        if (marks && body[i] == TR_MARK) {   /* V must continue where we are; E ends a run */
            char kind = i + 1 < n ? body[i + 1] : 0;
            size_t v = 0, j = i + 2;
            while (j < n && body[j] >= '0' && body[j] <= '9') v = v * 10 + (size_t)(body[j++] - '0');
            if (!(kind == 'V' && v == sp) && kind != 'E') return SIZE_MAX;
            i = j + 1;
            continue;
        }
        if (body[i] != s[sp]) return SIZE_MAX;
        i++;
        sp++;
    }
    return i;
}

/* Inserts `#include <goc_lang.h>` and a #line into raw at the offset that
 * copies spelled offset at (line `line`); 0 if raw has no such offset. */
static int insert_goc_lang(tr_unit *u, tr_buf *raw, size_t at, int line)
{
    size_t i = body_offset(raw->s, raw->n, u->s, at, u->marks);
    if (i == SIZE_MAX) return 0;
    tr_buf b = { 0 };
    tr_buf_add(&b, raw->s, i);
    if (u->marks) tr_buf_mark(&b, 'E', 0, 0);
    tr_buf_printf(&b, "#include <goc_lang.h>\n#line %d ", line);
    tr_buf_c_string(&b, u->opt->in_path);
    tr_buf_puts(&b, "\n");
    if (u->marks) tr_buf_mark(&b, 'V', (uint32_t)at, 1);
    tr_buf_add(&b, raw->s + i, raw->n - i);
    free(raw->s);
    *raw = b;
    return 1;
}

/* ---- main ------------------------------------------------------------------
 *
 * The program's main becomes __goc_user_main, which a main appended to the
 * output runs as the main goroutine (goc_main).  A main may stand in an
 * #if branch, and an #if/#else may split its header from its body
 * (`#ifdef TESTS_MAIN` / `int main(void) {` / `#else` / `int tests_main(void) {`
 * / `#endif`): tree-sitter, which parses before preprocessing, then leaves
 * the header loose in an ERROR node and gives the body to the other header.
 * Every header of main at file scope, complete or loose, is renamed, and
 * each gets its own appended main inside the conditionals around its
 * header (their directives repeated at the end of the file), so that the
 * mains the preprocessor keeps, and only those, are run by goc_main.
 * Likewise the file-scope declarations that the go blocks of a function
 * with a split header need go before the #if (lower.c, emit_pre), not in
 * the branch tree-sitter put the function's start in.
 *
 * Rejected: weak symbols for the appended main and __goc_user_main (a
 * call through a weak, possibly undefined, function of unknown parameter
 * count; a missing main becomes a crash rather than a link error).
 * Known gap: a body whose header is split lowers a defer's return value
 * with the name of the header tree-sitter gave it the body of. */

int tr_is_main(const tr_unit *u, uint32_t off)
{
    for (int i = 0; i < u->nmains; i++)
        if (u->mains[i].name == off) return 1;
    return 0;
}

/* Records function declarator d when it declares main. */
static void add_main(tr_unit *u, TSNode d)
{
    TSNode name = ts_node_child_by_field_name(d, "declarator", 10);
    if (!tr_node_is(name, "identifier") || !tr_text_is(u, name, "main")) return;
    TSNode params = ts_node_child_by_field_name(d, "parameters", 10);
    int np = 0;
    for (uint32_t i = 0; i < ts_node_named_child_count(params); i++)
        if (tr_node_is(ts_node_named_child(params, i), "parameter_declaration") &&
            !tr_text_is(u, ts_node_named_child(params, i), "void"))
            np++;
    u->mains = realloc(u->mains, (size_t)(u->nmains + 1) * sizeof *u->mains);
    if (!u->mains) abort();
    u->mains[u->nmains++] = (tr_main){ ts_node_start_byte(name), np };
}

/* The nodes that hold file-scope items. */
static int file_scope_container(TSNode n)
{
    static const char *types[] = { "ERROR", "preproc_if", "preproc_ifdef", "preproc_else",
                                   "preproc_elif", "preproc_elifdef", "linkage_specification",
                                   "declaration_list", NULL };
    for (int i = 0; types[i]; i++)
        if (tr_node_is(n, types[i])) return 1;
    return 0;
}

/* Finds the headers of main among the file-scope items under n: function
 * definitions, and a function declarator loose in an ERROR node with a
 * loose `{` after it. */
static void find_mains(tr_unit *u, TSNode n)
{
    int in_error = tr_node_is(n, "ERROR");
    uint32_t k = ts_node_child_count(n);
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_child(n, i);
        if (tr_node_is(c, "function_definition")) {
            TSNode d = ts_node_child_by_field_name(c, "declarator", 10);
            while (!ts_node_is_null(d) && !tr_node_is(d, "function_declarator"))
                d = ts_node_child_by_field_name(d, "declarator", 10);
            if (!ts_node_is_null(d)) add_main(u, d);
        } else if (in_error && tr_node_is(c, "function_declarator")) {
            uint32_t j = i + 1;
            while (j < k && tr_node_is(ts_node_child(n, j), "comment")) j++;
            if (j < k && !strcmp(ts_node_type(ts_node_child(n, j)), "{")) add_main(u, c);
        } else if (file_scope_container(c))
            find_mains(u, c);
    }
}

/* Appends to b the directives that select, at the end of the file, the
 * #if branches that spelled offset off stands in: each open group's #if
 * line and its #elif/#else lines up to off's branch.  Returns the number
 * of groups, each to be closed with an #endif. */
static int branch_directives(tr_unit *u, uint32_t off, tr_buf *b)
{
    size_t *chain = NULL, *level = NULL, nchain = 0;
    int depth = 0;
    for (size_t k = 0; k < u->ndirs && u->dirs[k].start < off; k++) {
        directive d = cut_directive(u->s, &u->dirs[k]);
        if (word_is(&d, "endif") && depth > 0) nchain = level[--depth];
        if (!opens_group(&d) && !(next_branch(&d) && depth > 0)) continue;
        if (opens_group(&d)) {
            level = realloc(level, (size_t)(depth + 1) * sizeof *level);
            if (!level) abort();
            level[depth++] = nchain;
        }
        chain = realloc(chain, (nchain + 1) * sizeof *chain);
        if (!chain) abort();
        chain[nchain++] = k;
    }
    for (size_t i = 0; i < nchain; i++) {
        const tr_token *d = &u->dirs[chain[i]];
        tr_buf_add(b, u->s + d->start, d->end - d->start);
        tr_buf_puts(b, "\n");
    }
    free(chain);
    free(level);
    return depth;
}

uint32_t tr_split_header_start(const tr_unit *u, uint32_t from, uint32_t to)
{
    size_t *open = NULL;   /* directive index of each open group's #if */
    int depth = 0, at_from = -1;
    uint32_t start = from;
    for (size_t k = 0; k < u->ndirs && u->dirs[k].start < to; k++) {
        if (at_from < 0 && u->dirs[k].start >= from) at_from = depth;
        directive d = cut_directive(u->s, &u->dirs[k]);
        if (opens_group(&d)) {
            open = realloc(open, (size_t)(depth + 1) * sizeof *open);
            if (!open) abort();
            open[depth++] = k;
        } else if (word_is(&d, "endif") && depth > 0) {
            depth--;
            if (at_from >= 0 && depth < at_from) {   /* a group open at from ends inside */
                at_from = depth;
                start = u->dirs[open[depth]].start;
            }
        }
    }
    free(open);
    return start;
}

/* Appends the program's main for each main of the file (see above). */
static void emit_mains(tr_unit *u, tr_buf *raw)
{
    for (int i = 0; i < u->nmains; i++) {
        tr_buf_puts(raw, "\n");
        int depth = branch_directives(u, u->mains[i].name, raw);
        tr_buf_printf(raw, "static int __goc_main_entry(int argc, char **argv) { (void)argc; (void)argv;"
                           " return __goc_user_main(%s); }\n"
                           "int main(int argc, char **argv) { return goc_main(__goc_main_entry, argc, argv); }\n",
                      u->mains[i].params >= 2 ? "argc, argv" : "");
        while (depth-- > 0) tr_buf_puts(raw, "#endif\n");
    }
}

static void emit_stage(tr_unit *u, int stage, tr_buf *out)
{
    u->stage = stage;
    u->post.n = 0;
    tr_buf_puts(&u->post, "");
    tr_buf body = { 0 };
    tr_buf_puts(&body, "");
    em e = { .u = u, .out = &body, .ctx = -1, .report = stage == 2 };
    tr_emit(&e, ts_tree_root_node(u->tree));
    tr_buf raw = { 0 };
    tr_buf_add(&raw, body.s, body.n);
    size_t at = u->goc_lang_at;
    int line = 1;
    for (size_t i = 0; i < at; i++) line += u->s[i] == '\n';
    if (at == 0 || !insert_goc_lang(u, &raw, at, line)) tr_buf_puts(out, "#include <goc_lang.h>\n");
    tr_buf_puts(out, "#line 1 ");
    tr_buf_c_string(out, u->opt->in_path);
    tr_buf_puts(out, "\n");
    if (u->marks) tr_buf_mark(out, 'E', 0, 0);
    tr_buf_add(&raw, u->post.s, u->post.n);
    if (stage == 2) emit_mains(u, &raw);
    expand_chans(u, raw.s ? raw.s : "", raw.n, out);
    free(raw.s);
    free(body.s);
}

/* The name of a function definition's declarator, or NULL. */
static char *function_name(tr_unit *u, TSNode fn)
{
    TSNode d = ts_node_child_by_field_name(fn, "declarator", 10);
    while (!ts_node_is_null(d) && !tr_node_is(d, "identifier"))
        d = tr_node_is(d, "parenthesized_declarator") ? ts_node_named_child(d, 0)
                                                     : ts_node_child_by_field_name(d, "declarator", 10);
    return ts_node_is_null(d) ? NULL : tr_node_text(u, d);
}

/* Strips the column marks off the stage-2 output into a map, with the
 * names the user knows for the renamed main and the go-block thunks. */
static tr_colmap *make_colmap(tr_unit *u, tr_buf *out)
{
    tr_colmap *m = tr_colmap_build(out, u->sp, u->diag->src, u->diag->len, u->opt->in_path);
    if (u->nmains) tr_colmap_name(m, "__goc_user_main", "main");
    for (int i = 0; i < u->nctxs; i++) {
        tr_ctx *c = &u->ctxs[i];
        if (!c->is_go) continue;
        char internal[64], *fn = function_name(u, u->ctxs[c->top].fn), *shown = NULL;
        snprintf(internal, sizeof internal, "__goc_gb%u_run", ts_node_start_byte(c->body));
        if (asprintf(&shown, "go block in %s", fn ? fn : "a function") < 0) abort();
        tr_colmap_name(m, internal, shown);
        free(shown);
        free(fn);
    }
    for (int i = 0; i < u->ngo_calls; i++) {
        char internal[64], *fn = function_name(u, u->ctxs[u->go_calls[2 * i + 1]].fn), *shown = NULL;
        snprintf(internal, sizeof internal, "__goc_gc%u_run", u->go_calls[2 * i]);
        if (asprintf(&shown, "go statement in %s", fn ? fn : "a function") < 0) abort();
        tr_colmap_name(m, internal, shown);
        free(shown);
        free(fn);
    }
    return m;
}

/* Analyses and lowers a parsed unit into *result; with cm, a column map
 * of it. */
static void translate_unit(tr_unit *u, tr_colmap **cm, tr_buf *result)
{
    const tr_options *opt = u->opt;
    tr_where_phase("analysis");
    tr_analyze(u);
    tr_where_phase("escape analysis");
    tr_escape(u, 1);
    tr_where_phase("directives");
    scan_directives(u);
    if (!opt->is_header) find_mains(u, ts_tree_root_node(u->tree));
    if (u->type_questions) {
        tr_buf s1 = { 0 };
        tr_where_phase("lowering (stage 1)");
        emit_stage(u, 1, &s1);
        tr_where_phase("type queries (libclang)");
        tr_clang_types(u, s1.s, s1.n, &u->types);
        u->types.asked = 1;
        free(s1.s);
        tr_where_phase("escape analysis");
        tr_escape(u, 0);
    }
    int errors = u->diag->errors;
    tr_where_phase("escape analysis (macros)");
    tr_macros_check(u);
    if (u->diag->errors > errors) return;
    if (opt->escape_report) tr_escape_report(u);
    u->marks = cm && !memchr(u->sp->text, TR_MARK, u->sp->len);
    u->crash_test = getenv("GOC_TEST_TRANSLATOR_CRASH") != NULL;
    tr_where_phase("lowering");
    emit_stage(u, 2, result);
    if (u->marks) *cm = make_colmap(u, result);
}

static void passthrough(const tr_options *o, const char *src, size_t len, tr_buf *out)
{
    tr_buf_puts(out, "#line 1 ");
    tr_buf_c_string(out, o->in_path);
    tr_buf_puts(out, "\n");
    tr_buf_add(out, src, len);
}

static void unit_free(tr_unit *u)
{
    for (int i = 0; i < u->nvars; i++) free(u->vars[i].name);
    for (int i = 0; i < u->nctxs; i++) free(u->ctxs[i].caps);
    for (int i = 0; i < u->ndcaps; i++) free(u->dcaps[i].vars);
    free(u->dcaps);
    free(u->go_calls);
    free(u->mains);
    free(u->dirs);
    tr_fields_free(u->fields);
    tr_macros_free(u->macros);
    for (int i = 0; i < u->narray_typedefs; i++) free(u->array_typedefs[i]);
    free(u->array_typedefs);
    for (int i = 0; i < u->types.n; i++) {
        free(u->types.names[i]);
        free(u->types.types[i]);
    }
    for (int i = 0; i < u->types.nmacros; i++) free(u->types.macros[i]);
    free(u->types.macros);
    free(u->types.names);
    free(u->types.types);
    free(u->types.arith);
    free(u->types.chan);
    free(u->vars);
    free(u->ctxs);
    free(u->boxed);
    free(u->ref_key);
    free(u->ref_val);
    free(u->pre.s);
    free(u->post.s);
}

int tr_translate(const tr_options *opt, const char *src, size_t len, char **out, size_t *out_len)
{
    return tr_translate_mapped(opt, src, len, out, out_len, NULL);
}

int tr_translate_mapped(const tr_options *opt, const char *src, size_t len,
                        char **out, size_t *out_len, tr_colmap **map)
{
    tr_colmap *cm = NULL;
    if (map) *map = NULL;
    tr_diag diag = { opt->in_path, src, len, 0 };
    tr_spelled sp;
    *out = NULL;
    *out_len = 0;
    tr_where_unit(&diag);
    int prepassed = tr_prepass(&diag, src, len, &sp);
    tr_where_unit(NULL);
    if (prepassed < 0) {
        tr_spelled_free(&sp);
        return diag.errors ? diag.errors : 1;
    }
    tr_buf result = { 0 };
    int uses_goc = memmem(src, len, "goc_", 4) != NULL;
    if (!sp.extensions && !sp.includes_gh && !uses_goc && !diag.errors) {
        passthrough(opt, src, len, &result);
        tr_spelled_free(&sp);
        *out = result.s;
        *out_len = result.n;
        return 0;
    }
    tr_unit u = { .opt = opt, .diag = &diag, .sp = &sp, .s = sp.text };
    tr_where_unit(&diag);
    tr_where_spelled(&sp);
    tr_where_phase("parse");
    TSParser *parser = ts_parser_new();
    ts_parser_set_language(parser, tree_sitter_c());
    u.tree = ts_parser_parse_string(parser, NULL, sp.text, (uint32_t)sp.len);
    int prepass_errors = diag.errors;
    check_tree(&u, ts_tree_root_node(u.tree), 0, (TSNode){ 0 });
    if (diag.errors == prepass_errors) translate_unit(&u, map ? &cm : NULL, &result);
    tr_where_unit(NULL);
    ts_tree_delete(u.tree);
    ts_parser_delete(parser);
    unit_free(&u);
    tr_spelled_free(&sp);
    if (diag.errors) {
        free(result.s);
        tr_colmap_free(cm);
        return diag.errors;
    }
    *out = result.s;
    *out_len = result.n;
    if (map) *map = cm;
    return 0;
}
