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

#endif
