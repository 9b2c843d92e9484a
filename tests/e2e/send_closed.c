/* send_closed: main sends on a closed channel: "panic: send on closed
 * channel" in goroutine 1, status 2. */
#include <goc.h>

#include "e2e_san.h"
#include <stdio.h>

static int real_main(int argc, char **argv)
{
    goc_chan *c = goc_chan_make(sizeof(int), 1);
    goc_chan_close(c);
    printf("closed\n");
    int v = 1;
    goc_chan_send(c, &v);
    printf("not reached\n");
    return 0;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
