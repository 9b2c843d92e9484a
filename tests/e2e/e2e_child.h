/*
 * e2e_child.h — for e2e programs that check their own output: the program
 * runs a copy of itself as a child (same binary, extra environment), with
 * the child's standard output and error captured, and then checks what the
 * child printed and how it ended.  The parent never starts the runtime, so
 * forking is safe.
 *
 * Usage:
 *     if (getenv(E2E_CHILD))  -> be the child (call goc_main)
 *     else                    -> e2e_run_child(env, &res) and check res
 */
#ifndef E2E_CHILD_H
#define E2E_CHILD_H

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define E2E_CHILD "GOC_E2E_CHILD"

struct e2e_result {
    char *out, *err;             /* NUL-terminated, malloc'ed */
    size_t out_len, err_len;
    int status;                  /* exit status, or 128 + signal number */
};

static inline void e2e_append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = realloc(*buf, *cap);
        if (!*buf) {
            perror("realloc");
            exit(1);
        }
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = 0;
}

/* Runs this program again with `env` (NULL-terminated: NAME=VALUE strings
 * to set, bare NAMEs to unset) applied to the environment, plus
 * E2E_CHILD=mode.  Returns 0, or -1 if the
 * child could not be started. */
static inline int e2e_run_child(const char *mode, char *const *env, struct e2e_result *res)
{
    int out[2], err[2];
    if (pipe(out) || pipe(err)) {
        perror("pipe");
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return -1;
    }
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(out[0]), close(out[1]), close(err[0]), close(err[1]);
        for (int i = 0; env && env[i]; i++) {
            if (strchr(env[i], '='))
                putenv(env[i]);
            else
                unsetenv(env[i]);
        }
        setenv(E2E_CHILD, mode, 1);
        char *argv[] = { "e2e-child", NULL };
        execv("/proc/self/exe", argv);
        perror("execv");
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    size_t out_cap = 0, err_cap = 0;
    res->out = res->err = NULL;
    res->out_len = res->err_len = 0;
    e2e_append(&res->out, &res->out_len, &out_cap, "", 0);
    e2e_append(&res->err, &res->err_len, &err_cap, "", 0);
    struct pollfd fds[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("poll");
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[65536];
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            } else if (i == 0) {
                e2e_append(&res->out, &res->out_len, &out_cap, buf, (size_t)n);
            } else {
                e2e_append(&res->err, &res->err_len, &err_cap, buf, (size_t)n);
            }
        }
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    res->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 0;
}

static inline void e2e_free(struct e2e_result *res)
{
    free(res->out);
    free(res->err);
    res->out = res->err = NULL;
}

/* The line of `text` that starts with `prefix`, or NULL. */
static inline const char *e2e_find_line(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; ) {
        if (strncmp(p, prefix, n) == 0)
            return p;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

#endif
