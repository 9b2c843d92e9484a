/*
 * lower.h — the translator's internal state, shared by the analysis
 * (analyze.c), the emitter (lower.c, lower_select.c) and the type queries
 * (types_clang.c).
 *
 * Glossary
 *   spelled text  the pre-pass output (valid C), what tree-sitter parses;
 *                 node offsets are offsets into it.
 *   context       a function body, or a go block (which becomes a function
 *                 of its own, a "thunk", at the end of the output).
 *   var           a local or parameter.  A var used by a go block of another
 *                 context is boxed: copied to the heap right after its
 *                 declaration and used through the box ever after.
 *   stage 1       the output with go thunks left out and probes in their
 *                 place, parsed by libclang to learn the types thunks need.
 *   stage 2       the real output.
 */
#ifndef TR_LOWER_H
#define TR_LOWER_H

#include "diag.h"
#include "prepass.h"
#include "translate.h"

#include <stdint.h>
#include <tree_sitter/api.h>

typedef struct tr_buf {
    char *s;
    size_t n, cap;
} tr_buf;

void tr_buf_add(tr_buf *b, const char *s, size_t n);
void tr_buf_puts(tr_buf *b, const char *s);
void tr_buf_printf(tr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tr_buf_c_string(tr_buf *b, const char *s);

/* VAR_NEW is not a variable but a goc_new(T) call: an object the escape
 * analysis places on the stack or the heap like a variable.  VAR_CONST is
 * an enumeration constant or a typedef name declared in a function: only
 * a name that may shadow a variable. */
enum var_kind { VAR_DECL, VAR_PARAM, VAR_FOR, VAR_RANGE, VAR_CASE, VAR_NEW, VAR_CONST };

/* What the declaration says of a var's type (analyze.c), for the escape
 * analysis: a scalar cannot hold an address; a scalar, pointer or channel
 * that is never assigned after its declaration may be captured by copy. */
enum var_shape { SHAPE_OTHER, SHAPE_SCALAR, SHAPE_POINTER, SHAPE_CHAN, SHAPE_ARRAY };

typedef struct tr_var {
    char *name;
    int ctx;              /* declaring context */
    enum var_kind kind;
    enum var_shape shape;
    int dims;             /* SHAPE_ARRAY: its dimensions */
    int elem_array;       /* v[i] / *v may itself be an array (SHAPE_POINTER) */
    int is_static;        /* static, extern or thread-local: one fixed address */
    int self_ref;         /* named in its own declaration (`int x, *p = &x;`) */
    int boxed;            /* lives in a heap box (escape.c decides) */
    int cap_go;           /* used by a go block of another context */
    int cap_defer;        /* used by a defer block after its block ended */
    int cap_copy;         /* captured by copy (never changes after its declaration) */
    int chan_id;          /* SHAPE_CHAN: the prepass's channel type number */
    int escapes;          /* escape.c: reachable by another goroutine or after return */
    int assigned;         /* assignments, ++/-- after the declaration */
    int addr;             /* &v taken */
    int macro_arg;        /* passed to a function-like macro (which may write it) */
    int misread;          /* named in code tree-sitter misread (analyze.c): may be
                             written or have its address taken there */
    int misread_addr;     /* ... after a `&` there */
    int macro_checked;    /* macros.c has looked for macros that name it: */
    uint32_t macro_use;   /* spelled offset + 1 of the first use of one in its range, or 0 */
    int macro_writes;     /* one may write it */
    int macro_stack;      /* escape.c: escapes, but stays on the stack for such a macro */
    int flowed;           /* its address took part in a flow (for the report) */
    uint32_t pos;         /* spelled offset of its name (or of goc_new) */
    uint32_t scope_from, scope_to;   /* the block it lives in */
    uint32_t box_from, box_to;   /* spelled range where uses go through the box */
    uint32_t decl_end;    /* end of the declaration statement (VAR_DECL) */
} tr_var;

/* Variables a defer block captures: those of nested blocks, whose stack
 * slots are gone (or reused by later iterations) when it runs at exit. */
typedef struct tr_dcap {
    uint32_t block;       /* spelled offset of the deferred block */
    int *vars;
    int n;
} tr_dcap;

typedef struct tr_ctx {
    int parent;           /* -1 for a function */
    int top;              /* the top-level function context */
    TSNode body;          /* compound statement */
    TSNode fn;            /* function_definition (functions only) */
    int is_go;
    int has_defer;
    int id;               /* go thunk number */
    int *caps;            /* captured vars */
    int ncaps;
} tr_ctx;

typedef struct tr_types {     /* name -> type spelling, from libclang */
    char **names, **types;
    char *arith;              /* the type is a builtin arithmetic type or an enum */
    char *chan;               /* the type is a channel handle (goc_lang.h) */
    int n;
    char **macros;            /* function-like macros expanded in the file */
    int nmacros;
    int asked;                /* libclang has answered */
    int errors;               /* errors libclang found in the stage-1 output */
} tr_types;

typedef struct tr_unit {
    const tr_options *opt;
    tr_diag *diag;
    tr_spelled *sp;
    const char *s;            /* spelled text */
    TSTree *tree;
    tr_var *vars;
    int nvars;
    int *boxed;               /* indices of the boxed vars, in declaration order */
    int nboxed;
    int type_questions;       /* go thunks and close/len/cap calls that need libclang */
    struct tr_fields *fields; /* escape.c's table of struct fields */
    struct tr_macros *macros; /* macros.c: this file's #defines and the names they use */
    char **array_typedefs;    /* typedef names of array types in this file */
    int narray_typedefs;
    uint32_t *go_calls;       /* stage 2: (thunk id, function context) of go calls, for names */
    int ngo_calls;
    tr_dcap *dcaps;           /* defer blocks with captures */
    int ndcaps;
    tr_ctx *ctxs;
    int nctxs;
    /* identifier start offset -> var index + 1 (open addressing) */
    uint32_t *ref_key;
    int *ref_val;
    size_t ref_cap, ref_used;
    /* emission */
    int stage;                /* 1 or 2 */
    tr_types types;
    tr_buf pre;               /* file-scope text for the current top function */
    tr_buf post;              /* thunks appended at the end */
    int counter;
    struct tr_main *mains;    /* the definitions of main (translate.c) */
    int nmains;
    tr_token *dirs;           /* the preprocessor directives, in order (translate.c) */
    size_t ndirs;
    size_t goc_lang_at;       /* where the output includes goc_lang.h (translate.c) */
    int marks;                /* stage 2: column marks in the output (colmap.c) */
    int crash_test;           /* GOC_TEST_TRANSLATOR_CRASH: crash at the first go statement
                                 of stage 2 (tests of the crash report, crash.c) */
} tr_unit;

/* analyze.c */
void tr_analyze(tr_unit *u);
void tr_collect_array_typedefs(tr_unit *u, TSNode root);
int tr_ref_lookup(tr_unit *u, uint32_t off);
int tr_ctx_of_go(tr_unit *u, TSNode block);

/* escape.c: decides boxed/cap_copy/escapes and the defer captures; run
 * after tr_analyze (first = 1) and again when libclang's types are known
 * (they only remove flows: a scalar argument of a go call carries no
 * address).
 * tr_escape_report prints the decisions (goc build -m). */
void tr_escape(tr_unit *u, int first);
void tr_escape_report(tr_unit *u);   /* goc build -m */
const tr_dcap *tr_dcap_of(tr_unit *u, uint32_t block);
void tr_fields_free(struct tr_fields *f);

/* A header of main, which the output renames __goc_user_main (translate.c
 * finds them, lower.c renames them): the spelled offset of its name, its
 * parameter count.  Several when #if branches hold one each. */
typedef struct tr_main {
    uint32_t name;
    int params;
} tr_main;

/* translate.c: whether the identifier at spelled offset off names main */
int tr_is_main(const tr_unit *u, uint32_t off);
/* translate.c: where the file-scope text a function needs goes when an
 * #if/#else splits its header: the #if line of the outermost conditional
 * open at spelled offset from (the function's start) and closed before to
 * (its end); from when there is none. */
uint32_t tr_split_header_start(const tr_unit *u, uint32_t from, uint32_t to);

/* macros.c: whether a macro that names var v (by name, not as an
 * argument) is used in v's range, and whether one may write it; the
 * error for a var that goc's rules move to the heap although one names
 * it. */
int tr_macros_naming(tr_unit *u, int v, int *writes);
int tr_macros_stale(tr_unit *u, int v);        /* named, and may change after its box */
size_t tr_macros_use(tr_unit *u, const tr_var *x, const char **name);   /* the macro's name */
void tr_macros_check(tr_unit *u);
void tr_macros_free(struct tr_macros *m);

/* lower.c */
void tr_emit_unit(tr_unit *u, tr_buf *out);

/* colmap.c: column marks.  With u->marks set, the emitter puts marks in
 * its output, TR_MARK KIND [DIGITS] TR_MARK_END, KIND one of
 *   V n  a verbatim copy of spelled text from offset n starts here
 *   E    the verbatim copy ends (generated text follows)
 *   G n  a lowered construct at spelled offset n starts (a stack)
 *   P    it ends
 *   A n  the generated text that follows stands for spelled offset n
 * Generated text maps to the innermost construct, or, outside of any, to
 * where the last verbatim copy ended.  tr_colmap_build strips the marks
 * and keeps what they said as a tr_colmap.  Marks are on only when the
 * spelled text holds no TR_MARK byte. */
#define TR_MARK '\x01'
#define TR_MARK_END '\x02'
tr_colmap *tr_colmap_build(tr_buf *text, const tr_spelled *sp, const char *src, size_t len,
                           const char *path);
/* Appends a mark (lower.c); with_at: it carries the offset at. */
void tr_buf_mark(tr_buf *o, char kind, uint32_t at, int with_at);
void tr_colmap_name(tr_colmap *m, const char *internal, const char *shown);

/* types_clang.c */
void tr_clang_types(tr_unit *u, const char *text, size_t len, tr_types *out);
const char *tr_type_of(tr_unit *u, const char *name);
int tr_is_macro(tr_unit *u, const char *name);
int tr_type_is_arithmetic(tr_unit *u, const char *name);
/* Whether the probe `name` has a channel type (T (**)[1], the middle
 * pointer possibly qualified; any T, channels of channels included). */
int tr_type_is_chan(tr_unit *u, const char *name);

/* helpers over nodes */
static inline const char *tr_node_type(TSNode n) { return ts_node_type(n); }
int tr_node_is(TSNode n, const char *type);
int tr_text_is(tr_unit *u, TSNode n, const char *s);
char *tr_node_text(tr_unit *u, TSNode n);
int tr_label_is(tr_unit *u, TSNode labeled, const char *name);
TSNode tr_label_body(TSNode labeled);               /* its statement, comments skipped */
TSNode tr_call_arg(TSNode call, uint32_t i);        /* comments skipped; null past the end */
uint32_t tr_call_nargs(TSNode call);
TSNode tr_stmt_call(TSNode stmt);                   /* `f(x);` -> the call, else null */
TSNode tr_declarator_name(TSNode d, int *is_function);
TSNode tr_fn_declarator(TSNode fn);                 /* null: a misread macro use, no function */
size_t tr_src_off(tr_unit *u, uint32_t spelled_off);

#endif
