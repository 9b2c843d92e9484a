/* Unlocking what is not locked is fatal, as in Go: "fatal error: sync: Unlock of unlocked RWMutex",
 * exit status 2, and a deferred call does not run (nothing to recover). */
#include <goc.h>

#include "e2e_san.h"
#include <stdio.h>

static void not_run(void *arg) { printf("deferred call ran\n"); }

static int real_main(int argc, char **argv)
{
    goc_frame fr;
    if (goc_frame_enter(&fr))
        return 1;
    goc_defer(&fr, not_run, NULL);
    goc_rwmutex m = { 0 };
    printf("unlocking\n");
    fflush(stdout);
    goc_rwmutex_unlock(&m);
    printf("not reached\n");
    goc_frame_leave(&fr);
    return 0;
}

int main(int argc, char **argv) { return goc_main(real_main, argc, argv); }
