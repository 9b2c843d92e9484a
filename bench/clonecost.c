/*
 * clonecost: what the collector's snapshot costs the kernel, without goc.
 * Touches MB megabytes of anonymous memory, then three times: clone(2)
 * without CLONE_VM (the stop-the-world part of a cycle: the page tables
 * are copied), and a write to every page while the child still lives
 * (copy-on-write, what the program pays during marking).
 * Usage: bench_clonecost [MB]     (default 100)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? (size_t)atol(argv[1]) : 100, n = mb << 20, pages = n / 4096;
    char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    double t0 = now_ms();
    memset(p, 1, n);
    printf("%zu MB: first touch %.2f us/page\n", mb, (now_ms() - t0) * 1e3 / pages);
    for (int r = 0; r < 3; r++) {
        t0 = now_ms();
        long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
        if (pid == 0) {
            usleep(500 * 1000);           /* alive while the parent writes */
            _exit(0);
        }
        double t1 = now_ms();
        memset(p, 2 + r, n);
        double t2 = now_ms();
        waitpid((pid_t)pid, NULL, 0);
        printf("clone %.2f ms, copy-on-write %.2f us/page\n", t1 - t0, (t2 - t1) * 1e3 / pages);
    }
    return 0;
}
