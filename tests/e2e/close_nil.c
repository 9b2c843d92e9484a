/* close_nil: main closes the nil channel: "panic: close of nil channel",
 * status 2. */
#include <goc.h>

#include "e2e_san.h"
#include <stdio.h>

static int real_main(int argc, char **argv)
{
    goc_chan *c = NULL;
    goc_chan_close(c);
    printf("not reached\n");
    return 0;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
