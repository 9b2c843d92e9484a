/*
 * analyze.c — pass 1 over the tree: scopes, contexts and captures.
 *
 * Walks every function with a stack of scopes (compound statements, for
 * headers, select cases, go blocks), records which var each identifier
 * refers to (declarators included), and marks a var captured when an
 * identifier in a go block refers to a var of an enclosing context.  Every
 * context between the use and the declaration captures the var (nested go
 * blocks pass it along).  It also notes what each declaration says of the
 * var's type (enum var_shape) and its block, and makes a VAR_NEW object for
 * each goc_new call.  Whether a var is boxed, copied or left alone is
 * escape.c's decision.
 *
 * Misread code.  Tree-sitter does not expand macros, so it misreads code
 * around many macro uses: ERROR nodes, a statement read as a declaration
 * (`put(cast(State *, 0), p, 42);` declares `cast`, with a parameter of
 * type `p`), a cast read for a parenthesised name.  A boxed var is used
 * through its box everywhere, so every token that may name it must be
 * found there too, or the code reads and writes the stale local:
 *   - in an ERROR node, an expression or a statement that holds an error,
 *     a declaration with an error in its declarators (which declares
 *     nothing: misread_declaration), and the head of a function
 *     definition without a function declarator (`vmcase(OP_MOVE) {`,
 *     tr_fn_declarator), every identifier and type_identifier is a use,
 *     unless it follows `.`, `->`, `struct`, `union`, `enum` or `goto` (a
 *     member, a tag, a label);
 *   - anywhere, a type_identifier that names a var in scope is that var:
 *     C hides a typedef name in the scope of a var of the same name, and a
 *     typedef declared in the function hides the var in turn (it is
 *     recorded as a VAR_CONST, a name that only shadows).
 * A var named in misread code is marked misread: that code may assign it
 * or take its address, so escape.c never copies it, and lets the
 * addresses such vars hold, and theirs where `&` stands before them
 * (misread_addr), flow between them.  Names inside macro bodies are
 * macros.c's concern.
 * Rejected: never boxing a var named in misread code (a go block sharing
 * it would then fail to translate; in macro-heavy C such as Lua's most
 * would); renaming every token of the var's name in its range (members,
 * tags and labels of that name would be renamed too).
 */
#include "lower.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct walk {
    tr_unit *u;
    int *scope;       /* var indices, innermost last */
    int nscope, cap;
    int ctx;
    int misread;      /* inside misread code (depth) */
} walk;

int tr_node_is(TSNode n, const char *type)
{
    return !ts_node_is_null(n) && !strcmp(ts_node_type(n), type);
}

int tr_text_is(tr_unit *u, TSNode n, const char *s)
{
    size_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    return strlen(s) == b - a && !memcmp(u->s + a, s, b - a);
}

int tr_label_is(tr_unit *u, TSNode n, const char *name)
{
    TSNode l = ts_node_child_by_field_name(n, "label", 5);
    return !ts_node_is_null(l) && tr_text_is(u, l, name);
}

TSNode tr_label_body(TSNode labeled)
{
    for (uint32_t i = ts_node_named_child_count(labeled); i-- > 1;) {
        TSNode c = ts_node_named_child(labeled, i);
        if (!tr_node_is(c, "comment")) return c;
    }
    return (TSNode){ 0 };
}

TSNode tr_call_arg(TSNode call, uint32_t i)
{
    TSNode args = ts_node_child_by_field_name(call, "arguments", 9);
    uint32_t k = 0, n = ts_node_named_child_count(args);
    for (uint32_t j = 0; j < n; j++) {
        TSNode a = ts_node_named_child(args, j);
        if (tr_node_is(a, "comment")) continue;
        if (k++ == i) return a;
    }
    return (TSNode){ 0 };
}

uint32_t tr_call_nargs(TSNode call)
{
    TSNode args = ts_node_child_by_field_name(call, "arguments", 9);
    uint32_t k = 0, n = ts_node_named_child_count(args);
    for (uint32_t j = 0; j < n; j++)
        if (!tr_node_is(ts_node_named_child(args, j), "comment")) k++;
    return k;
}

TSNode tr_stmt_call(TSNode stmt)
{
    TSNode call = tr_node_is(stmt, "expression_statement") ? ts_node_named_child(stmt, 0) : stmt;
    return tr_node_is(call, "call_expression") ? call : (TSNode){ 0 };
}

char *tr_node_text(tr_unit *u, TSNode n)
{
    size_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    return strndup(u->s + a, b - a);
}

size_t tr_src_off(tr_unit *u, uint32_t off)
{
    return tr_map_to_source(u->sp, off);
}

static void ref_put(tr_unit *u, uint32_t key, int val)
{
    if (!u->ref_cap) {
        u->ref_cap = 1024;
        u->ref_key = malloc(u->ref_cap * sizeof *u->ref_key);
        u->ref_val = calloc(u->ref_cap, sizeof *u->ref_val);
        memset(u->ref_key, 0xff, u->ref_cap * sizeof *u->ref_key);
    }
    size_t used = u->ref_used;
    if (used * 2 >= u->ref_cap) {
        size_t oc = u->ref_cap;
        uint32_t *ok = u->ref_key;
        int *ov = u->ref_val;
        u->ref_cap *= 2;
        u->ref_key = malloc(u->ref_cap * sizeof *u->ref_key);
        u->ref_val = calloc(u->ref_cap, sizeof *u->ref_val);
        memset(u->ref_key, 0xff, u->ref_cap * sizeof *u->ref_key);
        u->ref_used = 0;
        for (size_t i = 0; i < oc; i++)
            if (ok[i] != UINT32_MAX) ref_put(u, ok[i], ov[i]);
        free(ok);
        free(ov);
    }
    size_t h = (key * 2654435761u) & (u->ref_cap - 1);
    while (u->ref_key[h] != UINT32_MAX && u->ref_key[h] != key)
        h = (h + 1) & (u->ref_cap - 1);
    if (u->ref_key[h] == UINT32_MAX) u->ref_used++;
    u->ref_key[h] = key;
    u->ref_val[h] = val;
}

int tr_ref_lookup(tr_unit *u, uint32_t key)
{
    if (!u->ref_cap) return -1;
    size_t h = (key * 2654435761u) & (u->ref_cap - 1);
    while (u->ref_key[h] != UINT32_MAX) {
        if (u->ref_key[h] == key) return u->ref_val[h];
        h = (h + 1) & (u->ref_cap - 1);
    }
    return -1;
}

static int new_var(walk *w, const char *name, enum var_kind kind)
{
    tr_unit *u = w->u;
    u->vars = realloc(u->vars, (size_t)(u->nvars + 1) * sizeof *u->vars);
    u->vars[u->nvars] = (tr_var){ .name = strdup(name), .ctx = w->ctx, .kind = kind };
    if (w->nscope == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 64;
        w->scope = realloc(w->scope, (size_t)w->cap * sizeof *w->scope);
    }
    w->scope[w->nscope++] = u->nvars;
    return u->nvars++;
}

static int new_ctx(walk *w, TSNode body, int is_go)
{
    tr_unit *u = w->u;
    u->ctxs = realloc(u->ctxs, (size_t)(u->nctxs + 1) * sizeof *u->ctxs);
    tr_ctx *c = &u->ctxs[u->nctxs];
    memset(c, 0, sizeof *c);
    c->parent = is_go ? w->ctx : -1;
    c->top = is_go ? u->ctxs[w->ctx].top : u->nctxs;
    c->body = body;
    c->is_go = is_go;
    c->id = is_go ? u->counter++ : -1;
    return u->nctxs++;
}

int tr_ctx_of_go(tr_unit *u, TSNode block)
{
    for (int i = 0; i < u->nctxs; i++)
        if (u->ctxs[i].is_go && ts_node_start_byte(u->ctxs[i].body) == ts_node_start_byte(block))
            return i;
    return -1;
}

static void capture(tr_unit *u, int ctx, int var)
{
    for (int c = ctx; c >= 0 && c != u->vars[var].ctx; c = u->ctxs[c].parent) {
        tr_ctx *x = &u->ctxs[c];
        int have = 0;
        for (int k = 0; k < x->ncaps; k++) have |= x->caps[k] == var;
        if (!have) {
            x->caps = realloc(x->caps, (size_t)(x->ncaps + 1) * sizeof *x->caps);
            x->caps[x->ncaps++] = var;
        }
    }
    u->vars[var].cap_go = 1;
}

/* Resolves the name at n in the scopes; returns the var or -1. */
static int use_ident(walk *w, TSNode n)
{
    tr_unit *u = w->u;
    size_t a = ts_node_start_byte(n), len = ts_node_end_byte(n) - a;
    for (int i = w->nscope - 1; i >= 0; i--) {
        tr_var *v = &u->vars[w->scope[i]];
        if (strlen(v->name) == len && !memcmp(v->name, u->s + a, len)) {
            ref_put(u, (uint32_t)a, w->scope[i]);
            if (v->kind == VAR_DECL && a < v->decl_end) v->self_ref = 1;   /* in its own declaration */
            if (v->ctx != w->ctx && v->ctx >= 0 && u->ctxs[w->ctx].top == u->ctxs[v->ctx].top &&
                v->kind != VAR_CONST)
                capture(u, w->ctx, w->scope[i]);
            return w->scope[i];
        }
    }
    return -1;
}

/* Whether the name at n follows `.`, `->`, `struct`, `union`, `enum` or
 * `goto`: a member, a tag or a label, never a var. */
static int names_no_var(tr_unit *u, TSNode n)
{
    static const char *const words[] = { "struct", "union", "enum", "goto", NULL };
    uint32_t i = ts_node_start_byte(n);
    while (i > 0 && isspace((unsigned char)u->s[i - 1])) i--;
    if (i > 0 && u->s[i - 1] == '.') return 1;
    if (i > 1 && u->s[i - 1] == '>' && u->s[i - 2] == '-') return 1;
    uint32_t end = i;
    while (i > 0 && (isalnum((unsigned char)u->s[i - 1]) || u->s[i - 1] == '_')) i--;
    for (int k = 0; words[k]; k++)
        if (strlen(words[k]) == end - i && !memcmp(u->s + i, words[k], end - i)) return 1;
    return 0;
}

/* Whether `&` (not `&&`) comes right before the name at n. */
static int after_ampersand(tr_unit *u, TSNode n)
{
    uint32_t i = ts_node_start_byte(n);
    while (i > 0 && isspace((unsigned char)u->s[i - 1])) i--;
    return i > 0 && u->s[i - 1] == '&' && (i < 2 || u->s[i - 2] != '&');
}

/* An identifier, or a type_identifier (is_type), as a use: see "Misread
 * code" above. */
static void use_name(walk *w, TSNode n, int is_type)
{
    if ((w->misread || is_type) && names_no_var(w->u, n)) return;
    int v = use_ident(w, n);
    if (v < 0 || !(w->misread || is_type) || w->u->vars[v].kind == VAR_CONST) return;
    w->u->vars[v].misread = 1;
    if (after_ampersand(w->u, n)) w->u->vars[v].misread_addr = 1;
}

/* The identifier a declarator declares (NULL node for abstract ones). */
TSNode tr_declarator_name(TSNode d, int *is_function)
{
    while (!ts_node_is_null(d)) {
        const char *t = ts_node_type(d);
        if (!strcmp(t, "identifier")) return d;
        if (!strcmp(t, "function_declarator")) *is_function = 1;
        if (!strcmp(t, "parenthesized_declarator")) { d = ts_node_named_child(d, 0); continue; }
        d = ts_node_child_by_field_name(d, "declarator", 10);
    }
    return d;
}

/* Type names that cannot hold an address (tree-sitter's primitive types,
 * less the two integer types made to hold pointers). */
static int scalar_type(tr_unit *u, TSNode type)
{
    /* POSIX and C typedefs of integer types, which tree-sitter sees as names */
    static const char *const known[] = { "_Bool", "pid_t", "uid_t", "gid_t", "time_t", "off_t",
        "mode_t", "clock_t", "useconds_t", "suseconds_t", "socklen_t", "in_port_t", "in_addr_t",
        "nfds_t", "sig_atomic_t", "wchar_t", "char16_t", "char32_t", "int_fast8_t", "int_fast16_t",
        "int_fast32_t", "int_fast64_t", "uint_fast8_t", "uint_fast16_t", "uint_fast32_t",
        "uint_fast64_t", "int_least8_t", "int_least16_t", "int_least32_t", "int_least64_t",
        "uint_least8_t", "uint_least16_t", "uint_least32_t", "uint_least64_t", "intmax_t",
        "uintmax_t", NULL };
    if (tr_node_is(type, "sized_type_specifier") || tr_node_is(type, "enum_specifier")) return 1;
    if (tr_node_is(type, "type_identifier"))
        for (int i = 0; known[i]; i++)
            if (tr_text_is(u, type, known[i])) return 1;
    return tr_node_is(type, "primitive_type") && !tr_text_is(u, type, "intptr_t") &&
           !tr_text_is(u, type, "uintptr_t") && !tr_text_is(u, type, "void");
}

/* The shape of a declared var from its declaration's type node and its
 * declarator (the declarator proper, not the init_declarator). */
/* Typedef names of array types: jmp_buf and its kin, and those this file
 * declares (`typedef int vec[4];`).  A var of such a type decays like an
 * array. */
static int array_typedef(tr_unit *u, TSNode type)
{
    static const char *const known[] = { "jmp_buf", "sigjmp_buf", "va_list", "__builtin_va_list",
                                         "__gnuc_va_list", NULL };
    if (!tr_node_is(type, "type_identifier")) return 0;
    for (int i = 0; known[i]; i++)
        if (tr_text_is(u, type, known[i])) return 1;
    for (int i = 0; i < u->narray_typedefs; i++)
        if (tr_text_is(u, type, u->array_typedefs[i])) return 1;
    return 0;
}

void tr_collect_array_typedefs(tr_unit *u, TSNode n)
{
    tr_where_at(ts_node_start_byte(n));
    if (tr_node_is(n, "type_definition")) {
        uint32_t k = ts_node_named_child_count(n);
        for (uint32_t i = 0; i < k; i++) {
            TSNode d = ts_node_named_child(n, i);
            while (tr_node_is(d, "parenthesized_declarator")) d = ts_node_named_child(d, 0);
            if (!tr_node_is(d, "array_declarator")) continue;
            TSNode id = d;
            while (!ts_node_is_null(id) && !tr_node_is(id, "type_identifier"))
                id = ts_node_child_by_field_name(id, "declarator", 10);
            if (ts_node_is_null(id)) continue;
            u->array_typedefs = realloc(u->array_typedefs, sizeof(char *) * (size_t)(u->narray_typedefs + 1));
            u->array_typedefs[u->narray_typedefs++] = tr_node_text(u, id);
        }
        return;
    }
    uint32_t k = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < k; i++) tr_collect_array_typedefs(u, ts_node_named_child(n, i));
}

/* The shape of a declared var from its declaration's type node and its
 * declarator (the declarator proper, not the init_declarator); *dims
 * counts an array's dimensions, *elem_array tells that p[i] or *p of a
 * pointer may be an array. */
static enum var_shape shape_of(tr_unit *u, TSNode type, TSNode d, int is_param, int *dims, int *elem_array)
{
    int arr_t = array_typedef(u, type);
    *dims = 0;
    *elem_array = 0;
    if (tr_node_is(d, "identifier")) {
        if (scalar_type(u, type)) return SHAPE_SCALAR;
        if (arr_t) { *dims = 1; return is_param ? SHAPE_POINTER : SHAPE_ARRAY; }
        if (tr_node_is(type, "type_identifier")) {
            char *t = tr_node_text(u, type);
            int chan = !strncmp(t, "__goc_chan_", 11);
            free(t);
            if (chan) return SHAPE_CHAN;
        }
        return SHAPE_OTHER;
    }
    if (tr_node_is(d, "array_declarator")) {
        TSNode a = d;
        while (tr_node_is(a, "array_declarator")) { (*dims)++; a = ts_node_child_by_field_name(a, "declarator", 10); }
        if (!tr_node_is(a, "identifier")) {   /* int (*p)[3]: a pointer to arrays */
            *elem_array = 1;
            *dims = 0;
            return SHAPE_OTHER;
        }
        *dims += arr_t;
        if (!is_param) return SHAPE_ARRAY;
        *elem_array = *dims > 1;   /* int m[][3] is a pointer to arrays */
        return SHAPE_POINTER;
    }
    if (tr_node_is(d, "pointer_declarator")) {
        while (tr_node_is(d, "pointer_declarator")) d = ts_node_child_by_field_name(d, "declarator", 10);
        if (tr_node_is(d, "array_declarator")) {   /* T *a[n] */
            *dims = 1;
            return is_param ? SHAPE_POINTER : SHAPE_ARRAY;
        }
        *elem_array = arr_t;   /* row_t *rp */
        return tr_node_is(d, "identifier") ? SHAPE_POINTER : SHAPE_OTHER;
    }
    *elem_array = 1;
    return SHAPE_OTHER;
}

static int is_select_case(tr_unit *u, TSNode c)
{
    TSNode sw = ts_node_parent(ts_node_parent(c));
    return tr_node_is(sw, "switch_statement") &&
           tr_text_is(u, ts_node_child_by_field_name(sw, "condition", 9), "(__goc_select)");
}

/* The block a declaration's names live in: its parent, except that a
 * declaration after `case X:` of a C switch lives in the whole switch body
 * (a select's cases are scopes of their own). */
static TSNode scope_of(tr_unit *u, TSNode decl)
{
    TSNode p = ts_node_parent(decl);
    while (tr_node_is(p, "case_statement") && !is_select_case(u, p)) p = ts_node_parent(p);
    return p;
}

/* static and extern locals have one address for the whole program: they
 * are never boxed or copied, and a go block reaches them through that
 * address. */
static int static_storage(tr_unit *u, TSNode decl)
{
    uint32_t k = ts_node_named_child_count(decl);
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_named_child(decl, i);
        if (tr_node_is(c, "storage_class_specifier") &&
            (tr_text_is(u, c, "static") || tr_text_is(u, c, "extern") || tr_text_is(u, c, "_Thread_local") ||
             tr_text_is(u, c, "__thread")))
            return 1;
    }
    return 0;
}

static void set_name(walk *w, int v, TSNode name)
{
    w->u->vars[v].pos = ts_node_start_byte(name);
    ref_put(w->u, ts_node_start_byte(name), v);
}

static void walk_node(walk *w, TSNode n);

static void walk_children(walk *w, TSNode n)
{
    uint32_t k = ts_node_child_count(n);
    for (uint32_t i = 0; i < k; i++)
        walk_node(w, ts_node_child(n, i));
}

/* The expressions in declarator d: array sizes at every level
 * (`int m[n][k]`), which may use earlier vars.  A function declarator's
 * parameters are names of their own (prototype scope). */
static void walk_declarator(walk *w, TSNode d)
{
    while (!ts_node_is_null(d) && !tr_node_is(d, "identifier") && !tr_node_is(d, "type_identifier")) {
        if (tr_node_is(d, "array_declarator")) {
            TSNode size = ts_node_child_by_field_name(d, "size", 4);
            if (!ts_node_is_null(size)) walk_node(w, size);
        }
        d = tr_node_is(d, "parenthesized_declarator") ? ts_node_named_child(d, 0)
                                                      : ts_node_child_by_field_name(d, "declarator", 10);
    }
}

/* A declaration whose declarators hold an error (tree-sitter's recovery
 * from a macro call it read as one: `put(cast(State *, 0), p, 42);`) is
 * misread code and declares nothing.  An error only in the type or in an
 * initialiser leaves its names declared. */
static int misread_declaration(TSNode decl)
{
    if (!ts_node_has_error(decl)) return 0;
    TSTreeCursor cur = ts_tree_cursor_new(decl);
    int misread = 0;
    if (ts_tree_cursor_goto_first_child(&cur)) do {
        TSNode c = ts_tree_cursor_current_node(&cur);
        const char *f = ts_tree_cursor_current_field_name(&cur);
        if (f && !strcmp(f, "type")) continue;
        if (tr_node_is(c, "init_declarator")) c = ts_node_child_by_field_name(c, "declarator", 10);
        misread = !ts_node_is_null(c) && ts_node_has_error(c);
    } while (!misread && ts_tree_cursor_goto_next_sibling(&cur));
    ts_tree_cursor_delete(&cur);
    return misread;
}

/* Nodes that hold statements or declarations: an error inside one is the
 * error of a part of it. */
static int holds_statements(const char *t)
{
    static const char *const kinds[] = { "translation_unit", "function_definition", "compound_statement",
        "if_statement", "else_clause", "while_statement", "do_statement", "for_statement",
        "switch_statement", "case_statement", "labeled_statement", "declaration", "type_definition",
        "preproc_if", "preproc_ifdef", "preproc_elif", "preproc_elifdef", "preproc_else", NULL };
    for (int i = 0; kinds[i]; i++)
        if (!strcmp(t, kinds[i])) return 1;
    return 0;
}

/* Whether n is misread code as a whole: an ERROR node, a declaration that
 * misread_declaration rejects, or an expression or statement holding an
 * error (`SET(unsigned int, n, 2);`, where a macro may assign n; `UPTO(i,
 * 3) {`, read as a call missing its `;`, then a block). */
static int misread(TSNode n, const char *t)
{
    if (!ts_node_has_error(n)) return 0;
    if (!strcmp(t, "declaration")) return misread_declaration(n);
    return !strcmp(t, "ERROR") || !holds_statements(t);
}

static void walk_misread(walk *w, TSNode n)
{
    w->misread++;
    walk_children(w, n);
    w->misread--;
}

static void declare(walk *w, TSNode decl, enum var_kind kind)
{
    TSTreeCursor cur = ts_tree_cursor_new(decl);
    if (!ts_tree_cursor_goto_first_child(&cur)) { ts_tree_cursor_delete(&cur); return; }
    do {
        TSNode c = ts_tree_cursor_current_node(&cur);
        const char *f = ts_tree_cursor_current_field_name(&cur);
        if (!f || strcmp(f, "declarator")) {
            if (ts_node_is_named(c)) walk_node(w, c);   /* type: sizeof, typeof exprs */
            continue;
        }
        TSNode value = { 0 };
        TSNode d = c;
        if (tr_node_is(c, "init_declarator")) {
            d = ts_node_child_by_field_name(c, "declarator", 10);
            value = ts_node_child_by_field_name(c, "value", 5);
        }
        int is_fn = 0;
        TSNode name = tr_declarator_name(d, &is_fn);
        walk_declarator(w, d);
        if (!ts_node_is_null(name) && !is_fn) {
            char *s = tr_node_text(w->u, name);
            int v = new_var(w, s, kind);
            free(s);
            tr_var *x = &w->u->vars[v];
            x->decl_end = ts_node_end_byte(decl);
            TSNode type = ts_node_child_by_field_name(decl, "type", 4);
            x->shape = shape_of(w->u, type, d, 0, &x->dims, &x->elem_array);
            if (x->shape == SHAPE_CHAN) x->chan_id = atoi(w->u->s + ts_node_start_byte(type) + 11);
            TSNode scope = scope_of(w->u, decl);   /* a block, or a for statement */
            x->is_static = static_storage(w->u, decl);
            x->scope_from = ts_node_start_byte(scope);
            x->scope_to = ts_node_end_byte(scope);
            set_name(w, v, name);
        }
        if (!ts_node_is_null(value)) walk_node(w, value);
    } while (ts_tree_cursor_goto_next_sibling(&cur));
    ts_tree_cursor_delete(&cur);
}

/* The function_declarator of function definition fn, or a null node.
 * Tree-sitter does not expand macros, and its error recovery reads some
 * macro uses as function definitions without one: `vmcase(OP_MOVE) {` in
 * a function body, `int CJSON_CDECL main(void) {` at file scope (where
 * `main` becomes the type and `(void)` the declarator).  Only a definition
 * with a function_declarator is a function (a context of its own). */
TSNode tr_fn_declarator(TSNode fn)
{
    TSNode d = ts_node_child_by_field_name(fn, "declarator", 10);
    while (!ts_node_is_null(d) && !tr_node_is(d, "function_declarator"))
        d = ts_node_child_by_field_name(d, "declarator", 10);
    return d;
}

/* A typedef in a function: its names hide vars of the same name for the
 * rest of their block (VAR_CONST entries, which only shadow). */
static void declare_typedef(walk *w, TSNode n)
{
    TSTreeCursor cur = ts_tree_cursor_new(n);
    if (ts_tree_cursor_goto_first_child(&cur)) do {
        TSNode c = ts_tree_cursor_current_node(&cur);
        const char *f = ts_tree_cursor_current_field_name(&cur);
        if (!f || strcmp(f, "declarator")) {
            if (ts_node_is_named(c)) walk_node(w, c);
            continue;
        }
        walk_declarator(w, c);
        while (!ts_node_is_null(c) && !tr_node_is(c, "type_identifier"))
            c = tr_node_is(c, "parenthesized_declarator") ? ts_node_named_child(c, 0)
                                                          : ts_node_child_by_field_name(c, "declarator", 10);
        if (ts_node_is_null(c)) continue;
        char *name = tr_node_text(w->u, c);
        int v = new_var(w, name, VAR_CONST);
        free(name);
        w->u->vars[v].pos = ts_node_start_byte(c);
    } while (ts_tree_cursor_goto_next_sibling(&cur));
    ts_tree_cursor_delete(&cur);
}

/* A function definition without a function declarator in a function
 * body (tr_fn_declarator): its head is misread code, its body one of the
 * function's blocks. */
static void walk_misread_function(walk *w, TSNode n)
{
    TSNode body = ts_node_child_by_field_name(n, "body", 4);
    for (uint32_t i = 0, k = ts_node_child_count(n); i < k; i++) {
        TSNode c = ts_node_child(n, i);
        if (ts_node_eq(c, body)) { walk_node(w, c); continue; }
        w->misread++;
        walk_node(w, c);
        w->misread--;
    }
}

static void walk_function(walk *w, TSNode fn)
{
    TSNode body = ts_node_child_by_field_name(fn, "body", 4);
    if (ts_node_is_null(body)) return;
    int saved_ctx = w->ctx, saved_scope = w->nscope;
    w->ctx = new_ctx(w, body, 0);
    w->u->ctxs[w->ctx].fn = fn;
    TSNode d = tr_fn_declarator(fn);
    if (!ts_node_is_null(d)) {
        TSNode params = ts_node_child_by_field_name(d, "parameters", 10);
        uint32_t k = ts_node_named_child_count(params);
        for (uint32_t i = 0; i < k; i++) {
            TSNode p = ts_node_named_child(params, i);
            if (!tr_node_is(p, "parameter_declaration")) continue;
            int is_fn = 0;
            TSNode name = tr_declarator_name(ts_node_child_by_field_name(p, "declarator", 10), &is_fn);
            if (ts_node_is_null(name)) continue;
            char *s = tr_node_text(w->u, name);
            int v = new_var(w, s, VAR_PARAM);
            free(s);
            tr_var *x = &w->u->vars[v];
            x->box_from = x->scope_from = ts_node_start_byte(body);
            x->box_to = x->scope_to = ts_node_end_byte(body);
            x->shape = shape_of(w->u, ts_node_child_by_field_name(p, "type", 4),
                                ts_node_child_by_field_name(p, "declarator", 10), 1, &x->dims, &x->elem_array);
            set_name(w, v, name);
        }
    }
    walk_children(w, body);
    w->ctx = saved_ctx;
    w->nscope = saved_scope;
}


/* The innermost block around node n (C11 6.8: a compound statement, and
 * also each sub-statement of if, switch, while, do and for, and a for
 * statement itself): a compound literal there dies when it ends. */
static TSNode block_of(TSNode n)
{
    for (TSNode p = ts_node_parent(n); !ts_node_is_null(p); n = p, p = ts_node_parent(p)) {
        if (tr_node_is(p, "compound_statement")) return p;
        const char *t = ts_node_type(p);
        int sub = !strcmp(t, "if_statement") || !strcmp(t, "else_clause") || !strcmp(t, "while_statement") ||
                  !strcmp(t, "do_statement") || !strcmp(t, "switch_statement");
        if (sub && !tr_node_is(n, "parenthesized_expression") && !tr_node_is(n, "else_clause") &&
            !ts_node_eq(n, ts_node_child_by_field_name(p, "condition", 9)))
            return n;
        if (!strcmp(t, "for_statement"))
            return ts_node_eq(n, ts_node_child_by_field_name(p, "body", 4)) ? n : p;
    }
    return n;
}

/* A goc_new call: an object in the innermost block around it.  Its name
 * for the report is the text between `__goc_new((__typeof__(` and `) *)0)`. */
static void new_object(walk *w, TSNode call)
{
    tr_unit *u = w->u;
    TSNode block = block_of(call);
    size_t a = ts_node_start_byte(call), b = ts_node_end_byte(call);
    const char *open = "__goc_new((__typeof__(", *close = ") *)0)";
    char *name = NULL;
    size_t no = strlen(open), nc = strlen(close);
    if (b - a >= no + nc && !memcmp(u->s + a, open, no) && !memcmp(u->s + b - nc, close, nc)) {
        if (asprintf(&name, "goc_new(%.*s)", (int)(b - a - no - nc), u->s + a + no) < 0) abort();
    } else if (b - a > 11) {   /* __goc_new(typeof(E)) */
        if (asprintf(&name, "goc_new(%.*s)", (int)(b - a - 11), u->s + a + 10) < 0) abort();
    } else
        name = strdup("goc_new(?)");
    int saved = w->nscope;
    int v = new_var(w, name, VAR_NEW);
    w->nscope = saved;                     /* not a name in scope */
    free(name);
    tr_var *x = &u->vars[v];
    x->pos = ts_node_start_byte(call);
    x->scope_from = ts_node_start_byte(block);
    x->scope_to = ts_node_end_byte(block);
    ref_put(u, ts_node_start_byte(call), v);
}

static void walk_node(walk *w, TSNode n)
{
    const char *t = ts_node_type(n);
    tr_where_at(ts_node_start_byte(n));
    tr_unit *u = w->u;
    if (!strcmp(t, "function_definition") && !ts_node_is_null(tr_fn_declarator(n))) {
        walk_function(w, n);
        return;
    }
    /* A misread macro use (tr_fn_declarator) is no function: in a function
     * body its names are uses of the function's vars and its block one of
     * the function's blocks; at file scope it is plain C (lower_go.c rejects
     * go and defer there). */
    if (w->ctx < 0) { walk_children(w, n); return; }
    if (!strcmp(t, "identifier")) { use_name(w, n, 0); return; }
    if (!strcmp(t, "type_identifier")) { use_name(w, n, 1); return; }
    if (misread(n, t)) { walk_misread(w, n); return; }
    if (!strcmp(t, "function_definition")) { walk_misread_function(w, n); return; }
    if (!strcmp(t, "type_definition")) { declare_typedef(w, n); return; }
    if (!strcmp(t, "declaration")) {
        size_t before = (size_t)u->nvars;
        declare(w, n, VAR_DECL);
        for (size_t v = before; v < (size_t)u->nvars; v++) {
            u->vars[v].box_from = ts_node_end_byte(n);
            u->vars[v].box_to = ts_node_end_byte(scope_of(u, n));
        }
        return;
    }
    if (!strcmp(t, "compound_statement")) {
        int saved = w->nscope;
        walk_children(w, n);
        w->nscope = saved;
        return;
    }
    if (!strcmp(t, "labeled_statement") && tr_label_is(u, n, "__goc_go")) {
        TSNode body = tr_label_body(n);
        if (tr_node_is(body, "compound_statement")) {
            int saved_ctx = w->ctx, saved = w->nscope;
            w->ctx = new_ctx(w, body, 1);
            walk_children(w, body);
            w->ctx = saved_ctx;
            w->nscope = saved;
            return;
        }
        u->counter++;   /* go call thunks share the numbering */
        u->type_questions++;   /* the thunk's field types */
    }
    if (!strcmp(t, "labeled_statement") && tr_label_is(u, n, "__goc_defer")) {
        u->ctxs[w->ctx].has_defer = 1;
    }
    if (!strcmp(t, "for_statement")) {
        int saved = w->nscope;
        TSNode init = ts_node_child_by_field_name(n, "initializer", 11);
        TSNode cond = ts_node_child_by_field_name(n, "condition", 9);
        TSNode body = ts_node_child_by_field_name(n, "body", 4);
        int range = tr_node_is(cond, "call_expression") &&
                    tr_text_is(u, ts_node_child_by_field_name(cond, "function", 8), "__goc_range");
        if (range) walk_node(w, cond);
        size_t before = (size_t)u->nvars;
        if (tr_node_is(init, "declaration") && !misread_declaration(init))
            declare(w, init, range ? VAR_RANGE : VAR_FOR);
        else if (!ts_node_is_null(init))
            walk_node(w, init);
        for (size_t v = before; v < (size_t)u->nvars; v++) {
            u->vars[v].box_from = ts_node_start_byte(body);
            u->vars[v].box_to = ts_node_end_byte(body);
        }
        uint32_t k = ts_node_child_count(n);
        for (uint32_t i = 0; i < k; i++) {
            TSNode c = ts_node_child(n, i);
            if (ts_node_eq(c, init) || (ts_node_eq(c, cond) && range)) continue;
            walk_node(w, c);
        }
        w->nscope = saved;
        return;
    }
    if (!strcmp(t, "case_statement")) {
        TSNode value = ts_node_child_by_field_name(n, "value", 5);
        int saved = w->nscope;
        if (tr_node_is(value, "assignment_expression")) {
            TSNode left = ts_node_child_by_field_name(value, "left", 4);
            char *lt = tr_node_text(u, left);
            if (!strncmp(lt, "__goc_recvdecl_", 15)) {
                int k = atoi(lt + 15);
                walk_node(w, ts_node_child_by_field_name(value, "right", 5));
                int v = new_var(w, u->sp->decls[k].name, VAR_CASE);
                u->vars[v].box_from = ts_node_end_byte(value);
                u->vars[v].box_to = u->vars[v].scope_to = ts_node_end_byte(n);
                u->vars[v].scope_from = ts_node_start_byte(n);
                u->vars[v].pos = ts_node_start_byte(value);
                uint32_t cnt = ts_node_child_count(n);
                for (uint32_t i = 0; i < cnt; i++) {
                    TSNode c = ts_node_child(n, i);
                    if (!ts_node_eq(c, value)) walk_node(w, c);
                }
                w->nscope = saved;
                free(lt);
                return;
            }
            free(lt);
        }
        walk_children(w, n);
        if (is_select_case(u, n)) w->nscope = saved;   /* a C case is no scope */
        return;
    }
    if (!strcmp(t, "enumerator")) {   /* a constant that may shadow a local */
        TSNode name = ts_node_child_by_field_name(n, "name", 4);
        TSNode value = ts_node_child_by_field_name(n, "value", 5);
        if (!ts_node_is_null(value)) walk_node(w, value);
        if (!ts_node_is_null(name)) {
            char *nm = tr_node_text(u, name);
            int v = new_var(w, nm, VAR_CONST);
            free(nm);
            u->vars[v].pos = ts_node_start_byte(name);
        }
        return;
    }
    if (!strcmp(t, "call_expression")) {   /* close/len/cap: is the operand a channel? */
        TSNode f = ts_node_child_by_field_name(n, "function", 8);
        if (tr_text_is(u, f, "__goc_new")) new_object(w, n);
        if (tr_node_is(f, "identifier") &&
            (tr_text_is(u, f, "close") || tr_text_is(u, f, "len") || tr_text_is(u, f, "cap")))
            u->type_questions++;
    }
    if (!strcmp(t, "field_expression")) {   /* not the field name */
        TSNode argument = ts_node_child_by_field_name(n, "argument", 8);
        if (!ts_node_is_null(argument)) walk_node(w, argument);
        return;
    }
    walk_children(w, n);
}

void tr_analyze(tr_unit *u)
{
    walk w = { .u = u, .ctx = -1 };
    tr_collect_array_typedefs(u, ts_tree_root_node(u->tree));
    walk_node(&w, ts_tree_root_node(u->tree));
    free(w.scope);
    for (int c = 0; c < u->nctxs; c++)   /* go blocks: the types of their captures */
        u->type_questions += u->ctxs[c].ncaps > 0;
}
