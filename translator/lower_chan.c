/*
 * lower_chan.c — channel operations, select and range-for.
 *
 * select evaluates every channel operand and send value once, in source
 * order, into locals at the select's position, builds a goc_select_case
 * array and switches on goc_select's answer; each case body is followed by
 * a `break`, so `break` inside a body leaves the select and `continue`
 * reaches the enclosing loop, as in a C switch.
 *
 * A receive assigned to a left side (`a[i()] = <-c`, `p->v, q->ok = <-c`)
 * keeps Go's order: the operands of the left side's indexing and pointer
 * indirections are evaluated first, left to right, then the channel, then
 * the receive blocks, then the assignments happen.  C leaves the order of
 * an assignment's operands open (gcc and clang both receive first), so the
 * lowering evaluates the left side's operands into locals before the
 * receive (lhs_operands) and assigns through them after it (lhs_rest).  It
 * never takes the address of the assigned object itself, only of an array
 * element or of what `->` and `*` already point to, so bit-fields and
 * register variables still work.  A left side of another shape (a macro
 * call, say) is evaluated after the receive, as C would.  A select case's
 * left side is different: Go evaluates it only once the case is chosen,
 * and tr_emit_select does just that.
 */
#include "emit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *SENDONLY = "invalid operation: cannot receive from send-only channel";
static const char *RECVONLY = "invalid operation: cannot send to receive-only channel";


/* ---- left sides of receives ---------------------------------------------- */

/* n without enclosing parentheses. */
static TSNode unparen(TSNode n)
{
    while (tr_node_is(n, "parenthesized_expression") && ts_node_named_child_count(n) == 1)
        n = ts_node_named_child(n, 0);
    return n;
}

/* Whether n is `X->f` (else `X.f`). */
static int is_arrow(em *e, TSNode n)
{
    return tr_text_is(e->u, ts_node_child_by_field_name(n, "operator", 8), "->");
}

/* Whether n is `*X`. */
static int is_deref(em *e, TSNode n)
{
    return tr_node_is(n, "pointer_expression") &&
           tr_text_is(e->u, ts_node_child_by_field_name(n, "operator", 8), "*");
}

/* The part of left side n whose operands Go evaluates before the right
 * side: the outermost `X[I]`, `X->f` or `*X` once `X.f` is looked into
 * (the operands of the ones inside it come with it); null for a name. */
static TSNode lhs_operand(em *e, TSNode n)
{
    n = unparen(n);
    if (tr_node_is(n, "field_expression") && !is_arrow(e, n))
        return lhs_operand(e, ts_node_child_by_field_name(n, "argument", 8));
    if (tr_node_is(n, "subscript_expression") || tr_node_is(n, "field_expression") || is_deref(e, n))
        return n;
    return (TSNode){ 0 };
}

/* Pass 1 over left side n: evaluates its operand (lhs_operand) into local
 * goc__l<id>_<k>: the element's address for `X[I]`, the pointer X for
 * `X->f` and `*X`.  Returns the next k. */
static int lhs_operands(em *e, TSNode n, uint32_t id, int k)
{
    TSNode m = lhs_operand(e, n);
    if (ts_node_is_null(m)) return k;
    int sub = tr_node_is(m, "subscript_expression");
    tr_buf_printf(e->out, " __auto_type goc__l%u_%d = %s(", id, k, sub ? "&" : "");
    tr_emit(e, sub ? m : ts_node_child_by_field_name(m, "argument", 8));
    tr_buf_puts(e->out, ");");
    return k + 1;
}

/* Pass 2: the left side n with pass 1's operands replaced by their locals
 * (k numbers them as pass 1 did); pads the newlines of the text it drops.
 * Returns the next k. */
static int lhs_rest(em *e, TSNode paren, uint32_t id, int k)
{
    TSNode n = unparen(paren), x = ts_node_child_by_field_name(n, "argument", 8);
    tr_pad_newlines(e, ts_node_start_byte(paren), ts_node_start_byte(n));
    tr_pad_newlines(e, ts_node_end_byte(n), ts_node_end_byte(paren));
    if (tr_node_is(n, "field_expression")) {
        TSNode f = ts_node_child_by_field_name(n, "field", 5);
        if (is_arrow(e, n)) tr_buf_printf(e->out, "goc__l%u_%d->", id, k++);
        else { tr_buf_puts(e->out, "("); k = lhs_rest(e, x, id, k); tr_buf_puts(e->out, ")."); }
        tr_emit(e, f);
        tr_pad_newlines(e, ts_node_end_byte(x), ts_node_start_byte(f));
    } else if (tr_node_is(n, "subscript_expression") || is_deref(e, n)) {
        tr_buf_printf(e->out, "(*goc__l%u_%d)", id, k++);
        if (!tr_node_is(n, "subscript_expression"))   /* pass 1 had X, not the `*` */
            tr_pad_newlines(e, ts_node_start_byte(n), ts_node_start_byte(x));
    } else
        tr_emit(e, n);
    return k;
}

int tr_is_recv_assign(em *e, TSNode n)
{
    TSNode call = unparen(ts_node_child_by_field_name(n, "right", 5));
    return tr_node_is(n, "assignment_expression") && tr_node_is(call, "call_expression") &&
           tr_text_is(e->u, ts_node_child_by_field_name(call, "function", 8), "__goc_recv") &&
           !ts_node_is_null(lhs_operand(e, ts_node_child_by_field_name(n, "left", 4)));
}

/* `L = <-c` and `L op= <-c` (tr_is_recv_assign): a statement expression
 * with L's operand, the receive, then the assignment, whose value is the
 * expression's. */
void tr_emit_recv_assign(em *e, TSNode n)
{
    TSNode l = ts_node_child_by_field_name(n, "left", 4), r = ts_node_child_by_field_name(n, "right", 5);
    TSNode op = ts_node_child_by_field_name(n, "operator", 8);
    uint32_t id = ts_node_start_byte(n);
    tr_buf *o = e->out;
    if (tr_node_is(ts_node_parent(n), "expression_statement")) tr_buf_puts(o, "(void)");
    tr_buf_puts(o, "(__extension__({");
    lhs_operands(e, l, id, 0);
    tr_buf_printf(o, " __auto_type goc__a%u = (", id);
    tr_emit(e, r);
    tr_buf_puts(o, "); ");
    lhs_rest(e, l, id, 0);
    tr_buf_puts(o, " ");
    tr_emit(e, op);
    tr_buf_printf(o, " goc__a%u; }))", id);
    tr_pad_newlines(e, ts_node_end_byte(l), ts_node_start_byte(r));
}

/* ---- channel calls -------------------------------------------------------- */

/* `_Static_assert` that temporary goc__c<id> is a channel (a pointer;
 * anything else is not), first of the operation's checks, with Go's
 * message naming the operand as written: "invalid operation: cannot
 * receive from non-channel x".  The driver keeps this error and drops the
 * ones that follow from the same operand (driver_diag.c). */
static void chan_temp_check(em *e, uint32_t id, TSNode operand, const char *what)
{
    tr_buf *o = e->out;
    char *text = tr_node_text(e->u, operand);
    for (char *p = text; *p; p++)   /* one line of message */
        if (*p == '\n' || *p == '\t' || *p == '\r') *p = ' ';
    tr_buf_printf(o, " _Static_assert(__builtin_classify_type(goc__c%u) == 5, \"invalid operation: %s\"",
                  id, what);
    if (!strstr(text, "__goc_")) {   /* a nested lowering's text says nothing */
        tr_buf_puts(o, " \" \" ");
        tr_buf_c_string(o, text);
    }
    tr_buf_puts(o, ");");
    free(text);
}

int tr_emit_chan_call(em *e, TSNode call, const char *name)
{
    tr_buf *o = e->out;
    uint32_t id = ts_node_start_byte(call);
    if (!strcmp(name, "__goc_send")) {
        tr_buf_printf(o, "do { __auto_type goc__c%u = (", id);
        tr_emit(e, tr_call_arg(call, 0));
        tr_buf_puts(o, ");");
        chan_temp_check(e, id, tr_call_arg(call, 0), "cannot send to non-channel");
        tr_buf_printf(o, " _Static_assert(!goc__is_recvonly(goc__c%u), \"%s\");"
                         " __typeof__((**goc__c%u)[0]) goc__v%u = (", id, RECVONLY, id, id);
        tr_emit(e, tr_call_arg(call, 1));
        tr_buf_printf(o, "); goc_chan_send((goc_chan *)goc__c%u, &goc__v%u); } while (0)", id, id);
        return 1;
    }
    if (!strcmp(name, "__goc_recv")) {
        if (tr_node_is(ts_node_parent(call), "expression_statement"))
            tr_buf_puts(o, "(void)");   /* `<-c;`: the value is dropped (clang warns) */
        tr_buf_printf(o, "(__extension__({ __auto_type goc__c%u = (", id);
        tr_emit(e, tr_call_arg(call, 0));
        tr_buf_puts(o, ");");
        chan_temp_check(e, id, tr_call_arg(call, 0), "cannot receive from non-channel");
        tr_buf_printf(o, " _Static_assert(!goc__is_sendonly(goc__c%u), \"%s\");"
                         " __typeof__((**goc__c%u)[0]) goc__v%u; goc_chan_recv((goc_chan *)goc__c%u, &goc__v%u);"
                         " goc__v%u; }))", id, SENDONLY, id, id, id, id, id);
        return 1;
    }
    if (!strcmp(name, "__goc_recvok")) {   /* v, ok = <-c: the left sides' operands first */
        TSNode v = tr_call_arg(call, 0), ok = tr_call_arg(call, 1), c = tr_call_arg(call, 2);
        tr_buf_puts(o, "do {");
        lhs_operands(e, ok, id, lhs_operands(e, v, id, 0));
        tr_buf_printf(o, " __auto_type goc__c%u = (", id);
        tr_emit(e, c);
        tr_buf_puts(o, ");");
        chan_temp_check(e, id, c, "cannot receive from non-channel");
        tr_buf_printf(o, " _Static_assert(!goc__is_sendonly(goc__c%u), \"%s\");"
                         " __typeof__((**goc__c%u)[0]) goc__v%u; _Bool goc__ok%u ="
                         " goc_chan_recv((goc_chan *)goc__c%u, &goc__v%u); (", id, SENDONLY, id, id, id, id, id);
        int k = lhs_rest(e, v, id, 0);
        tr_buf_printf(o, ") = goc__v%u; (", id);
        lhs_rest(e, ok, id, k);
        tr_buf_printf(o, ") = goc__ok%u; } while (0)", id);
        tr_pad_newlines(e, ts_node_end_byte(v), ts_node_start_byte(ok));
        tr_pad_newlines(e, ts_node_end_byte(ok), ts_node_start_byte(c));
        return 1;
    }
    if (!strcmp(name, "__goc_make")) {
        tr_buf_puts(o, "((");
        tr_emit(e, tr_call_arg(call, 0));
        tr_buf_puts(o, ")goc_chan_make(sizeof((**(");
        tr_emit(e, tr_call_arg(call, 0));
        tr_buf_puts(o, ")0)[0]), (");
        tr_emit(e, tr_call_arg(call, 1));
        tr_buf_puts(o, ")))");
        return 1;
    }
    /* close, len, cap: builtins only on a channel operand */
    TSNode f = ts_node_child_by_field_name(call, "function", 8);
    if (tr_call_nargs(call) != 1 || tr_ref_lookup(e->u, ts_node_start_byte(f)) >= 0) return 0;
    char probe[64];
    snprintf(probe, sizeof probe, "__goc_cl%u", id);
    if (e->u->stage == 1) {
        tr_buf_printf(o, "%s((__extension__({ __auto_type %s = (", name, probe);
        tr_emit(e, tr_call_arg(call, 0));
        tr_buf_printf(o, "); %s; })))", probe);
        return 1;
    }
    if (!tr_type_is_chan(e->u, probe)) return 0;
    if (!strcmp(name, "close")) {
        tr_buf_printf(o, "(__extension__({ __auto_type goc__c%u = (", id);
        tr_emit(e, tr_call_arg(call, 0));
        tr_buf_printf(o, "); _Static_assert(!goc__is_recvonly(goc__c%u),"
                         " \"invalid operation: cannot close receive-only channel\");"
                         " goc_chan_close((goc_chan *)goc__c%u); }))", id, id);
    } else {
        tr_buf_printf(o, "goc_chan_%s((goc_chan *)(", name);
        tr_emit(e, tr_call_arg(call, 0));
        tr_buf_puts(o, "))");
    }
    return 1;
}

/* ---- select -------------------------------------------------------------- */

enum { SC_RECV, SC_ASSIGN, SC_DECL, SC_OK, SC_SEND, SC_DEFAULT, SC_BAD };

static int case_kind(em *e, TSNode value, TSNode *chan, TSNode *val, TSNode *l1, TSNode *l2, int *decl)
{
    tr_unit *u = e->u;
    if (ts_node_is_null(value)) return SC_DEFAULT;
    TSNode call = value;
    int kind = SC_RECV;
    if (tr_node_is(value, "assignment_expression")) {
        TSNode left = ts_node_child_by_field_name(value, "left", 4);
        call = ts_node_child_by_field_name(value, "right", 5);
        char *lt = tr_node_text(u, left);
        if (!strncmp(lt, "__goc_recvdecl_", 15)) { kind = SC_DECL; *decl = atoi(lt + 15); }
        else { kind = SC_ASSIGN; *l1 = left; }
        free(lt);
    }
    if (!tr_node_is(call, "call_expression")) return SC_BAD;
    TSNode f = ts_node_child_by_field_name(call, "function", 8);
    if (tr_text_is(u, f, "__goc_recv")) { *chan = tr_call_arg(call, 0); return kind; }
    if (kind != SC_RECV) return SC_BAD;
    if (tr_text_is(u, f, "__goc_recvok")) {
        *l1 = tr_call_arg(call, 0); *l2 = tr_call_arg(call, 1); *chan = tr_call_arg(call, 2);
        return SC_OK;
    }
    if (tr_text_is(u, f, "__goc_send")) { *chan = tr_call_arg(call, 0); *val = tr_call_arg(call, 1); return SC_SEND; }
    return SC_BAD;
}

static TSNode colon_of(TSNode c)
{
    uint32_t k = ts_node_child_count(c);
    for (uint32_t i = 0; i < k; i++) {
        TSNode x = ts_node_child(c, i);
        if (!ts_node_is_named(x) && !strcmp(ts_node_type(x), ":")) return x;
    }
    return (TSNode){ 0 };
}

void tr_emit_select(em *e, TSNode n)
{
    tr_unit *u = e->u;
    tr_buf *o = e->out;
    uint32_t id = ts_node_start_byte(n);
    TSNode body = ts_node_child_by_field_name(n, "body", 4);
    uint32_t nc = ts_node_named_child_count(body);
    int ncases = 0, has_default = 0;
    tr_buf_puts(o, "{");
    for (uint32_t i = 0; i < nc; i++) {
        TSNode c = ts_node_named_child(body, i);
        if (!tr_node_is(c, "case_statement")) continue;
        TSNode value = ts_node_child_by_field_name(c, "value", 5), ch = { 0 }, val = { 0 }, l1, l2;
        int decl;
        int k = case_kind(e, value, &ch, &val, &l1, &l2, &decl);
        if (k == SC_DEFAULT) {
            if (has_default) tr_err(e, c, "multiple defaults in select");
            has_default = 1;
            continue;
        }
        if (k == SC_BAD) {
            tr_err(e, value, "select case must be a receive (v = <-c, T v = <-c, v, ok = <-c, <-c) or a send (c <- v)");
            continue;
        }
        tr_mark_push(e, ts_node_start_byte(k == SC_SEND ? val : ch));   /* errors: at the operand */
        char *cs = tr_emit_flat(e, ch);
        tr_buf_printf(o, " __auto_type __goc_s%u_c%d = (%s);"
                         " __typeof__((**__goc_s%u_c%d)[0]) __goc_s%u_v%d",
                      id, ncases, cs, id, ncases, id, ncases);
        free(cs);
        if (k == SC_SEND) {
            char *vs = tr_emit_flat(e, val);
            tr_buf_printf(o, " = (%s)", vs);
            free(vs);
        }
        tr_buf_puts(o, ";");
        tr_mark_pop(e);
        ncases++;
    }
    if (ncases) {
        tr_buf_printf(o, " goc_select_case __goc_s%u[%d] = {", id, ncases);
        int ci = 0;
        for (uint32_t i = 0; i < nc; i++) {
            TSNode c = ts_node_named_child(body, i);
            if (!tr_node_is(c, "case_statement")) continue;
            TSNode value = ts_node_child_by_field_name(c, "value", 5), ch, val, l1, l2;
            int decl, k = case_kind(e, value, &ch, &val, &l1, &l2, &decl);
            if (k == SC_DEFAULT || k == SC_BAD) continue;
            tr_buf_printf(o, "%s { (goc_chan *)__goc_s%u_c%d, &__goc_s%u_v%d, %s, 0 }", ci ? "," : "",
                          id, ci, id, ci, k == SC_SEND ? "GOC_SELECT_SEND" : "GOC_SELECT_RECV");
            ci++;
        }
        tr_buf_printf(o, " }; switch (goc_select(__goc_s%u, %d, %d)) ", id, ncases, has_default);
    } else
        tr_buf_printf(o, " switch (goc_select((goc_select_case *)0, 0, %d)) ", has_default);
    tr_pad_newlines(e, ts_node_start_byte(n), ts_node_start_byte(body));
    /* the body: case heads become indices */
    tr_push_loop(e, 0, -1);
    uint32_t pos = ts_node_start_byte(body);
    uint32_t kc = ts_node_child_count(body);
    int ci = 0;
    for (uint32_t i = 0; i < kc; i++) {
        TSNode c = ts_node_child(body, i);
        tr_buf_add(o, u->s + pos, ts_node_start_byte(c) - pos);
        pos = ts_node_end_byte(c);
        if (!tr_node_is(c, "case_statement")) { tr_emit(e, c); continue; }
        TSNode value = ts_node_child_by_field_name(c, "value", 5), ch, val, l1, l2;
        int decl = -1, k = case_kind(e, value, &ch, &val, &l1, &l2, &decl);
        TSNode colon = colon_of(c);
        if (ts_node_is_null(colon) || k == SC_BAD) { tr_emit_default(e, c); continue; }
        if (k == SC_DEFAULT) tr_buf_puts(o, "default:");
        else   /* the direction check sits on the case's own line */
            tr_buf_printf(o, "case %d: ; _Static_assert(!goc__is_%s(__goc_s%u_c%d), \"%s\");", ci,
                          k == SC_SEND ? "recvonly" : "sendonly", id, ci,
                          k == SC_SEND ? RECVONLY : SENDONLY);
        if (k == SC_ASSIGN) {
            char *ls = tr_emit_flat(e, l1);
            tr_buf_printf(o, " %s = __goc_s%u_v%d;", ls, id, ci);
            free(ls);
        } else if (k == SC_OK) {
            char *a = tr_emit_flat(e, l1), *b = tr_emit_flat(e, l2);
            tr_buf_printf(o, " %s = __goc_s%u_v%d; %s = __goc_s%u[%d].ok;", a, id, ci, b, id, ci);
            free(a);
            free(b);
        } else if (k == SC_DECL) {
            tr_buf_printf(o, " { %s = __goc_s%u_v%d;", u->sp->decls[decl].decl, id, ci);
            for (int b = 0; b < u->nboxed; b++)
                if (u->vars[u->boxed[b]].kind == VAR_CASE &&
                    u->vars[u->boxed[b]].box_from == ts_node_end_byte(value))
                    tr_emit_box(e, u->boxed[b]);
        }
        tr_pad_newlines(e, ts_node_start_byte(c), ts_node_end_byte(colon));
        uint32_t p2 = ts_node_end_byte(colon), kk = ts_node_child_count(c);
        for (uint32_t j = 0; j < kk; j++) {
            TSNode s = ts_node_child(c, j);
            if (ts_node_start_byte(s) < p2) continue;
            tr_buf_add(o, u->s + p2, ts_node_start_byte(s) - p2);
            tr_emit(e, s);
            p2 = ts_node_end_byte(s);
        }
        tr_buf_add(o, u->s + p2, ts_node_end_byte(c) - p2);
        tr_buf_puts(o, k == SC_DECL ? " } break;" : " break;");
        if (k != SC_DEFAULT) ci++;
    }
    tr_buf_add(o, u->s + pos, ts_node_end_byte(body) - pos);
    e->nloops--;
    tr_buf_puts(o, " }");
}

/* ---- for ------------------------------------------------------------------ */

static void range_for(em *e, TSNode n, TSNode init, TSNode cond, TSNode body)
{
    tr_unit *u = e->u;
    tr_buf *o = e->out;
    uint32_t id = ts_node_start_byte(n);
    char *ch = tr_emit_flat(e, tr_call_arg(cond, 0));
    tr_buf_printf(o, "for (__auto_type __goc_r%u = (%s);;) {", id, ch);
    free(ch);
    /* the declaration "T v" (without its ';') */
    char *decl = tr_node_text(u, init);
    size_t dl = strlen(decl);
    while (dl && (decl[dl - 1] == ';' || decl[dl - 1] == ' ')) decl[--dl] = 0;
    for (char *q = decl; *q; q++) if (*q == '\n') *q = ' ';
    TSNode name = ts_node_child_by_field_name(init, "declarator", 10);
    while (!ts_node_is_null(name) && !tr_node_is(name, "identifier"))
        name = ts_node_child_by_field_name(name, "declarator", 10);
    if (ts_node_is_null(name)) {
        tr_err(e, init, "for (T v : ch) needs a variable to receive into");
        free(decl);
        return;
    }
    char *vname = tr_node_text(u, name);
    tr_buf_printf(o, " %s; if (!goc__recv_into(__goc_r%u, &%s)) break;", decl, id, vname);
    free(vname);
    free(decl);
    for (int b = 0; b < u->nboxed; b++)
        if (u->vars[u->boxed[b]].kind == VAR_RANGE &&
            u->vars[u->boxed[b]].box_from == ts_node_start_byte(body))
            tr_emit_box(e, u->boxed[b]);
    tr_pad_newlines(e, ts_node_start_byte(n), ts_node_start_byte(body));
    tr_buf_puts(o, " ");
    tr_push_loop(e, 1, -1);
    tr_emit(e, body);
    e->nloops--;
    tr_buf_puts(o, " }");
}

void tr_emit_for(em *e, TSNode n)
{
    tr_unit *u = e->u;
    TSNode init = ts_node_child_by_field_name(n, "initializer", 11);
    TSNode cond = ts_node_child_by_field_name(n, "condition", 9);
    TSNode body = ts_node_child_by_field_name(n, "body", 4);
    if (tr_node_is(cond, "call_expression") &&
        tr_text_is(u, ts_node_child_by_field_name(cond, "function", 8), "__goc_range") &&
        tr_node_is(init, "declaration")) {
        range_for(e, n, init, cond, body);
        return;
    }
    int *boxed = malloc(sizeof *boxed * (size_t)(u->nboxed + 1)), nb = 0;
    for (int b = 0; b < u->nboxed; b++)
        if (u->vars[u->boxed[b]].kind == VAR_FOR && !ts_node_is_null(body) &&
            u->vars[u->boxed[b]].box_from == ts_node_start_byte(body))
            boxed[nb++] = u->boxed[b];
    if (!nb) {
        free(boxed);
        tr_push_loop(e, 1, -1);
        tr_emit_loop(e, n);
        e->nloops--;
        return;
    }
    /* Go 1.22 loop variables: a fresh box per iteration, copied back for
     * the post statement. */
    uint32_t pos = ts_node_start_byte(n);
    uint32_t k = ts_node_child_count(n);
    for (uint32_t i = 0; i < k; i++) {
        TSNode c = ts_node_child(n, i);
        tr_buf_add(e->out, u->s + pos, ts_node_start_byte(c) - pos);
        pos = ts_node_end_byte(c);
        if (!ts_node_eq(c, body)) { tr_emit(e, c); continue; }
        int label = (int)ts_node_start_byte(body);
        tr_buf_puts(e->out, "{ GOC__PREEMPT_POLL();");
        for (int b = 0; b < nb; b++) tr_emit_box(e, boxed[b]);
        tr_buf_puts(e->out, " ");
        tr_push_loop(e, 1, label);
        tr_emit(e, body);
        e->nloops--;
        tr_buf_printf(e->out, " __goc_cont_%d: ;", label);
        for (int b = 0; b < nb; b++)
            tr_buf_printf(e->out, " %s = *__goc_box_%d;", u->vars[boxed[b]].name, boxed[b]);
        tr_buf_puts(e->out, " }");
    }
    tr_buf_add(e->out, u->s + pos, ts_node_end_byte(n) - pos);
    free(boxed);
}
