/*
 * deadlock_many: every goroutine blocked, each on something different (a
 * mutex, a waitgroup, a select, a send, a cond, a nil channel, a read lock
 * and a bare `select {}`): the deadlock report must list every one of them.
 *
 * The dump's order is the runtime's business, so this program checks it
 * itself: it runs a copy of itself (the child, which deadlocks), reads the
 * goroutine ids the child printed before blocking, and looks for a
 * "goroutine ID [reason]:" line for each in the child's stderr.  It passes
 * the child's stderr on, prints one line per goroutine, and exits with the
 * child's status (2) when every check passed, else 1.
 */
#include <goc.h>

#include "e2e_san.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_child.h"

enum { NKINDS = 8 };

/* What each goroutine blocks on, and a word its dump reason must contain
 * (NULL: any waiting reason will do, the contract names none). */
static const struct {
    const char *kind, *reason;
} kinds[NKINDS] = {
    { "main (waitgroup wait)", NULL },
    { "mutex lock", NULL },
    { "select", "select" },
    { "channel send", "chan send" },
    { "cond wait", NULL },
    { "nil channel receive", "chan receive" },
    { "rwmutex read lock", NULL },
    { "empty select", "select" },
};

/* ---- the child ---------------------------------------------------------- */

static int64_t ids[NKINDS];
static _Atomic int nready;
static goc_mutex mu;
static goc_rwmutex rw;
static goc_waitgroup wg;
static goc_mutex cond_mu;
static goc_cond cond;

static void ready(int k)
{
    ids[k] = goc_goid();
    atomic_fetch_add(&nready, 1);
}

static void on_mutex(void *a) { ready(1); goc_mutex_lock(&mu); }

static void on_select(void *a)
{
    goc_chan *x = goc_chan_make(sizeof(int), 0), *y = goc_chan_make(sizeof(int), 2);
    goc_select_case cs[] = { { .chan = x, .dir = GOC_SELECT_RECV },
                             { .chan = y, .dir = GOC_SELECT_RECV } };
    ready(2);
    goc_select(cs, 2, false);
}

static void on_send(void *a)
{
    goc_chan *c = goc_chan_make(sizeof(int), 0);
    int v = 1;
    ready(3);
    goc_chan_send(c, &v);
}

static void on_cond(void *a)
{
    goc_mutex_lock(&cond_mu);
    ready(4);
    goc_cond_wait(&cond);
}

static void on_nil(void *a) { ready(5); goc_chan_recv(NULL, NULL); }
static void on_rlock(void *a) { ready(6); goc_rwmutex_rlock(&rw); }
static void on_empty_select(void *a) { ready(7); goc_select(NULL, 0, false); }

static int child_main(int argc, char **argv)
{
    goc_cond_init(&cond, &cond_mu);
    goc_mutex_lock(&mu);
    goc_rwmutex_lock(&rw);
    goc_waitgroup_add(&wg, 1);
    goc_go(on_mutex, NULL);
    goc_go(on_select, NULL);
    goc_go(on_send, NULL);
    goc_go(on_cond, NULL);
    goc_go(on_nil, NULL);
    goc_go(on_rlock, NULL);
    goc_go(on_empty_select, NULL);
    ready(0);
    while (atomic_load(&nready) < NKINDS)
        goc_yield();
    for (int k = 0; k < NKINDS; k++)
        printf("%lld\n", (long long)ids[k]);
    fflush(stdout);
    goc_waitgroup_wait(&wg);
    printf("not reached\n");
    return 0;
}

/* ---- the parent --------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (getenv(E2E_CHILD))
        return goc_main(child_main, argc, argv);

    struct e2e_result r;
    if (e2e_run_child("deadlock", NULL, &r) != 0)
        return 1;
    fputs(r.err, stderr);
    bool pass = r.status == 2;
    if (!pass)
        printf("child exit status %d, want 2\n", r.status);
    if (!strstr(r.err, "fatal error: all goroutines are asleep - deadlock!")) {
        printf("no deadlock report\n");
        pass = false;
    }
    const char *p = r.out;
    for (int k = 0; k < NKINDS; k++) {
        long long id = strtoll(p, (char **)&p, 10);
        char head[64];
        snprintf(head, sizeof head, "goroutine %lld [", id);
        const char *line = id > 0 ? e2e_find_line(r.err, head) : NULL;
        const char *state = line ? line + strlen(head) : NULL;
        const char *end = state ? strchr(state, ']') : NULL;
        bool ok = end != NULL;
        if (ok) {
            char reason[128];
            snprintf(reason, sizeof reason, "%.*s", (int)(end - state), state);
            if (!strncmp(reason, "running", 7) || !strncmp(reason, "runnable", 8))
                ok = false;
            if (kinds[k].reason && !strstr(reason, kinds[k].reason))
                ok = false;
            if (!ok)
                printf("%s: listed as [%s]\n", kinds[k].kind, reason);
        }
        if (ok)
            printf("%s: listed\n", kinds[k].kind);
        else if (!end)
            printf("%s: goroutine %lld missing from the dump\n", kinds[k].kind, id);
        pass &= ok;
    }
    int status = r.status;
    e2e_free(&r);
    return pass ? status : 1;
}
