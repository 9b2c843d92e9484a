/*
 * macros.c — the vars that the bodies of the file's macros name.
 *
 * A macro may use a local of the function it is expanded in by name,
 * without taking it as an argument (Lua's lvm.c: `#define savepc(L)
 * (ci->u.l.savedpc = pc)`, `#define updatebase(ci) (base = ci->func.p +
 * 1)`).  The translator rewrites uses of a boxed var in the function's
 * text, but it does not expand macros, and a macro body serves every
 * function that expands it: after `savepc(L)` the expansion reads the
 * local `pc`, not the heap copy that the function's own code updates.
 *
 * So, for a var the escape analysis is about to box or copy, this file
 * answers two questions (tr_macros_naming):
 *   named   is a macro whose body names the var (directly, or through
 *           another macro it uses) used in the var's range?
 *   writes  may such a body write it (`name =`, `name +=`, `++name`,
 *           `&name`, ...)?
 * A var a macro may write is never captured by value (escape.c).  A var
 * such a macro names is stale in the heap when something may change it
 * after its box is made (tr_macros_stale; if nothing can, the local and
 * the box hold the same value for ever).  Such a var stays on the stack
 * when only C's rules would move it (its address escapes the frame, but
 * no goroutine and no deferred block reaches it: a C program does not
 * use it after the return), and is an error when goc's would: a go
 * block or a deferred block shares it, or its address goes to another
 * goroutine (tr_macros_check).
 *
 * Only the #defines of this file are seen (tree-sitter's preproc_def and
 * preproc_function_def nodes); a header's macro that names a caller's
 * local is not.  A name that follows `.` or `->` in a body is a member;
 * the macro's own parameters are not free names.
 *
 * Rejected: rewriting the macro bodies (a body serves other functions,
 * where the name is another var or none); expanding macros (the
 * translator would then need the preprocessor's view of every header).
 */
#include "lower.h"
#include "lex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct free_name {
    char *name;
    int writes;
} free_name;

typedef struct macro {
    char *name;
    free_name *names;     /* free names of the body, this file's macros' folded in */
    int n;
} macro;

struct tr_macros {
    macro *v;
    int n;
};

static int add_name(macro *m, const char *s, size_t len, int writes)
{
    for (int i = 0; i < m->n; i++)
        if (strlen(m->names[i].name) == len && !memcmp(m->names[i].name, s, len)) {
            int grew = writes && !m->names[i].writes;
            m->names[i].writes |= writes;
            return grew;
        }
    m->names = realloc(m->names, sizeof *m->names * (size_t)(m->n + 1));
    m->names[m->n++] = (free_name){ strndup(s, len), writes };
    return 1;
}

/* Whether a body's name is a parameter of its macro (params is null for
 * an object-like macro). */
static int is_param(tr_unit *u, TSNode params, const char *s, size_t len)
{
    if (ts_node_is_null(params)) return 0;
    for (uint32_t i = 0, k = ts_node_named_child_count(params); i < k; i++) {
        TSNode p = ts_node_named_child(params, i);
        uint32_t a = ts_node_start_byte(p), b = ts_node_end_byte(p);
        if (b - a == len && !memcmp(u->s + a, s, len)) return 1;
    }
    return len == 11 && !memcmp(s, "__VA_ARGS__", 11);
}

/* Whether the token at k of a body may write the name it spells. */
static int body_writes(const char *b, const tr_tokens *t, size_t k)
{
    static const char *const after[] = { "=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=",
                                         ">>=", "++", "--", NULL };
    static const char *const before[] = { "&", "++", "--", NULL };
    for (int i = 0; after[i]; i++)
        if (k + 1 < t->n && tr_tok_is(b, &t->v[k + 1], after[i])) return 1;
    for (int i = 0; before[i]; i++)
        if (k > 0 && tr_tok_is(b, &t->v[k - 1], before[i])) return 1;
    return 0;
}

/* The free names of a #define's body. */
static void read_body(tr_unit *u, TSNode def, macro *m)
{
    TSNode value = ts_node_child_by_field_name(def, "value", 5);
    TSNode params = ts_node_child_by_field_name(def, "parameters", 10);
    if (ts_node_is_null(value)) return;
    const char *b = u->s + ts_node_start_byte(value);
    tr_tokens t = { 0 };
    tr_lex(b, ts_node_end_byte(value) - ts_node_start_byte(value), &t);
    for (size_t k = 0; k < t.n; k++) {
        const tr_token *x = &t.v[k];
        if (x->kind != TK_IDENT) continue;
        if (k > 0 && (tr_tok_is(b, &t.v[k - 1], ".") || tr_tok_is(b, &t.v[k - 1], "->"))) continue;
        if (is_param(u, params, b + x->start, x->end - x->start)) continue;
        add_name(m, b + x->start, x->end - x->start, body_writes(b, &t, k));
    }
    free(t.v);
}

static void collect(tr_unit *u, TSNode n, struct tr_macros *ms)
{
    tr_where_at(ts_node_start_byte(n));
    if (tr_node_is(n, "preproc_def") || tr_node_is(n, "preproc_function_def")) {
        TSNode name = ts_node_child_by_field_name(n, "name", 4);
        if (ts_node_is_null(name)) return;
        ms->v = realloc(ms->v, sizeof *ms->v * (size_t)(ms->n + 1));
        macro *m = &ms->v[ms->n++];
        *m = (macro){ tr_node_text(u, name), NULL, 0 };
        read_body(u, n, m);
        return;
    }
    for (uint32_t i = 0, k = ts_node_named_child_count(n); i < k; i++)
        collect(u, ts_node_named_child(n, i), ms);
}

static macro *find(struct tr_macros *ms, const char *s, size_t len)
{
    for (int i = 0; i < ms->n; i++)
        if (strlen(ms->v[i].name) == len && !memcmp(ms->v[i].name, s, len)) return &ms->v[i];
    return NULL;
}

/* A body that uses another macro names what that one names: fold, to a
 * fixpoint (each round only adds names). */
static void fold(struct tr_macros *ms)
{
    for (int changed = 1, rounds = 0; changed && rounds <= ms->n; rounds++) {
        changed = 0;
        for (int i = 0; i < ms->n; i++)
            for (int k = 0; k < ms->v[i].n; k++) {
                const char *s = ms->v[i].names[k].name;
                macro *o = find(ms, s, strlen(s));
                if (!o || o == &ms->v[i]) continue;
                for (int j = 0; j < o->n; j++)
                    changed |= add_name(&ms->v[i], o->names[j].name, strlen(o->names[j].name), o->names[j].writes);
            }
    }
}

static struct tr_macros *macros(tr_unit *u)
{
    if (!u->macros) {
        u->macros = calloc(1, sizeof *u->macros);
        collect(u, ts_tree_root_node(u->tree), u->macros);
        fold(u->macros);
    }
    return u->macros;
}

/* Whether macro m names var x; *writes as body_writes. */
static int names(const macro *m, const tr_var *x, int *writes)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->names[i].name, x->name)) {
            *writes = m->names[i].writes;
            return 1;
        }
    return 0;
}

/* The first use in [from, to) under n of a macro that names x: the
 * offset + 1, or 0; *writes when one of them may write x. */
static uint32_t find_use(tr_unit *u, TSNode n, const tr_var *x, uint32_t from, uint32_t to, int *writes)
{
    if (ts_node_end_byte(n) <= from || ts_node_start_byte(n) >= to) return 0;
    uint32_t k = ts_node_child_count(n);
    if (k == 0) {
        if (!tr_node_is(n, "identifier") && !tr_node_is(n, "type_identifier") &&
            !tr_node_is(n, "statement_identifier"))
            return 0;
        uint32_t a = ts_node_start_byte(n);
        macro *m = find(macros(u), u->s + a, ts_node_end_byte(n) - a);
        int w = 0;
        if (!m || !names(m, x, &w)) return 0;
        *writes |= w;
        return a + 1;
    }
    uint32_t first = 0;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t at = find_use(u, ts_node_child(n, i), x, from, to, writes);
        if (at && !first) first = at;
    }
    return first;
}

static int named_anywhere(struct tr_macros *ms, const tr_var *x)
{
    int w;
    for (int i = 0; i < ms->n; i++)
        if (names(&ms->v[i], x, &w)) return 1;
    return 0;
}

int tr_macros_naming(tr_unit *u, int v, int *writes)
{
    tr_var *x = &u->vars[v];
    if (!x->macro_checked) {
        x->macro_checked = 1;
        if (x->kind != VAR_NEW && x->kind != VAR_CONST && !x->is_static && named_anywhere(macros(u), x)) {
            int w = 0;
            x->macro_use = find_use(u, ts_tree_root_node(u->tree), x, x->box_from, x->box_to, &w);
            x->macro_writes = x->macro_use && w;
        }
    }
    *writes = x->macro_writes;
    return x->macro_use != 0;
}

/* Whether anything may change x after its box is made: if not, the local
 * that a macro reads keeps the box's value. */
static int may_change(const tr_var *x)
{
    return x->assigned || x->addr || x->macro_arg || x->misread || x->macro_writes || x->flowed ||
           x->shape == SHAPE_ARRAY || x->kind == VAR_FOR || x->kind == VAR_RANGE || x->kind == VAR_CASE;
}

int tr_macros_stale(tr_unit *u, int v)
{
    int writes;
    return !u->vars[v].is_static && tr_macros_naming(u, v, &writes) && may_change(&u->vars[v]);
}

size_t tr_macros_use(tr_unit *u, const tr_var *x, const char **name)
{
    uint32_t at = x->macro_use - 1;
    size_t len = 0;
    *name = u->s + at;
    while (tr_is_ident_char((*name)[len]))
        len++;
    return len;
}

void tr_macros_check(tr_unit *u)
{
    for (int v = 0; v < u->nvars; v++) {
        tr_var *x = &u->vars[v];
        if (!x->boxed || !tr_macros_stale(u, v)) continue;
        const char *m;
        int len = (int)tr_macros_use(u, x, &m);
        tr_error(u->diag, tr_src_off(u, x->pos),
                 "'%s' must move to the heap (a go block or a deferred block shares it, or another "
                 "goroutine gets its address), but the macro '%.*s' names it, and goc does not "
                 "rewrite macro bodies: pass '%s' to the macro as an argument, or share a copy",
                 x->name, len, m, x->name);
        tr_note(u->diag, tr_src_off(u, x->macro_use - 1), "'%.*s' used here", len, m);
    }
}

void tr_macros_free(struct tr_macros *ms)
{
    if (!ms) return;
    for (int i = 0; i < ms->n; i++) {
        for (int k = 0; k < ms->v[i].n; k++) free(ms->v[i].names[k].name);
        free(ms->v[i].names);
        free(ms->v[i].name);
    }
    free(ms->v);
    free(ms);
}
