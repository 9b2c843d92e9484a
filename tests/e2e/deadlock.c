/* deadlock: main receives from a channel nobody sends on and nothing else
 * can run: the runtime reports the deadlock with a goroutine dump and
 * exits with status 2. */
#include <goc.h>

#include "e2e_san.h"
#include <stdio.h>

static int real_main(int argc, char **argv)
{
    goc_chan *c = goc_chan_make(sizeof(int), 0);
    printf("waiting\n");
    goc_chan_recv(c, NULL);
    printf("not reached\n");
    return 0;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
