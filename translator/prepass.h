/*
 * prepass.h — the pre-pass: .gc tokens -> valid C spelling + byte map.
 *
 * tree-sitter-c only parses C, so every extension construct is first
 * rewritten into a reserved C spelling that parses to a recognisable node.
 * The rewrite never adds or removes a newline, so line numbers of the
 * spelled text are those of the .gc source; a byte map takes any spelled
 * offset back to its .gc offset for diagnostics.
 *
 *   .gc                          spelled C                         node
 *   go STMT / defer STMT         __goc_go: STMT / __goc_defer: ... labeled_statement
 *   E1 <- E2;  (statement)       __goc_send(E1 , E2);              call_expression
 *   <-E        (prefix)          __goc_recv(E)                     call_expression
 *   v, ok = <-E;                 __goc_recvok(v, ok , E);          call_expression
 *   chan T, chan<- T, <-chan T   __goc_chan_N (side table: T, dir) type_identifier
 *   make(chan T[, n])            __goc_make(__goc_chan_N, n)       call_expression
 *   select {                     switch (__goc_select) {           switch_statement
 *   case T v = <-c:              case __goc_recvdecl_K = __goc_recv(c):
 *   for (T v : E)                for (T v ; __goc_range(E);)       for_statement
 *   panic(...) / recover()       goc_panic(...) / goc_recover()
 *   goc_new(T)                   __goc_new((__typeof__(T) *)0)     call_expression
 *   goc_new(typeof(E))           __goc_new(typeof(E))              call_expression
 *
 * The element type of `chan` extends over trailing `*` and qualifiers up to
 * the declarator's identifier; `chan(T)` ends at its parenthesis.
 */
#ifndef TR_PREPASS_H
#define TR_PREPASS_H

#include "diag.h"
#include "lex.h"

enum tr_chan_dir { CHAN_BOTH, CHAN_SEND, CHAN_RECV };

typedef struct tr_chan_type {
    enum tr_chan_dir dir;
    char *elem;          /* spelled element type text */
} tr_chan_type;

typedef struct tr_recvdecl {
    char *decl;          /* spelled "T v" */
    char *name;          /* v */
} tr_recvdecl;

typedef struct tr_map_seg {
    size_t spelled, source;   /* a run starting here maps 1:1 */
} tr_map_seg;

typedef struct tr_spelled {
    char *text;
    size_t len;
    tr_chan_type *chans;
    int nchans;
    tr_recvdecl *decls;
    int ndecls;
    tr_map_seg *map;
    size_t nmap;
    int extensions;      /* count of extension constructs found */
    int includes_gh;     /* an #include "*.gh" is present */
} tr_spelled;

int tr_prepass(tr_diag *d, const char *src, size_t len, tr_spelled *out);
void tr_spelled_free(tr_spelled *sp);
size_t tr_map_to_source(const tr_spelled *sp, size_t spelled_off);

#endif
