/*
 * diag.c — printing positioned diagnostics (see diag.h).
 */
#include "diag.h"
#include "lex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void show(tr_diag *d, size_t off, const char *kind, const char *fmt, va_list ap)
{
    if (off > d->len)
        off = d->len;
    int line, col;
    tr_line_col(d->src, off, &line, &col);
    fprintf(stderr, "%s:%d:%d: %s: ", d->path, line, col, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    size_t ls = off - (size_t)(col - 1), le = ls;
    while (le < d->len && d->src[le] != '\n')
        le++;
    fprintf(stderr, "%5d | %.*s\n      | ", line, (int)(le - ls), d->src + ls);
    for (size_t i = ls; i < off; i++)
        fputc(d->src[i] == '\t' ? '\t' : ' ', stderr);
    fputs("^\n", stderr);
}

void tr_error(tr_diag *d, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    show(d, off, "error", fmt, ap);
    va_end(ap);
    d->errors++;
}

void tr_note(tr_diag *d, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    show(d, off, "note", fmt, ap);
    va_end(ap);
}
