/* close_closed: a goroutine closes a channel twice: "panic: close of closed
 * channel", status 2. */
#include <goc.h>

#include "e2e_san.h"
#include <stdio.h>

static void close_twice(void *arg)
{
    goc_chan *c = arg;
    goc_chan_close(c);
    goc_chan_close(c);
}

static int real_main(int argc, char **argv)
{
    goc_chan *c = goc_chan_make(sizeof(int), 0);
    goc_go(close_twice, c);
    goc_chan *never = goc_chan_make(sizeof(int), 0);
    goc_chan_recv(never, NULL);
    printf("not reached\n");
    return 0;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
