/*
 * driver_util.c — the goc command's plumbing: string lists, paths, files,
 * the private work directory, cleanup, and child processes.
 *
 * Cleanup.  Everything goc creates on the way to an output lives either in
 * the work directory (mkdtemp under $TMPDIR, else /tmp) or under a temporary
 * name beside the output (renamed into place when complete).  Each such path
 * is registered before it is created.  At exit the work directory is removed
 * with nftw (all of it, whatever the compiler left there) and the registered
 * paths still present are unlinked.  A terminating signal cannot use nftw
 * (not async-signal-safe), so the handler forwards the signal to the
 * compilers still running, waits for them (so none writes after the
 * cleanup), then unlinks/rmdirs the registered paths newest first — unlink,
 * rmdir, kill and waitpid are async-signal-safe — and dies by the signal.
 * The registry and the child table are only changed with those signals
 * blocked, so the handler never sees them half-updated.  A fault or abort
 * in goc itself (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT: a translator
 * bug) is reported, at the .gc position the translator was at when there
 * is one (crash.c), then cleaned up the same way.
 *
 * Children run with posix_spawnp, never system(): no shell re-parses paths.
 *
 * Rejected: an atexit-only cleanup (Ctrl-C during a long compile would leave
 * /tmp/goc-* behind and possibly a half-written output); writing straight to
 * the output path (a failed or interrupted build would leave a partial file).
 */
#define _GNU_SOURCE
#include "driver.h"
#include "translate.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ===================================================================== */
/* Memory and lists                                                      */
/* ===================================================================== */

void *tr_driver_alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p)
        tr_driver_fatal("out of memory");
    return p;
}

void *tr_driver_realloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        tr_driver_fatal("out of memory");
    return p;
}

char *tr_driver_strdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        tr_driver_fatal("out of memory");
    return d;
}

static char *format_va(const char *fmt, va_list ap)
{
    char *s;
    if (vasprintf(&s, fmt, ap) < 0)
        tr_driver_fatal("out of memory");
    return s;
}

char *tr_driver_format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = format_va(fmt, ap);
    va_end(ap);
    return s;
}

bool tr_driver_has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void list_push(tr_driver_list *l, char *owned)
{
    if (l->count + 2 > l->capacity) {
        l->capacity = l->capacity ? 2 * l->capacity : 16;
        l->items = tr_driver_realloc(l->items, (size_t)l->capacity * sizeof *l->items);
    }
    l->items[l->count++] = owned;
    l->items[l->count] = NULL;
}

void tr_driver_list_add(tr_driver_list *l, const char *s)
{
    list_push(l, tr_driver_strdup(s));
}

void tr_driver_list_addf(tr_driver_list *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    list_push(l, format_va(fmt, ap));
    va_end(ap);
}

void tr_driver_list_append(tr_driver_list *l, const tr_driver_list *more)
{
    for (int i = 0; i < more->count; i++)
        tr_driver_list_add(l, more->items[i]);
}

bool tr_driver_list_contains(const tr_driver_list *l, const char *s)
{
    for (int i = 0; i < l->count; i++)
        if (strcmp(l->items[i], s) == 0)
            return true;
    return false;
}

void tr_driver_list_free(tr_driver_list *l)
{
    for (int i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    *l = (tr_driver_list){0};
}

/* ===================================================================== */
/* Messages and exit                                                     */
/* ===================================================================== */

static void message(const char *fmt, va_list ap, const char *tail)
{
    fputs("goc: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(tail, stderr);
}

void tr_driver_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message(fmt, ap, "\n");
    va_end(ap);
    tr_driver_exit(1);
}

void tr_driver_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message(fmt, ap, "\nrun 'goc help' for usage\n");
    va_end(ap);
    tr_driver_exit(2);
}

void tr_driver_exit(int status)
{
    fflush(stdout);
    exit(status);   /* atexit runs tr_driver_cleanup */
}

/* ===================================================================== */
/* Paths                                                                 */
/* ===================================================================== */

const char *tr_driver_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

const char *tr_driver_extension(const char *path)
{
    const char *base = tr_driver_basename(path);
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot : "";
}

char *tr_driver_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return tr_driver_strdup(".");
    if (slash == path)
        return tr_driver_strdup("/");
    return strndup(path, (size_t)(slash - path));
}

char *tr_driver_stem(const char *path)
{
    const char *base = tr_driver_basename(path);
    return strndup(base, strlen(base) - strlen(tr_driver_extension(path)));
}

char *tr_driver_join(const char *dir, const char *name)
{
    if (name[0] == '/' || strcmp(dir, ".") == 0)
        return tr_driver_strdup(name);
    return tr_driver_format("%s%s%s", dir, tr_driver_has_suffix(dir, "/") ? "" : "/", name);
}

char *tr_driver_normalize(const char *path, int *climb)
{
    char *copy = tr_driver_strdup(path), *save = NULL;
    tr_driver_list parts = {0};
    bool absolute = path[0] == '/';
    int up = 0;
    for (char *p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
        bool parent = strcmp(p, "..") == 0;
        if (strcmp(p, ".") == 0 || (parent && absolute && parts.count == 0))
            continue;
        if (parent && parts.count > up) {
            free(parts.items[--parts.count]);
            parts.items[parts.count] = NULL;
            continue;
        }
        up += parent;
        tr_driver_list_add(&parts, p);
    }
    char *out = tr_driver_alloc(strlen(path) + 3);
    strcpy(out, absolute ? "/" : "");
    for (int i = 0; i < parts.count; i++) {
        if (i)
            strcat(out, "/");
        strcat(out, parts.items[i]);
    }
    if (!*out)
        strcpy(out, ".");
    tr_driver_list_free(&parts);
    free(copy);
    *climb = up;
    return out;
}

char *tr_driver_which(const char *command)
{
    if (strchr(command, '/'))
        return access(command, X_OK) == 0 ? tr_driver_strdup(command) : NULL;
    const char *path = getenv("PATH");
    char *copy = tr_driver_strdup(path ? path : "/usr/bin:/bin"), *save = NULL, *found = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found;
         dir = strtok_r(NULL, ":", &save)) {
        char *candidate = tr_driver_join(*dir ? dir : ".", command);
        if (access(candidate, X_OK) == 0 && tr_driver_is_file(candidate))
            found = candidate;
        else
            free(candidate);
    }
    free(copy);
    return found;
}

bool tr_driver_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool tr_driver_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ===================================================================== */
/* Files                                                                 */
/* ===================================================================== */

char *tr_driver_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t size = 0, capacity = 1 << 16;
    char *data = tr_driver_alloc(capacity);
    size_t n;
    while ((n = fread(data + size, 1, capacity - size - 1, f)) > 0) {
        size += n;
        if (capacity - size < 2) {
            capacity *= 2;
            data = tr_driver_realloc(data, capacity);
        }
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(data);
        errno = EIO;
        return NULL;
    }
    data[size] = '\0';
    *len = size;
    return data;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

void tr_driver_write_file(const char *path, const char *data, size_t len)
{
    tr_driver_cleanup_register(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0 || write_all(fd, data, len) < 0 || close(fd) < 0)
        tr_driver_fatal("cannot write %s: %s", path, strerror(errno));
}

bool tr_driver_is_special(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

char *tr_driver_temporary_beside(const char *path)
{
    static int serial;
    if (tr_driver_is_special(path)) {   /* not beside /dev/null: in TMPDIR */
        const char *tmp = getenv("TMPDIR");
        char *name = tr_driver_format("%s/.goc-out-%ld-%d", tmp && *tmp ? tmp : "/tmp",
                                      (long)getpid(), ++serial);
        tr_driver_cleanup_register(name);
        return name;
    }
    char *dir = tr_driver_dirname(path);
    char *name = tr_driver_format("%s/.%s.goc-%ld-%d", dir, tr_driver_basename(path),
                                  (long)getpid(), ++serial);
    free(dir);
    tr_driver_cleanup_register(name);
    return name;
}

/* Writes data into an existing device or FIFO as it is. */
static void write_into(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0 || write_all(fd, data, len) < 0 || close(fd) < 0)
        tr_driver_fatal("cannot write %s: %s", path, strerror(errno));
}

void tr_driver_write_atomic(const char *path, const char *data, size_t len)
{
    if (tr_driver_is_special(path)) {
        write_into(path, data, len);
        return;
    }
    char *temporary = tr_driver_temporary_beside(path);
    int fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 || write_all(fd, data, len) < 0 || close(fd) < 0)
        tr_driver_fatal("cannot write %s: %s", path, strerror(errno));
    tr_driver_install(temporary, path);
    free(temporary);
}

void tr_driver_install(const char *temporary, const char *path)
{
    if (tr_driver_is_special(path)) {
        size_t len;
        char *data = tr_driver_read_file(temporary, &len);
        if (!data)
            tr_driver_fatal("cannot read %s: %s", temporary, strerror(errno));
        write_into(path, data, len);
        free(data);
        unlink(temporary);
        return;
    }
    if (rename(temporary, path) < 0)
        tr_driver_fatal("cannot write %s: %s", path, strerror(errno));
}

void tr_driver_make_dirs(const char *path, bool temporary)
{
    if (tr_driver_is_dir(path))
        return;
    char *parent = tr_driver_dirname(path);
    if (strcmp(parent, path) != 0)
        tr_driver_make_dirs(parent, temporary);
    free(parent);
    if (temporary)
        tr_driver_cleanup_register(path);
    if (mkdir(path, 0777) < 0 && errno != EEXIST)
        tr_driver_fatal("cannot create directory %s: %s", path, strerror(errno));
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (type == FTW_DP ? rmdir : unlink)(path);
    return 0;
}

void tr_driver_remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ===================================================================== */
/* The cleanup registry and the work directory                           */
/* ===================================================================== */

static char **registry;          /* changed only with the signals blocked */
static volatile sig_atomic_t registry_count;
static int registry_capacity;
static char *work_dir;
static pid_t children[64];       /* running children; 0 = free slot */

static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

static void block_signals(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof cleanup_signals / sizeof *cleanup_signals; i++)
        sigaddset(&set, cleanup_signals[i]);
    sigprocmask(SIG_BLOCK, &set, old);
}

void tr_driver_cleanup_register(const char *path)
{
    sigset_t old;
    block_signals(&old);
    if (registry_count == registry_capacity) {
        registry_capacity = registry_capacity ? 2 * registry_capacity : 64;
        registry = tr_driver_realloc(registry, (size_t)registry_capacity * sizeof *registry);
    }
    registry[registry_count] = tr_driver_strdup(path);
    registry_count = registry_count + 1;
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static bool keep_work_dir(void)
{
    const char *keep = getenv("GOC_KEEP_TMP");
    return keep && *keep && strcmp(keep, "0") != 0;
}

const char *tr_driver_work_dir(void)
{
    if (work_dir)
        return work_dir;
    const char *tmp = getenv("TMPDIR");
    char *template = tr_driver_format("%s/goc-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    sigset_t old;
    block_signals(&old);
    if (!mkdtemp(template))
        tr_driver_fatal("cannot create a temporary directory: %s", strerror(errno));
    work_dir = template;
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (keep_work_dir())
        fprintf(stderr, "WORK=%s\n", work_dir);
    else
        tr_driver_cleanup_register(work_dir);
    return work_dir;
}

/* Newest first, so files go before the directories holding them.  Paths
 * inside a kept work directory stay. */
static void remove_registered(void)
{
    size_t keep_prefix = work_dir && keep_work_dir() ? strlen(work_dir) : 0;
    for (int i = registry_count; i-- > 0;) {
        const char *path = registry[i];
        if (keep_prefix && strncmp(path, work_dir, keep_prefix) == 0)
            continue;
        if (unlink(path) < 0)
            rmdir(path);
    }
}

void tr_driver_cleanup(void)
{
    sigset_t old;
    block_signals(&old);
    if (work_dir && !keep_work_dir())
        tr_driver_remove_tree(work_dir);
    remove_registered();
    registry_count = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Sends sig to the running children, waits for them, removes the
 * registered paths and dies by signal `die` (async-signal-safe). */
static void stop_and_die(int sig, int die)
{
    for (size_t i = 0; i < sizeof children / sizeof *children; i++)
        if (children[i] > 0)
            kill(children[i], sig);
    for (size_t i = 0; i < sizeof children / sizeof *children; i++)
        if (children[i] > 0)
            waitpid(children[i], NULL, 0);
    remove_registered();
    signal(die, SIG_DFL);
    raise(die);
}

static void on_terminating_signal(int sig)
{
    stop_and_die(sig == SIGPIPE ? SIGTERM : sig, sig);
}

/* A fault or an abort in goc itself: a translator bug, most likely.  The
 * report names the .gc position the translator was at (crash.c), else
 * just the signal; then the cleanup as for a terminating signal, so that
 * no work directory stays behind.  The handler runs on its own stack (a
 * runaway recursion has used up the normal one) and only once
 * (SA_RESETHAND: a fault inside it kills at once). */
static const struct {
    int sig;
    const char *name;
} fatal_signals[] = {
    {SIGSEGV, "SIGSEGV"}, {SIGBUS, "SIGBUS"}, {SIGILL, "SIGILL"}, {SIGFPE, "SIGFPE"}, {SIGABRT, "SIGABRT"},
};

static void on_fatal_signal(int sig)
{
    const char *name = "a fatal signal";
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
        if (fatal_signals[i].sig == sig)
            name = fatal_signals[i].name;
    if (!tr_crash_report(STDERR_FILENO, name)) {
        static const char head[] = "goc: internal error: ";
        static const char tail[] = "; please report it\n";
        (void)!write(STDERR_FILENO, head, sizeof head - 1);
        (void)!write(STDERR_FILENO, name, strlen(name));
        (void)!write(STDERR_FILENO, tail, sizeof tail - 1);
    }
    stop_and_die(SIGTERM, sig);
}

static void install_fatal_handlers(const struct sigaction *terminating)
{
    static char alternate_stack[64 * 1024];
    stack_t ss = {.ss_sp = alternate_stack, .ss_size = sizeof alternate_stack};
    sigaltstack(&ss, NULL);
    struct sigaction sa = *terminating;
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
        sigaction(fatal_signals[i].sig, &sa, NULL);
}

void tr_driver_install_signal_handlers(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_terminating_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof cleanup_signals / sizeof *cleanup_signals; i++)
        sigaddset(&sa.sa_mask, cleanup_signals[i]);
    for (size_t i = 0; i < sizeof cleanup_signals / sizeof *cleanup_signals; i++) {
        struct sigaction old;
        /* A signal the parent ignores (nohup) stays ignored. */
        if (sigaction(cleanup_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(cleanup_signals[i], &sa, NULL);
    }
    install_fatal_handlers(&sa);
}

/* ===================================================================== */
/* Child processes                                                       */
/* ===================================================================== */

static void children_set(pid_t old, pid_t new)
{
    sigset_t mask;
    block_signals(&mask);
    for (size_t i = 0; i < sizeof children / sizeof *children; i++)
        if (children[i] == old) {
            children[i] = new;
            break;
        }
    sigprocmask(SIG_SETMASK, &mask, NULL);
}

static void print_command(const tr_driver_list *argv)
{
    for (int i = 0; i < argv->count; i++) {
        const char *a = argv->items[i];
        bool plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789-_=+./,:@%") == strlen(a);
        fprintf(stderr, plain ? "%s%s" : "%s'%s'", i ? " " : "", a);
    }
    fputc('\n', stderr);
}

static pid_t spawn(const tr_driver_list *argv, posix_spawn_file_actions_t *actions)
{
    pid_t pid;
    sigset_t old;
    /* The child is in the table before a signal can look for it. */
    block_signals(&old);
    int err = posix_spawnp(&pid, argv->items[0], actions, NULL, argv->items, environ);
    if (err == 0)
        for (size_t i = 0; i < sizeof children / sizeof *children; i++)
            if (children[i] == 0) {
                children[i] = pid;
                break;
            }
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (err)
        tr_driver_fatal("cannot run %s: %s", argv->items[0], strerror(err));
    return pid;
}

pid_t tr_driver_spawn(const tr_driver_config *cfg, const tr_driver_list *argv)
{
    if (cfg->verbose)
        print_command(argv);
    fflush(stdout);
    fflush(stderr);
    return spawn(argv, NULL);
}

pid_t tr_driver_spawn_to(const tr_driver_config *cfg, const tr_driver_list *argv,
                         const char *stderr_path)
{
    if (cfg->verbose)
        print_command(argv);
    fflush(stdout);
    fflush(stderr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = spawn(argv, &actions);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
}

static int decode_status(pid_t pid, int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        fprintf(stderr, "goc: compiler process %ld killed by signal %d\n", (long)pid,
                WTERMSIG(status));
    return 1;
}

int tr_driver_wait(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            tr_driver_fatal("waitpid: %s", strerror(errno));
    children_set(pid, 0);
    return decode_status(pid, status);
}

pid_t tr_driver_wait_any(int *status)
{
    int raw;
    pid_t pid;
    while ((pid = waitpid(-1, &raw, 0)) < 0)
        if (errno != EINTR)
            tr_driver_fatal("waitpid: %s", strerror(errno));
    children_set(pid, 0);
    *status = decode_status(pid, raw);
    return pid;
}

int tr_driver_run(const tr_driver_config *cfg, const tr_driver_list *argv)
{
    return tr_driver_wait(tr_driver_spawn(cfg, argv));
}

char *tr_driver_capture(const tr_driver_list *argv)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return NULL;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    pid_t pid = spawn(argv, &actions);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    size_t size = 0, capacity = 4096;
    char *out = tr_driver_alloc(capacity);
    ssize_t n;
    while ((n = read(fds[0], out + size, capacity - size - 1)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        size += (size_t)n;
        if (capacity - size < 2)
            out = tr_driver_realloc(out, capacity *= 2);
    }
    close(fds[0]);
    out[size] = '\0';
    if (tr_driver_wait(pid) != 0) {
        free(out);
        return NULL;
    }
    return out;
}
