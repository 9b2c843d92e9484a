/*
 * pipeline.c — goroutines connected by channels, from plain C.
 *
 * A generator sends 1..10, a squarer squares each number, and the main
 * goroutine prints the squares and their sum.  A WaitGroup waits for three
 * "workers" to report in, and a select with a timeout shows the time API.
 */
#include <goc.h>
#include <stdio.h>

static void generate(void *arg)
{
    goc_chan *out = arg;
    for (int i = 1; i <= 10; i++)
        goc_chan_send(out, &i);
    goc_chan_close(out);
}

struct stage { goc_chan *in, *out; };

static void square(void *arg)
{
    struct stage *s = arg;
    int v;
    while (goc_chan_recv(s->in, &v)) {
        int sq = v * v;
        goc_chan_send(s->out, &sq);
    }
    goc_chan_close(s->out);
}

static goc_waitgroup wg;

static void worker(void *arg)
{
    goc_sleep((int64_t)(intptr_t)arg * GOC_MILLISECOND);
    goc_waitgroup_done(&wg);
}

static int real_main(int argc, char **argv)
{
    goc_chan *nums = goc_chan_make(sizeof(int), 0);
    goc_chan *squares = goc_chan_make(sizeof(int), 4);
    struct stage s = { nums, squares };
    goc_go(generate, nums);
    goc_go(square, &s);

    int sum = 0, v;
    while (goc_chan_recv(squares, &v)) {
        printf("%d\n", v);
        sum += v;
    }
    printf("sum %d\n", sum);

    goc_waitgroup_add(&wg, 3);
    for (intptr_t i = 1; i <= 3; i++)
        goc_go(worker, (void *)i);
    goc_waitgroup_wait(&wg);
    printf("workers done\n");

    goc_chan *never = goc_chan_make(sizeof(int), 0);
    goc_select_case cases[2] = {
        { .chan = never, .elem = &v, .dir = GOC_SELECT_RECV },
        { .chan = goc_after(20 * GOC_MILLISECOND), .elem = NULL, .dir = GOC_SELECT_RECV },
    };
    int which = goc_select(cases, 2, false);
    printf("select chose %s\n", which == 1 ? "the timeout" : "a value");
    return 0;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
