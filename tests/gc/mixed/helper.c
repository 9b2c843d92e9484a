/* helper.c — plain C on <goc.h>, linked with main.gc (see README). */
#include "helper.h"

#include <stdint.h>

static void count_up(void *arg)
{
    goc_chan *c = arg;
    int n = goc_chan_cap(c);            /* the capacity doubles as the count */
    for (int i = 1; i <= n; i++)
        goc_chan_send(c, &i);
    goc_chan_close(c);
}

goc_chan *c_counter(int n)
{
    goc_chan *c = goc_chan_make(sizeof(int), n);
    goc_go(count_up, c);
    return c;
}

goc_chan *c_make_int_chan(int cap)
{
    return goc_chan_make(sizeof(int), cap);
}

long c_sum_ints(goc_chan *c)
{
    long sum = 0;
    int v;
    while (goc_chan_recv(c, &v))
        sum += v;
    return sum;
}

int c_apply(int (*fn)(int), int n)
{
    int sum = 0;
    for (int i = 0; i < n; i++)
        sum += fn(i);
    return sum;
}

static const char *recover_below(void)
{
    return goc_recover();
}

void c_recover_into(const char **got)
{
    *got = recover_below();
}
