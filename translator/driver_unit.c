/*
 * driver_unit.c — one .gc translation unit, and the .gh headers it includes,
 * translated into the work directory.
 *
 * A .gh may use the extension syntax, so the C compiler must never see the
 * original: every `#include "X.gh"` has to find a translated copy first.  The
 * compiler looks for a quoted include beside the including file, then in
 * the -iquote and -I directories.  So the translations are written into a
 * mirror of the source directories:
 *
 *     work/uN/r0/...        the .gc's own directory ("root 0"): STEM.c goes
 *                           here, and every .gh found beside it or below it
 *                           at the same relative path
 *     work/uN/rK/...        the K-th search directory (-iquote, -I, ...), for
 *                           a .gh found there; `-I work/uN/rK` comes before
 *                           the user's flags so its copy wins
 *
 * An include that climbs ("../common/x.gh") must stay inside the mirror, so
 * each root gets one extra directory level ("p/") per ".." the deepest such
 * include needs.  All includes are found first (a simple scan of preprocessor
 * lines, see tr_driver_scan_includes), then the headers are translated in
 * post-order — a header before the files that include it, because the
 * translator parses its output under the name it will have (out_path) and its
 * quoted includes must resolve to translated text — and the .gc last.
 *
 * Plain headers beside a .gh ("x.gh" including "x_impl.h") are found by
 * `-idirafter DIR` for the .gh's original directory: searched last, it never
 * shadows a translated copy; the .gc's own directory is `-I DIR` as the
 * command promises.
 *
 * Rejected: symbolic links to the plain headers inside the mirror (compiler
 * diagnostics would then name work-directory paths that are gone after the
 * build); rewriting the include lines to absolute paths (diagnostics and
 * __FILE__ would change, and macros can compute include names).
 *
 * Limits: an absolute `#include "/x/y.gh"` and an include name computed by a
 * macro are not translated; the scan does not evaluate #if.
 */
#define _GNU_SOURCE
#include "driver.h"
#include "translate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One file of the unit: the .gc or one of its headers. */
typedef struct unit_file {
    char *source;         /* the path to read, as found */
    int root;             /* 0: the .gc's directory; K: search directory K */
    char *relative;       /* normalised path below the root */
    char *text;
    size_t length;
    bool header;
} unit_file;

typedef struct unit_graph {
    unit_file *files;     /* in discovery order: files[0] is the unit's source */
    int count, capacity;
    int *order;           /* indexes into files, includes before includers */
    int ordered;
    tr_driver_list search;/* the search directories: -iquote, -I, -isystem, -idirafter */
    int *climb;           /* per root: the deepest ".." reached */
} unit_graph;

/* ===================================================================== */
/* Flags and include lookup                                              */
/* ===================================================================== */

static const char *const preprocessor_options[] = {
    "-I", "-D", "-U", "-iquote", "-isystem", "-idirafter", "-include", "-imacros",
    "-isysroot", "--sysroot",
};

/* The option arg starts with; *separate if its value is the next argument. */
static const char *preprocessor_option(const char *arg, bool *separate)
{
    if (strncmp(arg, "-std=", 5) == 0 || strncmp(arg, "--sysroot=", 10) == 0) {
        *separate = false;
        return arg;
    }
    for (size_t i = 0; i < sizeof preprocessor_options / sizeof *preprocessor_options; i++) {
        const char *option = preprocessor_options[i];
        if (strncmp(arg, option, strlen(option)) == 0) {
            *separate = arg[strlen(option)] == '\0';
            return option;
        }
    }
    return NULL;
}

void tr_driver_cflags_extract(char *const *args, int count, tr_driver_list *out)
{
    for (int i = 0; i < count; i++) {
        bool separate;
        if (!preprocessor_option(args[i], &separate))
            continue;
        tr_driver_list_add(out, args[i]);
        if (separate && i + 1 < count)
            tr_driver_list_add(out, args[++i]);
    }
}

/* The directories of cflags in the compiler's order for a quoted include. */
static void search_directories(const tr_driver_list *cflags, tr_driver_list *dirs)
{
    static const char *const kinds[] = {"-iquote", "-I", "-isystem", "-idirafter"};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        size_t n = strlen(kinds[k]);
        for (int i = 0; i < cflags->count; i++) {
            const char *arg = cflags->items[i];
            bool separate;
            const char *option = preprocessor_option(arg, &separate);
            if (!option || strcmp(option, kinds[k]) != 0)
                continue;
            if (separate && i + 1 < cflags->count)
                tr_driver_list_add(dirs, cflags->items[++i]);
            else if (!separate)
                tr_driver_list_add(dirs, arg + n);
        }
    }
}

static char *find_in(const char *includer, const char *name, const tr_driver_list *dirs,
                     int *search)
{
    *search = 0;
    if (name[0] == '/')
        return tr_driver_is_file(name) ? tr_driver_strdup(name) : NULL;
    char *dir = tr_driver_dirname(includer);
    char *path = tr_driver_join(dir, name);
    free(dir);
    for (int i = 0; !tr_driver_is_file(path); i++) {
        free(path);
        if (i == dirs->count)
            return NULL;
        path = tr_driver_join(dirs->items[i], name);
        *search = i + 1;
    }
    return path;
}

char *tr_driver_include_find(const char *includer, const char *name,
                             const tr_driver_list *cflags, int *search)
{
    tr_driver_list dirs = {0};
    search_directories(cflags, &dirs);
    char *path = find_in(includer, name, &dirs, search);
    tr_driver_list_free(&dirs);
    return path;
}

static const char *skip_blanks(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static void scan_line(const char *p, const char *end, tr_driver_list *names)
{
    p = skip_blanks(p, end);
    if (p == end || *p != '#')
        return;
    p = skip_blanks(p + 1, end);
    if (end - p < 7 || memcmp(p, "include", 7) != 0)
        return;
    p = skip_blanks(p + 7, end);
    if (p == end || *p != '"')
        return;
    const char *close = memchr(p + 1, '"', (size_t)(end - p - 1));
    if (close && close > p + 1)
        tr_driver_list_addf(names, "%.*s", (int)(close - p - 1), p + 1);
}

void tr_driver_scan_includes(const char *text, size_t len, tr_driver_list *names)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        scan_line(p, eol, names);
        p = eol + 1;
    }
}

/* ===================================================================== */
/* Discovery                                                             */
/* ===================================================================== */

static int graph_find(const unit_graph *g, int root, const char *relative)
{
    for (int i = 0; i < g->count; i++)
        if (g->files[i].root == root && strcmp(g->files[i].relative, relative) == 0)
            return i;
    return -1;
}

static int graph_add(unit_graph *g, char *source, int root, char *relative, int climb)
{
    if (g->count == g->capacity) {
        g->capacity = g->capacity ? 2 * g->capacity : 8;
        g->files = tr_driver_realloc(g->files, (size_t)g->capacity * sizeof *g->files);
        g->order = tr_driver_realloc(g->order, (size_t)g->capacity * sizeof *g->order);
    }
    unit_file *f = &g->files[g->count];
    *f = (unit_file){.source = source, .root = root, .relative = relative, .header = true};
    f->text = tr_driver_read_file(source, &f->length);
    if (!f->text) {
        fprintf(stderr, "goc: %s: %s\n", source, strerror(errno));
        return -1;
    }
    if (climb > g->climb[root])
        g->climb[root] = climb;
    return g->count++;
}

static int discover(unit_graph *g, int index);

/* Adds the header `name` included by files[index], if it is a .gh found
 * somewhere and not yet known, with its own includes.  -1 on a read error. */
static int discover_include(unit_graph *g, int index, const char *name)
{
    int search, climb;
    char *path = find_in(g->files[index].source, name, &g->search, &search);
    if (!path || name[0] == '/') {
        free(path);
        return 0;   /* the compiler will say what it thinks */
    }
    char *relative;
    if (search == 0) {
        char *dir = tr_driver_dirname(g->files[index].relative);
        char *joined = tr_driver_join(dir, name);
        relative = tr_driver_normalize(joined, &climb);
        free(dir);
        free(joined);
    } else {
        relative = tr_driver_normalize(name, &climb);
    }
    int root = search == 0 ? g->files[index].root : search;
    if (graph_find(g, root, relative) >= 0) {
        free(path);
        free(relative);
        return 0;
    }
    int added = graph_add(g, path, root, relative, climb);
    return added < 0 ? -1 : discover(g, added);
}

static int discover(unit_graph *g, int index)
{
    tr_driver_list names = {0};
    tr_driver_scan_includes(g->files[index].text, g->files[index].length, &names);
    int result = 0;
    for (int i = 0; i < names.count && result == 0; i++)
        if (tr_driver_has_suffix(names.items[i], ".gh"))
            result = discover_include(g, index, names.items[i]);
    tr_driver_list_free(&names);
    g->order[g->ordered++] = index;
    return result;
}

/* ===================================================================== */
/* Translation                                                           */
/* ===================================================================== */

static char *mirror_root(const char *base, const unit_graph *g, int root)
{
    char *dir = tr_driver_format("%s/r%d", base, root);
    for (int i = 0; i < g->climb[root]; i++) {
        char *deeper = tr_driver_format("%s/p", dir);
        free(dir);
        dir = deeper;
    }
    return dir;
}

static char *output_path(const char *base, const unit_graph *g, int index)
{
    const unit_file *f = &g->files[index];
    char *root = mirror_root(base, g, f->root);
    char *path;
    if (index == 0) {
        char *stem = tr_driver_stem(f->source);
        path = tr_driver_format("%s/%s%s", root, stem, f->header ? ".gh" : ".c");
        free(stem);
    } else {
        path = tr_driver_join(root, f->relative);
    }
    free(root);
    return path;
}

/* -I for the mirror of each search directory in use; -idirafter for the
 * original directory of each header outside the .gc's own directory. */
static void unit_flags(const char *base, const unit_graph *g, tr_driver_list *flags)
{
    for (int root = 1; root <= g->search.count; root++) {
        bool used = false;
        for (int i = 0; i < g->count; i++)
            used |= g->files[i].root == root;
        if (!used)
            continue;
        char *dir = mirror_root(base, g, root);
        tr_driver_list_addf(flags, "-I%s", dir);
        free(dir);
    }
    tr_driver_list seen = {0};
    for (int i = 0; i < g->count; i++) {
        int climb;
        char *dir = tr_driver_dirname(g->files[i].source);
        char *normal = tr_driver_normalize(dir, &climb);
        if (i > 0 && !tr_driver_list_contains(&seen, normal)) {
            tr_driver_list_add(flags, "-idirafter");
            tr_driver_list_add(flags, dir);
        }
        if (!tr_driver_list_contains(&seen, normal))
            tr_driver_list_add(&seen, normal);
        free(normal);
        free(dir);
    }
    tr_driver_list_free(&seen);
}

static int translate_file(const unit_file *f, const char *out_path,
                          const tr_driver_list *cflags, int escape_report,
                          char **text, size_t *length, tr_colmap **map)
{
    tr_options opt = {
        .in_path = f->source,
        .out_path = out_path,
        .cflags = (const char *const *)cflags->items,
        .ncflags = cflags->count,
        .is_header = f->header,
        .escape_report = escape_report,
    };
    *text = NULL;
    int errors = tr_translate_mapped(&opt, f->text, f->length, text, length, map);
    if (errors == 0 && *text)
        return 0;
    if (errors <= 0)
        fprintf(stderr, "goc: %s: translation failed\n", f->source);
    free(*text);
    *text = NULL;
    return 1;
}

static void translation_flags(const tr_driver_config *cfg, const tr_driver_unit *unit,
                              const tr_driver_list *user_cflags, tr_driver_list *out)
{
    char *own = tr_driver_dirname(unit->source);
    tr_driver_list_add(out, "-std=gnu17");
    tr_driver_list_append(out, &unit->flags);
    tr_driver_list_addf(out, "-I%s", cfg->include_dir);
    tr_driver_list_addf(out, "-I%s", own);
    tr_driver_list_append(out, user_cflags);
    free(own);
}

static int translate_graph(const tr_driver_config *cfg, tr_driver_unit *unit,
                           const unit_graph *g, const char *base,
                           const tr_driver_list *user_cflags, int escape_report)
{
    tr_driver_list cflags = {0};
    translation_flags(cfg, unit, user_cflags, &cflags);
    int status = 0;
    for (int k = 0; k < g->ordered && status == 0; k++) {
        int i = g->order[k];
        char *out = output_path(base, g, i), *dir = tr_driver_dirname(out), *text;
        size_t length;
        tr_colmap *map = NULL;
        status = translate_file(&g->files[i], out, &cflags, escape_report, &text, &length, &map);
        if (map) {
            unit->maps = tr_driver_realloc(unit->maps, (size_t)(unit->map_count + 1) * sizeof *unit->maps);
            unit->maps[unit->map_count++] = map;
        }
        if (status == 0) {
            tr_driver_make_dirs(dir, true);
            tr_driver_write_file(out, text, length);
            tr_driver_list_add(&unit->mirrored, out);
            tr_driver_list_add(&unit->original, g->files[i].source);
        }
        if (status == 0 && i == 0) {
            unit->c_path = out;
            unit->text = text;
            unit->length = length;
        } else {
            free(out);
            free(text);
        }
        free(dir);
    }
    tr_driver_list_free(&cflags);
    return status;
}

static void graph_free(unit_graph *g)
{
    for (int i = 0; i < g->count; i++) {
        free(g->files[i].source);
        free(g->files[i].relative);
        free(g->files[i].text);
    }
    free(g->files);
    free(g->order);
    free(g->climb);
    tr_driver_list_free(&g->search);
}

int tr_driver_unit_translate(tr_driver_config *cfg, tr_driver_unit *unit, const char *source,
                             const tr_driver_list *user_cflags, int escape_report)
{
    static int serial;
    *unit = (tr_driver_unit){.source = tr_driver_strdup(source)};
    unit_graph g = {0};
    search_directories(user_cflags, &g.search);
    g.climb = tr_driver_alloc((size_t)(g.search.count + 1) * sizeof *g.climb);
    int top = graph_add(&g, tr_driver_strdup(source), 0,
                        tr_driver_strdup(tr_driver_basename(source)), 0);
    int status = 1;
    if (top == 0) {
        g.files[0].header = tr_driver_has_suffix(source, ".gh");
        status = discover(&g, 0) < 0;
    }
    if (status == 0) {
        char *base = tr_driver_format("%s/u%d", tr_driver_work_dir(), ++serial);
        char *stem = tr_driver_stem(source);
        unit->object_path = tr_driver_format("%s/%s.o", base, stem);
        unit_flags(base, &g, &unit->flags);
        status = translate_graph(cfg, unit, &g, base, user_cflags, escape_report);
        free(stem);
        free(base);
    }
    graph_free(&g);
    return status;
}

void tr_driver_unit_free(tr_driver_unit *unit)
{
    free(unit->source);
    free(unit->c_path);
    free(unit->object_path);
    free(unit->text);
    tr_driver_list_free(&unit->flags);
    tr_driver_list_free(&unit->mirrored);
    tr_driver_list_free(&unit->original);
    for (int i = 0; i < unit->map_count; i++)
        tr_colmap_free(unit->maps[i]);
    free(unit->maps);
}
