/*
 * trace: GOC_TRACE=FILE writes a Chrome trace-event file (JSON array form)
 * of goroutine run slices, spawns and collections.  The program runs a copy
 * of itself with GOC_TRACE set, twice:
 *   1. a producer and a consumer over an unbuffered channel, a goroutine
 *      that yields and one that sleeps, then goc_gc(); normal exit;
 *   2. the same start, then an unrecovered panic (exit status 2 via _exit):
 *      the events so far must still be in the file.
 * Checks on each file: it opens with "[", every following line is one
 * event object followed by a comma, lanes are named, and the events the
 * run must have caused are there (run slices ending in "chan receive",
 * "yield" and "exit"; spawns with their
 * source position in this file; for run 1 a collection's pause).
 */
#include <goc.h>

#include "e2e_san.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e_child.h"

static void producer(void *arg)
{
    goc_chan *c = arg;
    for (int i = 0; i < 100; i++)
        goc_chan_send(c, &i);
    goc_chan_close(c);
}

static void yielder(void *arg)
{
    for (int i = 0; i < 10; i++)
        goc_yield();
}

static void sleeper(void *arg)
{
    goc_sleep(2 * GOC_MILLISECOND);
}

static int child_main(int argc, char **argv)
{
    goc_chan *c = goc_chan_make(sizeof(int), 0);
    goc_go_at(producer, c, __FILE__, __LINE__);
    goc_go_at(yielder, NULL, __FILE__, __LINE__);
    goc_go_at(sleeper, NULL, __FILE__, __LINE__);
    int v, sum = 0;
    while (goc_chan_recv(c, &v))
        sum += v;
    goc_sleep(10 * GOC_MILLISECOND);
    if (!strcmp(getenv(E2E_CHILD), "panic"))
        goc_panic("traced panic");
    goc_gc();
    printf("sum %d\n", sum);
    return 0;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    for (size_t k; (k = fread(s + n, 1, cap - n - 1, f)) > 0;) {
        n += k;
        if (n + 1 == cap)
            s = realloc(s, cap *= 2);
    }
    s[n] = 0;
    fclose(f);
    return s;
}

/* Every line after the first "[" is {...}, */
static int well_formed(const char *s)
{
    if (strncmp(s, "[\n", 2) != 0)
        return 0;
    int lines = 0;
    for (const char *p = s + 2; *p; lines++) {
        const char *nl = strchr(p, '\n');
        if (!nl || p[0] != '{' || nl - p < 3 || nl[-1] != ',' || nl[-2] != '}')
            return 0;
        p = nl + 1;
    }
    return lines;
}

static int check(const char *what, const char *mode, int want_status, int want_gc)
{
    char path[] = "/tmp/goc-trace-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);
    char env[64 + sizeof path];
    snprintf(env, sizeof env, "GOC_TRACE=%s", path);
    char *vars[] = { env, "GOC_MAXPROCS=2", NULL };
    struct e2e_result r;
    if (e2e_run_child(mode, vars, &r) != 0)
        return 1;
    char *t = slurp(path);
    unlink(path);
    int events = t ? well_formed(t) : 0;
    const char *need[] = { "\"name\":\"thread_name\"", "\"args\":{\"name\":\"P",
                           "\"stop\":\"chan receive\"",
                           "\"stop\":\"yield\"", "\"stop\":\"exit\"", "\"name\":\"go\"",
                           "trace.c:", want_gc ? "\"name\":\"gc pause\"" : "\"ph\":\"X\"", NULL };
    int missing = 0;
    for (int i = 0; need[i]; i++)
        if (!t || !strstr(t, need[i])) {
            fprintf(stderr, "%s: no %s in the trace\n", what, need[i]);
            missing++;
        }
    int ok = r.status == want_status && events > 20 && !missing;
    printf("%s: status %d, trace %s, %s\n", what, r.status,
           events > 20 ? "well formed" : "malformed or short",
           missing ? "events missing" : "expected events present");
    if (!ok)
        fputs(r.err, stderr);
    free(t);
    e2e_free(&r);
    return !ok;
}

int main(int argc, char **argv)
{
    if (getenv(E2E_CHILD))
        return goc_main(child_main, argc, argv);
    int fails = check("normal exit", "normal", 0, 1);
    fails += check("panic exit", "panic", 2, 0);
    return fails ? 1 : 0;
}
