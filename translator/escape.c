/*
 * escape.c — escape analysis lite (SPEC §8): which locals must live on the
 * GC heap, which may stay on the stack, and which captures can be copies.
 *
 * The analysis is per function (its go blocks included), intra-procedural
 * and flow-insensitive.  Objects are the function's vars plus one VAR_NEW
 * object per goc_new call.  pts(o) is the set of objects whose address may
 * be stored somewhere in object o.  For an expression E, A(E) is the set of
 * objects whose address E's value may carry:
 *
 *   v (a local)      pts(v), plus v itself when v is an array (it decays)
 *   &L               the objects L may designate
 *   *E, E[i], E->f   the contents of A(E), and also A(E) when the element
 *                    or field may itself be an array that decays (E is not
 *                    declared here as a one-dimensional array or a pointer
 *                    to non-arrays; a field of that name is declared as an
 *                    array, or not declared in this file)
 *   E.f              A(E), plus the object E designates if f may be an array
 *   f(args)          the union over args (f may return one of them)
 *   goc_new(T)       its VAR_NEW object
 *   scalars, sizeof, literals, receives, make: nothing
 *
 * `L = R` and initialisers add A(R) to pts of the local L designates; a
 * store that is not into a local of the current context (a global, through
 * a pointer, into a var captured from an enclosing context) is a sink.  The
 * sinks are those of SPEC §8: a go call's arguments (and goc_go's and
 * pthread_create's), a channel send, such a store, and a return value; and
 * a go block's use of a captured var sinks A(var).  Iterating to a fixpoint, everything in A of
 * a sink escapes, and so does everything in pts of an escaping object.
 *
 * Types come from the declarations (enum var_shape): a scalar var holds no
 * address, nothing flows into it.  The sinks are pruned when the value is
 * a scalar: a send on a channel of a scalar element type, a return from a
 * function returning a scalar, and (once libclang has answered, stage 2) a
 * go call argument of arithmetic type.  A larger stage-1 answer is safe:
 * stage 1 only feeds libclang.
 *
 * Decisions:
 *   - an escaping var is boxed: copied to goc_alloc'ed memory right after
 *     its declaration, used through the box ever after ("moved to heap");
 *     a declaration that runs again (in a loop) makes a fresh box;
 *   - a var used by a go block is copied into the goroutine when it is a
 *     scalar, pointer or channel never assigned after its declaration,
 *     never address-taken, never passed to a function-like macro
 *     (libclang lists the macros), never named in code tree-sitter
 *     misread (analyze.c) and never written by a macro body that names it
 *     (macros.c) -- nothing can observe the copy -- else boxed;
 *     a `for` variable's own update clause does not count (Go 1.22: each
 *     iteration has its own variable, the update writes the next one);
 *   - a deferred block that uses a var of a nested block (its slot is dead
 *     or reused by a later iteration when the block runs at exit) captures
 *     it the same way, copy or box, in the defer record;
 *   - an escaping var that a macro names in its body (not as an argument)
 *     would be stale in its box (macros.c): it stays on the stack when
 *     only C's rules are at stake (no go block, deferred block or other
 *     goroutine reaches it: the sinks that share(), not only sink()), and
 *     is an error otherwise;
 *   - a goc_new object that does not escape, is not passed to a function
 *     (the callee may keep it: goc_new promises a heap lifetime, so unlike
 *     a local's address this counts), and is only held by vars of its own
 *     block becomes a compound literal in that block.
 */
#include "lower.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t word;

typedef struct esc {
    tr_unit *u;
    int fn;               /* the function's context */
    int v0, n, words;     /* its objects: vars [v0, v0 + n) */
    word *pts;            /* n rows of words */
    word *escapes;        /* one row */
    word *shared;         /* one row: what escapes to another goroutine or a deferred block */
    int ctx;              /* context being walked */
    int first;            /* first pass: count assignments, captures */
    uint32_t update_of;   /* walking the update clause of the for statement here */
    int in_defer;         /* walking a defer statement */
    int has_goto;         /* the function has a goto: blocks may be re-entered */
    int changed;
} esc;

#define ROW(s, l) ((s)->pts + (size_t)(l) * (size_t)(s)->words)

static int has(const word *r, int l) { return (r[l / 64] >> (l % 64)) & 1; }
static void add(word *r, int l) { r[l / 64] |= (word)1 << (l % 64); }

static word *row_new(esc *s) { return calloc((size_t)s->words + 1, sizeof(word)); }

static void row_or(esc *s, word *dst, const word *src)
{
    for (int i = 0; i < s->words; i++) {
        if (src[i] & ~dst[i]) s->changed = 1;
        dst[i] |= src[i];
    }
}

/* set |= pts of its members, to a fixpoint: everything reachable. */
static void close_over(esc *s, word *set)
{
    for (int again = 1; again;) {
        again = 0;
        for (int l = 0; l < s->n; l++)
            if (has(set, l))
                for (int i = 0; i < s->words; i++)
                    if (ROW(s, l)[i] & ~set[i]) { set[i] |= ROW(s, l)[i]; again = 1; }
    }
}

static void mark_escaping(esc *s, int l)
{
    if (has(s->escapes, l)) return;
    add(s->escapes, l);
    s->changed = 1;
}

static void mark_shared(esc *s, int l)
{
    mark_escaping(s, l);
    if (!has(s->shared, l)) { add(s->shared, l); s->changed = 1; }
}

/* The local object index of the var an identifier (or goc_new call) names,
 * or -1. */
static int local(esc *s, TSNode n)
{
    int v = tr_ref_lookup(s->u, ts_node_start_byte(n));
    if (v < s->v0 || v >= s->v0 + s->n) return -1;
    tr_var *x = &s->u->vars[v];
    return x->kind == VAR_CONST || x->is_static ? -1 : v - s->v0;   /* like globals */
}

static tr_var *var(esc *s, int l) { return &s->u->vars[s->v0 + l]; }

static TSNode field(TSNode n, const char *name)
{
    return ts_node_child_by_field_name(n, name, (uint32_t)strlen(name));
}

static int op_is(esc *s, TSNode n, const char *op)
{
    TSNode o = field(n, "operator");
    return !ts_node_is_null(o) && tr_text_is(s->u, o, op);
}

/* ---- A(E) and the objects an lvalue designates ------------------------------ */

static void addrs(esc *s, TSNode e, word *out);

/* A function-like macro, by libclang's list (stage 2 only). */
static int is_macro(esc *s, TSNode f)
{
    if (!s->u->types.asked || !tr_node_is(f, "identifier")) return 0;
    char *name = tr_node_text(s->u, f);
    int m = tr_is_macro(s->u, name);
    free(name);
    return m;
}

static void contents(esc *s, const word *set, word *out)
{
    for (int l = 0; l < s->n; l++)
        if (has(set, l))
            for (int i = 0; i < s->words; i++) out[i] |= ROW(s, l)[i];
}

/* A load through E: the contents of A(E), and A(E) itself when the value
 * loaded may be an array that decays to an address inside the object. */
static void through(esc *s, TSNode e, word *out, int may_be_array)
{
    word *t = row_new(s);
    addrs(s, e, t);
    contents(s, t, out);
    if (may_be_array)
        for (int i = 0; i < s->words; i++) out[i] |= t[i];
    free(t);
}

/* The fields this file's structs and unions declare, once per unit: for
 * each name, whether some declaration makes it an array. */
typedef struct tr_fields {
    char **names;
    char *array;
    int n;
} tr_fields;

static void collect_fields(tr_unit *u, TSNode n, tr_fields *f)
{
    if (tr_node_is(n, "field_declaration")) {
        uint32_t k = ts_node_named_child_count(n);
        for (uint32_t i = 0; i < k; i++) {
            TSNode d = ts_node_named_child(n, i), id = d;
            while (!ts_node_is_null(id) && !tr_node_is(id, "field_identifier"))
                id = ts_node_child_by_field_name(id, "declarator", 10);
            if (ts_node_is_null(id)) continue;
            f->names = realloc(f->names, sizeof *f->names * (size_t)(f->n + 1));
            f->array = realloc(f->array, (size_t)(f->n + 1));
            f->names[f->n] = tr_node_text(u, id);
            f->array[f->n++] = (char)tr_node_is(d, "array_declarator");
        }
    }
    uint32_t k = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < k; i++) collect_fields(u, ts_node_named_child(n, i), f);
}

/* Whether field f of some struct may be an array: unless every struct and
 * union of this file that declares a field of that name declares it as a
 * non-array (a field declared only in a header may be anything). */
static int field_may_be_array(esc *s, TSNode f)
{
    tr_unit *u = s->u;
    if (!u->fields) {
        u->fields = calloc(1, sizeof *u->fields);
        collect_fields(u, ts_tree_root_node(u->tree), u->fields);
    }
    int seen = 0, array = 0;
    for (int i = 0; i < u->fields->n; i++)
        if (tr_text_is(u, f, u->fields->names[i])) { seen = 1; array |= u->fields->array[i]; }
    return !seen || array;
}

void tr_fields_free(tr_fields *f)
{
    if (!f) return;
    for (int i = 0; i < f->n; i++) free(f->names[i]);
    free(f->names);
    free(f->array);
    free(f);
}

/* Whether E[i] may be an array: E is a multi-dimensional array, or of a
 * shape the declarations do not tell. */
static int element_may_be_array(esc *s, TSNode e)
{
    int l = tr_node_is(e, "identifier") ? local(s, e) : -1;
    if (l < 0) return 1;
    tr_var *x = var(s, l);
    return x->shape == SHAPE_OTHER || x->shape == SHAPE_CHAN || x->elem_array ||
           (x->shape == SHAPE_ARRAY && x->dims > 1);
}

/* The objects lvalue E designates into out; *nonlocal is set when E may
 * designate storage that is not a local of the current context. */
static void lvals(esc *s, TSNode e, word *out, int *nonlocal)
{
    const char *t = ts_node_type(e);
    if (!strcmp(t, "identifier")) {
        int l = local(s, e);
        if (l < 0) { *nonlocal = 1; return; }
        add(out, l);
        if (var(s, l)->ctx != s->ctx) *nonlocal = 1;   /* captured from outside */
        return;
    }
    if (!strcmp(t, "parenthesized_expression")) { lvals(s, ts_node_named_child(e, 0), out, nonlocal); return; }
    if (!strcmp(t, "field_expression") && op_is(s, e, ".")) { lvals(s, field(e, "argument"), out, nonlocal); return; }
    if (!strcmp(t, "subscript_expression")) {
        TSNode a = field(e, "argument");
        int l = tr_node_is(a, "identifier") ? local(s, a) : -1;
        if (l >= 0 && var(s, l)->shape == SHAPE_ARRAY) { lvals(s, a, out, nonlocal); return; }
        int ignored = 0;
        lvals(s, a, out, &ignored);   /* an array field or typedef'd array, perhaps */
        addrs(s, a, out);
        *nonlocal = 1;
        return;
    }
    if (!strcmp(t, "pointer_expression") || !strcmp(t, "field_expression")) {   /* *p, p->f */
        addrs(s, field(e, "argument"), out);
        *nonlocal = 1;
        return;
    }
    if (!strcmp(t, "compound_literal_expression")) return;
    *nonlocal = 1;
}

static int no_address(const char *t)
{
    static const char *const none[] = { "number_literal", "string_literal", "char_literal",
        "concatenated_string", "true", "false", "null", "sizeof_expression",
        "alignof_expression", "offsetof_expression", "type_descriptor", "comment", NULL };
    for (int i = 0; none[i]; i++)
        if (!strcmp(t, none[i])) return 1;
    return 0;
}

static void addrs(esc *s, TSNode e, word *out)
{
    const char *t = ts_node_type(e);
    if (no_address(t)) return;
    if (!strcmp(t, "identifier")) {
        int l = local(s, e);
        if (l < 0) return;
        if (var(s, l)->shape == SHAPE_ARRAY) add(out, l);
        for (int i = 0; i < s->words; i++) out[i] |= ROW(s, l)[i];
        return;
    }
    if (!strcmp(t, "pointer_expression")) {
        TSNode a = field(e, "argument");
        if (op_is(s, e, "&")) { int nl = 0; lvals(s, a, out, &nl); }
        else through(s, a, out, element_may_be_array(s, a));
        return;
    }
    if (!strcmp(t, "field_expression")) {
        TSNode a = field(e, "argument");
        int arr = field_may_be_array(s, field(e, "field"));
        if (op_is(s, e, "->")) { through(s, a, out, arr); return; }
        addrs(s, a, out);
        if (arr) { int nl = 0; lvals(s, a, out, &nl); }
        return;
    }
    if (!strcmp(t, "subscript_expression")) {
        TSNode a = field(e, "argument");
        through(s, a, out, element_may_be_array(s, a));
        return;
    }
    if (!strcmp(t, "call_expression")) {
        TSNode f = field(e, "function");
        if (tr_text_is(s->u, f, "__goc_new")) { int l = local(s, e); if (l >= 0) add(out, l); return; }
        if (tr_text_is(s->u, f, "__goc_recv") || tr_text_is(s->u, f, "__goc_make")) return;
        addrs(s, field(e, "arguments"), out);
        if (is_macro(s, f)) {   /* REF(x) may be &x: the objects it names */
            TSNode args = field(e, "arguments");
            uint32_t k = ts_node_named_child_count(args);
            for (uint32_t i = 0; i < k; i++) { int nl = 0; lvals(s, ts_node_named_child(args, i), out, &nl); }
        }
        return;
    }
    if (!strcmp(t, "assignment_expression") || !strcmp(t, "comma_expression")) {
        addrs(s, field(e, "right"), out);
        return;
    }
    if (!strcmp(t, "cast_expression")) { addrs(s, field(e, "value"), out); return; }
    uint32_t k = ts_node_named_child_count(e);
    for (uint32_t i = 0; i < k; i++) addrs(s, ts_node_named_child(e, i), out);
}

/* ---- flows and sinks -------------------------------------------------------- */

static void note_flowed(esc *s, const word *a)
{
    for (int l = 0; l < s->n; l++)
        if (has(a, l)) var(s, l)->flowed = 1;
}

static void sink(esc *s, const word *a)
{
    note_flowed(s, a);
    row_or(s, s->escapes, a);
}

/* A sink another goroutine reads from (a go block's capture, a go call's
 * arguments, a send), or a deferred block after the block it names ended:
 * what flows there is shared, not only past the frame (a C program may
 * keep that on the stack, see macros.c). */
static void share(esc *s, const word *a)
{
    sink(s, a);
    row_or(s, s->shared, a);
}

/* Into local object l's pts (or a sink when l is not a local of this
 * context); scalars hold no address. */
static void flow_into(esc *s, int l, const word *a)
{
    note_flowed(s, a);
    if (var(s, l)->shape == SHAPE_SCALAR) return;
    if (var(s, l)->ctx != s->ctx) { share(s, a); return; }
    row_or(s, ROW(s, l), a);
}

static void assign(esc *s, TSNode left, TSNode right)
{
    word *a = row_new(s), *dst = row_new(s);
    int nonlocal = 0;
    addrs(s, right, a);
    lvals(s, left, dst, &nonlocal);
    if (nonlocal) sink(s, a);
    else
        for (int l = 0; l < s->n; l++)
            if (has(dst, l)) flow_into(s, l, a);
    free(a);
    free(dst);
}

/* The var an assignment or ++/-- writes: its lvalue without a dereference. */
static int written(esc *s, TSNode e)
{
    for (;;) {
        const char *t = ts_node_type(e);
        if (!strcmp(t, "identifier")) return local(s, e);
        if (!strcmp(t, "parenthesized_expression")) e = ts_node_named_child(e, 0);
        else if (!strcmp(t, "field_expression") && op_is(s, e, ".")) e = field(e, "argument");
        else if (!strcmp(t, "subscript_expression")) {
            TSNode a = field(e, "argument");
            int l = tr_node_is(a, "identifier") ? local(s, a) : -1;
            if (l >= 0 && var(s, l)->shape != SHAPE_ARRAY) return -1;   /* p[i]: through p */
            e = a;
        } else return -1;
    }
}

/* A spelled type text that holds no address: only scalar keywords. */
static int scalar_text(const char *t)
{
    static const char *const words[] = { "int", "unsigned", "signed", "long", "short", "char",
        "float", "double", "_Bool", "bool", "const", "volatile", "size_t", "ssize_t", "int8_t",
        "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
        "ptrdiff_t", "_Complex", NULL };
    while (*t) {
        while (*t == ' ') t++;
        if (!*t) break;
        size_t n = 0;
        while (t[n] && t[n] != ' ') n++;
        int ok = 0;
        for (int i = 0; words[i] && !ok; i++) ok = strlen(words[i]) == n && !strncmp(t, words[i], n);
        if (!ok) return 0;
        t += n;
    }
    return 1;
}

static void send(esc *s, TSNode call)
{
    TSNode args = field(call, "arguments");
    TSNode c = ts_node_named_child(args, 0), v = ts_node_named_child(args, 1);
    int l = tr_node_is(c, "identifier") ? local(s, c) : -1;
    if (l >= 0 && var(s, l)->shape == SHAPE_CHAN &&
        scalar_text(s->u->sp->chans[var(s, l)->chan_id].elem))
        return;
    word *a = row_new(s);
    addrs(s, v, a);
    share(s, a);
    free(a);
}

/* Functions known not to keep a pointer argument past the call. */
static int keeps_nothing(esc *s, TSNode f)
{
    static const char *const names[] = { "printf", "fprintf", "sprintf", "snprintf", "vprintf",
        "vfprintf", "vsnprintf", "puts", "fputs", "putchar", "fputc", "fwrite", "fread", "scanf",
        "sscanf", "fscanf", "fgets", "memset", "memcmp", "strlen", "strcmp", "strncmp", "strcpy",
        "strncpy", "strcat", "strncat", "strchr", "strrchr", "strstr", "atoi", "atol", "qsort",
        "bsearch", "assert", "abort", "exit", "write", "read", NULL };
    if (!tr_node_is(f, "identifier")) return 0;
    char *t = tr_node_text(s->u, f);
    int ok = 0;
    for (int i = 0; names[i] && !ok; i++) ok = !strcmp(t, names[i]);
    /* the runtime's sync and channel calls copy values and keep no pointer */
    ok = ok || !strncmp(t, "goc_mutex_", 10) || !strncmp(t, "goc_rwmutex_", 12) ||
         !strncmp(t, "goc_waitgroup_", 14) ||
         (!strncmp(t, "goc_cond_", 9) && strcmp(t, "goc_cond_init")) || !strcmp(t, "goc_chan_recv") ||
         !strncmp(t, "goc_atomic", 10) || !strncmp(t, "atomic_", 7) || !strncmp(t, "__atomic_", 9) ||
         !strncmp(t, "__sync_", 7);
    free(t);
    return ok;
}

/* Arguments of an ordinary call: a goc_new object reachable from them
 * escapes (the callee may keep it: goc_new promises a heap lifetime);
 * locals do not (SPEC §8). */
/* memcpy(dst, src, n) and the raw channel sends copy what src points to:
 * into the local objects dst points to, or else into a sink. */
static void copy_contents(esc *s, TSNode dst, TSNode src)
{
    word *a = row_new(s), *c = row_new(s), *d = row_new(s);
    addrs(s, src, a);
    contents(s, a, c);
    int only_locals = 0;
    while (tr_node_is(dst, "cast_expression") || tr_node_is(dst, "parenthesized_expression"))
        dst = tr_node_is(dst, "cast_expression") ? field(dst, "value") : ts_node_named_child(dst, 0);
    if (!ts_node_is_null(dst) && tr_node_is(dst, "pointer_expression") && op_is(s, dst, "&")) {
        int nl = 0;
        lvals(s, field(dst, "argument"), d, &nl);
        only_locals = !nl;
    } else if (tr_node_is(dst, "identifier")) {
        int l = local(s, dst);
        if (l >= 0 && var(s, l)->shape == SHAPE_ARRAY) { add(d, l); only_locals = 1; }
    }
    if (only_locals) {
        for (int l = 0; l < s->n; l++)
            if (has(d, l)) flow_into(s, l, c);
    } else
        sink(s, c);
    free(a);
    free(c);
    free(d);
}

/* Calls that start code which may outlive the frame: their arguments are
 * a sink, like a go statement's. */
static int spawns(esc *s, TSNode f)
{
    static const char *const names[] = { "goc_go", "goc_go_at", "goc_go_copy_at", "pthread_create",
                                         "thrd_create", "goc_timer_after_func", NULL };
    for (int i = 0; names[i]; i++)
        if (tr_text_is(s->u, f, names[i])) return 1;
    return 0;
}

/* Arguments of an ordinary call: a goc_new object reachable from them
 * escapes (the callee may keep it: goc_new promises a heap lifetime);
 * locals do not (SPEC §8).  The callee may store any argument's addresses
 * through a `&v` argument (strtol's end pointer, out-parameters). */
static void call_args(esc *s, TSNode call)
{
    TSNode f = field(call, "function");
    int spawn = spawns(s, f);
    if (tr_text_is(s->u, f, "memcpy") || tr_text_is(s->u, f, "memmove")) {
        copy_contents(s, tr_call_arg(call, 0), tr_call_arg(call, 1));
        return;
    }
    if (tr_text_is(s->u, f, "goc_chan_send") || tr_text_is(s->u, f, "goc_chan_try_send")) {
        word *a = row_new(s), *c = row_new(s);
        addrs(s, tr_call_arg(call, 1), a);
        contents(s, a, c);
        share(s, c);
        free(a);
        free(c);
        return;
    }
    if (!spawn && keeps_nothing(s, f)) return;
    word *a = row_new(s);
    addrs(s, field(call, "arguments"), a);
    if (spawn) { share(s, a); free(a); return; }
    note_flowed(s, a);
    TSNode args = field(call, "arguments");
    uint32_t na = ts_node_named_child_count(args);
    for (uint32_t i = 0; i < na; i++) {   /* out-parameters */
        TSNode x = ts_node_named_child(args, i);
        if (!tr_node_is(x, "pointer_expression") || !op_is(s, x, "&")) continue;
        word *d = row_new(s);
        int nl = 0;
        lvals(s, field(x, "argument"), d, &nl);
        for (int l = 0; l < s->n; l++)
            if (has(d, l)) flow_into(s, l, a);
        free(d);
    }
    close_over(s, a);
    for (int l = 0; l < s->n; l++)
        if (has(a, l) && var(s, l)->kind == VAR_NEW) mark_escaping(s, l);
    free(a);
}

static void go_call(esc *s, TSNode stmt)
{
    TSNode call = tr_stmt_call(tr_label_body(stmt));
    if (ts_node_is_null(call)) return;
    uint32_t id = ts_node_start_byte(stmt);
    word *a = row_new(s);
    addrs(s, field(call, "function"), a);
    TSNode args = field(call, "arguments");
    uint32_t n = ts_node_named_child_count(args), k = 0;
    for (uint32_t i = 0; i < n; i++) {
        TSNode arg = ts_node_named_child(args, i);
        if (tr_node_is(arg, "comment")) continue;
        char probe[64];
        snprintf(probe, sizeof probe, "__goc_gc%u_%u", id, k++);
        if (s->u->types.asked && tr_type_is_arithmetic(s->u, probe)) continue;
        addrs(s, arg, a);
    }
    share(s, a);
    free(a);
}

static int returns_scalar(esc *s)
{
    tr_ctx *c = &s->u->ctxs[s->ctx];
    if (c->is_go) return 1;   /* the value is discarded */
    TSNode d = field(c->fn, "declarator");
    if (!tr_node_is(d, "function_declarator")) return 0;   /* returns a pointer */
    TSNode type = field(c->fn, "type");
    if (tr_node_is(type, "primitive_type"))
        return !tr_text_is(s->u, type, "intptr_t") && !tr_text_is(s->u, type, "uintptr_t");
    return tr_node_is(type, "sized_type_specifier") || tr_node_is(type, "enum_specifier");
}

/* ---- the walk -------------------------------------------------------------- */

static void walk(esc *s, TSNode n);

static void walk_children(esc *s, TSNode n)
{
    uint32_t k = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < k; i++) walk(s, ts_node_named_child(n, i));
}

static int in_ctx_body(esc *s, tr_var *x)
{
    TSNode body = s->u->ctxs[x->ctx].body;
    return x->kind == VAR_PARAM ||
           (x->kind == VAR_DECL && x->scope_from == ts_node_start_byte(body));
}

/* The first pass notes which vars of nested blocks a deferred block uses. */
static void defer_uses(esc *s, TSNode block, TSNode n, tr_dcap *dc)
{
    if (tr_node_is(n, "identifier") || tr_node_is(n, "type_identifier")) {   /* a use (analyze.c) */
        int l = local(s, n);
        if (l < 0) return;
        tr_var *x = var(s, l);
        if (x->kind == VAR_NEW || x->ctx != s->ctx || in_ctx_body(s, x)) return;
        if (x->pos >= ts_node_start_byte(block) && x->pos < ts_node_end_byte(block)) return;
        for (int i = 0; i < dc->n; i++)
            if (dc->vars[i] == s->v0 + l) return;
        dc->vars = realloc(dc->vars, sizeof *dc->vars * (size_t)(dc->n + 1));
        dc->vars[dc->n++] = s->v0 + l;
        x->cap_defer = 1;
        return;
    }
    uint32_t k = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < k; i++) defer_uses(s, block, ts_node_named_child(n, i), dc);
}

/* What a deferred call or block uses runs at the function's exit, after
 * the nested blocks it was written in have ended (or been re-entered by a
 * later iteration): objects of those blocks that it reaches escape. */
static void defer_sink(esc *s, const word *a)
{
    TSNode body = s->u->ctxs[s->ctx].body;
    for (int l = 0; l < s->n; l++) {
        if (!has(a, l)) continue;
        tr_var *x = var(s, l);
        int nested = x->kind == VAR_NEW ? x->scope_from != ts_node_start_byte(body) : !in_ctx_body(s, x);
        if (nested) mark_shared(s, l);
    }
}

static void defer_stmt(esc *s, TSNode n)
{
    TSNode body = tr_label_body(n);
    if (s->first && tr_node_is(body, "compound_statement")) {
        tr_unit *u = s->u;
        tr_dcap dc = { ts_node_start_byte(body), NULL, 0 };
        defer_uses(s, body, body, &dc);
        if (dc.n) {
            u->dcaps = realloc(u->dcaps, sizeof *u->dcaps * (size_t)(u->ndcaps + 1));
            u->dcaps[u->ndcaps++] = dc;
        }
    }
    if (!tr_node_is(body, "compound_statement")) {   /* defer f(args): args used at the exit */
        TSNode call = tr_stmt_call(body);
        if (!ts_node_is_null(call)) {
            word *a = row_new(s);
            addrs(s, field(call, "function"), a);
            addrs(s, field(call, "arguments"), a);
            defer_sink(s, a);
            free(a);
        }
    }
    s->in_defer++;
    walk_children(s, n);
    s->in_defer--;
}

/* A write to the var l: the update clause of a `for` does not count for
 * the loop's own vars (it writes the next iteration's copy). */
static void count_write(esc *s, int l, int *field_of)
{
    if (!s->first) return;
    tr_var *x = var(s, l);
    if (field_of == &x->assigned && x->kind == VAR_FOR && x->scope_from == s->update_of) return;
    (*field_of)++;
}

static void for_stmt(esc *s, TSNode n)
{
    TSNode update = field(n, "update");
    uint32_t k = ts_node_named_child_count(n), saved = s->update_of;
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_named_child(n, i);
        s->update_of = ts_node_eq(c, update) ? ts_node_start_byte(n) : UINT32_MAX;
        walk(s, c);
    }
    s->update_of = saved;
}

/* The vars named in a function-like macro's arguments: the macro may
 * assign them, so they are never captured by copy. */
static void macro_args(esc *s, TSNode n)
{
    if (tr_node_is(n, "identifier")) {
        int l = local(s, n);
        if (l >= 0) var(s, l)->macro_arg = 1;
        return;
    }
    uint32_t k = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < k; i++) macro_args(s, ts_node_named_child(n, i));
}

static void walk(esc *s, TSNode n)
{
    if (ts_node_is_null(n)) return;
    tr_where_at(ts_node_start_byte(n));
    tr_unit *u = s->u;
    const char *t = ts_node_type(n);
    if (!strcmp(t, "identifier") || !strcmp(t, "type_identifier")) {   /* a use, if analyze.c found one */
        int l = local(s, n);
        if (l >= 0 && var(s, l)->ctx != s->ctx && var(s, l)->kind != VAR_NEW) {   /* captured */
            word *a = row_new(s);
            addrs(s, n, a);
            share(s, a);
            free(a);
        } else if (l >= 0 && s->in_defer) {   /* read at the exit */
            word *a = row_new(s);
            addrs(s, n, a);
            defer_sink(s, a);
            free(a);
        }
        return;
    }
    if (!strcmp(t, "labeled_statement") && tr_label_is(u, n, "__goc_go")) {
        TSNode body = tr_label_body(n);
        if (tr_node_is(body, "compound_statement")) {
            int g = tr_ctx_of_go(u, body), saved = s->ctx;
            if (g >= 0) s->ctx = g;
            walk_children(s, body);
            s->ctx = saved;
            return;
        }
        go_call(s, n);
    }
    if (!strcmp(t, "labeled_statement") && tr_label_is(u, n, "__goc_defer")) { defer_stmt(s, n); return; }
    if (!strcmp(t, "for_statement")) { for_stmt(s, n); return; }
    if (!strcmp(t, "init_declarator")) {
        int is_fn = 0;
        TSNode id = tr_declarator_name(field(n, "declarator"), &is_fn);
        int l = ts_node_is_null(id) ? -1 : local(s, id);
        TSNode value = field(n, "value");
        if (l >= 0 && !ts_node_is_null(value)) {
            word *a = row_new(s);
            addrs(s, value, a);
            flow_into(s, l, a);
            free(a);
        }
        walk(s, value);
        return;
    }
    if (!strcmp(t, "assignment_expression")) {
        TSNode left = field(n, "left");
        assign(s, left, field(n, "right"));
        int l = written(s, left);
        if (l >= 0) count_write(s, l, &var(s, l)->assigned);
    } else if (!strcmp(t, "update_expression")) {
        int l = written(s, field(n, "argument"));
        if (l >= 0) count_write(s, l, &var(s, l)->assigned);
    } else if (!strcmp(t, "pointer_expression") && op_is(s, n, "&")) {
        int l = written(s, field(n, "argument"));
        if (l >= 0) count_write(s, l, &var(s, l)->addr);
    } else if (!strcmp(t, "return_statement")) {
        TSNode value = ts_node_named_child(n, 0);
        if (!ts_node_is_null(value) && !tr_node_is(value, "comment") && !returns_scalar(s)) {
            word *a = row_new(s);
            addrs(s, value, a);
            sink(s, a);
            free(a);
        }
    } else if (!strcmp(t, "call_expression")) {
        TSNode f = field(n, "function");
        if (u->types.asked && tr_node_is(f, "identifier")) {
            char *name = tr_node_text(u, f);
            if (tr_is_macro(u, name)) macro_args(s, field(n, "arguments"));
            free(name);
        }
        if (tr_text_is(u, f, "__goc_recvok"))   /* v, ok = <-c writes v and ok */
            for (uint32_t i = 0; i < 2; i++) {
                int l = written(s, tr_call_arg(n, i));
                if (l >= 0) count_write(s, l, &var(s, l)->assigned);
            }
        if (tr_text_is(u, f, "__goc_send")) send(s, n);
        else if (!tr_text_is(u, f, "__goc_new") && !tr_text_is(u, f, "__goc_recv") &&
                 !tr_text_is(u, f, "__goc_recvok") && !tr_text_is(u, f, "__goc_make"))
            call_args(s, n);
    } else if (!strcmp(t, "field_expression")) {
        walk(s, field(n, "argument"));   /* not the field name */
        return;
    }
    walk_children(s, n);
}

/* ---- decisions ----------------------------------------------------------- */

static int copyable(tr_var *x)
{
    return (x->shape == SHAPE_SCALAR || x->shape == SHAPE_POINTER || x->shape == SHAPE_CHAN) &&
           !x->assigned && !x->addr && !x->macro_arg && !x->misread && !x->macro_writes && !x->escapes &&
           x->kind != VAR_CASE;
}

/* A goc_new object stays in its block when no var outside the block, and
 * none a deferred block reaches after the block ended, may hold it. */
static int new_escapes(esc *s, int l)
{
    tr_var *o = var(s, l);
    if (has(s->escapes, l)) return 1;
    for (int w = 0; w < s->n; w++) {
        tr_var *x = var(s, w);
        if (!has(ROW(s, w), l)) continue;
        if (x->scope_from < o->scope_from || x->scope_to > o->scope_to || x->cap_defer || x->boxed)
            return 1;
    }
    return 0;
}

static void decide(esc *s)
{
    for (int l = 0; l < s->n; l++) {
        tr_var *x = var(s, l);
        x->escapes = has(s->escapes, l);
        if (x->kind == VAR_NEW || x->kind == VAR_CONST) continue;
        if (x->is_static) {   /* captured through its fixed address */
            x->escapes = x->cap_copy = 0;
            x->boxed = x->cap_go || x->cap_defer;
            continue;
        }
        int captured = x->cap_go || x->cap_defer, writes;
        if (captured) tr_macros_naming(s->u, s->v0 + l, &writes);   /* sets macro_writes */
        x->cap_copy = captured && copyable(x);
        x->boxed = x->escapes || (captured && !x->cap_copy);
        /* a macro would read the stale local (macros.c): when only C's
         * rules are at stake, the var stays where C puts it */
        x->macro_stack = x->boxed && !captured && !has(s->shared, l) && tr_macros_stale(s->u, s->v0 + l);
        if (x->macro_stack) x->boxed = 0;
    }
    for (int l = 0; l < s->n; l++)
        if (var(s, l)->kind == VAR_NEW) var(s, l)->escapes = s->has_goto || new_escapes(s, l);
}

/* Code tree-sitter misread (analyze.c) may store an address that a var
 * it names holds, or the address of one it names after a `&`, in any of
 * them: all of that flows into each (a sink when one is captured from an
 * enclosing context, flow_into).  Like a macro call's, its other effects
 * are not modelled: a store of an address into a global, or of a var's
 * address that it takes inside a macro. */
static void misread_flows(esc *s)
{
    word *a = row_new(s);
    int any = 0;
    for (int l = 0; l < s->n; l++)
        if (var(s, l)->misread && var(s, l)->kind != VAR_NEW) {
            if (var(s, l)->misread_addr) add(a, l);
            for (int i = 0; i < s->words; i++) a[i] |= ROW(s, l)[i];
            any = 1;
        }
    for (int l = 0; any && l < s->n; l++)
        if (var(s, l)->misread && var(s, l)->kind != VAR_NEW) {
            int saved = s->ctx;
            s->ctx = var(s, l)->ctx;   /* the var's own context: not a capture */
            flow_into(s, l, a);
            s->ctx = saved;
        }
    free(a);
}

/* A goto may re-enter a block without leaving it: the same compound
 * literal would then serve two goc_new calls. */
static int has_goto(TSNode n)
{
    if (tr_node_is(n, "goto_statement")) return 1;
    uint32_t k = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < k; i++)
        if (has_goto(ts_node_named_child(n, i))) return 1;
    return 0;
}

static void analyse_function(tr_unit *u, int fn, int v0, int v1, int first)
{
    esc s = { .u = u, .fn = fn, .v0 = v0, .n = v1 - v0, .ctx = fn, .update_of = UINT32_MAX };
    s.words = (s.n + 63) / 64;
    if (!s.n) return;
    s.pts = calloc((size_t)s.n * (size_t)s.words + 1, sizeof(word));
    s.escapes = row_new(&s);
    s.shared = row_new(&s);
    s.first = first;
    TSNode body = u->ctxs[fn].body;
    s.has_goto = has_goto(body);
    do {
        s.changed = 0;
        walk(&s, body);
        misread_flows(&s);
        s.first = 0;
        close_over(&s, s.escapes);   /* what an escaping object holds escapes */
        close_over(&s, s.shared);
    } while (s.changed);
    decide(&s);
    free(s.pts);
    free(s.escapes);
    free(s.shared);
}

const tr_dcap *tr_dcap_of(tr_unit *u, uint32_t block)
{
    for (int i = 0; i < u->ndcaps; i++)
        if (u->dcaps[i].block == block) return &u->dcaps[i];
    return NULL;
}

/* ---- the -m report -------------------------------------------------------- */

typedef struct line {
    size_t off;
    int seq;
    char *text;
} line;

static int line_cmp(const void *a, const void *b)
{
    const line *x = a, *y = b;
    if (x->off != y->off) return x->off < y->off ? -1 : 1;
    return x->seq - y->seq;
}

static void say(line **ls, int *n, size_t off, char *text)
{
    *ls = realloc(*ls, sizeof **ls * (size_t)(*n + 1));
    (*ls)[*n] = (line){ off, *n, text };
    (*n)++;
}

static char *fmt(const char *f, const char *a)
{
    char *s = NULL;
    if (asprintf(&s, f, a) < 0) abort();
    return s;
}

/* -m -m: one line with the counts, after the decisions. */
static void summary(tr_unit *u, line **ls, int *n)
{
    int locals = 0, moved = 0, copies = 0, refs = 0, new_stack = 0, new_heap = 0;
    for (int v = 0; v < u->nvars; v++) {
        tr_var *x = &u->vars[v];
        if (x->kind == VAR_NEW) { x->escapes ? new_heap++ : new_stack++; continue; }
        if (x->kind == VAR_CONST || x->is_static) continue;
        locals++;
        moved += x->boxed;
        if (x->cap_go || x->cap_defer) x->cap_copy ? copies++ : refs++;
    }
    char *text = NULL;
    if (asprintf(&text, "summary: %d locals, %d on the stack, %d moved to heap; captures: %d by value,"
                        " %d by reference; goc_new: %d on the stack, %d on the heap",
                 locals, locals - moved, moved, copies, refs, new_stack, new_heap) < 0)
        abort();
    say(ls, n, u->diag->len, text);
}

void tr_escape_report(tr_unit *u)
{
    line *ls = NULL;
    int n = 0;
    for (int v = 0; v < u->nvars; v++) {
        tr_var *x = &u->vars[v];
        size_t at = tr_src_off(u, x->pos);
        if (x->kind == VAR_NEW)
            say(&ls, &n, at, fmt(x->escapes ? "%s escapes to heap" : "%s does not escape", x->name));
        else if (x->kind == VAR_CONST || x->is_static)
            continue;
        else if (x->boxed)
            say(&ls, &n, at, fmt("moved to heap: %s", x->name));
        else if (x->macro_stack) {
            const char *m;
            int len = (int)tr_macros_use(u, x, &m);
            char *text = NULL;
            if (asprintf(&text, "%s stays on the stack: the macro '%.*s' names it", x->name, len, m) < 0) abort();
            say(&ls, &n, at, text);
        }
        else if (x->addr || (x->shape == SHAPE_ARRAY && x->flowed))
            say(&ls, &n, at, fmt("%s does not escape", x->name));
    }
    for (int c = 0; c < u->nctxs; c++) {
        tr_ctx *g = &u->ctxs[c];
        if (!g->is_go) continue;
        size_t at = tr_src_off(u, ts_node_start_byte(ts_node_parent(g->body)));
        for (int i = 0; i < g->ncaps; i++) {
            tr_var *x = &u->vars[g->caps[i]];
            if (x->ctx != g->parent) continue;   /* nested blocks: reported where it is first captured */
            say(&ls, &n, at, fmt(x->cap_copy ? "%s captured by value by a go block"
                                             : "%s captured by a go block", x->name));
        }
    }
    for (int d = 0; d < u->ndcaps; d++) {
        TSNode root = ts_tree_root_node(u->tree);
        TSNode b = ts_node_descendant_for_byte_range(root, u->dcaps[d].block, u->dcaps[d].block + 1);
        while (!ts_node_is_null(b) && !tr_node_is(b, "labeled_statement")) b = ts_node_parent(b);
        size_t at = tr_src_off(u, ts_node_is_null(b) ? u->dcaps[d].block : ts_node_start_byte(b));
        for (int i = 0; i < u->dcaps[d].n; i++) {
            tr_var *x = &u->vars[u->dcaps[d].vars[i]];
            say(&ls, &n, at, fmt(x->cap_copy ? "%s captured by value by a deferred block"
                                             : "%s captured by a deferred block", x->name));
        }
    }
    if (u->opt->escape_report > 1) summary(u, &ls, &n);
    qsort(ls, (size_t)n, sizeof *ls, line_cmp);
    for (int i = 0; i < n; i++) {
        int lno, col;
        tr_line_col(u->diag->src, ls[i].off, &lno, &col);
        if (ls[i].off == u->diag->len) fprintf(stderr, "%s: %s\n", u->opt->in_path, ls[i].text);
        else fprintf(stderr, "%s:%d:%d: %s\n", u->opt->in_path, lno, col, ls[i].text);
        free(ls[i].text);
    }
    free(ls);
}

void tr_escape(tr_unit *u, int first)
{
    if (first)
        for (int v = 0; v < u->nvars; v++) u->vars[v].assigned = u->vars[v].addr = 0;
    else
        for (int v = 0; v < u->nvars; v++) u->vars[v].flowed = 0;
    /* a function's vars are contiguous: analyze.c walks it in one go */
    for (int v = 0; v < u->nvars;) {
        int fn = u->ctxs[u->vars[v].ctx].top, w = v;
        while (w < u->nvars && u->ctxs[u->vars[w].ctx].top == fn) w++;
        analyse_function(u, fn, v, w, first);
        v = w;
    }
    free(u->boxed);
    u->boxed = malloc(sizeof *u->boxed * (size_t)(u->nvars + 1));
    u->nboxed = 0;
    for (int v = 0; v < u->nvars; v++) {
        if (u->vars[v].boxed) u->boxed[u->nboxed++] = v;
        /* a copy needs libclang's word that no macro writes the var */
        if (first && u->vars[v].cap_copy) u->type_questions++;
    }
}
