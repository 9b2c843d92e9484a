/* panic_defers: an unrecovered panic still runs the deferred calls of every
 * frame it unwinds, innermost first and each frame's latest first, before
 * the program prints the panic and exits with status 2. */
#include <goc.h>

#include "e2e_san.h"
#include <stdio.h>

static void say(void *msg)
{
    printf("%s\n", (const char *)msg);
}

static void inner(void)
{
    goc_frame fr;
    if (goc_frame_enter(&fr))
        return;
    goc_defer(&fr, say, "inner deferred");
    goc_panic("fatal %s", "thing");
}

static int real_main(int argc, char **argv)
{
    goc_frame fr;
    if (goc_frame_enter(&fr))
        return 0;
    goc_defer(&fr, say, "main deferred 1");
    goc_defer(&fr, say, "main deferred 2");
    inner();
    goc_frame_leave(&fr);
    printf("not reached\n");
    return 0;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
