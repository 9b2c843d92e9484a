/*
 * prepass.c — finds the .gc extension tokens and respells them as valid C
 * (the table is in prepass.h).
 *
 * The pass works on tokens, never on lines or regular expressions.  Two
 * facts computed up front drive every decision:
 *   match[i]   the index of the bracket matching bracket token i;
 *   start[i]   token i begins a statement (after `;`, `{`, `}`, a control
 *              header's `)`, `else`, `do`, or a label's / case's `:`).
 * A word such as `go` or `select` is an extension keyword only where its
 * extension syntax can stand (SPEC §1); everywhere else it is left alone.
 *
 * Edits are (source range, replacement) pairs applied in one sweep at the
 * end; insertions at the same offset are ordered "after a token" first,
 * then "before a token", then replacements, which nests correctly for
 * `out <- <-in;` and `<-<-cc`.
 */
#include "prepass.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PRIO_AFTER, PRIO_BEFORE, PRIO_REPLACE };

typedef struct edit {
    size_t start, end;
    int prio, seq;
    char *text;
} edit;

typedef struct pp {
    tr_diag *d;
    const char *s;
    tr_token *t;
    size_t n;
    int *match;
    char *start;
    char *consumed;       /* token already rewritten as part of a larger form */
    edit *e;
    size_t ne, cap;
    tr_spelled *out;
    int own_panic, own_recover;
    int chan_typedef;    /* the file declares a typedef named chan */
} pp;

static char *xstrdup_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *r = NULL;
    if (vasprintf(&r, fmt, ap) < 0)
        abort();
    va_end(ap);
    return r;
}

static void add_edit(pp *p, size_t s, size_t e, int prio, char *text)
{
    if (p->ne == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 256;
        p->e = realloc(p->e, p->cap * sizeof *p->e);
    }
    p->e[p->ne] = (edit){ s, e, prio, (int)p->ne, text };
    p->ne++;
}

static void replace_tok(pp *p, size_t i, const char *text)
{
    add_edit(p, p->t[i].start, p->t[i].end, PRIO_REPLACE, strdup(text));
}
static void insert_before(pp *p, size_t i, const char *text)
{
    add_edit(p, p->t[i].start, p->t[i].start, PRIO_BEFORE, strdup(text));
}
static void insert_after(pp *p, size_t i, const char *text)
{
    add_edit(p, p->t[i].end, p->t[i].end, PRIO_AFTER, strdup(text));
}

static int is(pp *p, size_t i, const char *s)
{
    return i < p->n && tr_tok_is(p->s, &p->t[i], s);
}
static int is_ident(pp *p, size_t i)
{
    return i < p->n && p->t[i].kind == TK_IDENT;
}

static const char *type_words[] = {
    "void", "char", "short", "int", "long", "float", "double", "signed", "unsigned",
    "_Bool", "bool", "_Complex", "__int128", "int8_t", "int16_t", "int32_t", "int64_t",
    "uint8_t", "uint16_t", "uint32_t", "uint64_t", "size_t", "ssize_t", "intptr_t",
    "uintptr_t", "ptrdiff_t", NULL };
static const char *qual_words[] = { "const", "volatile", "restrict", "_Atomic",
                                    "__restrict", "__const", NULL };
static const char *stmt_keywords[] = {
    "return", "case", "sizeof", "else", "do", "goto", "default", "_Alignof", "alignof",
    "if", "while", "for", "switch", NULL };

static int in_list(pp *p, size_t i, const char **list)
{
    for (int k = 0; list[k]; k++)
        if (is(p, i, list[k]))
            return 1;
    return 0;
}

/* Can token i end an operand (so that a following `<-` is binary)? */
static int operand_end(pp *p, size_t i)
{
    tr_token *t = &p->t[i];
    if (t->kind == TK_IDENT)
        return !in_list(p, i, stmt_keywords);
    if (t->kind == TK_NUMBER || t->kind == TK_STRING || t->kind == TK_CHAR)
        return 1;
    return is(p, i, ")") || is(p, i, "]") || is(p, i, "++") || is(p, i, "--");
}

/* Does a cast `(T)` end right before token i?  Only types that cannot be
 * expressions count: builtin type words, struct/union/enum, qualifiers. */
static int cast_before(pp *p, size_t i)
{
    if (i == 0 || !is(p, i - 1, ")") || p->match[i - 1] < 0) return 0;
    size_t o = (size_t)p->match[i - 1] + 1;
    return in_list(p, o, type_words) || in_list(p, o, qual_words) || is(p, o, "struct") ||
           is(p, o, "union") || is(p, o, "enum") || is(p, o, "chan");
}

/* ---- bracket matching and statement starts ----------------------------- */

static void compute_match(pp *p)
{
    size_t *stack = malloc((p->n + 1) * sizeof *stack);
    size_t sp = 0;
    for (size_t i = 0; i < p->n; i++) {
        p->match[i] = -1;
        if (p->t[i].kind != TK_PUNCT)
            continue;
        char c = p->s[p->t[i].start];
        if (p->t[i].end - p->t[i].start != 1)
            continue;
        if (c == '(' || c == '[' || c == '{')
            stack[sp++] = i;
        else if (c == ')' || c == ']' || c == '}') {
            char want = c == ')' ? '(' : c == ']' ? '[' : '{';
            /* Pop to the nearest matching opener (tolerates #if halves). */
            size_t k = sp;
            while (k > 0 && p->s[p->t[stack[k - 1]].start] != want)
                k--;
            if (k == 0)
                continue;
            size_t o = stack[k - 1];
            p->match[o] = (int)i;
            p->match[i] = (int)o;
            sp = k - 1;
        }
    }
    free(stack);
}

/* Is the `(` at i a control header: if/while/for/switch ( ... )? */
static int control_paren(pp *p, size_t i)
{
    return i > 0 && (is(p, i - 1, "if") || is(p, i - 1, "while") || is(p, i - 1, "for") ||
                     is(p, i - 1, "switch"));
}

/* Index of the `:` ending a case label that starts at i (`case`), or 0. */
static size_t case_colon(pp *p, size_t i)
{
    int ternary = 0;
    for (size_t j = i + 1; j < p->n; j++) {
        if (p->match[j] > (int)j) { j = (size_t)p->match[j]; continue; }
        if (is(p, j, "?")) ternary++;
        else if (is(p, j, ":")) { if (!ternary) return j; ternary--; }
        else if (is(p, j, ";") || is(p, j, "{") || is(p, j, "}")) return 0;
    }
    return 0;
}

static void compute_starts(pp *p)
{
    int paren = 0, next_start = 1;
    for (size_t i = 0; i < p->n; i++) {
        tr_token *t = &p->t[i];
        p->start[i] = 0;
        if (t->kind == TK_DIRECTIVE)
            continue;
        if (next_start && !paren) p->start[i] = 1;
        next_start = 0;
        if (is(p, i, "(") || is(p, i, "[")) paren++;
        else if (is(p, i, ")") || is(p, i, "]")) {
            if (paren) paren--;
            if (is(p, i, ")") && p->match[i] >= 0 && control_paren(p, (size_t)p->match[i]) && !paren)
                next_start = 1;
        } else if (!paren && (is(p, i, ";") || is(p, i, "{") || is(p, i, "}") ||
                              is(p, i, "else") || is(p, i, "do")))
            next_start = 1;
        else if (!paren && p->start[i] && (is(p, i, "case") || is(p, i, "default"))) {
            size_t c = is(p, i, "default") ? i + 1 : case_colon(p, i);
            if (c && is(p, c, ":")) { for (size_t k = i + 1; k < c; k++) p->start[k] = 0; i = c; next_start = 1; }
        } else if (!paren && p->start[i] && t->kind == TK_IDENT && is(p, i + 1, ":") &&
                   !is(p, i + 2, ":"))
            { i++; next_start = 1; }
    }
}

/* The statement start for token i, scanning back over balanced groups;
 * SIZE_MAX if i sits inside an open bracket of an expression. */
static size_t stmt_of(pp *p, size_t i)
{
    size_t j = i;
    for (;;) {
        if (p->start[j]) return j;
        if (j == 0) return (size_t)-1;
        j--;
        if ((is(p, j, ")") || is(p, j, "]") || is(p, j, "}")) && p->match[j] >= 0) {
            if (is(p, j, "}")) return j + 1 < p->n && p->start[j + 1] ? j + 1 : (size_t)-1;
            if (is(p, j, ")") && control_paren(p, (size_t)p->match[j])) return (size_t)-1;
            j = (size_t)p->match[j];
            continue;
        }
        if (is(p, j, "(") || is(p, j, "[") || is(p, j, "{")) return (size_t)-1;
    }
}

/* From token i (after the `<-`), the end (exclusive) of a unary operand. */
static size_t unary_end(pp *p, size_t i)
{
    if (i >= p->n) return i;
    if (is(p, i, "<-") || is(p, i, "*") || is(p, i, "&") || is(p, i, "!") || is(p, i, "~") ||
        is(p, i, "-") || is(p, i, "+") || is(p, i, "++") || is(p, i, "--"))
        return unary_end(p, i + 1);
    size_t j;
    if (is(p, i, "(") && p->match[i] > (int)i)
        j = (size_t)p->match[i] + 1;
    else if (p->t[i].kind == TK_STRING) {
        j = i + 1;
        while (j < p->n && p->t[j].kind == TK_STRING) j++;
    } else
        j = i + 1;
    for (;;) {
        if ((is(p, j, "[") || is(p, j, "(")) && p->match[j] > (int)j) j = (size_t)p->match[j] + 1;
        else if ((is(p, j, ".") || is(p, j, "->")) && is_ident(p, j + 1)) j += 2;
        else if (is(p, j, "++") || is(p, j, "--")) j++;
        else return j;
    }
}

/* ---- channel types ---------------------------------------------------- */

static void tok_text(pp *p, size_t a, size_t b, char **buf, size_t *len, size_t *cap);

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 2 > *cap) {
        *cap = (*len + n + 2) * 2;
        *buf = realloc(*buf, *cap);
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = 0;
}

static size_t parse_chan(pp *p, size_t i, int *id);

/* Parses a type name starting at i; returns its end (exclusive) and the
 * spelled text in *text (nested chan types respelled). */
static size_t parse_type(pp *p, size_t i, char **text)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    append(&buf, &len, &cap, "", 0);
    size_t j = i;
    while (in_list(p, j, qual_words)) { tok_text(p, j, j + 1, &buf, &len, &cap); j++; }
    if (is(p, j, "chan") || (is(p, j, "<-") && is(p, j + 1, "chan"))) {
        int id;
        size_t e = parse_chan(p, j, &id);
        char name[32];
        snprintf(name, sizeof name, "__goc_chan_%d ", id);
        append(&buf, &len, &cap, name, strlen(name));
        j = e;
    } else if (is(p, j, "(") && p->match[j] > (int)j) {
        char *inner;
        size_t close = (size_t)p->match[j];
        size_t e = parse_type(p, j + 1, &inner);
        append(&buf, &len, &cap, inner, strlen(inner));
        if (e < close) tok_text(p, e, close, &buf, &len, &cap);
        free(inner);
        for (size_t k = j + 1; k < close; k++)
            if (is(p, k, "[") && p->match[k] > (int)k) {
                int depth = 0;
                for (size_t q = j + 1; q < k; q++) depth += is(p, q, "(") - is(p, q, ")");
                if (depth == 0)
                    tr_error(p->d, p->t[k].start,
                             "invalid channel element type: arrays cannot be sent by value; "
                             "wrap the array in a struct");
            }
        *text = buf;
        return close + 1;
    } else if (is(p, j, "struct") || is(p, j, "union") || is(p, j, "enum")) {
        tok_text(p, j, j + 1, &buf, &len, &cap); j++;
        if (is_ident(p, j)) { tok_text(p, j, j + 1, &buf, &len, &cap); j++; }
        if (is(p, j, "{") && p->match[j] > (int)j) {
            tok_text(p, j, (size_t)p->match[j] + 1, &buf, &len, &cap);
            j = (size_t)p->match[j] + 1;
        }
    } else if (in_list(p, j, type_words)) {
        while (in_list(p, j, type_words) || in_list(p, j, qual_words)) {
            tok_text(p, j, j + 1, &buf, &len, &cap);
            j++;
        }
    } else if (is_ident(p, j)) {
        if (is(p, j, "__typeof__") || is(p, j, "typeof") || is(p, j, "__typeof")) {
            size_t e = is(p, j + 1, "(") && p->match[j + 1] > (int)j ? (size_t)p->match[j + 1] + 1 : j + 1;
            tok_text(p, j, e, &buf, &len, &cap);
            j = e;
        } else {
            tok_text(p, j, j + 1, &buf, &len, &cap);
            j++;
        }
    }
    while (is(p, j, "*") || in_list(p, j, qual_words)) {
        tok_text(p, j, j + 1, &buf, &len, &cap);
        j++;
    }
    *text = buf;
    return j;
}

static void tok_text(pp *p, size_t a, size_t b, char **buf, size_t *len, size_t *cap)
{
    for (size_t k = a; k < b; k++) {
        append(buf, len, cap, p->s + p->t[k].start, p->t[k].end - p->t[k].start);
        append(buf, len, cap, " ", 1);
    }
}

/* Parses `chan T`, `chan<- T`, `<-chan T` or `chan(T)` at i; records the
 * type in the side table; returns the end.  Tokens inside are consumed. */
static size_t parse_chan(pp *p, size_t i, int *id)
{
    tr_spelled *o = p->out;
    enum tr_chan_dir dir = CHAN_BOTH;
    size_t j = i;
    if (is(p, j, "<-")) { dir = CHAN_RECV; j++; }
    j++; /* chan */
    if (dir == CHAN_BOTH && is(p, j, "<-")) { dir = CHAN_SEND; j++; }
    char *elem;
    size_t e = parse_type(p, j, &elem);
    if (e == j) {
        tr_error(p->d, p->t[i].start, "missing element type after 'chan'");
        elem = strdup("int");
    }
    for (size_t k = i; k < e; k++) p->consumed[k] = 1;
    o->chans = realloc(o->chans, (size_t)(o->nchans + 1) * sizeof *o->chans);
    o->chans[o->nchans] = (tr_chan_type){ dir, elem };
    *id = o->nchans++;
    return e;
}

/* Does `chan` at i stand where a type is expected? */
static int chan_is_type(pp *p, size_t i)
{
    size_t j = i + 1;
    if (is(p, j, "<-")) return 1;
    if (is(p, j, "chan") || in_list(p, j, type_words) || in_list(p, j, qual_words) ||
        is(p, j, "struct") || is(p, j, "union") || is(p, j, "enum"))
        return 1;
    if (is(p, j, "(") && p->match[j] > (int)j) {
        size_t k = j + 1;
        if (is(p, k, "chan") || in_list(p, k, type_words) || in_list(p, k, qual_words) ||
            is(p, k, "struct") || is(p, k, "union") || is(p, k, "enum") || is(p, k, "<-"))
            return 1;
        size_t after = (size_t)p->match[j] + 1;
        return is_ident(p, after) || is(p, after, "*") || is(p, after, ")");
    }
    if (is_ident(p, j))   /* chan T x, chan T *x, chan T) ... */
        return is_ident(p, j + 1) || is(p, j + 1, "*") || is(p, j + 1, ")") ||
               is(p, j + 1, ",") || is(p, j + 1, "[");
    return 0;
}

/* ---- statements ------------------------------------------------------- */

/* The end of a statement starting at s: the `;` (or the `:` of a select
 * case head when in_case) at depth 0; 0 if an unbalanced closer comes first. */
static size_t stmt_end(pp *p, size_t from, int in_case)
{
    for (size_t j = from; j < p->n; j++) {
        if (p->match[j] > (int)j) { j = (size_t)p->match[j]; continue; }
        if (is(p, j, ";")) return in_case ? 0 : j;
        if (in_case && is(p, j, ":")) return j;
        if (is(p, j, ")") || is(p, j, "]") || is(p, j, "}") || is(p, j, "{")) return 0;
    }
    return 0;
}

/* Between a and b (exclusive) at depth 0, is there an assignment, comma
 * or `?` ? */
static int has_top_op(pp *p, size_t a, size_t b, int comma_ok)
{
    static const char *ops[] = { "=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
                                 "<<=", ">>=", "?", NULL };
    for (size_t j = a; j < b; j++) {
        if (p->match[j] > (int)j) { j = (size_t)p->match[j]; continue; }
        if (in_list(p, j, ops)) return 1;
        if (!comma_ok && is(p, j, ",")) return 1;
    }
    return 0;
}

static int select_case_head(pp *p, size_t s)
{
    return is(p, s, "case");
}

/* `<-` at i with an operand before it: a send statement, or C's `< -`. */
static void binary_arrow(pp *p, size_t i)
{
    size_t s = stmt_of(p, i);
    if (s == (size_t)-1) return;
    int in_case = select_case_head(p, s);
    size_t first = in_case ? s + 1 : s;
    if (first >= i || has_top_op(p, first, i, 0)) return;
    size_t end = stmt_end(p, i + 1, in_case);
    if (!end || end == i + 1) return;
    insert_before(p, first, "__goc_send(");
    replace_tok(p, i, ",");
    add_edit(p, p->t[end].start, p->t[end].start, PRIO_AFTER, strdup(")"));
    p->out->extensions++;
}

/* A prefix `<-` at i: receive, comma-ok receive, or (in a select head) a
 * declaring receive. */
static void prefix_arrow(pp *p, size_t i)
{
    p->out->extensions++;
    if (i > 0 && is(p, i - 1, "=")) {
        size_t s = stmt_of(p, i - 1);
        if (s != (size_t)-1) {
            int in_case = select_case_head(p, s);
            size_t first = in_case ? s + 1 : s;
            size_t end = stmt_end(p, i + 1, in_case);
            /* `v, ok = <-c` has one top-level comma and no other `=`; a
             * declaration (`int p = 0, q = <-c`, `int p, q = <-c`) has two
             * names in a row or an `=` before the comma */
            int comma = 0, decl_like = 0;
            for (size_t j = first; j < i - 1; j++) {
                if (p->match[j] > (int)j) { j = (size_t)p->match[j]; continue; }
                if (is(p, j, ",")) comma = 1;
                if (is(p, j, "=") || (!comma && is_ident(p, j) && j + 1 < i - 1 && is_ident(p, j + 1)))
                    decl_like = 1;
            }
            if (decl_like) comma = 0;
            if (end && comma && unary_end(p, i + 1) == end) {
                insert_before(p, first, "__goc_recvok(");
                replace_tok(p, i - 1, ",");
                replace_tok(p, i, "");
                add_edit(p, p->t[end].start, p->t[end].start, PRIO_AFTER, strdup(")"));
                return;
            }
            if (in_case && first + 1 < i - 1 && is_ident(p, i - 2)) {
                int decl = 1;
                for (size_t j = first; j < i - 1; j++)
                    if (!is_ident(p, j) && !is(p, j, "*")) decl = 0;
                if (decl) {
                    char *buf;
                    parse_type(p, first, &buf);
                    tr_spelled *o = p->out;
                    o->decls = realloc(o->decls, (size_t)(o->ndecls + 1) * sizeof *o->decls);
                    char *name = strndup(p->s + p->t[i - 2].start, p->t[i - 2].end - p->t[i - 2].start);
                    char *full = xstrdup_fmt("%s %s", buf, name);
                    free(buf);
                    o->decls[o->ndecls] = (tr_recvdecl){ full, name };
                    char *sp = xstrdup_fmt("__goc_recvdecl_%d", o->ndecls++);
                    for (size_t k = 0; k < p->ne; k++)   /* drop the chan respelling inside */
                        if (p->e[k].start >= p->t[first].start && p->e[k].end <= p->t[i - 2].end) {
                            free(p->e[k].text);
                            p->e[k].text = strdup("");
                            p->e[k].start = p->e[k].end = p->t[first].start;
                        }
                    add_edit(p, p->t[first].start, p->t[i - 2].end, PRIO_REPLACE, sp);
                    for (size_t j = first; j < i - 1; j++) p->consumed[j] = 1;
                }
            }
        }
    }
    replace_tok(p, i, "__goc_recv(");
    size_t e = unary_end(p, i + 1);
    if (e > i + 1)
        insert_after(p, e - 1, ")");
    else
        tr_error(p->d, p->t[i].start, "expected an operand after '<-'");
}

/* go/defer at statement start, followed by a call or a block? */
static int go_like(pp *p, size_t i)
{
    if (!p->start[i]) return 0;
    size_t j = i + 1;
    if (is(p, j, "{")) return 1;
    if (!(is_ident(p, j) || is(p, j, "(") || is(p, j, "*"))) return 0;
    if (is_ident(p, j) && in_list(p, j, stmt_keywords)) return 0;
    size_t end = stmt_end(p, j, 0);
    /* `go(1);` calls a C function named go: the call's own parentheses
     * must not be the ones right after the keyword */
    return end && end > j && is(p, end - 1, ")") && p->match[end - 1] != (int)j;
}

static void range_for(pp *p, size_t i)
{
    size_t o = i + 1, c = (size_t)p->match[o];
    size_t colon = 0;
    int ternary = 0;
    for (size_t j = o + 1; j < c; j++) {
        if (p->match[j] > (int)j) { j = (size_t)p->match[j]; continue; }
        if (is(p, j, ";")) return;
        if (is(p, j, "?")) ternary++;
        else if (is(p, j, ":")) { if (ternary) ternary--; else if (!colon) colon = j; }
    }
    if (!colon) return;
    replace_tok(p, colon, "; __goc_range(");
    insert_before(p, c, ");");
    p->out->extensions++;
}

/* Does the file define its own function called name (at file scope)? */
/* A file that makes `chan` a typedef name (`typedef int chan;`) is plain C
 * there: chan is then never the channel keyword in it. */
static int typedefs_chan(pp *p)
{
    for (size_t i = 0; i < p->n; i++) {
        if (!is(p, i, "typedef")) continue;
        int depth = 0;
        for (size_t j = i + 1; j < p->n; j++) {
            if (is(p, j, "{") || is(p, j, "(") || is(p, j, "[")) depth++;
            else if (is(p, j, "}") || is(p, j, ")") || is(p, j, "]")) depth--;
            else if (depth <= 0 && is(p, j, ";")) break;
            if (is(p, j, "chan") && (is(p, j + 1, ";") || is(p, j + 1, ",") || is(p, j + 1, "[") ||
                                     is(p, j + 1, ")")) && !is(p, j - 1, "struct") &&
                !is(p, j - 1, "union") && !is(p, j - 1, "enum"))
                return 1;
        }
    }
    return 0;
}

static int declares_own(pp *p, const char *name)
{
    int depth = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (is(p, i, "{")) depth++;
        else if (is(p, i, "}")) depth--;
        else if (!depth && is(p, i, name) && is(p, i + 1, "(") && i > 0 &&
                 (is_ident(p, i - 1) || is(p, i - 1, "*")))
            return 1;
    }
    return 0;
}

/* Extension syntax inside a #define body is an error (SPEC §1). */
static void check_define(pp *p, size_t i)
{
    const char *s = p->s + p->t[i].start;
    size_t n = p->t[i].end - p->t[i].start;
    const char *q = s + 1;
    while (q < s + n && (*q == ' ' || *q == '\t')) q++;
    if ((size_t)(s + n - q) < 6 || strncmp(q, "define", 6)) return;
    tr_tokens sub = { 0 };
    size_t base = (size_t)(q + 6 - s);
    char *body = strndup(q + 6, n - base);
    tr_lex(body, n - base, &sub);
    for (size_t k = 0; k + 1 < sub.n; k++) {
        const char *w = NULL;
        tr_token *t = &sub.v[k], *u = &sub.v[k + 1];
        if (t->kind != TK_IDENT) continue;
        int tag = k > 0 && (tr_tok_is(body, &sub.v[k - 1], "struct") || tr_tok_is(body, &sub.v[k - 1], "union") ||
                            tr_tok_is(body, &sub.v[k - 1], "enum"));
        if (tr_tok_is(body, t, "chan") && !tag && (u->kind == TK_IDENT || tr_tok_is(body, u, "<-") ||
                                                   tr_tok_is(body, u, "(")))
            w = "chan type";
        else if (tr_tok_is(body, t, "select") && tr_tok_is(body, u, "{"))
            w = "select statement";
        else if ((tr_tok_is(body, t, "go") || tr_tok_is(body, t, "defer")) &&
                 (tr_tok_is(body, u, "{") || (u->kind == TK_IDENT && k + 2 < sub.n &&
                                              tr_tok_is(body, &sub.v[k + 2], "("))))
            w = tr_tok_is(body, t, "go") ? "go statement" : "defer statement";
        if (w) {
            tr_error(p->d, p->t[i].start + base + t->start,
                     "%s inside a #define body: macros keep their plain C meaning, "
                     "extension syntax cannot be used in them", w);
            break;
        }
    }
    free(sub.v);
    free(body);
}

/* Token i names a struct member (`g->panic(L)`), not a function. */
static int member(pp *p, size_t i)
{
    return i > 0 && (is(p, i - 1, "->") || is(p, i - 1, "."));
}

/* `chan` at i is a tag (`struct chan`, `union chan`, `enum chan`) or a
 * member (`s.chan`): a name, never the keyword. */
static int chan_is_name(pp *p, size_t i)
{
    return member(p, i) || (i > 0 && (is(p, i - 1, "struct") || is(p, i - 1, "union") || is(p, i - 1, "enum")));
}

static void scan(pp *p)
{
    int select_depth[64], nsel = 0, depth = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (p->consumed[i]) continue;
        tr_token *t = &p->t[i];
        tr_where_at(t->start);
        if (t->kind == TK_DIRECTIVE) {
            check_define(p, i);
            const char *s = p->s + t->start;
            size_t n = t->end - t->start;
            if (memmem(s, n, "include", 7) && memmem(s, n, ".gh\"", 4)) p->out->includes_gh = 1;
            continue;
        }
        if (is(p, i, "{")) depth++;
        else if (is(p, i, "}")) {
            depth--;
            if (nsel && select_depth[nsel - 1] == depth) nsel--;
        }
        if (is(p, i, "chan") && !p->chan_typedef && !chan_is_name(p, i) && chan_is_type(p, i)) {
            int id;
            size_t e = parse_chan(p, i, &id);
            char *name = xstrdup_fmt("__goc_chan_%d ", id);
            add_edit(p, t->start, p->t[e - 1].end, PRIO_REPLACE, name);
            p->out->extensions++;
            i = e - 1;
            continue;
        }
        if (is(p, i, "<-")) {
            if (is(p, i + 1, "chan") && !p->chan_typedef) {
                int id;
                size_t e = parse_chan(p, i, &id);
                add_edit(p, t->start, p->t[e - 1].end, PRIO_REPLACE,
                         xstrdup_fmt("__goc_chan_%d ", id));
                p->out->extensions++;
                i = e - 1;
            } else if (i > 0 && !p->start[i] && operand_end(p, i - 1) && !cast_before(p, i))
                binary_arrow(p, i);
            else
                prefix_arrow(p, i);
            continue;
        }
        if (t->kind != TK_IDENT) continue;
        if ((is(p, i, "go") || is(p, i, "defer")) && go_like(p, i)) {
            replace_tok(p, i, is(p, i, "go") ? "__goc_go:" : "__goc_defer:");
            p->out->extensions++;
        } else if (is(p, i, "select") && is(p, i + 1, "{") && p->start[i]) {
            replace_tok(p, i, "switch (__goc_select)");
            p->out->extensions++;
            if (p->match[i + 1] < 0)
                tr_error(p->d, t->start, "unterminated select: missing '}'");
            else if (nsel < 64)
                select_depth[nsel++] = depth;
        } else if (is(p, i, "make") && is(p, i + 1, "(") && is(p, i + 2, "chan") && !p->chan_typedef &&
                   p->match[i + 1] > 0 && !is(p, i + 3, ")") && !is(p, i + 3, ",")) {
            /* make(chan) and make(chan, n) pass a variable named chan */
            replace_tok(p, i, "__goc_make");
            size_t c = (size_t)p->match[i + 1];
            int id;
            size_t e = parse_chan(p, i + 2, &id);
            add_edit(p, p->t[i + 2].start, p->t[e - 1].end, PRIO_REPLACE,
                     xstrdup_fmt("__goc_chan_%d", id));
            if (e == c) insert_before(p, c, ", 0");
            p->out->extensions++;
            i = e - 1;
        } else if (is(p, i, "goc_new") && is(p, i + 1, "(") && p->match[i + 1] > (int)i + 2 &&
                   depth > 0) {
            /* goc_new(T): T as a type name is not an expression tree-sitter
             * can parse, a cast is; escape.c may put the object on the stack */
            size_t c = (size_t)p->match[i + 1];
            replace_tok(p, i, "__goc_new");
            if (!is(p, i + 2, "typeof") && !is(p, i + 2, "__typeof__") && !is(p, i + 2, "__typeof")) {
                insert_after(p, i + 1, "(__typeof__(");
                insert_before(p, c, ") *)0");
            }   /* goc_new(typeof(x)) parses as a call as it is */
            p->out->extensions++;
        } else if (is(p, i, "for") && is(p, i + 1, "(") && p->match[i + 1] > 0) {
            range_for(p, i);
        } else if (is(p, i, "panic") && is(p, i + 1, "(") && !p->own_panic && depth > 0 &&
                   !member(p, i)) {
            replace_tok(p, i, "goc_panic");
            p->out->extensions++;
        } else if (is(p, i, "recover") && is(p, i + 1, "(") && is(p, i + 2, ")") &&
                   !p->own_recover && depth > 0 && !member(p, i)) {
            replace_tok(p, i, "goc_recover");
            p->out->extensions++;
        }
    }
}

/* Braces left open: if a select opened after the first unmatched `{`, the
 * select is the construct that was not closed. */
static void check_unterminated_select(pp *p)
{
    size_t first_open = (size_t)-1, last_select = (size_t)-1;
    for (size_t i = 0; i < p->n; i++)
        if (is(p, i, "{") && p->match[i] < 0) { first_open = i; break; }
    if (first_open == (size_t)-1) return;
    for (size_t i = 0; i + 1 < p->n; i++)
        if (is(p, i, "select") && is(p, i + 1, "{") && p->start[i] && i + 1 >= first_open &&
            p->match[i + 1] >= 0)
            last_select = i;
    if (last_select != (size_t)-1)
        tr_error(p->d, p->t[last_select].start, "unterminated select: missing '}'");
}

static int edit_cmp(const void *a, const void *b)
{
    const edit *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->prio != y->prio) return x->prio - y->prio;
    return x->seq - y->seq;
}

static void apply(pp *p, size_t len)
{
    if (p->ne) qsort(p->e, p->ne, sizeof *p->e, edit_cmp);
    tr_spelled *o = p->out;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    append(&buf, &n, &cap, "", 0);
    size_t pos = 0, nmap = 0, mcap = 16;
    o->map = malloc(mcap * sizeof *o->map);
#define SEG(sp, so) do { if (nmap == mcap) { mcap *= 2; o->map = realloc(o->map, mcap * sizeof *o->map); } \
                         o->map[nmap++] = (tr_map_seg){ (sp), (so) }; } while (0)
    SEG(0, 0);
    for (size_t k = 0; k < p->ne; k++) {
        edit *e = &p->e[k];
        if (e->start < pos) { free(e->text); continue; }   /* overlapped: already consumed */
        append(&buf, &n, &cap, p->s + pos, e->start - pos);
        SEG(n, e->start);
        append(&buf, &n, &cap, e->text, strlen(e->text));
        pos = e->end;
        SEG(n, pos);
        free(e->text);
    }
    append(&buf, &n, &cap, p->s + pos, len - pos);
    o->text = buf;
    o->len = n;
    o->nmap = nmap;
#undef SEG
}

void tr_spelled_free(tr_spelled *sp)
{
    for (int i = 0; i < sp->nchans; i++) free(sp->chans[i].elem);
    for (int i = 0; i < sp->ndecls; i++) {
        free(sp->decls[i].decl);
        free(sp->decls[i].name);
    }
    free(sp->chans);
    free(sp->decls);
    free(sp->map);
    free(sp->text);
}

size_t tr_map_to_source(const tr_spelled *sp, size_t off)
{
    size_t lo = 0, hi = sp->nmap;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (sp->map[mid].spelled <= off) lo = mid; else hi = mid;
    }
    return sp->map[lo].source + (off - sp->map[lo].spelled);
}

int tr_prepass(tr_diag *d, const char *src, size_t len, tr_spelled *out)
{
    memset(out, 0, sizeof *out);
    tr_tokens toks = { 0 };
    size_t bad = tr_lex(src, len, &toks);
    if (bad) {
        tr_error(d, bad - 1, "unterminated comment or literal");
        free(toks.v);
        return -1;
    }
    pp p = { .d = d, .s = src, .t = toks.v, .n = toks.n, .out = out };
    p.match = malloc(toks.n * sizeof *p.match);
    p.start = calloc(toks.n, 1);
    p.consumed = calloc(toks.n, 1);
    compute_match(&p);
    compute_starts(&p);
    p.own_panic = declares_own(&p, "panic");
    p.chan_typedef = typedefs_chan(&p);
    p.own_recover = declares_own(&p, "recover");
    scan(&p);
    check_unterminated_select(&p);
    apply(&p, len);
    free(p.e);
    free(p.match);
    free(p.start);
    free(p.consumed);
    free(toks.v);
    return 0;
}
