/*
 * lex.c — the exact C lexer (see lex.h).
 *
 * Invariant: tokens are in source order, do not overlap, and everything
 * between two tokens is whitespace, comments or line splices.  Directives
 * are single tokens, so nothing inside a #define is ever seen as a
 * statement; the pre-pass inspects their bodies separately.
 */
#include "lex.h"

#include <stdlib.h>
#include <string.h>

static void push(tr_tokens *t, enum tr_tok_kind k, size_t s, size_t e)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->v = realloc(t->v, t->cap * sizeof *t->v);
        if (!t->v)
            abort();
    }
    t->v[t->n++] = (tr_token){ k, (unsigned)s, (unsigned)e };
}

/* Skips line splices (backslash-newline) at i. */
static size_t splice(const char *s, size_t len, size_t i)
{
    while (i + 1 < len && s[i] == '\\' && (s[i + 1] == '\n' ||
           (s[i + 1] == '\r' && i + 2 < len && s[i + 2] == '\n')))
        i += s[i + 1] == '\n' ? 2 : 3;
    return i;
}

int tr_is_ident_char(int c)
{
    return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (unsigned char)c >= 0x80;
}

/* Ends a quoted literal starting at i (the quote).  Returns the offset
 * after the closing quote, or 0 if unterminated. */
static size_t quoted(const char *s, size_t len, size_t i)
{
    char q = s[i++];
    while (i < len) {
        if (s[i] == '\\') {
            i += 2;
            continue;
        }
        if (s[i] == q)
            return i + 1;
        if (s[i] == '\n')
            return 0;
        i++;
    }
    return 0;
}

/* Ends a directive line starting at i (the '#'), honouring splices,
 * comments and literals inside it. */
static size_t directive(const char *s, size_t len, size_t i)
{
    while (i < len) {
        i = splice(s, len, i);
        if (i >= len || s[i] == '\n')
            break;
        if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
            const char *e = strstr(s + i + 2, "*/");
            i = e ? (size_t)(e - s) + 2 : len;
            continue;
        }
        if (s[i] == '/' && i + 1 < len && s[i + 1] == '/') {
            while (i < len && s[i] != '\n')
                i++;
            break;
        }
        if (s[i] == '"' || s[i] == '\'') {
            size_t e = quoted(s, len, i);
            i = e ? e : i + 1;
            continue;
        }
        i++;
    }
    return i;
}

static const char *puncts3[] = { "<<=", ">>=", "...", NULL };
static const char *puncts2[] = { "<-", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=",
                                 "&&", "||", "*=", "/=", "%=", "+=", "-=", "&=", "^=",
                                 "|=", "##", NULL };

static size_t punct(const char *s, size_t len, size_t i)
{
    for (int k = 0; puncts3[k]; k++)
        if (i + 3 <= len && !memcmp(s + i, puncts3[k], 3))
            return i + 3;
    for (int k = 0; puncts2[k]; k++)
        if (i + 2 <= len && !memcmp(s + i, puncts2[k], 2))
            return i + 2;
    return i + 1;
}

static size_t number(const char *s, size_t len, size_t i)
{
    i++;
    while (i < len) {
        char c = s[i];
        if ((c == '+' || c == '-') && strchr("eEpP", s[i - 1]))
            i++;
        else if (tr_is_ident_char(c) || c == '.' ||
                 (c == '\'' && i + 1 < len && tr_is_ident_char(s[i + 1])))
            i++;
        else
            break;
    }
    return i;
}

/* A literal prefix (L, u, U, u8) directly followed by a quote? */
static size_t literal_prefix(const char *s, size_t len, size_t i)
{
    if (i < len && (s[i] == 'L' || s[i] == 'U')) return i + 1;
    if (i + 1 < len && s[i] == 'u' && s[i + 1] == '8') return i + 2;
    if (i < len && s[i] == 'u') return i + 1;
    return i;
}

size_t tr_lex(const char *s, size_t len, tr_tokens *t)
{
    size_t i = 0;
    int line_start = 1;
    while (i < len) {
        char c = s[i];
        if (c == '\\') {
            size_t j = splice(s, len, i);
            if (j != i) { i = j; continue; }
        }
        if (c == '\n') { line_start = 1; i++; continue; }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') { i++; continue; }
        if (c == '/' && i + 1 < len && s[i + 1] == '*') {
            const char *e = memmem(s + i + 2, len - i - 2, "*/", 2);
            if (!e) return i + 1;
            i = (size_t)(e - s) + 2;
            continue;
        }
        if (c == '/' && i + 1 < len && s[i + 1] == '/') {
            while (i < len && s[i] != '\n') {
                size_t j = splice(s, len, i);
                i = j != i ? j : i + 1;
            }
            continue;
        }
        if (c == '#' && line_start) {
            size_t e = directive(s, len, i);
            push(t, TK_DIRECTIVE, i, e);
            i = e;
            continue;
        }
        line_start = 0;
        size_t p = literal_prefix(s, len, i);
        if (p < len && (s[p] == '"' || s[p] == '\'')) {
            size_t e = quoted(s, len, p);
            if (!e) return i + 1;
            push(t, s[p] == '"' ? TK_STRING : TK_CHAR, i, e);
            i = e;
            continue;
        }
        if ((c >= '0' && c <= '9') || (c == '.' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9')) {
            size_t e = number(s, len, i);
            push(t, TK_NUMBER, i, e);
            i = e;
            continue;
        }
        if (tr_is_ident_char(c)) {
            size_t e = i;
            while (e < len && tr_is_ident_char(s[e])) e++;
            push(t, TK_IDENT, i, e);
            i = e;
            continue;
        }
        size_t e = punct(s, len, i);
        push(t, TK_PUNCT, i, e);
        i = e;
    }
    push(t, TK_EOF, len, len);
    return 0;
}

int tr_tok_is(const char *src, const tr_token *t, const char *s)
{
    size_t n = strlen(s);
    return t->end - t->start == n && !memcmp(src + t->start, s, n);
}

void tr_line_col(const char *src, size_t off, int *line, int *col)
{
    int l = 1;
    size_t ls = 0;
    for (size_t i = 0; i < off; i++)
        if (src[i] == '\n') { l++; ls = i + 1; }
    *line = l;
    *col = (int)(off - ls) + 1;
}
