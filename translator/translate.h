/*
 * translate.h — the translator's one entry point, shared by the goc command
 * (driver.c) and the tests.
 *
 * tr_translate turns one .gc (or .gh) translation unit into plain C that
 * includes <goc_lang.h> and carries #line directives back to the source.
 * Diagnostics go to stderr as `FILE:LINE:COL: error: MESSAGE`, the source
 * line and a caret; the return value is the number of errors.  On errors
 * *out is NULL: the caller must not write a partial output file.
 */
#ifndef TR_TRANSLATE_H
#define TR_TRANSLATE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct tr_options {
    const char *in_path;      /* the source as named by the user: diagnostics, #line */
    const char *out_path;     /* where the C will be written (libclang parses it under
                                 this name so quoted includes resolve beside it); may be NULL */
    const char *const *cflags;/* -I/-D/-U/-std flags for the type queries (libclang) */
    int ncflags;
    bool is_header;           /* a .gh: no main wrapper */
    int escape_report;        /* goc build -m: print escape decisions on stderr;
                                 -m -m (2) adds a per-file summary line */
} tr_options;

/* Translates src[0..len).  On success (return 0) *out is a malloc'ed,
 * NUL-terminated C text of *out_len bytes, owned by the caller. */
int tr_translate(const tr_options *opt, const char *src, size_t len,
                 char **out, size_t *out_len);

#endif
