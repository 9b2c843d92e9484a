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

/* An internal error: when a translation is under way on this thread,
 * writes `FILE:LINE:COL: internal error: the translator crashed here
 * (WHAT, in the PASS)` and the source line to fd, and returns 1; else 0.
 * Async-signal-safe (write(2) only): the goc command calls it from its
 * handler of fatal signals, WHAT naming the signal. */
int tr_crash_report(int fd, const char *what);

/* ---- column map ----------------------------------------------------------
 *
 * The output keeps the source's lines (one #line 1, and a #line before each
 * go-block thunk appended at the end), but not its columns: lowered
 * constructs are longer than what they replace.  A column map says, for
 * every output line, which source byte each stretch of it came from:
 * stretches copied verbatim from the source advance with it, generated
 * text maps to the start of the construct it lowers.  The goc command uses
 * it to move the C compiler's diagnostics on translated code to the .gc
 * line and column (driver_diag.c). */
typedef struct tr_colmap tr_colmap;

/* As tr_translate; on success *map is the column map of *out (owned by the
 * caller, tr_colmap_free), or NULL when the output's columns already are
 * the source's (plain C passed through) or no map could be made. */
int tr_translate_mapped(const tr_options *opt, const char *src, size_t len,
                        char **out, size_t *out_len, tr_colmap **map);

/* The source path the output's #line directives name (opt->in_path). */
const char *tr_colmap_path(const tr_colmap *m);
/* Takes a compiler position in the output, LINE as the compiler reports it
 * (after #line) and COL (1-based; display columns with tabs to 8 when
 * display is set, as gcc counts, else bytes, as clang counts), to the source
 * position *line, *col in the same unit.  0 if LINE/COL is nowhere in the
 * output. */
int tr_colmap_find(const tr_colmap *m, int line, int col, int display, int *src_line, int *src_col);
/* Source line LINE (1-based) without its newline: *len bytes at the result;
 * NULL if there is no such line. */
const char *tr_colmap_source_line(const tr_colmap *m, int line, size_t *len);
/* What the user calls an internal function of the output (the renamed main,
 * a go block's thunk), e.g. "main" or "go block in main"; NULL if name is
 * not one. */
const char *tr_colmap_function(const tr_colmap *m, const char *name);
void tr_colmap_free(tr_colmap *m);

#endif
