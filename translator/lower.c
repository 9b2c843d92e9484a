/*
 * lower.c — pass 2: prints the output C from the tree, copying plain C
 * verbatim and lowering the extension nodes.
 *
 * Invariant: the output has exactly the newlines of the spelled text (and so
 * of the .gc source) up to the thunks appended at the end, so one `#line 1`
 * keeps compiler errors and debuggers on .gc lines.  Every lowering that
 * moves or drops text pads with the newlines it removed.
 *
 * Lowerings (names carry the spelled offset of their construct, so stage 1
 * and stage 2 agree on them):
 *   go f(a, b)    args evaluated into __auto_type locals at the site, copied
 *                 into a goc_alloc'ed struct whose field types libclang
 *                 gave (stage 1), started with goc_go_at on a file-scope thunk
 *   go { ... }    the block becomes a file-scope thunk; captured vars are
 *                 boxed (analyze.c) and reached through the env struct
 *   defer         inline frames (goc.h): the deferred call or block stays in
 *                 place behind `if (0)` and a label; the exit path and the
 *                 panic path jump to the labels of the pending records,
 *                 latest first (computed goto).  Argument storage comes
 *                 from goc_frame_alloc and lives as long as the frame.
 *   recover()     in a deferred block goc_recover_frame(&frame); in a
 *                 function body goc_recover_claimed on the claim the body
 *                 takes first (goc.h: only the deferred function itself
 *                 recovers, not what it calls)
 *   select        lower_select.c
 *   send/receive  inline statement expressions (not macros, so errors are
 *                 reported at the .gc line)
 */
#include "lower.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tr_buf_add(tr_buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s) abort();
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}
void tr_buf_puts(tr_buf *b, const char *s) { tr_buf_add(b, s, strlen(s)); }
void tr_buf_printf(tr_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) abort();
    tr_buf_add(b, s, (size_t)n);
    free(s);
}

/* Appends s as a C string literal. */
void tr_buf_c_string(tr_buf *b, const char *s)
{
    tr_buf_puts(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') tr_buf_add(b, "\\", 1);
        tr_buf_add(b, s, 1);
    }
    tr_buf_puts(b, "\"");
}

#include "emit.h"

/* ---- column marks (see lower.h) -------------------------------------------- */

void tr_buf_mark(tr_buf *o, char kind, uint32_t at, int with_at)
{
    char m[16];
    int n = with_at ? snprintf(m, sizeof m, "%c%c%u%c", TR_MARK, kind, at, TR_MARK_END)
                    : snprintf(m, sizeof m, "%c%c%c", TR_MARK, kind, TR_MARK_END);
    tr_buf_add(o, m, (size_t)n);
}

void tr_mark_push(em *e, uint32_t at)
{
    if (e->u->marks) tr_buf_mark(e->out, 'G', at, 1);
}

void tr_mark_pop(em *e)
{
    if (e->u->marks) tr_buf_mark(e->out, 'P', 0, 0);
}

/* Copies spelled text [a, b) verbatim.  With marks on, a copy that
 * continues the previous one in the same buffer (nothing was emitted in
 * between) extends its run instead of starting a new one. */
static void copy(em *e, uint32_t a, uint32_t b)
{
    if (b <= a) return;
    tr_buf *o = e->out;
    if (!e->u->marks) { tr_buf_add(o, e->u->s + a, b - a); return; }
    static const char end[3] = { TR_MARK, 'E', TR_MARK_END };
    if (e->mark_buf == o && e->mark_n == o->n && e->mark_end == a && o->n >= 3 &&
        !memcmp(o->s + o->n - 3, end, 3)) {
        o->n -= 3;
        o->s[o->n] = 0;
    } else
        tr_buf_mark(o, 'V', a, 1);
    tr_buf_add(o, e->u->s + a, b - a);
    tr_buf_add(o, end, 3);
    e->mark_buf = o;
    e->mark_n = o->n;
    e->mark_end = b;
}

void tr_pad_newlines(em *e, uint32_t a, uint32_t b)
{
    for (uint32_t i = a; i < b; i++)
        if (e->u->s[i] == '\n') tr_buf_add(e->out, "\n", 1);
}

/* Emits n with its sub-statement `inner` led by the preemption poll
 * (goc_lang.h): `{ GOC__PREEMPT_POLL(); INNER }`, on inner's own line. */
static void emit_polled(em *e, TSNode n, TSNode inner)
{
    uint32_t pos = ts_node_start_byte(n), k = ts_node_child_count(n);
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_child(n, i);
        copy(e, pos, ts_node_start_byte(c));
        if (ts_node_eq(c, inner)) {
            tr_buf_puts(e->out, "{ GOC__PREEMPT_POLL(); ");
            tr_emit(e, c);
            tr_buf_puts(e->out, " }");
        } else
            tr_emit(e, c);
        pos = ts_node_end_byte(c);
    }
    copy(e, pos, ts_node_end_byte(n));
}

/* A loop statement: its body polls. */
void tr_emit_loop(em *e, TSNode n)
{
    emit_polled(e, n, ts_node_child_by_field_name(n, "body", 4));
}

void tr_emit_default(em *e, TSNode n)
{
    uint32_t pos = ts_node_start_byte(n), end = ts_node_end_byte(n);
    uint32_t k = ts_node_child_count(n);
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_child(n, i);
        copy(e, pos, ts_node_start_byte(c));
        tr_emit(e, c);
        pos = ts_node_end_byte(c);
    }
    copy(e, pos, end);
}

/* Emits n into a fresh buffer with newlines flattened to spaces (for text
 * that moves to another line). */
char *tr_emit_flat(em *e, TSNode n)
{
    tr_buf b = { 0 }, *saved = e->out;
    e->out = &b;
    tr_buf_puts(&b, "");
    tr_emit(e, n);
    e->out = saved;
    for (size_t i = 0; i < b.n; i++)
        if (b.s[i] == '\n') b.s[i] = ' ';
    return b.s;
}

void tr_err(em *e, TSNode n, const char *fmt, ...)
{
    if (!e->report) return;
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0) abort();
    va_end(ap);
    tr_error(e->u->diag, tr_src_off(e->u, ts_node_start_byte(n)), "%s", msg);
    free(msg);
}

/* ---- vars and boxes ----------------------------------------------------- */

static int in_dcap(em *e, int v)
{
    if (!e->dcap) return 0;
    for (int i = 0; i < e->dcap->n; i++)
        if (e->dcap->vars[i] == v) return 1;
    return 0;
}

/* How a captured var is reached here: its box pointer when it is boxed,
 * its value when it is copied; through the record of the deferred block
 * being emitted, the env of the go thunk, or the local itself. */
const char *tr_capture_ref(em *e, int v, char *buf, size_t n)
{
    tr_var *x = &e->u->vars[v];
    if (in_dcap(e, v))
        snprintf(buf, n, "__goc_dq%u->c%d", e->dcap_id, v);
    else if (e->u->stage == 2 && x->ctx != e->ctx)
        snprintf(buf, n, "__goc_env->c%d", v);
    else if (x->boxed)
        snprintf(buf, n, "__goc_box_%d", v);
    else
        snprintf(buf, n, "%s", x->name);
    return buf;
}

void tr_emit_box(em *e, int v)
{
    const char *name = e->u->vars[v].name;
    if (e->u->vars[v].is_static)   /* one address already: a go block reaches it there */
        tr_buf_printf(e->out, " __typeof__(%s) *__goc_box_%d = &%s;", name, v, name);
    else
        tr_buf_printf(e->out, " __typeof__(%s) *__goc_box_%d = goc_box((const void *)&%s, sizeof %s);",
                      name, v, name, name);
}

static int early_box(tr_var *x)
{
    return x->kind == VAR_DECL && x->self_ref && !x->is_static;
}

static void emit_ident(em *e, TSNode n)
{
    uint32_t a = ts_node_start_byte(n);
    if (tr_is_main(e->u, a)) { tr_buf_puts(e->out, "__goc_user_main"); return; }
    int v = tr_ref_lookup(e->u, a);
    tr_var *x = v >= 0 ? &e->u->vars[v] : NULL;
    uint32_t from = x && x->boxed && early_box(x) ? x->pos + (uint32_t)strlen(x->name) : x ? x->box_from : 0;
    if (x && e->in_defer && x->ctx == e->ctx && !in_dcap(e, v) && !x->is_static && x->kind != VAR_NEW &&
        x->kind != VAR_CONST && a >= from && a < x->box_to && (x->pos < e->dblk_from || x->pos >= e->dblk_to) &&
        (x->boxed || x->shape == SHAPE_SCALAR || x->shape == SHAPE_POINTER || x->shape == SHAPE_CHAN)) {
        /* read in memory: a panic may have jumped back here with registers
         * as they were at the frame's setjmp (lower_go.c pins the address) */
        if (x->boxed)
            tr_buf_printf(e->out, "(*(*(__typeof__(__goc_box_%d) volatile *)&__goc_box_%d))", v, v);
        else
            tr_buf_printf(e->out, "(*(volatile __typeof__(%s) *)&%s)", x->name, x->name);
        return;
    }
    if (x && (x->boxed || x->cap_copy) && a >= from && a < x->box_to) {
        char buf[64];
        tr_buf_printf(e->out, x->boxed ? "(*%s)" : "(%s)", tr_capture_ref(e, v, buf, sizeof buf));
        return;
    }
    copy(e, a, ts_node_end_byte(n));
}

/* The declarator of declaration n that declares the name at pos. */
static TSNode declarator_at(TSNode n, uint32_t pos)
{
    uint32_t k = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < k; i++) {
        TSNode d = ts_node_named_child(n, i);
        if (tr_node_is(d, "init_declarator")) d = ts_node_child_by_field_name(d, "declarator", 10);
        if (ts_node_start_byte(d) <= pos && pos < ts_node_end_byte(d) &&
            !tr_node_is(d, "storage_class_specifier") && ts_node_start_byte(d) > ts_node_start_byte(n))
            return d;
    }
    return (TSNode){ 0 };
}

/* A boxed var named in its own declaration (`struct list h = { &h, &h };`,
 * `int x = 0, *p = &x;`) gets its box before the declaration, so that
 * those uses already reach the heap copy: its type is the declaration's
 * specifiers and its declarator without the name. */
static void emit_early_box(em *e, TSNode n, int v)
{
    tr_var *x = &e->u->vars[v];
    TSNode d = declarator_at(n, x->pos);
    if (ts_node_is_null(d)) return;
    tr_buf type = { 0 };
    tr_buf_puts(&type, "");
    uint32_t k = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < k; i++) {   /* the specifiers: everything before the declarators */
        TSNode c = ts_node_named_child(n, i);
        if (ts_node_start_byte(c) >= ts_node_start_byte(d) || tr_node_is(c, "init_declarator")) break;
        if (tr_node_is(c, "storage_class_specifier")) continue;
        tr_buf_add(&type, e->u->s + ts_node_start_byte(c), ts_node_end_byte(c) - ts_node_start_byte(c));
        tr_buf_puts(&type, " ");
    }
    size_t len = strlen(x->name);
    tr_buf_add(&type, e->u->s + ts_node_start_byte(d), x->pos - ts_node_start_byte(d));
    tr_buf_add(&type, e->u->s + x->pos + len, ts_node_end_byte(d) - x->pos - len);
    for (size_t i = 0; i < type.n; i++)
        if (type.s[i] == '\n') type.s[i] = ' ';
    tr_buf_printf(e->out, "__typeof__(%s) *__goc_box_%d = goc_alloc(sizeof(%s)); ", type.s, v, type.s);
    free(type.s);
}

static void emit_declaration(em *e, TSNode n)
{
    uint32_t end = ts_node_end_byte(n);
    if (e->ctx >= 0)
        for (int b = 0; b < e->u->nboxed; b++) {
            tr_var *x = &e->u->vars[e->u->boxed[b]];
            if (early_box(x) && x->decl_end == end && x->ctx == e->ctx)
                emit_early_box(e, n, e->u->boxed[b]);
        }
    tr_emit_default(e, n);
    if (e->ctx < 0) return;
    for (int b = 0; b < e->u->nboxed; b++) {
        int v = e->u->boxed[b];
        tr_var *x = &e->u->vars[v];
        if (x->kind != VAR_DECL || x->decl_end != end || x->ctx != e->ctx) continue;
        if (early_box(x))
            tr_buf_printf(e->out, " __builtin_memcpy((void *)__goc_box_%d, &%s, sizeof %s);", v, x->name, x->name);
        else
            tr_emit_box(e, v);
    }
}

/* ---- loops, break, continue, goto --------------------------------------- */

void tr_push_loop(em *e, int is_loop, int cont)
{
    if (e->nloops < 256) e->loops[e->nloops] = (loop){ is_loop, cont };
    e->nloops++;
}

static void emit_jump(em *e, TSNode n)
{
    const char *t = ts_node_type(n);
    int need_loop = !strcmp(t, "continue_statement");
    int found = 0, cont = -1;
    for (int i = e->nloops - 1; i >= e->loop_base && i >= 0; i--) {
        if (i >= 256) continue;
        if (!need_loop || e->loops[i].is_loop) { found = 1; cont = e->loops[i].cont; break; }
    }
    if (e->ctx >= 0 && e->u->ctxs[e->ctx].is_go && !found && !e->in_defer) {
        tr_err(e, n, "%s leaves the go block: a go block runs in its own goroutine",
               need_loop ? "continue" : "break");
    }
    if (need_loop && cont >= 0) {
        tr_buf_printf(e->out, "goto __goc_cont_%d;", cont);
        tr_pad_newlines(e, ts_node_start_byte(n), ts_node_end_byte(n));
        return;
    }
    tr_emit_default(e, n);
}

static int has_label(tr_unit *u, TSNode n, TSNode label)
{
    if (tr_node_is(n, "labeled_statement")) {
        TSNode l = ts_node_child_by_field_name(n, "label", 5);
        size_t a = ts_node_start_byte(label), len = ts_node_end_byte(label) - a;
        if (!ts_node_is_null(l) && ts_node_end_byte(l) - ts_node_start_byte(l) == len &&
            !memcmp(u->s + ts_node_start_byte(l), u->s + a, len))
            return 1;
    }
    uint32_t k = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < k; i++)
        if (has_label(u, ts_node_named_child(n, i), label)) return 1;
    return 0;
}

static void emit_goto(em *e, TSNode n)
{
    if (e->ctx >= 0 && e->u->ctxs[e->ctx].is_go) {
        TSNode label = ts_node_child_by_field_name(n, "label", 5);
        if (!ts_node_is_null(label) && !has_label(e->u, e->u->ctxs[e->ctx].body, label))
            tr_err(e, n, "goto leaves the go block: a go block runs in its own goroutine");
    }
    tr_emit_default(e, n);
}

/* ---- return --------------------------------------------------------------- */

static void emit_return(em *e, TSNode n)
{
    if (e->ctx < 0) { tr_emit_default(e, n); return; }
    tr_ctx *c = &e->u->ctxs[e->ctx];
    TSNode value = ts_node_named_child(n, 0);
    int has_value = !ts_node_is_null(value) && strcmp(ts_node_type(value), "comment");
    if (e->in_defer) {
        tr_buf_puts(e->out, "goto __goc_exit;");
        tr_pad_newlines(e, ts_node_start_byte(n), ts_node_end_byte(n));
        return;
    }
    if (!c->has_defer && !c->is_go) { tr_emit_default(e, n); return; }
    if (!c->has_defer) {   /* go thunk: void */
        if (!has_value || e->u->stage == 1) { tr_emit_default(e, n); return; }
        tr_buf_puts(e->out, "{ (void)(");
        tr_emit(e, value);
        tr_buf_puts(e->out, "); return; }");
        return;
    }
    if (!has_value) { tr_buf_puts(e->out, "goto __goc_exit;"); return; }
    tr_buf_puts(e->out, c->is_go || e->void_fn ? "{ (void)(" : "{ __goc_rv = (");
    tr_emit(e, value);
    tr_buf_puts(e->out, "); goto __goc_exit; }");
}

/* ---- function bodies ------------------------------------------------------ */

static int fn_is_void(tr_unit *u, TSNode fn)
{
    TSNode type = ts_node_child_by_field_name(fn, "type", 4);
    TSNode d = ts_node_child_by_field_name(fn, "declarator", 10);
    return tr_text_is(u, type, "void") && tr_node_is(d, "function_declarator");
}

/* "name(p1, p2)": a call of the function with its own parameters, for
 * __typeof__ of its return type. */
static void self_call(em *e, TSNode fn, tr_buf *b)
{
    TSNode d = tr_fn_declarator(fn);
    TSNode name = ts_node_child_by_field_name(d, "declarator", 10);
    if (tr_is_main(e->u, ts_node_start_byte(name))) tr_buf_puts(b, "__goc_user_main");
    else { char *s = tr_node_text(e->u, name); tr_buf_puts(b, s); free(s); }
    tr_buf_puts(b, "(");
    TSNode params = ts_node_child_by_field_name(d, "parameters", 10);
    uint32_t k = ts_node_named_child_count(params);
    int first = 1;
    for (uint32_t i = 0; i < k; i++) {
        TSNode p = ts_node_named_child(params, i);
        TSNode pd = ts_node_child_by_field_name(p, "declarator", 10);
        while (!ts_node_is_null(pd) && !tr_node_is(pd, "identifier"))
            pd = tr_node_is(pd, "parenthesized_declarator") ? ts_node_named_child(pd, 0)
                                                            : ts_node_child_by_field_name(pd, "declarator", 10);
        if (ts_node_is_null(pd)) continue;
        char *s = tr_node_text(e->u, pd);
        tr_buf_printf(b, "%s%s", first ? "" : ", ", s);
        free(s);
        first = 0;
    }
    tr_buf_puts(b, ")");
}

/* recover(), which the prepass spells goc_recover(). */
static int is_recover_call(tr_unit *u, TSNode n)
{
    return tr_node_is(n, "call_expression") &&
           tr_text_is(u, ts_node_child_by_field_name(n, "function", 8), "goc_recover") &&
           ts_node_named_child_count(ts_node_child_by_field_name(n, "arguments", 9)) == 0;
}

/* Whether n calls recover() outside its deferred blocks and go blocks,
 * i.e. in the body of the function itself. */
static int body_recovers(tr_unit *u, TSNode n)
{
    if (tr_node_is(n, "labeled_statement") &&
        (tr_label_is(u, n, "__goc_defer") || tr_label_is(u, n, "__goc_go")) &&
        tr_node_is(tr_label_body(n), "compound_statement"))
        return 0;
    if (is_recover_call(u, n)) return 1;
    for (uint32_t i = 0, k = ts_node_named_child_count(n); i < k; i++)
        if (body_recovers(u, ts_node_named_child(n, i))) return 1;
    return 0;
}

/* The name by which function fn's body reaches the function itself, or
 * NULL when it cannot: a declarator without a plain name, or a parameter
 * that hides it. */
static char *own_name(em *e, int ctx, TSNode fn)
{
    TSNode name = ts_node_child_by_field_name(tr_fn_declarator(fn), "declarator", 10);
    if (!tr_node_is(name, "identifier")) return NULL;
    if (tr_is_main(e->u, ts_node_start_byte(name))) return strdup("__goc_user_main");
    char *s = tr_node_text(e->u, name);
    for (int v = 0; v < e->u->nvars; v++)
        if (e->u->vars[v].ctx == ctx && e->u->vars[v].kind == VAR_PARAM && !strcmp(e->u->vars[v].name, s)) {
            free(s);
            return NULL;
        }
    return s;
}

/* Go's recover() stops a panic only in the deferred function itself, not
 * in a function that one calls.  A function whose own body calls recover()
 * starts by claiming the deferred call that may be calling it (goc.h,
 * goc_recover_claim); its recover() is goc_recover_claimed.  Go blocks are
 * never deferred, and a function that cannot name itself keeps
 * goc_recover() (recovers at any depth below a deferred call).  Returns
 * whether the claim was emitted. */
static int emit_recover_claim(em *e, int ctx, TSNode body, TSNode fn)
{
    if (e->u->ctxs[ctx].is_go || !body_recovers(e->u, body)) return 0;
    char *name = own_name(e, ctx, fn);
    if (!name) return 0;
    tr_buf_printf(e->out, " goc_frame *__goc_rf = goc_recover_claim((void (*)(void))%s); (void)__goc_rf;", name);
    free(name);
    return 1;
}

/* Emits a function or thunk body with its prologue and epilogue. */
void tr_emit_body(em *e, int ctx, TSNode body, TSNode fn, int is_main)
{
    int saved_ctx = e->ctx, saved_void = e->void_fn, saved_base = e->loop_base;
    int saved_defer = e->in_defer, saved_claim = e->rclaim;
    e->ctx = ctx;
    e->in_defer = 0;
    e->loop_base = e->nloops;
    tr_ctx *c = &e->u->ctxs[ctx];
    e->void_fn = c->is_go || fn_is_void(e->u, fn);
    uint32_t a = ts_node_start_byte(body), b = ts_node_end_byte(body);
    uint32_t k = ts_node_child_count(body);
    tr_buf_puts(e->out, "{");
    e->rclaim = emit_recover_claim(e, ctx, body, fn);   /* before the frame: it claims the caller's */
    if (c->has_defer) {
        tr_buf_puts(e->out, " goc_frame __goc_fr;");
        if (!e->void_fn) {
            tr_buf_puts(e->out, " __typeof__(");
            self_call(e, fn, e->out);
            tr_buf_puts(e->out, ") __goc_rv;");
        }
        tr_buf_puts(e->out, " if (goc_frame_enter_inline(&__goc_fr)) goto __goc_exit;");
    }
    for (int b = 0; b < e->u->nboxed; b++) {
        int v = e->u->boxed[b];
        if (e->u->vars[v].kind == VAR_PARAM && e->u->vars[v].ctx == ctx)
            tr_emit_box(e, v);
    }
    uint32_t pos = a + 1;
    for (uint32_t i = 0; i < k; i++) {
        TSNode ch = ts_node_child(body, i);
        if (i == 0 || i + 1 == k) continue;   /* the braces */
        copy(e, pos, ts_node_start_byte(ch));
        tr_emit(e, ch);
        pos = ts_node_end_byte(ch);
    }
    copy(e, pos, b - 1);
    if (is_main) tr_buf_puts(e->out, c->has_defer ? " { __goc_rv = 0; goto __goc_exit; }" : " return 0;");
    if (c->has_defer) {
        tr_buf_puts(e->out, " goto __goc_exit; __goc_exit: if (__goc_fr.dtop) { __goc_fr.dcur = __goc_fr.dtop;"
                            " __goc_fr.dtop = __goc_fr.dcur->next; goto *__goc_fr.dcur->label; }");
        if (e->void_fn)
            tr_buf_puts(e->out, " goc_frame_finish(&__goc_fr); return;");
        else
            tr_buf_puts(e->out, " if (goc_frame_finish(&__goc_fr)) __builtin_memset(&__goc_rv, 0, sizeof __goc_rv);"
                                " return __goc_rv;");
    }
    tr_buf_puts(e->out, "}");
    e->ctx = saved_ctx;
    e->void_fn = saved_void;
    e->loop_base = saved_base;
    e->in_defer = saved_defer;
    e->rclaim = saved_claim;
}

/* Puts the file-scope text function fn needs (u->pre: its go thunks'
 * structs and prototypes) before it; before the #if, when an #if/#else
 * splits its header (tr_split_header_start): at the function's start it
 * would stand in the branch of the header tree-sitter gave the body to,
 * which the preprocessor may drop.  The #if must start a line: the text
 * goes on a line of its own, and a #line puts the #if back on its own. */
static void emit_pre(em *e, TSNode fn)
{
    tr_buf *o = e->out, *pre = &e->u->pre;
    uint32_t a = ts_node_start_byte(fn);
    uint32_t at = pre->n && tr_node_is(ts_node_parent(fn), "ERROR")
                      ? tr_split_header_start(e->u, a, ts_node_end_byte(fn)) : a;
    size_t i = o->n, k = strcspn(e->u->s + at, "\n");
    if (at < a)   /* the #if line, copied as it is: the last copy of it (none: SIZE_MAX) */
        for (i = o->n >= k ? o->n - k + 1 : 0; i-- > 0;)
            if (!memcmp(o->s + i, e->u->s + at, k) &&
                (i == 0 || o->s[i - 1] == '\n' || o->s[i - 1] == TR_MARK_END))
                break;
    if (at == a || i == SIZE_MAX) { tr_buf_add(o, pre->s, pre->n); return; }
    tr_buf b = { 0 };
    tr_buf_add(&b, o->s, i);
    if (e->u->marks) tr_buf_mark(&b, 'E', 0, 0);
    tr_buf_add(&b, pre->s, pre->n);
    int line = 1;   /* the #if keeps its line: a #line after the lines added */
    for (uint32_t j = 0; j < at; j++) line += e->u->s[j] == '\n';
    tr_buf_printf(&b, "\n#line %d ", line);
    tr_buf_c_string(&b, e->u->opt->in_path);
    tr_buf_puts(&b, "\n");
    if (e->u->marks) tr_buf_mark(&b, 'V', at, 1);
    tr_buf_add(&b, o->s + i, o->n - i);
    free(o->s);
    *o = b;
}

static void emit_function(em *e, TSNode fn)
{
    TSNode body = ts_node_child_by_field_name(fn, "body", 4);
    int ctx = -1;
    for (int i = 0; i < e->u->nctxs; i++)
        if (!e->u->ctxs[i].is_go && ts_node_eq(e->u->ctxs[i].fn, fn)) ctx = i;
    if (ctx < 0 || ts_node_is_null(body)) { tr_emit_default(e, fn); return; }
    TSNode d = tr_fn_declarator(fn);
    TSNode name = ts_node_child_by_field_name(d, "declarator", 10);
    int is_main = tr_node_is(name, "identifier") && tr_is_main(e->u, ts_node_start_byte(name));
    tr_buf fnbuf = { 0 }, *saved = e->out;
    tr_buf_puts(&fnbuf, "");
    e->out = &fnbuf;
    e->u->pre.n = 0;
    tr_buf_puts(&e->u->pre, "");
    uint32_t pos = ts_node_start_byte(fn);
    uint32_t k = ts_node_child_count(fn);
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_child(fn, i);
        copy(e, pos, ts_node_start_byte(c));
        if (ts_node_eq(c, body)) tr_emit_body(e, ctx, body, fn, is_main);
        else tr_emit(e, c);
        pos = ts_node_end_byte(c);
    }
    e->out = saved;
    emit_pre(e, fn);
    tr_buf_add(e->out, fnbuf.s, fnbuf.n);
    free(fnbuf.s);
}

static const char *callee(tr_unit *u, TSNode call)
{
    static const char *names[] = { "__goc_send", "__goc_recv", "__goc_recvok", "__goc_make",
                                   "close", "len", "cap", NULL };
    TSNode f = ts_node_child_by_field_name(call, "function", 8);
    if (!tr_node_is(f, "identifier")) return NULL;
    for (int i = 0; names[i]; i++)
        if (tr_text_is(u, f, names[i])) return names[i];
    return NULL;
}

/* goc_new(T), spelled __goc_new((__typeof__(T) *)0): a zeroed T on the
 * heap, or in a compound literal of its block when it does not escape. */
static void emit_new(em *e, TSNode call)
{
    TSNode args = ts_node_child_by_field_name(call, "arguments", 9);
    TSNode arg = ts_node_named_child(args, 0);
    char *p = tr_emit_flat(e, arg);
    if (!tr_node_is(arg, "cast_expression")) {   /* typeof(E): the type itself */
        char *t = p;
        if (asprintf(&p, "((__typeof__(%s) *)0)", t) < 0) abort();
        free(t);
    }
    int v = tr_ref_lookup(e->u, ts_node_start_byte(call));
    if (e->u->stage == 2 && v >= 0 && !e->u->vars[v].escapes)
        tr_buf_printf(e->out, "((__typeof__(%s))__builtin_memset(&(__typeof__(*%s)){0}, 0, sizeof *%s))", p, p, p);
    else
        tr_buf_printf(e->out, "((__typeof__(%s))goc_alloc(sizeof *%s))", p, p);
    free(p);
    tr_pad_newlines(e, ts_node_start_byte(call), ts_node_end_byte(call));
}

/* Whether n is a construct whose lowering emits generated text after text
 * of its children (such text maps to n's start, see lower.h). */
static int is_lowered(em *e, TSNode n, const char *t)
{
    switch (t[0]) {
    case 'a': return tr_is_recv_assign(e, n);
    case 'l': return tr_label_is(e->u, n, "__goc_go") || tr_label_is(e->u, n, "__goc_defer");
    case 's': return !strcmp(t, "switch_statement");
    case 'f': return !strcmp(t, "for_statement");
    case 'c':
        return !strcmp(t, "call_expression") &&
               (callee(e->u, n) ||
                tr_text_is(e->u, ts_node_child_by_field_name(n, "function", 8), "__goc_new"));
    }
    return 0;
}

static void emit_node(em *e, TSNode n, const char *t);

/* A user label: a backward goto makes a loop, so the labelled statement
 * polls as loop bodies do (in C17 it cannot be a declaration, so the
 * braces change no scope). */
static void emit_label(em *e, TSNode n)
{
    emit_polled(e, n, tr_label_body(n));
}

void tr_emit(em *e, TSNode n)
{
    const char *t = ts_node_type(n);
    tr_where_at(ts_node_start_byte(n));
    if (ts_node_child_count(n) == 0) {
        if (!strcmp(t, "identifier") || !strcmp(t, "type_identifier")) emit_ident(e, n);   /* analyze.c */
        else copy(e, ts_node_start_byte(n), ts_node_end_byte(n));
        return;
    }
    if (!e->u->marks || !is_lowered(e, n, t)) { emit_node(e, n, t); return; }
    tr_mark_push(e, ts_node_start_byte(n));
    emit_node(e, n, t);
    tr_mark_pop(e);
}

static void emit_node(em *e, TSNode n, const char *t)
{
    switch (t[0]) {
    case 'a':
        if (tr_is_recv_assign(e, n)) { tr_emit_recv_assign(e, n); return; }
        break;
    case 'f':
        if (!strcmp(t, "function_definition")) { emit_function(e, n); return; }
        if (!strcmp(t, "for_statement")) { tr_emit_for(e, n); return; }
        break;
    case 'l':
        if (!strcmp(t, "labeled_statement")) {
            if (tr_label_is(e->u, n, "__goc_go")) { tr_emit_go(e, n); return; }
            if (tr_label_is(e->u, n, "__goc_defer")) { tr_emit_defer(e, n); return; }
            if (e->ctx >= 0) { emit_label(e, n); return; }
        }
        break;
    case 's':
        if (!strcmp(t, "switch_statement")) {
            TSNode cond = ts_node_child_by_field_name(n, "condition", 9);
            if (tr_text_is(e->u, cond, "(__goc_select)")) { tr_emit_select(e, n); return; }
            tr_push_loop(e, 0, -1);
            tr_emit_default(e, n);
            e->nloops--;
            return;
        }
        break;
    case 'w':
    case 'd':
        if (!strcmp(t, "while_statement") || !strcmp(t, "do_statement")) {
            tr_push_loop(e, 1, -1);
            tr_emit_loop(e, n);
            e->nloops--;
            return;
        }
        if (!strcmp(t, "declaration")) { emit_declaration(e, n); return; }
        break;
    case 'r':
        if (!strcmp(t, "return_statement")) { emit_return(e, n); return; }
        break;
    case 'b':
        if (!strcmp(t, "break_statement")) { emit_jump(e, n); return; }
        break;
    case 'g':
        if (!strcmp(t, "goto_statement")) { emit_goto(e, n); return; }
        break;
    case 'c':
        if (!strcmp(t, "continue_statement")) { emit_jump(e, n); return; }
        if (!strcmp(t, "call_expression")) {
            TSNode fn = ts_node_child_by_field_name(n, "function", 8);
            if (is_recover_call(e->u, n) && e->in_defer && e->ctx >= 0 && e->u->ctxs[e->ctx].has_defer) {
                tr_buf_puts(e->out, "goc_recover_frame(&__goc_fr)");   /* a deferred block's own recover() */
                return;
            }
            if (is_recover_call(e->u, n) && !e->in_defer && e->rclaim) {
                tr_buf_puts(e->out, "goc_recover_claimed(__goc_rf)");   /* the function body's */
                return;
            }
            if (tr_text_is(e->u, fn, "__goc_new")) {
                emit_new(e, n);
                return;
            }
            const char *name = callee(e->u, n);
            if (name && tr_emit_chan_call(e, n, name)) return;
        }
        break;
    }
    tr_emit_default(e, n);
}
