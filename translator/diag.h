/*
 * diag.h — positioned diagnostics, as a mature compiler prints them:
 *
 *     file.gc:12:9: error: MESSAGE
 *        12 |     ch <- 1.5;
 *           |         ^
 *
 * Every diagnostic carries a byte offset into the original .gc source; the
 * translator collects them and keeps going where it can.
 */
#ifndef TR_DIAG_H
#define TR_DIAG_H

#include <stddef.h>

typedef struct tr_diag {
    const char *path;
    const char *src;
    size_t len;
    int errors;
} tr_diag;

void tr_error(tr_diag *d, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tr_note(tr_diag *d, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Where the translator is, for the report of its own crash (crash.c;
 * tr_crash_report in translate.h).  tr_where_unit starts a unit (NULL: the
 * translation ended); offsets are source offsets until tr_where_spelled
 * gives the pre-pass's map, spelled offsets after it.  tr_where_at is
 * cheap enough to call for every node a pass visits. */
struct tr_spelled;
extern _Thread_local size_t tr_where_off;
void tr_where_unit(const tr_diag *d);
void tr_where_spelled(const struct tr_spelled *sp);
void tr_where_phase(const char *phase);   /* a string literal: "analysis", ... */
static inline void tr_where_at(size_t off) { tr_where_off = off; }

#endif
