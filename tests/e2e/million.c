/*
 * million: 1,000,000 goroutines parked at the same time, all on a receive
 * from one channel.  Each needs a stack and a guard; with the kernel's
 * default vm.max_map_count (65,530) that only works if stacks do not each
 * cost a mapping.  The program waits until every goroutine is live and has
 * reached its receive, prints the count (stdout) and the resident memory
 * (stderr, for information), closes the channel and waits for all of them
 * to finish through a WaitGroup.
 *
 * Not runnable under ThreadSanitizer, which allows at most 8128 live
 * threads and fibers (one fiber per goroutine) and dies beyond that.
 */
#include <goc.h>

#include "e2e_san.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

enum { N = 1000000 };

static goc_chan *gate;
static goc_waitgroup wg;
static _Atomic int arrived;

static void parked(void *arg)
{
    atomic_fetch_add_explicit(&arrived, 1, memory_order_relaxed);
    goc_chan_recv(gate, NULL);
    goc_waitgroup_done(&wg);
}

static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            sscanf(line + n + 1, "%ld", &kb);
    if (f)
        fclose(f);
    return kb;
}

/* Waits (bounded: a failure, not a hang) until cond() holds. */
static int wait_until(int (*cond)(void))
{
    for (int i = 0; i < 600000; i++) {
        if (cond())
            return 1;
        goc_sleep(GOC_MILLISECOND / 10);
    }
    return cond();
}

static int all_parked(void)
{
    return goc_num_goroutine() >= N + 1 && atomic_load(&arrived) == N;
}

static int only_main(void)
{
    return goc_num_goroutine() == 1;
}

static int real_main(int argc, char **argv)
{
    gate = goc_chan_make(sizeof(int), 0);
    int64_t t0 = goc_nanotime();
    goc_waitgroup_add(&wg, N);
    for (int i = 0; i < N; i++)
        goc_go(parked, NULL);
    if (!wait_until(all_parked)) {
        fprintf(stderr, "only %d of %d goroutines arrived (%d live)\n", atomic_load(&arrived), N,
                goc_num_goroutine());
        return 1;
    }
    int64_t t1 = goc_nanotime();
    long rss = status_kb("VmRSS");
    fprintf(stderr, "%d goroutines parked in %.2f s; VmRSS %ld kB (%.0f bytes each)\n", N,
            (double)(t1 - t0) / 1e9, rss, rss * 1024.0 / N);
    printf("parked %d\n", goc_num_goroutine() - 1);
    fflush(stdout);
    goc_chan_close(gate);
    goc_waitgroup_wait(&wg);
    if (!wait_until(only_main)) {
        fprintf(stderr, "%d goroutines still live after all finished\n", goc_num_goroutine());
        return 1;
    }
    printf("all exited\n");
    return 0;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
