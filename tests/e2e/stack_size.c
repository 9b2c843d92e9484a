/*
 * stack_size: GOC_STACK_SIZE takes effect.  The runtime reads it at start,
 * so the program runs a copy of itself twice, doing ~600 KiB of recursion
 * in a (non-main) goroutine:
 *   - with GOC_STACK_SIZE=1048576 the recursion must succeed (status 0);
 *   - with GOC_STACK_SIZE unset (64 KiB by default) it must be reported as
 *     a stack overflow (status 2) — which shows that the first run really
 *     had the bigger stack.
 */
#include <goc.h>

#include "e2e_san.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_child.h"

enum { FRAMES = 600, FRAME_BYTES = 1024 };   /* about 600 KiB in all */

static int recurse(int depth);
static int (*volatile next)(int) = recurse;
static volatile int stride = 64;             /* opaque: no unrolling */

static int recurse(int depth)
{
    volatile char frame[FRAME_BYTES];
    /* An index the compiler cannot know over the whole array: it must
     * allocate all of it (clang shrinks an array accessed only at constant
     * indices, unrolled loops included, to those elements). */
    for (int i = 0; i < FRAME_BYTES; i += stride)
        frame[i] = (char)depth;
    frame[FRAME_BYTES - 1] = 1;
    if (depth == FRAMES)
        return 1;
    return next(depth + 1) + frame[FRAME_BYTES - 1] - 1;
}

static void deep(void *arg)
{
    goc_chan *done = arg;
    int r = recurse(0);
    goc_chan_send(done, &r);
}

static int child_main(int argc, char **argv)
{
    goc_chan *done = goc_chan_make(sizeof(int), 0);
    goc_go(deep, done);
    int r = 0;
    goc_chan_recv(done, &r);
    printf("recursed %d frames\n", r == 1 ? FRAMES : -1);
    return r == 1 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (getenv(E2E_CHILD))
        return goc_main(child_main, argc, argv);

    int fails = 0;
    struct e2e_result r;
    char *big[] = { "GOC_STACK_SIZE=1048576", NULL };
    if (e2e_run_child("big", big, &r) != 0)
        return 1;
    if (r.status == 0 && strstr(r.out, "recursed 600 frames")) {
        printf("GOC_STACK_SIZE=1048576: 600 KiB of recursion ok\n");
    } else {
        printf("GOC_STACK_SIZE=1048576: status %d, stdout \"%s\"\n", r.status, r.out);
        fputs(r.err, stderr);
        fails++;
    }
    e2e_free(&r);

    char *dflt[] = { "GOC_STACK_SIZE", NULL };
    if (e2e_run_child("default", dflt, &r) != 0)
        return 1;
    if (r.status == 2 && strstr(r.err, "stack overflow")) {
        printf("default stack: overflow reported\n");
    } else {
        printf("default stack: status %d, no overflow report\n", r.status);
        fputs(r.err, stderr);
        fails++;
    }
    e2e_free(&r);
    return fails ? 1 : 0;
}
