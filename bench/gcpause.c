/*
 * gcpause: the collector's stop-the-world pause and marking time against
 * the live heap.  For each depth, a fresh process keeps a binary tree of
 * that depth live (2^(depth+1) 16-byte nodes), runs goc_gc() five times and
 * prints the bytes marked, the mean concurrent marking time and the worst
 * pause, from goc_gc_read_stats.  No Go twin: it answers "what does a pause
 * cost per resident megabyte" (gc.c: the kernel's copy of the page tables).
 * Usage: bench_gcpause [DEPTH...]     (default 18 20 22 23)
 */
#include <goc.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

extern char **environ;

struct node {
    struct node *l, *r;
};

static struct node *build(int d)
{
    struct node *n = goc_new(struct node);
    if (d > 0) {
        n->l = build(d - 1);
        n->r = build(d - 1);
    }
    return n;
}

static int one(int depth)
{
    struct node *volatile keep = build(depth);
    goc_gc();
    goc_gc_stats a, b;
    goc_gc_read_stats(&a);
    for (int i = 0; i < 5; i++)
        goc_gc();
    goc_gc_read_stats(&b);
    printf("%5d %10.1f %10.1f %10.2f\n", depth, b.heap_marked / 1048576.0,
           (b.mark_ns_total - a.mark_ns_total) / 5e6, b.pause_max_ns / 1e6);
    return keep == NULL;
}

int main(int argc, char **argv)
{
    if (argc == 3 && argv[1][0] == '-')
        return one(atoi(argv[2]));
    static char *defaults[] = { "18", "20", "22", "23" };
    char **depths = argc > 1 ? argv + 1 : defaults;
    int n = argc > 1 ? argc - 1 : 4;
    printf("depth  marked_MB    mark_ms   pause_ms\n");
    fflush(stdout);
    for (int i = 0; i < n; i++) {
        char *child[] = { argv[0], "-", depths[i], NULL };
        pid_t pid;
        int status;
        if (posix_spawn(&pid, argv[0], NULL, NULL, child, environ) != 0 ||
            waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "gcpause: depth %s failed\n", depths[i]);
            return 1;
        }
    }
    return 0;
}
