/*
 * spawn: 100,000 goroutines each parked on a receive from one shared channel.
 * Reports the spawn time per goroutine cold (first batch in a fresh process)
 * and warm (second batch, after the first has been released by closing its
 * channel and all its goroutines have exited), and the RSS per parked
 * goroutine of the first batch.  "Spawned" means started and parked: the time
 * runs from the first goc_go until every goroutine has checked in on a
 * WaitGroup right before its receive.
 * Twin of bench/go/spawn/main.go.  All goroutines of a batch share one
 * argument, a static struct.
 */
#include <goc.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 100000

struct batch {
    goc_chan *ch;
    goc_waitgroup started;
    goc_waitgroup exited;
};

static struct batch b1, b2;

static void park(void *arg)
{
    struct batch *b = arg;
    goc_waitgroup_done(&b->started);
    goc_chan_recv(b->ch, NULL);
    goc_waitgroup_done(&b->exited);
}

static int64_t vm_rss(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) {
        perror("/proc/self/status");
        exit(1);
    }
    char line[256];
    int64_t kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtoll(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    if (kb < 0) {
        fprintf(stderr, "spawn: no VmRSS in /proc/self/status\n");
        exit(1);
    }
    return kb * 1024;
}

static int64_t spawn(struct batch *b)
{
    b->ch = goc_chan_make(sizeof(int64_t), 0);
    goc_waitgroup_add(&b->started, N);
    goc_waitgroup_add(&b->exited, N);
    int64_t start = goc_nanotime();
    for (int i = 0; i < N; i++)
        goc_go(park, b);
    goc_waitgroup_wait(&b->started);
    return goc_nanotime() - start;
}

static void release(struct batch *b)
{
    goc_chan_close(b->ch);
    goc_waitgroup_wait(&b->exited);
}

static int real_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    int64_t base = vm_rss();
    int64_t cold = spawn(&b1);
    goc_sleep(10 * GOC_MILLISECOND); /* let the last check-ins reach their receive */
    int64_t rss = vm_rss();
    int g = goc_num_goroutine();
    if (g < N) {
        fprintf(stderr, "spawn: only %d goroutines alive\n", g);
        return 1;
    }
    release(&b1);
    int64_t warm = spawn(&b2);
    release(&b2);

    printf("RESULT spawn cold_ns %.1f\n", (double)cold / N);
    printf("RESULT spawn warm_ns %.1f\n", (double)warm / N);
    printf("RESULT spawn rss_bytes %.0f\n", (double)(rss - base) / N);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) { return goc_main(real_main, argc, argv); }
