/*
 * driver.h — what the files of the goc command share (driver*.c).
 *
 * The command is split by job:
 *   driver.c        main: subcommand dispatch, usage, `goc version`, `goc env`,
 *                   where the include directory, libraries and cache live
 *   driver_util.c   string lists, paths, files, the private work directory
 *                   and its removal (also on SIGINT/SIGTERM), child processes
 *   driver_unit.c   one .gc translation unit: its .gh headers translated into
 *                   a mirror of their directories in the work directory
 *   driver_build.c  `goc build` and `goc translate`
 *   driver_run.c    `goc run`: the build cache, then exec
 *   driver_cc.c     `goc cc`: a drop-in C compiler for make and CMake
 *
 * Errors: a usage error exits 2, any other failure 1 (or the C compiler's
 * status), always after the work directory and any temporary output file
 * are gone.  Nothing is written to an output path until it is complete: files
 * are written beside it under a temporary name and renamed.
 *
 * Ownership: every char * a function here returns is malloc'ed and owned by
 * the caller, unless its comment says it points into an argument.
 */
#ifndef TR_DRIVER_H
#define TR_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#if defined(__GNUC__)
#define TR_DRIVER_NORETURN __attribute__((noreturn))
#define TR_DRIVER_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TR_DRIVER_NORETURN
#define TR_DRIVER_PRINTF(f, a)
#endif

/* ===================================================================== */
/* Configuration (driver.c)                                              */
/* ===================================================================== */

typedef enum tr_driver_sanitizer {
    TR_DRIVER_SANITIZE_NONE,
    TR_DRIVER_SANITIZE_THREAD,   /* -race: libgoc_race.a */
    TR_DRIVER_SANITIZE_ADDRESS,  /* -asan: libgoc_asan.a */
} tr_driver_sanitizer;

/* A growable argv-style list of malloc'ed strings, always NULL-terminated
 * (items[count] == NULL once anything was added). */
typedef struct tr_driver_list {
    char **items;
    int count;
    int capacity;
} tr_driver_list;

typedef struct tr_driver_config {
    tr_driver_list cc;       /* the C compiler: $CC split at blanks, else "cc" */
    char *cc_text;           /* the same as one string */
    char *exe;               /* this program, from /proc/self/exe */
    char *include_dir;       /* goc.h and the headers translated code includes */
    char *lib_dir;           /* libgoc.a, libgoc_race.a, libgoc_asan.a */
    char *cache_dir;         /* goc run's binaries */
    tr_driver_sanitizer runtime_sanitizer; /* what libgoc.a itself was built with */
    int cc_is_clang;         /* -1 until `$CC --version` was asked */
    bool verbose;            /* -x: print each command before running it */
} tr_driver_config;

/* True when the C compiler is clang (asks `$CC --version` once). */
bool tr_driver_cc_is_clang(tr_driver_config *cfg);
/* Path of the runtime library for a sanitizer flavour, or exits 1 with a
 * message when this installation lacks it. */
char *tr_driver_runtime_library(const tr_driver_config *cfg, tr_driver_sanitizer san);
/* Appends the compile flags (with_defines) or link flags of a flavour. */
void tr_driver_sanitizer_flags(tr_driver_sanitizer san, bool with_defines, tr_driver_list *argv);
/* Appends the runtime library of a flavour and -lpthread, the last inputs
 * of a link whose user arguments are args (preceded by `-x none` when
 * those set a language). */
void tr_driver_add_runtime(const tr_driver_config *cfg, tr_driver_sanitizer san,
                           const tr_driver_list *args, tr_driver_list *argv);

/* ===================================================================== */
/* Lists, strings, paths and files (driver_util.c)                       */
/* ===================================================================== */

void tr_driver_list_add(tr_driver_list *l, const char *s);
void tr_driver_list_addf(tr_driver_list *l, const char *fmt, ...) TR_DRIVER_PRINTF(2, 3);
void tr_driver_list_append(tr_driver_list *l, const tr_driver_list *more);
bool tr_driver_list_contains(const tr_driver_list *l, const char *s);
void tr_driver_list_free(tr_driver_list *l);

void *tr_driver_alloc(size_t n);                 /* zeroed; exits on failure */
void *tr_driver_realloc(void *p, size_t n);
char *tr_driver_strdup(const char *s);
char *tr_driver_format(const char *fmt, ...) TR_DRIVER_PRINTF(1, 2);
bool tr_driver_has_suffix(const char *s, const char *suffix);

/* "goc: MESSAGE" on stderr, then exit 1 (fatal) or 2 with the usage hint. */
TR_DRIVER_NORETURN void tr_driver_fatal(const char *fmt, ...) TR_DRIVER_PRINTF(1, 2);
TR_DRIVER_NORETURN void tr_driver_usage_error(const char *fmt, ...) TR_DRIVER_PRINTF(1, 2);
/* Leaves with a status: runs the cleanup, then exit(status). */
TR_DRIVER_NORETURN void tr_driver_exit(int status);

const char *tr_driver_basename(const char *path);    /* points into path */
const char *tr_driver_extension(const char *path);   /* ".gc", or "" */
char *tr_driver_dirname(const char *path);           /* "." for "x.gc" */
char *tr_driver_stem(const char *path);              /* "dir/x.gc" -> "x" */
char *tr_driver_join(const char *dir, const char *name);
/* Lexical normalisation: "a/./b/../c" -> "a/c", "" -> ".".  Leading ".."
 * of a relative path stay and *climb is set to their number; an absolute
 * path keeps its "/". */
char *tr_driver_normalize(const char *path, int *climb);
/* The file PATH lookup runs for command, or NULL. */
char *tr_driver_which(const char *command);
bool tr_driver_is_file(const char *path);
bool tr_driver_is_dir(const char *path);

/* Reads a whole file; NULL with errno set on failure.  Adds a NUL. */
char *tr_driver_read_file(const char *path, size_t *len);
/* Writes path (work-directory files); exits 1 on failure. */
void tr_driver_write_file(const char *path, const char *data, size_t len);
/* Writes path through a temporary file beside it and a rename: a reader
 * never sees a partial file.  Exits 1 on failure. */
void tr_driver_write_atomic(const char *path, const char *data, size_t len);
/* Moves the finished temporary file to path with a rename, or, when path
 * is a device or a FIFO (-o /dev/null), copies it in: renaming over
 * /dev/null would replace the device with a file.  Exits 1 on failure. */
void tr_driver_install(const char *temporary, const char *path);
/* Whether path exists and is neither a regular file nor a directory. */
bool tr_driver_is_special(const char *path);
/* A fresh temporary name beside path ("dir/.name.goc-PID-N"; in TMPDIR
 * when path is a device or a FIFO), registered for removal at exit. */
char *tr_driver_temporary_beside(const char *path);
/* mkdir -p; temporary: register each directory created for removal at exit. */
void tr_driver_make_dirs(const char *path, bool temporary);
/* rm -r; no error when path does not exist. */
void tr_driver_remove_tree(const char *path);

/* ===================================================================== */
/* Work directory, cleanup and child processes (driver_util.c)           */
/* ===================================================================== */

/* The private temporary directory of this run, made on first use. */
const char *tr_driver_work_dir(void);
/* Marks a path (file or empty directory) for removal at exit and on a
 * terminating signal, unless it was renamed away by then. */
void tr_driver_cleanup_register(const char *path);
/* Removes the work directory (kept with GOC_KEEP_TMP=1) and registered
 * paths; safe to call more than once.  Installed with atexit by main. */
void tr_driver_cleanup(void);
/* SIGINT, SIGTERM, SIGHUP, SIGPIPE: stop the children, clean up, die by the
 * signal.  SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT (goc's own crash): the
 * same after an internal-error report (tr_crash_report). */
void tr_driver_install_signal_handlers(void);

/* Starts argv[0] (found in PATH); prints the command first under -x. */
pid_t tr_driver_spawn(const tr_driver_config *cfg, const tr_driver_list *argv);
/* The same with its standard error written to the file stderr_path. */
pid_t tr_driver_spawn_to(const tr_driver_config *cfg, const tr_driver_list *argv,
                         const char *stderr_path);
/* Waits for a child started by tr_driver_spawn: its exit status, or 1 (with
 * a message) if it died by a signal. */
int tr_driver_wait(pid_t pid);
/* Waits for whichever child ends first; *status as above. */
pid_t tr_driver_wait_any(int *status);
int tr_driver_run(const tr_driver_config *cfg, const tr_driver_list *argv);
/* Runs argv and returns its standard output, or NULL if it failed. */
char *tr_driver_capture(const tr_driver_list *argv);

/* ===================================================================== */
/* Translation units (driver_unit.c)                                     */
/* ===================================================================== */

/* One .gc (or a .gh named on the command line) translated into the work
 * directory, its .gh headers first.  All paths are malloc'ed. */
typedef struct tr_driver_unit {
    char *source;            /* as named by the user */
    char *c_path;            /* its translation: work/uN/r0/.../STEM.c */
    char *object_path;       /* work/uN/STEM.o, for the compile step */
    char *text;              /* the translated C of source itself */
    size_t length;
    tr_driver_list flags;    /* include flags the translation needs: -I of the
                                mirrors, -idirafter of the headers' directories */
    tr_driver_list mirrored; /* work-directory paths of the translated files... */
    tr_driver_list original; /* ...and the sources they came from, pairwise */
    struct tr_colmap **maps; /* column maps of the translated files that have one */
    int map_count;
} tr_driver_unit;

/* Translates source and the .gh files it includes.  user_cflags: the
 * preprocessor flags of the command line (see tr_driver_cflags_extract).
 * Returns 0, or 1 after the diagnostics were printed. */
int tr_driver_unit_translate(tr_driver_config *cfg, tr_driver_unit *unit, const char *source,
                             const tr_driver_list *user_cflags, int escape_report);
void tr_driver_unit_free(tr_driver_unit *unit);

/* The flags among args that steer preprocessing (-I, -D, -U, -std, -include,
 * -iquote, -isystem, -idirafter, -imacros), in order, values attached. */
void tr_driver_cflags_extract(char *const *args, int count, tr_driver_list *out);
/* The names in `#include "NAME"` lines of text, in order. */
void tr_driver_scan_includes(const char *text, size_t len, tr_driver_list *names);
/* Where the compiler finds `#include "name"` written in includer: beside the
 * includer, then the -iquote and -I directories of cflags.  NULL if nowhere.
 * *search is 0 for "beside", else 1 + the index of the directory used. */
char *tr_driver_include_find(const char *includer, const char *name,
                             const tr_driver_list *cflags, int *search);

/* ===================================================================== */
/* Compiler diagnostics on translated code (driver_diag.c)               */
/* ===================================================================== */

struct tr_colmap;
/* Prints the compiler's stderr text to f with positions in translated
 * files moved to their .gc line and column (see driver_diag.c).  cfg's
 * cc_is_clang must be known. */
void tr_driver_diag_print(const tr_driver_config *cfg, const char *text, size_t len,
                          struct tr_colmap *const *maps, int nmaps, FILE *f);
/* Prints the stderr file path so, then removes it. */
void tr_driver_diag_flush(const tr_driver_config *cfg, const char *path,
                          struct tr_colmap *const *maps, int nmaps);
/* tr_driver_run with the child's stderr printed so when it ends. */
int tr_driver_run_mapped(tr_driver_config *cfg, const tr_driver_list *argv,
                         struct tr_colmap *const *maps, int nmaps);

/* ===================================================================== */
/* Subcommands                                                           */
/* ===================================================================== */

/* What goc build and goc run compile and link. */
typedef struct tr_driver_build {
    tr_driver_list files;     /* .gc, .c, .o, .a, .so in command-line order */
    tr_driver_list cc_flags;  /* after `--` */
    const char *output;       /* the executable to write */
    const char *optimize;     /* "-O2", or NULL for the compiler's default */
    bool debug;               /* -g */
    int escape_report;        /* -m, twice: with a summary */
    tr_driver_sanitizer sanitizer; /* -race / -asan; NONE: the runtime's own */
} tr_driver_build;

int tr_driver_build_run(tr_driver_config *cfg, const tr_driver_build *build);
/* Parses one build flag (-O, -g, -m, -race, -asan, -x) into build; false if
 * arg is not one. */
bool tr_driver_build_flag(tr_driver_config *cfg, tr_driver_build *build, const char *arg);
/* -std=gnu17 and the -Werror= flags translated C is compiled with. */
void tr_driver_translated_flags(tr_driver_config *cfg, tr_driver_list *argv);
/* True if path names a file goc build takes: .gc, .c, .o, .a, .so. */
bool tr_driver_is_input(const char *path);
/* Usage error unless it does. */
void tr_driver_check_input(const char *path);

int tr_driver_command_build(tr_driver_config *cfg, int argc, char **argv);
int tr_driver_command_translate(tr_driver_config *cfg, int argc, char **argv);
int tr_driver_command_run(tr_driver_config *cfg, int argc, char **argv);
int tr_driver_command_cc(tr_driver_config *cfg, int argc, char **argv);

#endif
