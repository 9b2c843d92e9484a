/*
 * emit.h — the emitter's state and the lowering entry points shared by
 * lower.c, lower_go.c and lower_chan.c.
 */
#ifndef TR_EMIT_H
#define TR_EMIT_H

#include "lower.h"

typedef struct loop {
    int is_loop;      /* 0: a switch or select (break only) */
    int cont;         /* continue label number, -1 for a plain continue */
} loop;

typedef struct em {
    tr_unit *u;
    tr_buf *out;
    int ctx;
    int in_defer;
    const tr_dcap *dcap;  /* the deferred block being emitted captures these */
    uint32_t dblk_from, dblk_to;   /* its range: vars declared inside are its own */
    uint32_t dcap_id;
    int void_fn;
    int rclaim;       /* the function claims its deferred call: __goc_rf (lower.c) */
    int report;       /* emit diagnostics (the last stage only) */
    loop loops[256];
    int nloops, loop_base;
    /* the last verbatim copy (column marks, colmap.c): into which buffer,
     * the buffer's length after it, and the spelled offset it ended at */
    const tr_buf *mark_buf;
    size_t mark_n;
    uint32_t mark_end;
} em;

void tr_emit(em *e, TSNode n);
void tr_emit_default(em *e, TSNode n);
void tr_emit_loop(em *e, TSNode n);
char *tr_emit_flat(em *e, TSNode n);
void tr_emit_body(em *e, int ctx, TSNode body, TSNode fn, int is_main);
void tr_pad_newlines(em *e, uint32_t a, uint32_t b);
void tr_err(em *e, TSNode n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *tr_capture_ref(em *e, int v, char *buf, size_t n);
void tr_emit_box(em *e, int v);
void tr_push_loop(em *e, int is_loop, int cont);
/* Column marks around a lowering: generated text between them maps to the
 * construct at spelled offset `at` (no-ops unless u->marks). */
void tr_mark_push(em *e, uint32_t at);
void tr_mark_pop(em *e);

/* lower_go.c */
void tr_emit_go(em *e, TSNode n);
void tr_emit_defer(em *e, TSNode n);
/* lower_chan.c */
void tr_emit_select(em *e, TSNode n);
void tr_emit_for(em *e, TSNode n);
int tr_emit_chan_call(em *e, TSNode call, const char *name);
/* `L = <-c` whose left side has operands Go evaluates before the receive */
int tr_is_recv_assign(em *e, TSNode n);
void tr_emit_recv_assign(em *e, TSNode n);

#endif
