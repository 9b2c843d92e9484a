/*
 * driver_run.c — `goc run`: build into the cache, then exec the program.
 *
 *     goc run [-O0..3] [-g] [-m] [-race|-asan] [-x] FILE... [-- ARGS]
 *
 * FILEs are the leading arguments that name .gc, .c, .o or .a files; the
 * program's arguments are what follows `--` or, as with `go run`, the first
 * argument that is not such a file.  The program runs with argv[0] = the
 * first file's name without directory and extension, in place of goc
 * (execv), so its exit status and signals are the caller's to see.
 *
 * The cache ($GOC_CACHE, else $XDG_CACHE_HOME/goc, else ~/.cache/goc) holds
 * one directory per build, named by a 64-bit FNV-1a hash of everything the
 * binary depends on:
 *   - this goc executable (size and modification time), standing for the
 *     translator and the driver;
 *   - the C compiler: $CC as written, and size and time of the file it runs;
 *   - the runtime library linked, and each file of the include directory;
 *   - the flags (-O, -g, -race/-asan, -m);
 *   - every FILE's name and contents, and recursively the contents of each
 *     `#include "..."` found beside the including file (.gh and .h alike).
 * A directory whose binary exists is a hit: goc touches it and execs the
 * binary without running any compiler.  A miss builds there (the build
 * writes under a temporary name and renames, so a concurrent goc run never
 * sees half a binary).  After a miss, entries unused for a week are removed.
 *
 * Rejected: hashing the output of `$CC --version` (one more process on every
 * run, and the compiler's file identity catches upgrades); keying on file
 * modification times (a checkout or `touch` would rebuild, an edit within the
 * same second would not).
 */
#define _GNU_SOURCE
#include "driver.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CACHE_TRIM_AGE (7 * 24 * 3600)

/* ===================================================================== */
/* The cache key                                                         */
/* ===================================================================== */

static uint64_t hash_bytes(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t hash_string(uint64_t h, const char *s)
{
    return hash_bytes(h, s, strlen(s) + 1);
}

static uint64_t hash_stat(uint64_t h, const char *path)
{
    struct stat st;
    if (!path || stat(path, &st) < 0)
        return hash_string(h, "missing");
    int64_t id[3] = {st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
    return hash_bytes(h, id, sizeof id);
}

/* Contents of path and of the quoted includes it reaches; seen stops
 * repeats and cycles. */
static uint64_t hash_source(uint64_t h, const char *path, tr_driver_list *seen)
{
    if (tr_driver_list_contains(seen, path))
        return h;
    tr_driver_list_add(seen, path);
    size_t length;
    char *text = tr_driver_read_file(path, &length);
    if (!text)
        return hash_string(h, "unreadable");
    h = hash_string(h, path);
    h = hash_bytes(h, text, length);
    tr_driver_list names = {0}, no_flags = {0};
    tr_driver_scan_includes(text, length, &names);
    for (int i = 0; i < names.count; i++) {
        int search;
        char *found = tr_driver_include_find(path, names.items[i], &no_flags, &search);
        if (found)
            h = hash_source(h, found, seen);
        free(found);
    }
    tr_driver_list_free(&names);
    free(text);
    return h;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint64_t hash_directory(uint64_t h, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return hash_string(h, "missing");
    tr_driver_list names = {0};
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            tr_driver_list_add(&names, e->d_name);
    closedir(d);
    if (names.count)
        qsort(names.items, (size_t)names.count, sizeof *names.items, compare_strings);
    for (int i = 0; i < names.count; i++) {
        char *path = tr_driver_join(dir, names.items[i]);
        h = hash_stat(hash_string(h, names.items[i]), path);
        free(path);
    }
    tr_driver_list_free(&names);
    return h;
}

static uint64_t cache_key(const tr_driver_config *cfg, const tr_driver_build *build)
{
    uint64_t h = hash_string(0xcbf29ce484222325ull, "goc run 1");
    h = hash_stat(h, cfg->exe);
    h = hash_string(h, cfg->cc_text);
    char *compiler = tr_driver_which(cfg->cc.items[0]);
    h = hash_stat(h, compiler);
    free(compiler);
    char *library = tr_driver_runtime_library(cfg, build->sanitizer);
    h = hash_stat(hash_string(h, library), library);
    free(library);
    h = hash_directory(h, cfg->include_dir);
    char flags[64];
    snprintf(flags, sizeof flags, "%s %d %d %d", build->optimize ? build->optimize : "",
             build->debug, build->escape_report, (int)build->sanitizer);
    h = hash_string(h, flags);
    tr_driver_list seen = {0};
    for (int i = 0; i < build->files.count; i++)
        h = hash_source(hash_string(h, build->files.items[i]), build->files.items[i], &seen);
    tr_driver_list_free(&seen);
    return h;
}

/* ===================================================================== */
/* The cache                                                             */
/* ===================================================================== */

static bool is_key_name(const char *name)
{
    return strlen(name) == 16 && strspn(name, "0123456789abcdef") == 16;
}

/* Removes the entries (key directories) not used for CACHE_TRIM_AGE. */
static void trim_cache(const char *cache)
{
    DIR *d = opendir(cache);
    if (!d)
        return;
    time_t limit = time(NULL) - CACHE_TRIM_AGE;
    for (struct dirent *e; (e = readdir(d));) {
        if (!is_key_name(e->d_name))
            continue;
        char *path = tr_driver_join(cache, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_mtime < limit)
            tr_driver_remove_tree(path);
        free(path);
    }
    closedir(d);
}

/* Builds into the cache unless the binary is there; returns its path. */
static char *cached_binary(tr_driver_config *cfg, tr_driver_build *build)
{
    if (!cfg->cache_dir)
        tr_driver_fatal("run: no cache directory: set GOC_CACHE (or HOME)");
    char *entry = tr_driver_format("%s/%016llx", cfg->cache_dir,
                                   (unsigned long long)cache_key(cfg, build));
    char *stem = tr_driver_stem(build->files.items[0]);
    char *binary = tr_driver_format("%s/%s", entry, stem);
    /* -m asks for the escape analysis' report: always translate again */
    if (access(binary, X_OK) == 0 && !build->escape_report) {
        if (cfg->verbose)
            fprintf(stderr, "goc: cache hit %s\n", binary);
        utimensat(AT_FDCWD, entry, NULL, 0);
    } else {
        if (cfg->verbose)
            fprintf(stderr, "goc: cache miss %s\n", binary);
        tr_driver_make_dirs(entry, false);
        build->output = binary;
        int status = tr_driver_build_run(cfg, build);
        if (status != 0) {
            rmdir(entry);
            tr_driver_exit(status);
        }
        trim_cache(cfg->cache_dir);
    }
    free(stem);
    free(entry);
    return binary;
}

/* ===================================================================== */
/* goc run                                                               */
/* ===================================================================== */

/* Splits argv into build flags, files and the program's arguments (from
 * *first_argument on). */
static void parse_run(tr_driver_config *cfg, tr_driver_build *build, int argc, char **argv,
                      int *first_argument)
{
    int i = 0;
    for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i++)
        if (!tr_driver_build_flag(cfg, build, argv[i]))
            tr_driver_usage_error("run: unknown flag %s", argv[i]);
    for (; i < argc; i++) {
        if (argv[i][0] == '-' || !tr_driver_is_input(argv[i]))
            break;
        tr_driver_list_add(&build->files, argv[i]);
    }
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    *first_argument = i;
}

int tr_driver_command_run(tr_driver_config *cfg, int argc, char **argv)
{
    tr_driver_build build = {.optimize = "-O2"};
    int first;
    parse_run(cfg, &build, argc, argv, &first);
    if (build.files.count == 0)
        tr_driver_usage_error("run: no .gc files listed");
    for (int i = 0; i < build.files.count; i++)
        if (access(build.files.items[i], R_OK) < 0)
            tr_driver_fatal("%s: %s", build.files.items[i], strerror(errno));
    char *binary = cached_binary(cfg, &build);
    tr_driver_list program = {0};
    char *name = tr_driver_stem(build.files.items[0]);
    tr_driver_list_add(&program, name);
    for (int i = first; i < argc; i++)
        tr_driver_list_add(&program, argv[i]);
    tr_driver_cleanup();
    fflush(stdout);
    fflush(stderr);
    execv(binary, program.items);
    tr_driver_fatal("cannot run %s: %s", binary, strerror(errno));
}
