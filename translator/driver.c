/*
 * driver.c — the goc command: subcommand dispatch, usage, `goc version`,
 * `goc env`, and where goc finds its headers, libraries and cache.
 *
 *     goc build [-o OUT] [-O0..3] [-g] [-m] [-race|-asan] [-x] FILES... [-- CC-FLAGS]
 *     goc run [-O0..3] [-g] [-m] [-race|-asan] [-x] FILE.gc... [-- ARGS]
 *     goc translate [-m] FILE.gc [-o FILE.c] [-- CC-FLAGS]
 *     goc cc ARGS...
 *     goc version | goc env [KEY...]
 *
 * Locations.  The build tree defines GOC_BUILD_DIR, GOC_SOURCE_INCLUDE_DIR
 * (the project's include/) and GOC_BUILD_LIB_DIR (where libgoc.a is built).
 * A goc running from inside GOC_BUILD_DIR uses those; any other goc (an
 * installed copy) uses ../include and ../lib relative to its executable, and
 * falls back to the build tree only when those are missing.  GOC_INCLUDE and
 * GOC_LIB in the environment override both.  Rejected: always preferring the
 * build tree "when it exists" — an installed goc would silently follow a
 * build directory that was since reconfigured (say, with a sanitizer).
 *
 * GOC_RUNTIME_SANITIZE is the sanitizer libgoc.a itself was built with
 * (CMake's GOC_SANITIZE): programs linked with it must be compiled with the
 * same -fsanitize flags, so goc adds them by default.
 *
 * $CC is the C compiler (words split at blanks), else `cc`.  A $CC that
 * names goc itself (CC="goc cc" exported to the environment) would recurse
 * forever, so it is replaced by `cc`.
 */
#define _GNU_SOURCE
#include "driver.h"

#include <goc.h>

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef GOC_BUILD_DIR
#define GOC_BUILD_DIR ""
#endif
#ifndef GOC_SOURCE_INCLUDE_DIR
#define GOC_SOURCE_INCLUDE_DIR ""
#endif
#ifndef GOC_BUILD_LIB_DIR
#define GOC_BUILD_LIB_DIR ""
#endif
#ifndef GOC_RUNTIME_SANITIZE
#define GOC_RUNTIME_SANITIZE ""
#endif

static const char usage_text[] =
    "goc compiles C with Go's concurrency (.gc files) into programs.\n"
    "\n"
    "Usage:\n"
    "  goc build [-o OUT] [-O0..3] [-g] [-m] [-race|-asan] [-x] FILES... [-- CC-FLAGS]\n"
    "                 compile and link .gc, .c, .o and .a files into OUT\n"
    "  goc run [-O0..3] [-g] [-m] [-race|-asan] [-x] FILE.gc... [-- ARGS]\n"
    "                 build in the cache (GOC_CACHE, default -O2), run with ARGS\n"
    "  goc translate [-m] FILE.gc [-o FILE.c] [-- CC-FLAGS]\n"
    "                 print the C a .gc (or .gh) file translates to\n"
    "  goc cc ARGS... a C compiler that also takes .gc files: make CC=\"goc cc\"\n"
    "  goc version    print the version\n"
    "  goc env [KEY...]  print the environment goc uses\n"
    "\n"
    "-m prints escape-analysis decisions; -x prints the commands goc runs.\n"
    "Environment: CC (the C compiler, default cc), GOC_INCLUDE, GOC_LIB,\n"
    "GOC_CACHE, GOC_KEEP_TMP=1 (keep the temporary directory, print its path).\n";

/* ===================================================================== */
/* Locations                                                             */
/* ===================================================================== */

static char *executable_path(void)
{
    char buffer[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (n <= 0)
        return tr_driver_strdup("goc");
    buffer[n] = '\0';
    return tr_driver_strdup(buffer);
}

static bool inside_build_tree(const char *exe)
{
    char *tree = *GOC_BUILD_DIR ? realpath(GOC_BUILD_DIR, NULL) : NULL;
    bool inside = tree && strncmp(exe, tree, strlen(tree)) == 0 && exe[strlen(tree)] == '/';
    free(tree);
    return inside;
}

/* env, else the build tree's path or ../SUBDIR beside the executable,
 * whichever applies and holds marker. */
static char *locate(const char *env, const char *exe, const char *build_path,
                    const char *subdir, const char *marker)
{
    const char *value = getenv(env);
    if (value && *value)
        return tr_driver_strdup(value);
    char *bin = tr_driver_dirname(exe), *prefix = tr_driver_dirname(bin);
    char *installed = tr_driver_format("%s/%s", prefix, subdir);
    char *installed_marker = tr_driver_format("%s/%s", installed, marker);
    char *built_marker = tr_driver_format("%s/%s", build_path, marker);
    bool use_build = *build_path && tr_driver_is_file(built_marker) &&
                     (inside_build_tree(exe) || !tr_driver_is_file(installed_marker));
    char *result = use_build ? tr_driver_strdup(build_path) : installed;
    if (use_build)
        free(installed);
    free(bin);
    free(prefix);
    free(installed_marker);
    free(built_marker);
    return result;
}

static char *cache_location(void)
{
    const char *value = getenv("GOC_CACHE");
    if (value && *value)
        return tr_driver_strdup(value);
    value = getenv("XDG_CACHE_HOME");
    if (value && *value)
        return tr_driver_format("%s/goc", value);
    value = getenv("HOME");
    if (value && *value)
        return tr_driver_format("%s/.cache/goc", value);
    return NULL;
}

/* ===================================================================== */
/* The C compiler                                                        */
/* ===================================================================== */

/* True if word (a command, searched in PATH) is the file exe. */
static bool names_executable(const char *word, const char *exe)
{
    struct stat self, other;
    char *path = tr_driver_which(word);
    bool same = path && stat(exe, &self) == 0 && stat(path, &other) == 0 &&
                other.st_ino == self.st_ino && other.st_dev == self.st_dev;
    free(path);
    return same;
}

static void compiler_init(tr_driver_config *cfg)
{
    const char *cc = getenv("CC");
    char *copy = tr_driver_strdup(cc && *cc ? cc : "cc"), *save = NULL;
    for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
        tr_driver_list_add(&cfg->cc, w);
    free(copy);
    if (cfg->cc.count == 0 || names_executable(cfg->cc.items[0], cfg->exe)) {
        tr_driver_list_free(&cfg->cc);
        tr_driver_list_add(&cfg->cc, "cc");
    }
    size_t size = 1;
    for (int i = 0; i < cfg->cc.count; i++)
        size += strlen(cfg->cc.items[i]) + 1;
    cfg->cc_text = tr_driver_alloc(size);
    for (int i = 0; i < cfg->cc.count; i++) {
        if (i)
            strcat(cfg->cc_text, " ");
        strcat(cfg->cc_text, cfg->cc.items[i]);
    }
    cfg->cc_is_clang = -1;
}

bool tr_driver_cc_is_clang(tr_driver_config *cfg)
{
    if (cfg->cc_is_clang < 0) {
        tr_driver_list argv = {0};
        tr_driver_list_append(&argv, &cfg->cc);
        tr_driver_list_add(&argv, "--version");
        char *out = tr_driver_capture(&argv);
        cfg->cc_is_clang = out && strstr(out, "clang") != NULL;
        free(out);
        tr_driver_list_free(&argv);
    }
    return cfg->cc_is_clang;
}

/* ===================================================================== */
/* Sanitizers and the runtime library                                    */
/* ===================================================================== */

static tr_driver_sanitizer runtime_sanitizer(void)
{
    if (strcmp(GOC_RUNTIME_SANITIZE, "thread") == 0)
        return TR_DRIVER_SANITIZE_THREAD;
    if (strcmp(GOC_RUNTIME_SANITIZE, "address") == 0)
        return TR_DRIVER_SANITIZE_ADDRESS;
    return TR_DRIVER_SANITIZE_NONE;
}

char *tr_driver_runtime_library(const tr_driver_config *cfg, tr_driver_sanitizer san)
{
    static const char *const names[] = {"libgoc.a", "libgoc_race.a", "libgoc_asan.a"};
    static const char *const flags[] = {"", " (-race)", " (-asan)"};
    if (san == cfg->runtime_sanitizer)
        san = TR_DRIVER_SANITIZE_NONE;
    char *path = tr_driver_format("%s/%s", cfg->lib_dir, names[san]);
    if (!tr_driver_is_file(path))
        tr_driver_fatal("runtime library %s%s not found (set GOC_LIB?)", path, flags[san]);
    return path;
}

/* `-x LANG` (or `-xLANG`) makes the compiler read every later input as
 * LANG, the libraries goc appends after the user's arguments too: `goc cc
 * -x c conftest.c` (configure scripts do it) compiled libgoc.a as C.
 * `-x none` before them restores the choice by suffix. */
void tr_driver_add_runtime(const tr_driver_config *cfg, tr_driver_sanitizer san,
                           const tr_driver_list *args, tr_driver_list *argv)
{
    bool language = false;
    for (int i = 0; i < args->count; i++)
        language = language || strncmp(args->items[i], "-x", 2) == 0;
    if (language) {
        tr_driver_list_add(argv, "-x");
        tr_driver_list_add(argv, "none");
    }
    char *library = tr_driver_runtime_library(cfg, san);
    tr_driver_list_add(argv, library);
    tr_driver_list_add(argv, "-lpthread");
    free(library);
}

void tr_driver_sanitizer_flags(tr_driver_sanitizer san, bool with_defines, tr_driver_list *argv)
{
    if (san == TR_DRIVER_SANITIZE_THREAD) {
        tr_driver_list_add(argv, "-fsanitize=thread");
        if (with_defines)
            tr_driver_list_add(argv, "-DGOC_TSAN=1");
    } else if (san == TR_DRIVER_SANITIZE_ADDRESS) {
        tr_driver_list_add(argv, "-fsanitize=address,undefined");
        if (with_defines) {
            tr_driver_list_add(argv, "-fno-sanitize-recover=undefined");
            tr_driver_list_add(argv, "-DGOC_ASAN=1");
        }
    }
    if (san != TR_DRIVER_SANITIZE_NONE && with_defines)
        tr_driver_list_add(argv, "-fno-omit-frame-pointer");
}

/* ===================================================================== */
/* goc version, goc env, goc help                                        */
/* ===================================================================== */

static int command_version(tr_driver_config *cfg, int argc, char **argv)
{
    if (argc > 0)
        tr_driver_usage_error("version takes no arguments");
    struct utsname u;
    if (uname(&u) < 0)
        tr_driver_fatal("uname failed");
    for (char *p = u.sysname; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    const char *arch = u.machine;
    if (strcmp(arch, "x86_64") == 0)
        arch = "amd64";
    else if (strcmp(arch, "aarch64") == 0)
        arch = "arm64";
    printf("goc version %s %s/%s\n", GOC_VERSION, u.sysname, arch);
    return 0;
}

static void print_quoted(const char *key, const char *value)
{
    printf("%s=\"", key);
    for (const char *p = value; *p; p++) {
        if (strchr("\"\\$`", *p))
            putchar('\\');
        putchar(*p);
    }
    printf("\"\n");
}

static int command_env(tr_driver_config *cfg, int argc, char **argv)
{
    const char *keys[] = {"GOC_VERSION", "CC", "GOC_INCLUDE", "GOC_LIB", "GOC_CACHE"};
    const char *values[] = {GOC_VERSION, cfg->cc_text, cfg->include_dir, cfg->lib_dir,
                            cfg->cache_dir ? cfg->cache_dir : ""};
    int n = (int)(sizeof keys / sizeof *keys);
    if (argc == 0)
        for (int i = 0; i < n; i++)
            print_quoted(keys[i], values[i]);
    for (int a = 0; a < argc; a++) {
        int i = 0;
        while (i < n && strcmp(keys[i], argv[a]) != 0)
            i++;
        if (i == n)
            tr_driver_usage_error("env: unknown variable %s", argv[a]);
        printf("%s\n", values[i]);
    }
    return 0;
}

static int command_help(tr_driver_config *cfg, int argc, char **argv)
{
    fputs(usage_text, stdout);
    return 0;
}

/* ===================================================================== */
/* main                                                                  */
/* ===================================================================== */

static void config_init(tr_driver_config *cfg)
{
    *cfg = (tr_driver_config){0};
    cfg->exe = executable_path();
    cfg->include_dir = locate("GOC_INCLUDE", cfg->exe, GOC_SOURCE_INCLUDE_DIR, "include", "goc.h");
    cfg->lib_dir = locate("GOC_LIB", cfg->exe, GOC_BUILD_LIB_DIR, "lib", "libgoc.a");
    cfg->cache_dir = cache_location();
    cfg->runtime_sanitizer = runtime_sanitizer();
    compiler_init(cfg);
}

typedef int command_fn(tr_driver_config *cfg, int argc, char **argv);

static const struct {
    const char *name;
    command_fn *run;
} commands[] = {
    {"build", tr_driver_command_build},
    {"run", tr_driver_command_run},
    {"translate", tr_driver_command_translate},
    {"cc", tr_driver_command_cc},
    {"version", command_version},
    {"env", command_env},
    {"help", command_help},
    {"-h", command_help},
    {"--help", command_help},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    size_t i = 0, n = sizeof commands / sizeof *commands;
    while (i < n && strcmp(commands[i].name, argv[1]) != 0)
        i++;
    if (i == n)
        tr_driver_usage_error("unknown command \"%s\"", argv[1]);
    tr_driver_config cfg;
    config_init(&cfg);
    atexit(tr_driver_cleanup);
    tr_driver_install_signal_handlers();
    tr_driver_exit(commands[i].run(&cfg, argc - 2, argv + 2));
}
