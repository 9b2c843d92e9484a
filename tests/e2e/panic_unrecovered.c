/* panic_unrecovered: a goroutine panics and nothing recovers: the program
 * prints "panic: boom 42", the goroutine (running) and where it was
 * created, flushes what main had printed, and exits with status 2. */
#include <goc.h>

#include "e2e_san.h"
#include <stdio.h>

static void boom(void *arg)
{
    goc_panic("boom %d", 42);
}

static int real_main(int argc, char **argv)
{
    printf("before\n");                      /* buffered: must still appear */
    goc_go(boom, NULL);
    goc_chan *never = goc_chan_make(sizeof(int), 0);
    goc_chan_recv(never, NULL);              /* the panic ends the program */
    printf("not reached\n");
    return 0;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
