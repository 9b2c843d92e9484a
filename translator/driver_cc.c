/*
 * driver_cc.c — `goc cc ARGS...`: a drop-in C compiler that also takes .gc
 * files, so that `make CC="goc cc"` (or a CMake project with CC set so)
 * builds a mixed .gc/.c project with its own rules.
 *
 * The arguments are those of $CC and pass through in order, with changes:
 *   - each .gc input is translated into the work directory (its .gh headers
 *     too, see driver_unit.c) and replaced by the translated .c; the
 *     command then also gets -std=gnu17 and the -Werror flags of goc build
 *     (before the user's arguments, so a user -std or -Wno- still wins), and
 *     -I for the directory of each .gc;
 *   - -I<goc include dir> always comes first;
 *   - an object-only compile (-c or -S) of one .gc without -o gets an explicit
 *     `-o STEM.o` (`.s`), the name the compiler would give the .gc itself;
 *   - a command that links (inputs, and none of -c -S -E -M -MM
 *     -fsyntax-only) gets the runtime library and -lpthread at the end, the
 *     sanitizer variant when -fsanitize=thread or =address is among the
 *     arguments, after `-x none` when a -x among them set a language;
 *   - a dependency file written for a .gc (-MD, -MMD, -MF, as make and CMake
 *     use them) names the .gc and its .gh headers, not their translations,
 *     which are gone when goc exits: goc rewrites it after the compiler.
 * Arguments that take a separate value (-o FILE, -I DIR, -MF FILE, -x LANG,
 * ...) are known, so that a value is never mistaken for an input.
 *
 * Limits: a .gc named only inside an @response file is not translated;
 * dependencies printed on standard output (-M without -MF or -o) keep the
 * work-directory names.
 */
#define _GNU_SOURCE
#include "driver.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const value_options[] = {
    "-o", "-I", "-D", "-U", "-include", "-imacros", "-iquote", "-isystem", "-idirafter",
    "-iprefix", "-iwithprefix", "-iwithprefixbefore", "-isysroot", "--sysroot", "-x", "-MF",
    "-MT", "-MQ", "-L", "-l", "-Xlinker", "-Xassembler", "-Xpreprocessor", "-Xclang", "-T",
    "-u", "-z", "-e", "-aux-info", "--param", "-target", "-arch", "-B", "-A", "-dumpbase",
    "-dumpdir",
};

typedef struct cc_command {
    tr_driver_list args;        /* the user's, each .gc replaced by its translation */
    tr_driver_list user_cflags; /* their preprocessor flags */
    tr_driver_unit *units;      /* the .gc inputs, translated */
    int unit_count;
    int input_count;            /* inputs of any kind */
    const char *output;         /* -o */
    const char *dependency_file;/* -MF */
    bool compile_only, assemble_only, preprocess_only, dependencies_only, syntax_only;
    bool dependencies;          /* -MD or -MMD */
    tr_driver_sanitizer sanitizer; /* from -fsanitize= */
    bool sanitizer_given;
} cc_command;

static bool takes_value(const char *arg)
{
    for (size_t i = 0; i < sizeof value_options / sizeof *value_options; i++)
        if (strcmp(arg, value_options[i]) == 0)
            return true;
    return false;
}

/* Notes what an option (other than one with a separate value) does. */
static void note_option(cc_command *cmd, const char *arg)
{
    if (strcmp(arg, "-c") == 0)
        cmd->compile_only = true;
    else if (strcmp(arg, "-S") == 0)
        cmd->assemble_only = true;
    else if (strcmp(arg, "-E") == 0)
        cmd->preprocess_only = true;
    else if (strcmp(arg, "-M") == 0 || strcmp(arg, "-MM") == 0)
        cmd->dependencies_only = true;
    else if (strcmp(arg, "-fsyntax-only") == 0)
        cmd->syntax_only = true;
    else if (strcmp(arg, "-MD") == 0 || strcmp(arg, "-MMD") == 0)
        cmd->dependencies = true;
    else if (strncmp(arg, "-o", 2) == 0)
        cmd->output = arg + 2;
    else if (strncmp(arg, "-fsanitize=", 11) == 0) {
        cmd->sanitizer_given = true;
        if (strstr(arg, "thread"))
            cmd->sanitizer = TR_DRIVER_SANITIZE_THREAD;
        else if (strstr(arg, "address"))
            cmd->sanitizer = TR_DRIVER_SANITIZE_ADDRESS;
    }
}

static void note_value(cc_command *cmd, const char *option, const char *value)
{
    if (strcmp(option, "-o") == 0)
        cmd->output = value;
    else if (strcmp(option, "-MF") == 0)
        cmd->dependency_file = value;
}

/* Translates a .gc input; its translation replaces it in the arguments. */
static int add_gc(tr_driver_config *cfg, cc_command *cmd, const char *source)
{
    cmd->units = tr_driver_realloc(cmd->units, (size_t)(cmd->unit_count + 1) * sizeof *cmd->units);
    tr_driver_unit *unit = &cmd->units[cmd->unit_count++];
    if (tr_driver_unit_translate(cfg, unit, source, &cmd->user_cflags, false) != 0)
        return 1;
    tr_driver_list_add(&cmd->args, unit->c_path);
    return 0;
}

static int parse(tr_driver_config *cfg, cc_command *cmd, int argc, char **argv)
{
    tr_driver_cflags_extract(argv, argc, &cmd->user_cflags);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (takes_value(arg) && i + 1 < argc) {
            note_value(cmd, arg, argv[i + 1]);
            tr_driver_list_add(&cmd->args, arg);
            tr_driver_list_add(&cmd->args, argv[++i]);
        } else if (arg[0] == '-' && arg[1] != '\0') {
            note_option(cmd, arg);
            tr_driver_list_add(&cmd->args, arg);
        } else {
            cmd->input_count++;
            if (!tr_driver_has_suffix(arg, ".gc"))
                tr_driver_list_add(&cmd->args, arg);
            else if (add_gc(cfg, cmd, arg) != 0)
                return 1;
        }
    }
    return 0;
}

static bool links(const cc_command *cmd)
{
    return cmd->input_count > 0 && !cmd->compile_only && !cmd->assemble_only &&
           !cmd->preprocess_only && !cmd->dependencies_only && !cmd->syntax_only;
}

/* "-o STEM.o" for `-c one.gc`: the name the compiler would give the .gc. */
static void add_object_name(cc_command *cmd, tr_driver_list *argv)
{
    if (cmd->output || cmd->input_count != 1 || cmd->unit_count != 1 ||
        cmd->preprocess_only || cmd->dependencies_only || cmd->syntax_only ||
        !(cmd->compile_only || cmd->assemble_only))
        return;
    char *stem = tr_driver_stem(cmd->units[0].source);
    char *name = tr_driver_format("%s%s", stem, cmd->assemble_only ? ".s" : ".o");
    tr_driver_list_add(argv, "-o");
    tr_driver_list_add(argv, name);
    cmd->output = argv->items[argv->count - 1];
    free(name);
    free(stem);
}

static void build_command(tr_driver_config *cfg, cc_command *cmd, tr_driver_list *argv)
{
    tr_driver_list_append(argv, &cfg->cc);
    if (!cmd->sanitizer_given) {
        cmd->sanitizer = cfg->runtime_sanitizer;
        tr_driver_sanitizer_flags(cmd->sanitizer, true, argv);
    }
    if (cmd->unit_count > 0)
        tr_driver_translated_flags(cfg, argv);
    tr_driver_list_addf(argv, "-I%s", cfg->include_dir);
    for (int i = 0; i < cmd->unit_count; i++) {
        char *dir = tr_driver_dirname(cmd->units[i].source);
        tr_driver_list_addf(argv, "-I%s", dir);
        tr_driver_list_append(argv, &cmd->units[i].flags);
        free(dir);
    }
    tr_driver_list_append(argv, &cmd->args);
    add_object_name(cmd, argv);
    if (links(cmd))
        tr_driver_add_runtime(cfg, cmd->sanitizer, &cmd->args, argv);
}

/* ===================================================================== */
/* Dependency files                                                      */
/* ===================================================================== */

/* The source a work-directory path was translated from, or NULL. */
static const char *original_of(const cc_command *cmd, const char *path)
{
    int climb;
    char *wanted = tr_driver_normalize(path, &climb);
    const char *found = NULL;
    for (int u = 0; u < cmd->unit_count && !found; u++)
        for (int i = 0; i < cmd->units[u].mirrored.count && !found; i++) {
            char *candidate = tr_driver_normalize(cmd->units[u].mirrored.items[i], &climb);
            if (strcmp(candidate, wanted) == 0)
                found = cmd->units[u].original.items[i];
            free(candidate);
        }
    free(wanted);
    return found;
}

static void rewrite_dependencies(const cc_command *cmd, const char *path)
{
    size_t length;
    char *text = tr_driver_read_file(path, &length);
    if (!text)
        return;
    const char *work = tr_driver_work_dir(), *p = text, *hit;
    char *out = NULL;
    size_t out_length = 0;
    FILE *f = open_memstream(&out, &out_length);
    while ((hit = strstr(p, work)) != NULL) {
        const char *end = hit;
        while (*end && !isspace((unsigned char)*end) && *end != ':')
            end++;
        char *token = tr_driver_format("%.*s", (int)(end - hit), hit);
        const char *original = original_of(cmd, token);
        fwrite(p, 1, (size_t)(hit - p), f);
        fputs(original ? original : token, f);
        free(token);
        p = end;
    }
    fputs(p, f);
    fclose(f);
    if (p != text)
        tr_driver_write_atomic(path, out, out_length);
    free(out);
    free(text);
}

/* The dependency files the compiler wrote: -MF, or -o for -M/-MM, or for
 * -MD/-MMD the object's name with .d (the input's stem when no -o). */
static void rewrite_all_dependencies(const cc_command *cmd)
{
    if (cmd->unit_count == 0)
        return;
    if (cmd->dependency_file || (cmd->dependencies_only && cmd->output)) {
        rewrite_dependencies(cmd, cmd->dependency_file ? cmd->dependency_file : cmd->output);
        return;
    }
    if (!cmd->dependencies)
        return;
    for (int i = 0; i < (cmd->output ? 1 : cmd->unit_count); i++) {
        const char *from = cmd->output ? cmd->output : tr_driver_basename(cmd->units[i].source);
        char *dir = tr_driver_dirname(from), *stem = tr_driver_stem(from);
        char *name = tr_driver_format("%s.d", stem);
        char *path = cmd->output ? tr_driver_join(dir, name) : tr_driver_strdup(name);
        rewrite_dependencies(cmd, path);
        free(path);
        free(name);
        free(stem);
        free(dir);
    }
}

/* ===================================================================== */
/* goc cc                                                                */
/* ===================================================================== */

/* Runs the command; diagnostics on the translated files move to .gc
 * positions (driver_diag.c). */
static int run_compiler(tr_driver_config *cfg, const cc_command *cmd, const tr_driver_list *command)
{
    struct tr_colmap **maps = NULL;
    int count = 0;
    for (int i = 0; i < cmd->unit_count; i++)
        for (int k = 0; k < cmd->units[i].map_count; k++) {
            maps = tr_driver_realloc(maps, (size_t)(count + 1) * sizeof *maps);
            maps[count++] = cmd->units[i].maps[k];
        }
    int status = count ? tr_driver_run_mapped(cfg, command, maps, count) : tr_driver_run(cfg, command);
    free(maps);
    return status;
}

static void command_free(cc_command *cmd)
{
    for (int i = 0; i < cmd->unit_count; i++)
        tr_driver_unit_free(&cmd->units[i]);
    free(cmd->units);
    tr_driver_list_free(&cmd->args);
    tr_driver_list_free(&cmd->user_cflags);
}

int tr_driver_command_cc(tr_driver_config *cfg, int argc, char **argv)
{
    cc_command cmd = {0};
    int status = parse(cfg, &cmd, argc, argv);
    if (status == 0) {
        tr_driver_list command = {0};
        build_command(cfg, &cmd, &command);
        status = run_compiler(cfg, &cmd, &command);
        if (status == 0)
            rewrite_all_dependencies(&cmd);
        tr_driver_list_free(&command);
    }
    command_free(&cmd);
    return status;
}
