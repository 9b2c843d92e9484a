/*
 * types_clang.c — the type questions the source text cannot answer, asked
 * of libclang 14 on the stage-1 output.
 *
 * Stage 1 declares a probe variable for every value whose type the output
 * must spell at file scope (`__auto_type __goc_gcN_k = (arg);` for a go
 * call, the box pointers `__goc_box_V` of captured vars, the operands of
 * close/len/cap).  One parse answers all of them: a visit collects every
 * VarDecl named __goc_* in the main file with its canonical type spelling
 * (canonical, so local typedef names never leak to file scope).  The same
 * visit lists the function-like macros expanded in the main file: the
 * escape analysis (escape.c) cannot see what a macro does to the variables
 * passed to it.
 *
 * A program with errors: a probe whose initializer is in error (an
 * undeclared name in a go call's argument) is left out, and the parse's
 * error count is kept; the lowering then stands in a type that compiles
 * for the unknown one (lower_go.c), and the C compiler reports the real
 * error where it is.
 */
#include "lower.h"

#include <clang-c/Index.h>
#include <stdlib.h>
#include <string.h>

typedef struct visit { tr_types *out; } visit;

/* A channel handle is T (**)[1], T (*const *)[1] or T (*volatile *)[1]
 * (goc_lang.h), read from the type's structure rather than its spelling,
 * where a channel element type (chan chan T) wraps the declarator. */
static int is_chan(CXType t)
{
    if (t.kind != CXType_Pointer) return 0;
    CXType p = clang_getCanonicalType(clang_getPointeeType(t));
    if (p.kind != CXType_Pointer) return 0;
    CXType a = clang_getCanonicalType(clang_getPointeeType(p));
    return a.kind == CXType_ConstantArray && clang_getArraySize(a) == 1;
}

static enum CXChildVisitResult visitor(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    visit *v = data;
    CXSourceLocation loc = clang_getCursorLocation(c);
    if (!clang_Location_isFromMainFile(loc)) return CXChildVisit_Continue;
    if (clang_getCursorKind(c) == CXCursor_MacroExpansion) {
        CXCursor def = clang_getCursorReferenced(c);
        if (!clang_Cursor_isNull(def) && clang_Cursor_isMacroFunctionLike(def)) {
            CXString name = clang_getCursorSpelling(c);
            const char *s = clang_getCString(name);
            tr_types *o = v->out;
            int have = 0;
            for (int i = 0; i < o->nmacros && !have; i++) have = !strcmp(o->macros[i], s);
            if (!have) {
                o->macros = realloc(o->macros, (size_t)(o->nmacros + 1) * sizeof *o->macros);
                o->macros[o->nmacros++] = strdup(s);
            }
            clang_disposeString(name);
        }
        return CXChildVisit_Continue;
    }
    if (clang_getCursorKind(c) == CXCursor_VarDecl) {
        CXString name = clang_getCursorSpelling(c);
        const char *s = clang_getCString(name);
        CXType t = clang_getCanonicalType(clang_getCursorType(c));
        /* a probe whose initializer has an error has no type: left out */
        if (!strncmp(s, "__goc_", 6) && !clang_isInvalidDeclaration(c) &&
            t.kind != CXType_Invalid && t.kind != CXType_Auto) {
            CXString ts = clang_getTypeSpelling(t);
            tr_types *o = v->out;
            o->names = realloc(o->names, (size_t)(o->n + 1) * sizeof *o->names);
            o->types = realloc(o->types, (size_t)(o->n + 1) * sizeof *o->types);
            o->arith = realloc(o->arith, (size_t)(o->n + 1));
            o->chan = realloc(o->chan, (size_t)(o->n + 1));
            o->chan[o->n] = (char)is_chan(t);
            o->names[o->n] = strdup(s);
            o->types[o->n] = strdup(clang_getCString(ts));
            o->arith[o->n] = (char)((t.kind >= CXType_Bool && t.kind <= CXType_LongDouble) ||
                                    t.kind == CXType_Enum);
            o->n++;
            clang_disposeString(ts);
        }
        clang_disposeString(name);
    }
    return CXChildVisit_Recurse;
}

void tr_clang_types(tr_unit *u, const char *text, size_t len, tr_types *out)
{
    const tr_options *o = u->opt;
    const char *path = o->out_path ? o->out_path : "goc-stage1.c";
    const char **args = malloc(sizeof *args * (size_t)(o->ncflags + 6));
    int na = 0;
    /* By name a .gh is nothing clang knows (and a header's stage 1 is
     * written to one): say it is C. */
    args[na++] = "-x";
    args[na++] = "c";
    args[na++] = "-std=gnu17";
    args[na++] = "-w";
    for (int i = 0; i < o->ncflags; i++) args[na++] = o->cflags[i];
    struct CXUnsavedFile file = { path, text, (unsigned long)len };
    CXIndex index = clang_createIndex(0, 0);
    CXTranslationUnit tu = NULL;
    enum CXErrorCode rc = clang_parseTranslationUnit2(index, path, args, na, &file, 1,
                                                      CXTranslationUnit_KeepGoing |
                                                      CXTranslationUnit_DetailedPreprocessingRecord, &tu);
    if (rc == CXError_Success && tu) {
        for (unsigned i = 0, n = clang_getNumDiagnostics(tu); i < n; i++) {
            CXDiagnostic d = clang_getDiagnostic(tu, i);
            if (clang_getDiagnosticSeverity(d) >= CXDiagnostic_Error) out->errors++;
            clang_disposeDiagnostic(d);
        }
        visit v = { out };
        clang_visitChildren(clang_getTranslationUnitCursor(tu), visitor, &v);
        clang_disposeTranslationUnit(tu);
    }
    clang_disposeIndex(index);
    free(args);
}

/* The probe `name`'s entry, or -1. */
static int probe_index(tr_unit *u, const char *name)
{
    for (int i = 0; i < u->types.n; i++)
        if (!strcmp(u->types.names[i], name)) return i;
    return -1;
}

int tr_type_is_arithmetic(tr_unit *u, const char *name)
{
    int i = probe_index(u, name);
    return i >= 0 && u->types.arith[i];
}

int tr_is_macro(tr_unit *u, const char *name)
{
    for (int i = 0; i < u->types.nmacros; i++)
        if (!strcmp(u->types.macros[i], name)) return 1;
    return 0;
}

const char *tr_type_of(tr_unit *u, const char *name)
{
    int i = probe_index(u, name);
    return i >= 0 ? u->types.types[i] : NULL;
}

int tr_type_is_chan(tr_unit *u, const char *name)
{
    int i = probe_index(u, name);
    return i >= 0 && u->types.chan[i];
}
