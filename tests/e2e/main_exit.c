/*
 * main_exit: when main returns, the program exits with main's status even
 * though other goroutines are still running (sleeping in a loop, yielding
 * in a loop, blocked on a channel): they are abandoned, as in Go.  Main's
 * buffered output is flushed.  Main is goroutine 1.
 */
#include <goc.h>

#include "e2e_san.h"

#include <stdatomic.h>
#include <stdio.h>

static _Atomic long ticks;

static void sleepy(void *arg)
{
    for (;;) {
        goc_sleep(GOC_MILLISECOND);
        atomic_fetch_add(&ticks, 1);
    }
}

static void busy(void *arg)
{
    for (;;) {
        atomic_fetch_add(&ticks, 1);
        goc_yield();
    }
}

static void blocked(void *arg)
{
    goc_chan_recv(arg, NULL);
}

static int real_main(int argc, char **argv)
{
    printf("main goroutine %lld\n", (long long)goc_goid());
    for (int i = 0; i < 4; i++)
        goc_go(sleepy, NULL);
    goc_go(busy, NULL);
    goc_go(blocked, goc_chan_make(sizeof(int), 0));
    while (atomic_load(&ticks) < 100)
        goc_sleep(GOC_MILLISECOND);           /* they are running */
    printf("main done\n");
    return 3;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
