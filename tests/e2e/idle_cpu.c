/*
 * idle_cpu: an idle runtime must not burn CPU: workers with nothing to do
 * park instead of spinning.  Main sleeps 1 s twice, and the process's user
 * plus system time over each second (getrusage, all threads) must stay
 * below 100 ms:
 *   1. nothing else exists;
 *   2. goroutines are parked on a channel and a mutex, and a timer is
 *      pending 10 s out — still nothing to do until then.
 */
#include <goc.h>

#include "e2e_san.h"

#include <stdio.h>
#include <sys/resource.h>

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int idle_second(const char *what)
{
    double before = cpu_seconds();
    goc_sleep(GOC_SECOND);
    double used = cpu_seconds() - before;
    fprintf(stderr, "%s: %.1f ms of CPU over 1 s\n", what, used * 1e3);
    printf("%s: %s\n", what, used < 0.100 ? "ok" : "too busy");
    return used < 0.100;
}

static goc_chan *gate;
static goc_mutex mu;

static void on_chan(void *arg) { goc_chan_recv(gate, NULL); }
static void on_mutex(void *arg) { goc_mutex_lock(&mu); goc_mutex_unlock(&mu); }

static int real_main(int argc, char **argv)
{
    int ok = idle_second("idle");
    gate = goc_chan_make(sizeof(int), 0);
    goc_mutex_lock(&mu);
    for (int i = 0; i < 100; i++)
        goc_go(i % 2 ? on_chan : on_mutex, NULL);
    goc_timer *t = goc_timer_new(10 * GOC_SECOND);
    goc_sleep(10 * GOC_MILLISECOND);          /* let them all park */
    ok &= idle_second("idle with parked goroutines and a pending timer");
    goc_timer_stop(t);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
