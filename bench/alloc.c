/*
 * alloc: goc_alloc against glibc's calloc, single-threaded and on two
 * goroutines (each on its own P at GOC_MAXPROCS 2), for 16, 64 and 256-byte
 * objects.  Two measurements per case, each in a fresh process:
 *   fresh   N allocations, each object linked to the previous one (a store
 *           into it, as a program would make), nothing freed: includes the
 *           kernel's first touch of every page, the same for both;
 *   reuse   N allocations after N were made and freed (rt_heap_free /
 *           free): memory is resident and dirty, so the allocator must
 *           zero it; only the second round is timed.
 * Usage: bench_alloc                      every case, as a table
 *        bench_alloc IMPL SIZE NG MODE    one case (IMPL goc|calloc,
 *                                         MODE fresh|reuse), ns per alloc
 * N is 10,000,000 per goroutine (GOC_BENCH_N overrides).
 */
#include <goc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
void rt_heap_free(void *base);          /* libgoc internal (alloc.h)    */

struct job {
    bool goc, reuse;
    size_t size;
    long n;
    goc_waitgroup *wg;
    int64_t ns;
};

static void *one(const struct job *j)
{
    return j->goc ? goc_alloc(j->size) : calloc(1, j->size);
}

static void **chain(const struct job *j)
{
    void **prev = NULL;
    for (long i = 0; i < j->n; i++) {
        void **p = one(j);
        *p = prev;
        prev = p;
    }
    return prev;
}

static void release(const struct job *j, void **list)
{
    while (list) {
        void **next = *list;
        if (j->goc)
            rt_heap_free(list);
        else
            free(list);
        list = next;
    }
}

static void worker(void *arg)
{
    struct job *j = arg;
    if (j->reuse)
        release(j, chain(j));
    int64_t t0 = goc_nanotime();
    void **list = chain(j);
    j->ns = goc_nanotime() - t0;
    if (!list)
        abort();
    goc_waitgroup_done(j->wg);
}

static struct job jobs[2];

static int run_case(void *arg)
{
    int ng = *(int *)arg;
    goc_waitgroup wg = { 0 };
    goc_waitgroup_add(&wg, ng);
    for (int i = 0; i < ng; i++) {
        jobs[i].wg = &wg;
        goc_go(worker, &jobs[i]);
    }
    goc_waitgroup_wait(&wg);
    return 0;
}

static int one_case(char **argv)
{
    int ng = atoi(argv[3]);
    const char *env = getenv("GOC_BENCH_N");
    for (int i = 0; i < ng; i++)
        jobs[i] = (struct job){ .goc = strcmp(argv[1], "goc") == 0,
                                .reuse = strcmp(argv[4], "reuse") == 0,
                                .size = (size_t)atol(argv[2]),
                                .n = env ? atol(env) : 10000000 };
    goc_run(run_case, &ng);
    int64_t worst = 0;
    for (int i = 0; i < ng; i++)
        worst = jobs[i].ns > worst ? jobs[i].ns : worst;
    printf("%.2f\n", (double)worst / (double)jobs[0].n);
    return 0;
}

static double measure(const char *self, const char *impl, const char *size, const char *ng,
                      const char *mode)
{
    char *argv[] = { (char *)self, (char *)impl, (char *)size, (char *)ng, (char *)mode, NULL };
    int fd[2];
    if (pipe(fd))
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    pid_t pid;
    if (posix_spawn(&pid, self, &fa, NULL, argv, environ))
        return -1;
    close(fd[1]);
    char buf[64] = { 0 };
    ssize_t r = read(fd[0], buf, sizeof buf - 1);
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    return r > 0 ? atof(buf) : -1;
}

int main(int argc, char **argv)
{
    if (argc == 5)
        return one_case(argv);
    static const char *sizes[] = { "16", "64", "256" };
    static const char *modes[] = { "fresh", "reuse" };
    printf("ns per allocation (worst goroutine), fresh process per cell\n");
    printf("%-6s %5s %3s %10s %10s %7s\n", "mode", "size", "G", "goc_alloc", "calloc", "ratio");
    for (int m = 0; m < 2; m++)
        for (int s = 0; s < 3; s++)
            for (int g = 1; g <= 2; g++) {
                char ng[2] = { (char)('0' + g), 0 };
                double a = measure("/proc/self/exe", "goc", sizes[s], ng, modes[m]);
                double c = measure("/proc/self/exe", "calloc", sizes[s], ng, modes[m]);
                printf("%-6s %5s %3d %10.2f %10.2f %7.2f\n", modes[m], sizes[s], g, a, c, a / c);
                fflush(stdout);
            }
    return 0;
}
