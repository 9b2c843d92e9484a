/* stack_overflow_main: the main goroutine (whose stack is at least 8 MiB,
 * a mapping of its own) recurses without bound: reported as
 * "goroutine 1 stack overflow", status 2. */
#include <goc.h>

#include "e2e_san.h"
#include <stdio.h>

static int recurse(int depth);
static int (*volatile next)(int) = recurse;

static int recurse(int depth)
{
    volatile char frame[4096];
    for (int i = 0; i < 4096; i += 64)       /* all of it, not just two bytes */
        frame[i] = (char)depth;
    frame[4095] = (char)(depth >> 8);
    return next(depth + 1) + frame[0] + frame[4095];
}

static int real_main(int argc, char **argv)
{
    printf("%d\n", recurse(0));
    return 0;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
