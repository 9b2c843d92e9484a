/*
 * schedtrace: GOC_DEBUG=schedtrace=MS makes the runtime print a "SCHED"
 * line on stderr every MS milliseconds (Go's GODEBUG=schedtrace).  The
 * program runs a copy of itself with GOC_DEBUG=schedtrace=10 and
 * GOC_MAXPROCS=2; the child keeps three goroutines parked for 150 ms, one
 * of them in a blocking C call.  Checks: the child succeeds, prints
 * several SCHED lines of the documented shape with gomaxprocs=2, one with
 * the three parked goroutines plus main, and one showing the P stuck in
 * the C call; without the variable, no SCHED line.
 */
#include <goc.h>

#include "e2e_san.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e_child.h"

static void sleeper(void *arg)
{
    goc_chan *done = arg;
    goc_sleep(150 * GOC_MILLISECOND);
    int one = 1;
    goc_chan_send(done, &one);
}

static void in_c(void *arg)
{
    goc_chan *done = arg;
    usleep(150 * 1000);                 /* a blocking C call */
    int one = 1;
    goc_chan_send(done, &one);
}

static int child_main(int argc, char **argv)
{
    goc_chan *done = goc_chan_make(sizeof(int), 0);
    goc_go(sleeper, done);
    goc_go(sleeper, done);
    goc_go(in_c, done);
    for (int i = 0; i < 3; i++)
        goc_chan_recv(done, NULL);
    printf("child done\n");
    return 0;
}

static int count_lines(const char *s, const char *prefix)
{
    int n = 0;
    for (const char *p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += strncmp(p, prefix, strlen(prefix)) == 0;
    return n;
}

int main(int argc, char **argv)
{
    if (getenv(E2E_CHILD))
        return goc_main(child_main, argc, argv);

    int fails = 0;
    struct e2e_result r;
    char *on[] = { "GOC_DEBUG=schedtrace=10", "GOC_MAXPROCS=2", NULL };
    if (e2e_run_child("on", on, &r) != 0)
        return 1;
    int lines = count_lines(r.err, "SCHED ");
    bool shape = strstr(r.err, "ms: gomaxprocs=2 idleprocs=") && strstr(r.err, " threads=") &&
                 strstr(r.err, " spinningthreads=") && strstr(r.err, " runqueue=");
    bool parked = strstr(r.err, " goroutines=4 [") != NULL;
    bool stuck = strstr(r.err, " stuckprocs=1 ") != NULL;
    printf("traced child: status %d, %s, SCHED lines %s, shape %s, 4 goroutines seen %s, "
           "stuck P seen %s\n",
           r.status, strstr(r.out, "child done") ? "finished" : "did not finish",
           lines >= 5 ? ">= 5" : "too few", shape ? "ok" : "wrong", parked ? "yes" : "no",
           stuck ? "yes" : "no");
    if (r.status != 0 || lines < 5 || !shape || !parked || !stuck) {
        fputs(r.err, stderr);
        fails++;
    }
    e2e_free(&r);

    char *off[] = { "GOC_DEBUG", "GOC_MAXPROCS=2", NULL };
    if (e2e_run_child("off", off, &r) != 0)
        return 1;
    printf("untraced child: status %d, SCHED lines %d\n", r.status, count_lines(r.err, "SCHED "));
    fails += r.status != 0 || count_lines(r.err, "SCHED ") != 0;
    e2e_free(&r);
    return fails ? 1 : 0;
}
