/*
 * lower_go.c — go statements and defer statements (see lower.c's header
 * for the shapes; goc.h explains inline frames).
 */
#include "emit.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int src_line(em *e, TSNode n)
{
    int line, col;
    tr_line_col(e->u->diag->src, tr_src_off(e->u, ts_node_start_byte(n)), &line, &col);
    return line;
}

/* Type of a stage-1 probe, or an error and "int". */
static const char *probe_type(em *e, TSNode at, const char *name)
{
    const char *t = tr_type_of(e->u, name);
    if (t && !strstr(t, "(anonymous") && !strstr(t, "(unnamed")) return t;
    tr_err(e, at, t ? "a go statement cannot carry a value of a local or anonymous type (%s)"
                    : "cannot determine the type of a value the go statement carries (%s)",
           t ? t : name);
    return "int";
}

/* probe_type for a go call's function or argument.  When libclang's parse
 * had errors and this probe has no type, the value itself is in error (an
 * undeclared name) and the C compiler reports it at the value: FALLBACK,
 * a type that compiles, stands in for it at file scope, and a check at the
 * go statement makes sure it was the real type after all (a pointer to
 * another type is an incompatible-pointer-types error there; when the
 * value is in error, the check's own error names __goc_ and is dropped by
 * the goc command as a follow-on). */
static const char *call_type(em *e, TSNode at, const char *name, const char *fallback)
{
    if (!e->u->types.errors || tr_type_of(e->u, name)) return probe_type(e, at, name);
    tr_buf_printf(e->out, " __typeof__(%s) *%s_check = &%s; (void)%s_check;", fallback, name, name, name);
    return fallback;
}

/* Evaluates a call's function and arguments, in order, into locals
 * PREFIX<id>_f and PREFIX<id>_<k>; returns the number of arguments.  Shared
 * by go and defer, which both evaluate now and call later. */
static uint32_t emit_call_locals(em *e, TSNode call, const char *prefix, uint32_t id)
{
    TSNode fn = ts_node_child_by_field_name(call, "function", 8);
    TSNode args = ts_node_child_by_field_name(call, "arguments", 9);
    uint32_t na = ts_node_named_child_count(args), k = 0;
    tr_buf_printf(e->out, " __auto_type %s%u_f = (", prefix, id);
    tr_emit(e, fn);
    tr_buf_puts(e->out, ");");
    for (uint32_t i = 0; i < na; i++) {
        TSNode a = ts_node_named_child(args, i);
        if (tr_node_is(a, "comment")) continue;
        tr_buf_printf(e->out, " __auto_type %s%u_%u = (", prefix, id, k++);
        tr_emit(e, a);
        tr_buf_puts(e->out, ");");
    }
    return k;
}

/* go and defer of a channel builtin (close, len, cap of a channel).  The
 * callee is an identifier close/len/cap that names no local and the call
 * has one argument: stage 1 only evaluates the operand into a probe
 * PREFIX<id>_0; stage 2 asks its type.  Returns the builtin's name when the
 * operand is a channel (the operand local is then emitted), else NULL and
 * the call is lowered as an ordinary one (POSIX close(fd)).  *done is set
 * when stage 1 emitted the probe and nothing else is to be done. */
static const char *chan_builtin(em *e, TSNode call, const char *prefix, uint32_t id, int *done)
{
    TSNode f = ts_node_child_by_field_name(call, "function", 8);
    TSNode args = ts_node_child_by_field_name(call, "arguments", 9);
    *done = 0;
    if (!tr_node_is(f, "identifier") || tr_ref_lookup(e->u, ts_node_start_byte(f)) >= 0 ||
        ts_node_named_child_count(args) != 1 || tr_node_is(ts_node_named_child(args, 0), "comment"))
        return NULL;
    const char *name = tr_text_is(e->u, f, "close") ? "close"
                     : tr_text_is(e->u, f, "len") ? "len"
                     : tr_text_is(e->u, f, "cap") ? "cap" : NULL;
    if (!name) return NULL;
    char probe[64];
    snprintf(probe, sizeof probe, "%s%u_0", prefix, id);
    if (e->u->stage == 1) *done = 1;
    else {
        if (!tr_type_is_chan(e->u, probe)) return NULL;
    }
    tr_buf_printf(e->out, "{ __auto_type %s = (", probe);
    tr_emit(e, ts_node_named_child(args, 0));
    tr_buf_printf(e->out, "); (void)%s;", probe);
    if (*done) tr_buf_puts(e->out, " }");
    return name;
}

/* Go's compile-time check that channel expression CH may be closed. */
static void emit_close_check(tr_buf *o, const char *ch)
{
    tr_buf_printf(o, " _Static_assert(!goc__is_recvonly(%s),"
                     " \"invalid operation: cannot close receive-only channel\");", ch);
}

/* The shared start of go and defer of a channel builtin: 0 when the call
 * is no channel builtin, 1 when it is handled (stage 1's probe, or len/cap
 * rejected as in Go), 2 when the close of channel `ch` remains to lower. */
static int builtin_close(em *e, TSNode call, const char *prefix, uint32_t id, const char *stmt,
                         char *ch, size_t n)
{
    int done;
    const char *b = chan_builtin(e, call, prefix, id, &done);
    if (!b) return 0;
    if (done) return 1;
    if (strcmp(b, "close")) {
        char *t = tr_node_text(e->u, call);
        tr_err(e, call, "%s discards result of %s", stmt, t);
        free(t);
        tr_buf_puts(e->out, " }");
        return 1;
    }
    snprintf(ch, n, "%s%u_0", prefix, id);
    emit_close_check(e->out, ch);
    return 2;
}

/* go close(ch): a goroutine that closes the channel evaluated now. */
static int go_builtin(em *e, TSNode n, TSNode call)
{
    uint32_t id = ts_node_start_byte(n);
    char ch[64];
    int r = builtin_close(e, call, "__goc_gc", id, "go", ch, sizeof ch);
    if (r != 2) return r;
    tr_buf *o = e->out;
    tr_buf_printf(&e->u->pre, "static void __goc_gc%u_run(void *__goc_v) { goc_chan_close(__goc_v); } ", id);
    tr_buf_printf(o, " goc_go_at(__goc_gc%u_run, (void *)%s, ", id, ch);
    tr_buf_c_string(o, e->u->opt->in_path);
    tr_buf_printf(o, ", %d); }", src_line(e, n));
    return 1;
}

static void go_call(em *e, TSNode n, TSNode call)
{
    uint32_t id = ts_node_start_byte(n);
    tr_buf *o = e->out;
    if (go_builtin(e, n, call)) return;
    tr_buf_puts(o, "{");
    uint32_t k = emit_call_locals(e, call, "__goc_gc", id);
    if (e->u->stage == 1) { tr_buf_puts(o, " }"); return; }
    char name[64];
    tr_buf *pre = &e->u->pre;
    /* the file-scope struct and thunk stand for the call: an error the C
     * compiler finds there (an argument f cannot take) is the call's */
    if (e->u->marks) tr_buf_mark(pre, 'G', ts_node_start_byte(call), 1);
    e->u->go_calls = realloc(e->u->go_calls, sizeof *e->u->go_calls * (size_t)(e->u->ngo_calls + 1) * 2);
    e->u->go_calls[2 * e->u->ngo_calls] = id;
    e->u->go_calls[2 * e->u->ngo_calls++ + 1] = (uint32_t)e->u->ctxs[e->ctx].top;
    snprintf(name, sizeof name, "__goc_gc%u_f", id);
    tr_buf_printf(pre, "struct __goc_gc%u { __typeof__(%s) f;", id, call_type(e, n, name, "void (*)()"));
    for (uint32_t i = 0; i < k; i++) {
        snprintf(name, sizeof name, "__goc_gc%u_%u", id, i);
        tr_buf_printf(pre, " __typeof__(%s) a%u;", call_type(e, n, name, "int"), i);
    }
    tr_buf_printf(pre, " }; static void __goc_gc%u_run(void *__goc_v) { struct __goc_gc%u *__goc_e = __goc_v;",
                  id, id);
    /* A plain function name calls through a local of that name, so that
     * the C compiler's complaint about the arguments names the function
     * ("too few arguments to function 'f'"), not the thunk's field; the
     * parentheses keep a function-like macro of that name out of it. */
    TSNode fn = ts_node_child_by_field_name(call, "function", 8);
    uint32_t fa = ts_node_start_byte(fn), fb = ts_node_end_byte(fn);
    if (tr_node_is(fn, "identifier") && fb - fa < 48 && strncmp(e->u->s + fa, "__goc", 5) != 0)
        tr_buf_printf(pre, " __auto_type %.*s = __goc_e->f; (%.*s)(", (int)(fb - fa), e->u->s + fa,
                      (int)(fb - fa), e->u->s + fa);
    else
        tr_buf_puts(pre, " __goc_e->f(");
    for (uint32_t i = 0; i < k; i++) tr_buf_printf(pre, "%s__goc_e->a%u", i ? ", " : "", i);
    tr_buf_puts(pre, "); } ");
    if (e->u->marks) tr_buf_mark(pre, 'P', 0, 0);
    /* the function and arguments travel on the new goroutine's stack (the
     * runtime copies them there), so a go statement allocates nothing */
    tr_buf_printf(o, " struct __goc_gc%u __goc_e; __goc_e.f = __goc_gc%u_f;", id, id);
    for (uint32_t i = 0; i < k; i++) tr_buf_printf(o, " __goc_e.a%u = __goc_gc%u_%u;", i, id, i);
    tr_buf_printf(o, " goc_go_copy_at(__goc_gc%u_run, &__goc_e, sizeof __goc_e, ", id);
    tr_buf_c_string(o, e->u->opt->in_path);
    tr_buf_printf(o, ", %d); }", src_line(e, n));
}

/* Whether t defines a struct, union or enum (it has a body). */
static int is_tag_definition(TSNode t)
{
    if (ts_node_is_null(t)) return 0;
    if (!tr_node_is(t, "struct_specifier") && !tr_node_is(t, "union_specifier") &&
        !tr_node_is(t, "enum_specifier"))
        return 0;
    return !ts_node_is_null(ts_node_child_by_field_name(t, "body", 4));
}

/* Whether an identifier in n names a variable of the function (a VLA's
 * length, a typeof operand): a copy of such a declaration would not
 * compile in the lifted function, so it is not made. */
static int names_local_var(em *e, TSNode n, int top)
{
    /* typeof(x) may parse x as a type name: those are looked at too */
    if (tr_node_is(n, "identifier") || tr_node_is(n, "type_identifier")) {
        uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
        for (int v = 0; v < e->u->nvars; v++) {
            const char *name = e->u->vars[v].name;
            if (e->u->ctxs[e->u->vars[v].ctx].top == top && e->u->vars[v].kind != VAR_CONST &&
                strlen(name) == b - a &&
                !memcmp(name, e->u->s + a, b - a))
                return 1;
        }
        return 0;
    }
    for (uint32_t i = 0, nc = ts_node_named_child_count(n); i < nc; i++)
        if (names_local_var(e, ts_node_named_child(n, i), top)) return 1;
    return 0;
}

/* Types declared inside the function before a go block (typedefs, tagged
 * or anonymous struct, union and enum definitions, enum constants) are
 * not visible in the block's lifted function at file scope.  A Go
 * programmer expects a closure to see them, so the lifted function
 * declares them again, copied in order: the copies have the same layout
 * and the same constants, and the block's values reach them through the
 * environment's void pointer.  Only the type part of a declaration is
 * copied (`struct pt {...} p = ...;` gives `struct pt {...};`).  Not
 * copied: a declaration that names a variable of the function (a VLA
 * typedef, typeof of a local: it would not compile there), and an
 * anonymous struct or union declared with its variable (the copy would
 * define nothing).  A block that uses those fails to compile, as before.
 * (A local tag that shadows a file-scope one declared before a captured
 * variable of the outer type would be spelled wrongly; not handled.)  Returns
 * how many there are; with emit, writes them to e->out. */
static int local_types(em *e, TSNode go, int emit)
{
    int top = e->u->ctxs[e->ctx].top;
    TSNode scopes[64];
    int ns = 0;
    for (TSNode a = ts_node_parent(go); !ts_node_is_null(a) && ns < 64; a = ts_node_parent(a)) {
        if (tr_node_is(a, "function_definition") && !ts_node_is_null(tr_fn_declarator(a))) break;
        if (tr_node_is(a, "compound_statement") || tr_node_is(a, "case_statement")) scopes[ns++] = a;
    }
    int count = 0;
    uint32_t at = ts_node_start_byte(go);
    for (int i = ns - 1; i >= 0; i--) {           /* outermost scope first */
        for (uint32_t k = 0, nc = ts_node_named_child_count(scopes[i]); k < nc; k++) {
            TSNode d = ts_node_named_child(scopes[i], k);
            if (ts_node_start_byte(d) >= at) break;
            TSNode t = ts_node_child_by_field_name(d, "type", 4);
            if (names_local_var(e, tr_node_is(d, "declaration") ? t : d, top)) continue;
            if (tr_node_is(d, "type_definition")) {
                if (emit) tr_emit(e, d);
            } else if (is_tag_definition(d)) {
                if (emit) { tr_emit(e, d); tr_buf_puts(e->out, ";"); }
            } else if (tr_node_is(d, "declaration") && is_tag_definition(t) &&
                       (tr_node_is(t, "enum_specifier") ||   /* its constants */
                        !ts_node_is_null(ts_node_child_by_field_name(t, "name", 4)))) {
                if (emit) { tr_emit(e, t); tr_buf_puts(e->out, ";"); }
            } else {
                continue;
            }
            if (emit) tr_buf_puts(e->out, " ");
            count++;
        }
    }
    return count;
}

static void go_block(em *e, TSNode n, TSNode block)
{
    int g = tr_ctx_of_go(e->u, block);
    if (g < 0) { tr_emit_default(e, n); return; }
    tr_ctx *c = &e->u->ctxs[g];
    tr_var *vars = e->u->vars;
    char name[64], buf[64];
    if (e->u->stage == 1) {   /* inline, for the type probes (of copies: __goc_cv_N) */
        tr_buf_puts(e->out, "{");
        for (int i = 0; i < c->ncaps; i++)
            if (vars[c->caps[i]].cap_copy)
                tr_buf_printf(e->out, " __auto_type __goc_cv_%d = (%s); (void)__goc_cv_%d;", c->caps[i],
                              tr_capture_ref(e, c->caps[i], buf, sizeof buf), c->caps[i]);
        tr_emit_body(e, g, block, block, 0);
        tr_buf_puts(e->out, "}");
        return;
    }
    uint32_t id = ts_node_start_byte(block);
    tr_buf *o = e->out, st = { 0 }, *pre = &st;
    /* with local types the environment's struct is declared where they
     * are visible: at the go statement, and again in the lifted function */
    int locals = local_types(e, n, 0);
    tr_buf_printf(pre, "struct __goc_gb%u { char __goc_unused;", id);
    for (int i = 0; i < c->ncaps; i++) {
        int v = c->caps[i];
        snprintf(name, sizeof name, vars[v].cap_copy ? "__goc_cv_%d" : "__goc_box_%d", v);
        snprintf(buf, sizeof buf, "__goc_cv_%d", v);
        const char *bt = tr_type_of(e->u, name);
        for (const char *q = bt ? strchr(bt, '[') : NULL; q; q = strchr(q + 1, '['))
            if (q[1] != ']' && (q[1] < '0' || q[1] > '9')) {
                tr_err(e, n, "a go block cannot share the variable-length array '%s'; pass a pointer to its "
                             "first element instead", vars[v].name);
                break;
            }
        if (!vars[v].cap_copy && !tr_type_of(e->u, name) && tr_type_of(e->u, buf))
            /* a stage-1 copy that libclang's answer turned into a box */
            tr_buf_printf(pre, " __typeof__(%s) *c%d;", tr_type_of(e->u, buf), v);
        else
            tr_buf_printf(pre, " __typeof__(%s) c%d;", probe_type(e, n, name), v);
    }
    tr_buf_puts(pre, " }; ");
    if (!locals) tr_buf_add(&e->u->pre, st.s, st.n);
    tr_buf_printf(&e->u->pre, "static void __goc_gb%u_run(void *); ", id);
    tr_buf_puts(o, "{ ");
    if (locals) tr_buf_add(o, st.s, st.n);
    tr_buf_printf(o, "struct __goc_gb%u *__goc_e = goc_alloc(sizeof *__goc_e);", id);
    for (int i = 0; i < c->ncaps; i++) {
        int v = c->caps[i];
        tr_buf_printf(o, " __goc_e->c%d = %s;", v, tr_capture_ref(e, v, buf, sizeof buf));
    }
    tr_buf_printf(o, " goc_go_at(__goc_gb%u_run, __goc_e, ", id);
    tr_buf_c_string(o, e->u->opt->in_path);
    tr_buf_printf(o, ", %d); }", src_line(e, n));
    tr_pad_newlines(e, ts_node_start_byte(n), ts_node_end_byte(n));
    /* the thunk, at the end of the output */
    tr_buf thunk = { 0 }, *saved = e->out;
    e->out = &thunk;
    tr_buf_printf(&thunk, "\n#line %d ", src_line(e, block));
    tr_buf_c_string(&thunk, e->u->opt->in_path);
    tr_buf_printf(&thunk, "\nstatic void __goc_gb%u_run(void *__goc_v) { ", id);
    if (locals) {
        local_types(e, n, 1);   /* e->out is the thunk */
        tr_buf_add(&thunk, st.s, st.n);
        tr_buf_printf(&thunk, "\n#line %d ", src_line(e, block));
        tr_buf_c_string(&thunk, e->u->opt->in_path);
        tr_buf_puts(&thunk, "\n");
    }
    free(st.s);
    tr_buf_printf(&thunk, "struct __goc_gb%u *__goc_env = __goc_v; (void)__goc_env; ", id);
    const tr_dcap *saved_dc = e->dcap;   /* a go block in a deferred block: its own env */
    e->dcap = NULL;
    tr_emit_body(e, g, block, block, 0);
    e->dcap = saved_dc;
    tr_buf_puts(&thunk, " }\n");
    e->out = saved;
    tr_buf_add(&e->u->post, thunk.s, thunk.n);
    free(thunk.s);
}

/* go and defer need the function around them (its context, analyze.c).
 * Outside one -- in a file-scope block that tree-sitter could not read as
 * a function because of a macro in its head -- they are errors: emitted
 * as plain statements they would run at once. */
static int outside_function(em *e, TSNode n, const char *what)
{
    if (e->ctx >= 0) return 0;
    tr_err(e, n, "%s outside a function goc can read: a macro in the function's head hides its "
                 "name or parameters (goc does not expand macros)", what);
    tr_emit_default(e, n);
    return 1;
}

void tr_emit_go(em *e, TSNode n)
{
    if (outside_function(e, n, "go statement")) return;
    if (e->u->crash_test && e->report) raise(SIGSEGV);
    TSNode stmt = tr_label_body(n);
    if (tr_node_is(stmt, "compound_statement")) { go_block(e, n, stmt); return; }
    TSNode call = tr_stmt_call(stmt);
    if (ts_node_is_null(call)) {
        tr_err(e, stmt, "expression in go must be a function call or a block");
        tr_emit_default(e, stmt);
        return;
    }
    go_call(e, n, call);
    tr_pad_newlines(e, ts_node_end_byte(call), ts_node_end_byte(n));
}

/* defer { block }: the record keeps the block's captures (escape.c): box
 * pointers, or copies, of the vars of nested blocks it uses. */
/* The variables of this function a deferred block reads in place (not
 * through its record) must be in memory when a panic jumps back into the
 * frame: the jump restores registers to their values at the frame's
 * setjmp, so a variable the compiler kept in a register would read stale
 * (C's rule for locals changed after setjmp).  An empty asm that takes the
 * address makes each one addressable, hence stored before any call. */
static void pin_block_vars(em *e, TSNode n, const tr_dcap *dc, int **seen, int *nseen)
{
    if (tr_node_is(n, "identifier") || tr_node_is(n, "type_identifier")) {   /* a use (analyze.c) */
        int v = tr_ref_lookup(e->u, ts_node_start_byte(n));
        if (v < 0) return;
        tr_var *x = &e->u->vars[v];
        if (x->ctx != e->ctx || x->is_static || x->kind == VAR_NEW || x->kind == VAR_CONST ||
            ts_node_start_byte(n) < x->box_from || ts_node_start_byte(n) >= x->box_to ||
            (x->pos >= e->dblk_from && x->pos < e->dblk_to))   /* the block's own */
            return;
        for (int i = 0; dc && i < dc->n; i++)
            if (dc->vars[i] == v) return;   /* read through the record */
        for (int i = 0; i < *nseen; i++)
            if ((*seen)[i] == v) return;
        *seen = realloc(*seen, sizeof **seen * (size_t)(*nseen + 1));
        (*seen)[(*nseen)++] = v;
        if (x->boxed) tr_buf_printf(e->out, " __asm__ volatile(\"\" : : \"r\"(&__goc_box_%d) : \"memory\");", v);
        else tr_buf_printf(e->out, " __asm__ volatile(\"\" : : \"r\"(&%s) : \"memory\");", x->name);
        return;
    }
    uint32_t k = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < k; i++) pin_block_vars(e, ts_node_named_child(n, i), dc, seen, nseen);
}

static void defer_block(em *e, TSNode stmt, uint32_t id)
{
    tr_buf *o = e->out;
    const tr_dcap *dc = tr_dcap_of(e->u, ts_node_start_byte(stmt));
    tr_var *vars = e->u->vars;
    char buf[64];
    int *seen = NULL, nseen = 0;
    uint32_t saved_from = e->dblk_from, saved_to = e->dblk_to;
    e->dblk_from = ts_node_start_byte(stmt);
    e->dblk_to = ts_node_end_byte(stmt);
    tr_buf_puts(o, "{");
    pin_block_vars(e, stmt, dc, &seen, &nseen);
    free(seen);
    tr_buf_printf(o, " struct __goc_d%u { goc_dlink l;", id);
    for (int i = 0; dc && i < dc->n; i++) {
        int v = dc->vars[i];
        if (vars[v].cap_copy) tr_buf_printf(o, " __typeof__((void)0, %s) c%d;", vars[v].name, v);
        else tr_buf_printf(o, " __typeof__(%s) c%d;", tr_capture_ref(e, v, buf, sizeof buf), v);
    }
    tr_buf_printf(o, " } *__goc_p = goc_frame_alloc(&__goc_fr, sizeof *__goc_p);");
    for (int i = 0; dc && i < dc->n; i++) {
        int v = dc->vars[i];
        tr_buf_printf(o, " __goc_p->c%d = %s;", v, tr_capture_ref(e, v, buf, sizeof buf));
    }
    tr_buf_printf(o, " goc_defer_push_inline(&__goc_fr, &__goc_p->l, &&__goc_dr%u);"
                     " if (0) { __goc_dr%u: { struct __goc_d%u *__goc_dq%u = (struct __goc_d%u *)__goc_fr.dcur;"
                     " (void)__goc_dq%u; ", id, id, id, id, id, id);
    int saved = e->in_defer;
    const tr_dcap *saved_dc = e->dcap;
    uint32_t saved_id = e->dcap_id;
    e->in_defer = 1;
    e->dcap = dc;
    e->dcap_id = id;
    tr_emit(e, stmt);
    e->in_defer = saved;
    e->dcap = saved_dc;
    e->dcap_id = saved_id;
    e->dblk_from = saved_from;
    e->dblk_to = saved_to;
    tr_buf_puts(o, " } goto __goc_exit; } }");
}

/* defer close(ch): the channel is evaluated now, closed at the exit. */
static int defer_builtin(em *e, TSNode call, uint32_t id)
{
    char ch[64];
    int r = builtin_close(e, call, "__goc_d", id, "defer", ch, sizeof ch);
    if (r != 2) return r;
    tr_buf_printf(e->out, " struct __goc_d%u { goc_dlink l; goc_chan *c; } *__goc_p = goc_frame_alloc(&__goc_fr,"
                          " sizeof *__goc_p); __goc_p->c = (goc_chan *)%s;"
                          " goc_defer_push_inline(&__goc_fr, &__goc_p->l, &&__goc_dr%u);"
                          " if (0) { __goc_dr%u: goc_chan_close(((struct __goc_d%u *)__goc_fr.dcur)->c);"
                          " goto __goc_exit; } }", id, ch, id, id, id);
    return 1;
}

void tr_emit_defer(em *e, TSNode n)
{
    TSNode stmt = tr_label_body(n);
    uint32_t id = ts_node_start_byte(n);
    tr_buf *o = e->out;
    if (outside_function(e, n, "defer statement")) return;
    if (tr_node_is(stmt, "compound_statement")) { defer_block(e, stmt, id); return; }
    TSNode call = tr_stmt_call(stmt);
    if (ts_node_is_null(call)) {
        tr_err(e, stmt, "expression in defer must be a function call or a block");
        tr_emit_default(e, stmt);
        return;
    }
    if (defer_builtin(e, call, id)) {
        tr_pad_newlines(e, ts_node_end_byte(call), ts_node_end_byte(n));
        return;
    }
    tr_buf_puts(o, "{");
    uint32_t k = emit_call_locals(e, call, "__goc_d", id);
    tr_buf_printf(o, " struct __goc_d%u { goc_dlink l; __typeof__(__goc_d%u_f) f;", id, id);
    for (uint32_t i = 0; i < k; i++) tr_buf_printf(o, " __typeof__(__goc_d%u_%u) a%u;", id, i, i);
    tr_buf_printf(o, " } *__goc_p = goc_frame_alloc(&__goc_fr, sizeof *__goc_p); __goc_p->f = __goc_d%u_f;", id);
    for (uint32_t i = 0; i < k; i++) tr_buf_printf(o, " __goc_p->a%u = __goc_d%u_%u;", i, id, i);
    /* the call names its callee in the frame while it runs: the callee's
     * recover() claims it (goc.h, goc_recover_claim) */
    tr_buf_printf(o, " goc_defer_push_inline(&__goc_fr, &__goc_p->l, &&__goc_dr%u);"
                     " if (0) { __goc_dr%u: { struct __goc_d%u *__goc_q = (struct __goc_d%u *)__goc_fr.dcur;"
                     " __goc_fr.dfn = (void (*)(void))__goc_q->f; __goc_q->f(", id, id, id, id);
    for (uint32_t i = 0; i < k; i++) tr_buf_printf(o, "%s__goc_q->a%u", i ? ", " : "", i);
    tr_buf_puts(o, "); __goc_fr.dfn = 0; } goto __goc_exit; } }");
    tr_pad_newlines(e, ts_node_end_byte(call), ts_node_end_byte(n));
}
