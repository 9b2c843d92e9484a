/*
 * driver_build.c — `goc build` and `goc translate`.
 *
 * goc build, in three passes:
 *   1. each input in command-line order: a .gc is translated (its .gh
 *      headers first, see driver_unit.c) into the work directory and its
 *      compile starts at once; a .c compiles as it is; .o, .a and .so go to
 *      the link.  Translation runs in this process, one file at a time; up to
 *      one compile per CPU runs beside it.
 *   2. wait for the compiles; the first failing status is goc's.
 *   3. link the objects, the CC-FLAGS, the runtime library and -lpthread
 *      into a temporary name beside OUT, then rename it to OUT: a failed
 *      build leaves no partial OUT (and keeps an older OUT intact).
 *
 * Translated C is compiled with -std=gnu17 and with the conversions that
 * the translator relies on the compiler to reject turned into errors (a
 * wrong-typed channel send is an incompatible-pointer-types error at the .gc
 * line); the flag for dropped qualifiers is spelt differently by gcc and
 * clang.  CC-FLAGS come last so that the user's -std or -W wins.
 *
 * goc translate writes the C of one .gc (or .gh) to stdout, or to -o FILE
 * through a temporary file and a rename.
 */
#define _GNU_SOURCE
#include "driver.h"
#include "translate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ===================================================================== */
/* Flags and inputs                                                      */
/* ===================================================================== */

static bool optimize_flag(const char *arg)
{
    if (strncmp(arg, "-O", 2) != 0)
        return false;
    const char *level = arg + 2;
    return *level == '\0' || strcmp(level, "fast") == 0 ||
           (level[1] == '\0' && strchr("0123sgz", *level));
}

static void set_sanitizer(tr_driver_build *build, tr_driver_sanitizer san)
{
    if (build->sanitizer != TR_DRIVER_SANITIZE_NONE && build->sanitizer != san)
        tr_driver_usage_error("-race and -asan cannot be used together");
    build->sanitizer = san;
}

bool tr_driver_build_flag(tr_driver_config *cfg, tr_driver_build *build, const char *arg)
{
    if (optimize_flag(arg))
        build->optimize = arg;
    else if (strcmp(arg, "-g") == 0)
        build->debug = true;
    else if (strcmp(arg, "-m") == 0)
        build->escape_report++;   /* -m -m adds a summary */
    else if (strcmp(arg, "-race") == 0)
        set_sanitizer(build, TR_DRIVER_SANITIZE_THREAD);
    else if (strcmp(arg, "-asan") == 0)
        set_sanitizer(build, TR_DRIVER_SANITIZE_ADDRESS);
    else if (strcmp(arg, "-x") == 0)
        cfg->verbose = true;
    else
        return false;
    return true;
}

bool tr_driver_is_input(const char *path)
{
    static const char *const kinds[] = {".gc", ".c", ".o", ".a", ".so"};
    const char *ext = tr_driver_extension(path);
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (strcmp(ext, kinds[i]) == 0)
            return true;
    return false;
}

void tr_driver_check_input(const char *path)
{
    if (!tr_driver_is_input(path))
        tr_driver_usage_error("%s: not a .gc, .c, .o or .a file", path);
}

void tr_driver_translated_flags(tr_driver_config *cfg, tr_driver_list *argv)
{
    tr_driver_list_add(argv, "-std=gnu17");
    tr_driver_list_add(argv, "-Werror=incompatible-pointer-types");
    tr_driver_list_add(argv, "-Werror=int-conversion");
    tr_driver_list_add(argv, tr_driver_cc_is_clang(cfg)
                                 ? "-Werror=incompatible-pointer-types-discards-qualifiers"
                                 : "-Werror=discarded-qualifiers");
}

/* ===================================================================== */
/* Compiles, up to one per CPU                                           */
/* ===================================================================== */

/* A compile of translated C: its stderr goes to a file, printed through
 * the unit's column maps when it ends (driver_diag.c). */
typedef struct mapped_job {
    pid_t pid;
    char *stderr_path;
    struct tr_colmap **maps;   /* owned */
    int map_count;
} mapped_job;

typedef struct compile_jobs {
    int running;
    int limit;
    int status;   /* the first failure's */
    mapped_job *mapped;
    int mapped_count;
    const tr_driver_config *cfg;
} compile_jobs;

static void mapped_job_end(compile_jobs *jobs, pid_t pid)
{
    for (int i = 0; i < jobs->mapped_count; i++) {
        mapped_job *m = &jobs->mapped[i];
        if (m->pid != pid)
            continue;
        tr_driver_diag_flush(jobs->cfg, m->stderr_path, m->maps, m->map_count);
        for (int k = 0; k < m->map_count; k++)
            tr_colmap_free(m->maps[k]);
        free(m->maps);
        free(m->stderr_path);
        *m = jobs->mapped[--jobs->mapped_count];
        return;
    }
}

static void jobs_wait_one(compile_jobs *jobs)
{
    int status;
    pid_t pid = tr_driver_wait_any(&status);
    mapped_job_end(jobs, pid);
    jobs->running--;
    if (status != 0 && jobs->status == 0)
        jobs->status = status;
}

/* Starts a compile; with unit, a compile of its translation whose maps
 * the job takes over. */
static void jobs_start(tr_driver_config *cfg, compile_jobs *jobs, const tr_driver_list *argv,
                       tr_driver_unit *unit)
{
    while (jobs->running >= jobs->limit)
        jobs_wait_one(jobs);
    jobs->running++;
    if (!unit || unit->map_count == 0) {
        tr_driver_spawn(cfg, argv);
        return;
    }
    static int serial;
    tr_driver_cc_is_clang(cfg);
    jobs->cfg = cfg;
    jobs->mapped = tr_driver_realloc(jobs->mapped, (size_t)(jobs->mapped_count + 1) * sizeof *jobs->mapped);
    mapped_job *m = &jobs->mapped[jobs->mapped_count++];
    m->stderr_path = tr_driver_format("%s/cc%d.err", tr_driver_work_dir(), ++serial);
    m->maps = unit->maps;
    m->map_count = unit->map_count;
    unit->maps = NULL;
    unit->map_count = 0;
    m->pid = tr_driver_spawn_to(cfg, argv, m->stderr_path);
}

static void jobs_finish(compile_jobs *jobs)
{
    while (jobs->running > 0)
        jobs_wait_one(jobs);
    free(jobs->mapped);
}

/* $CC, optimisation, -g and sanitizer flags: the start of every compile. */
static void compile_prefix(const tr_driver_config *cfg, const tr_driver_build *build,
                           tr_driver_sanitizer san, tr_driver_list *argv)
{
    tr_driver_list_append(argv, &cfg->cc);
    if (build->optimize)
        tr_driver_list_add(argv, build->optimize);
    if (build->debug)
        tr_driver_list_add(argv, "-g");
    tr_driver_sanitizer_flags(san, true, argv);
}

/* Translates a .gc and starts its compile; the object goes to *object. */
static int compile_gc(tr_driver_config *cfg, const tr_driver_build *build, compile_jobs *jobs,
                      const char *source, const tr_driver_list *user_cflags,
                      tr_driver_sanitizer san, char **object)
{
    tr_driver_unit unit;
    if (tr_driver_unit_translate(cfg, &unit, source, user_cflags, build->escape_report) != 0) {
        tr_driver_unit_free(&unit);
        return 1;
    }
    tr_driver_list argv = {0};
    char *own = tr_driver_dirname(source);
    compile_prefix(cfg, build, san, &argv);
    tr_driver_translated_flags(cfg, &argv);
    tr_driver_list_append(&argv, &unit.flags);
    tr_driver_list_addf(&argv, "-I%s", cfg->include_dir);
    tr_driver_list_addf(&argv, "-I%s", own);
    const char *tail[] = {"-c", unit.c_path, "-o", unit.object_path};
    for (size_t i = 0; i < 4; i++)
        tr_driver_list_add(&argv, tail[i]);
    tr_driver_list_append(&argv, &build->cc_flags);
    tr_driver_cleanup_register(unit.object_path);
    jobs_start(cfg, jobs, &argv, &unit);
    *object = tr_driver_strdup(unit.object_path);
    tr_driver_list_free(&argv);
    free(own);
    tr_driver_unit_free(&unit);
    return 0;
}

static void compile_c(tr_driver_config *cfg, const tr_driver_build *build, compile_jobs *jobs,
                      const char *source, tr_driver_sanitizer san, int index, char **object)
{
    char *stem = tr_driver_stem(source);
    *object = tr_driver_format("%s/c%d-%s.o", tr_driver_work_dir(), index, stem);
    tr_driver_list argv = {0};
    compile_prefix(cfg, build, san, &argv);
    tr_driver_list_addf(&argv, "-I%s", cfg->include_dir);
    const char *tail[] = {"-c", source, "-o", *object};
    for (size_t i = 0; i < 4; i++)
        tr_driver_list_add(&argv, tail[i]);
    tr_driver_list_append(&argv, &build->cc_flags);
    tr_driver_cleanup_register(*object);
    jobs_start(cfg, jobs, &argv, NULL);
    tr_driver_list_free(&argv);
    free(stem);
}

/* Passes 1 and 2: every input compiled (or taken as it is) into objects. */
static int compile_all(tr_driver_config *cfg, const tr_driver_build *build,
                       tr_driver_sanitizer san, tr_driver_list *objects)
{
    tr_driver_list user_cflags = {0};
    tr_driver_cflags_extract(build->cc_flags.items, build->cc_flags.count, &user_cflags);
    /* The translator's libclang must see the macros the sanitizer's
     * compile defines, or a type it spells out (an array of a size chosen
     * under #ifdef __SANITIZE_THREAD__) disagrees with the compiled one. */
    if (san == TR_DRIVER_SANITIZE_THREAD)
        tr_driver_list_add(&user_cflags, "-D__SANITIZE_THREAD__=1");
    else if (san == TR_DRIVER_SANITIZE_ADDRESS)
        tr_driver_list_add(&user_cflags, "-D__SANITIZE_ADDRESS__=1");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    compile_jobs jobs = {.limit = cpus > 0 ? (int)cpus : 1};
    int translate_status = 0;
    for (int i = 0; i < build->files.count && !translate_status && !jobs.status; i++) {
        const char *file = build->files.items[i];
        const char *ext = tr_driver_extension(file);
        char *object = NULL;
        if (strcmp(ext, ".gc") == 0)
            translate_status = compile_gc(cfg, build, &jobs, file, &user_cflags, san, &object);
        else if (strcmp(ext, ".c") == 0)
            compile_c(cfg, build, &jobs, file, san, i, &object);
        else
            object = tr_driver_strdup(file);
        if (object)
            tr_driver_list_add(objects, object);
        free(object);
    }
    jobs_finish(&jobs);
    tr_driver_list_free(&user_cflags);
    return translate_status ? translate_status : jobs.status;
}

/* Pass 3. */
static int link_all(tr_driver_config *cfg, const tr_driver_build *build,
                    tr_driver_sanitizer san, const tr_driver_list *objects)
{
    char *temporary = tr_driver_temporary_beside(build->output);
    tr_driver_list argv = {0};
    tr_driver_list_append(&argv, &cfg->cc);
    tr_driver_sanitizer_flags(san, false, &argv);
    tr_driver_list_add(&argv, "-o");
    tr_driver_list_add(&argv, temporary);
    tr_driver_list_append(&argv, objects);
    tr_driver_list_append(&argv, &build->cc_flags);
    tr_driver_add_runtime(cfg, build->sanitizer, &build->cc_flags, &argv);
    int status = tr_driver_run(cfg, &argv);
    if (status == 0)
        tr_driver_install(temporary, build->output);
    tr_driver_list_free(&argv);
    free(temporary);
    return status;
}

int tr_driver_build_run(tr_driver_config *cfg, const tr_driver_build *build)
{
    tr_driver_sanitizer san =
        build->sanitizer != TR_DRIVER_SANITIZE_NONE ? build->sanitizer : cfg->runtime_sanitizer;
    free(tr_driver_runtime_library(cfg, build->sanitizer));   /* fail early if missing */
    tr_driver_list objects = {0};
    int status = compile_all(cfg, build, san, &objects);
    if (status == 0)
        status = link_all(cfg, build, san, &objects);
    tr_driver_list_free(&objects);
    return status;
}

/* ===================================================================== */
/* goc build                                                             */
/* ===================================================================== */

/* The value of an option that takes one, or a usage error. */
static const char *option_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        tr_driver_usage_error("%s needs an argument", argv[*i]);
    return argv[++*i];
}

int tr_driver_command_build(tr_driver_config *cfg, int argc, char **argv)
{
    tr_driver_build build = {0};
    int i = 0;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-o") == 0)
            build.output = option_value(argc, argv, &i);
        else if (tr_driver_build_flag(cfg, &build, arg))
            continue;
        else if (arg[0] == '-')
            tr_driver_usage_error("build: unknown flag %s", arg);
        else {
            tr_driver_check_input(arg);
            tr_driver_list_add(&build.files, arg);
        }
    }
    for (i++; i < argc; i++)
        tr_driver_list_add(&build.cc_flags, argv[i]);
    if (build.files.count == 0)
        tr_driver_usage_error("build: no files to build");
    char *output = build.output ? NULL : tr_driver_stem(build.files.items[0]);
    if (output)
        build.output = output;
    int status = tr_driver_build_run(cfg, &build);
    free(output);
    tr_driver_list_free(&build.files);
    tr_driver_list_free(&build.cc_flags);
    return status;
}

/* ===================================================================== */
/* goc translate                                                         */
/* ===================================================================== */

typedef struct translate_args {
    const char *source, *output;
    int escape_report;
    tr_driver_list cflags;   /* from the CC-FLAGS after `--` */
} translate_args;

static void parse_translate(int argc, char **argv, translate_args *t)
{
    int i = 0;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-o") == 0)
            t->output = option_value(argc, argv, &i);
        else if (strcmp(argv[i], "-m") == 0)
            t->escape_report++;
        else if (argv[i][0] == '-')
            tr_driver_usage_error("translate: unknown flag %s", argv[i]);
        else if (t->source)
            tr_driver_usage_error("translate: one file at a time");
        else
            t->source = argv[i];
    }
    if (!t->source)
        tr_driver_usage_error("translate: no file to translate");
    if (!tr_driver_has_suffix(t->source, ".gc") && !tr_driver_has_suffix(t->source, ".gh"))
        tr_driver_usage_error("translate: %s is not a .gc or .gh file", t->source);
    if (i < argc)
        tr_driver_cflags_extract(argv + i + 1, argc - i - 1, &t->cflags);
}

int tr_driver_command_translate(tr_driver_config *cfg, int argc, char **argv)
{
    translate_args t = {0};
    parse_translate(argc, argv, &t);
    tr_driver_unit unit;
    int status = tr_driver_unit_translate(cfg, &unit, t.source, &t.cflags, t.escape_report);
    if (status == 0 && t.output)
        tr_driver_write_atomic(t.output, unit.text, unit.length);
    else if (status == 0 && fwrite(unit.text, 1, unit.length, stdout) != unit.length)
        tr_driver_fatal("writing the output: %s", strerror(errno));
    tr_driver_unit_free(&unit);
    tr_driver_list_free(&t.cflags);
    return status;
}
