/* stack_overflow: a goroutine recurses without bound.  The runtime must
 * catch it in the stack's guard and report "goroutine N stack overflow"
 * with status 2, never run on into other memory.  Each frame holds a
 * volatile array and uses the result of its call, so the compiler can
 * neither drop the frames nor turn the recursion into a loop. */
#include <goc.h>

#include "e2e_san.h"
#include <stdio.h>

static int recurse(int depth);
static int (*volatile next)(int) = recurse;

static int recurse(int depth)
{
    volatile char frame[512];
    for (int i = 0; i < 512; i += 64)       /* all of it, not just two bytes */
        frame[i] = (char)depth;
    frame[511] = (char)(depth >> 8);
    return next(depth + 1) + frame[0] + frame[511];
}

static void runaway(void *arg)
{
    printf("%d\n", recurse(0));
}

static int real_main(int argc, char **argv)
{
    goc_go(runaway, NULL);
    goc_chan *never = goc_chan_make(sizeof(int), 0);
    goc_chan_recv(never, NULL);
    printf("not reached\n");
    return 0;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
