/*
 * sigquit: SIGQUIT makes the runtime print every goroutine (id, state,
 * what it waits on, where it was created) and exit with status 2.
 *
 * The program runs a copy of itself (the child), which parks a few
 * goroutines on channel receives, prints their ids, and sends itself
 * SIGQUIT.  The parent passes the child's stderr on and checks that it
 * lists goroutine 1 and each parked goroutine as waiting on a channel
 * receive; it exits with the child's status when all is well, else 1.
 */
#include <goc.h>

#include "e2e_san.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e_child.h"

enum { PARKED = 3 };

static int64_t ids[PARKED];
static _Atomic int nready;
static goc_chan *gate;

static void parked(void *arg)
{
    ids[(intptr_t)arg] = goc_goid();
    atomic_fetch_add(&nready, 1);
    goc_chan_recv(gate, NULL);
}

static int child_main(int argc, char **argv)
{
    gate = goc_chan_make(sizeof(int), 0);
    for (intptr_t i = 0; i < PARKED; i++)
        goc_go(parked, (void *)i);
    while (atomic_load(&nready) < PARKED)
        goc_yield();
    goc_sleep(10 * GOC_MILLISECOND);          /* let the last one park */
    for (int i = 0; i < PARKED; i++)
        printf("%lld\n", (long long)ids[i]);
    fflush(stdout);
    kill(getpid(), SIGQUIT);
    for (int i = 0; i < 100; i++)
        goc_sleep(100 * GOC_MILLISECOND);     /* the dump should end us */
    printf("still alive 10 s after SIGQUIT\n");
    return 1;
}

int main(int argc, char **argv)
{
    if (getenv(E2E_CHILD))
        return goc_main(child_main, argc, argv);

    struct e2e_result r;
    if (e2e_run_child("sigquit", NULL, &r) != 0)
        return 1;
    fputs(r.err, stderr);
    bool pass = true;
    if (r.status != 2) {
        printf("child exit status %d, want 2\n", r.status);
        pass = false;
    }
    printf("main: %s\n", e2e_find_line(r.err, "goroutine 1 [") ? "listed" : "missing");
    pass &= e2e_find_line(r.err, "goroutine 1 [") != NULL;
    const char *p = r.out;
    for (int i = 0; i < PARKED; i++) {
        long long id = strtoll(p, (char **)&p, 10);
        char head[64];
        snprintf(head, sizeof head, "goroutine %lld [chan receive", id);
        bool ok = id > 1 && e2e_find_line(r.err, head) != NULL;
        printf("parked goroutine %d: %s\n", i, ok ? "listed" : "missing");
        pass &= ok;
    }
    int status = r.status;
    e2e_free(&r);
    return pass ? status : 1;
}
