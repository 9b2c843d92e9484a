/*
 * gcbench_malloc: bench/gcbench.gc's binary trees on glibc's malloc and
 * free: every node a malloc, every temporary tree (the stretch tree and each
 * tree of the depth loop) freed node by node right after it is checked, the
 * long-lived tree at the end.  Same algorithm, same check lines, same
 * RESULT lines; there is no collector, so the pauses and cycles are 0.
 * It is the floor the collectors are measured against: what building and
 * walking the trees costs when memory is reused at once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#define MIN_DEPTH 4

struct node {
    struct node *left, *right;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct node *build(int depth)
{
    struct node *n = malloc(sizeof *n);
    if (n == NULL) {
        fprintf(stderr, "gcbench_malloc: out of memory\n");
        exit(1);
    }
    if (depth > 0) {
        n->left = build(depth - 1);
        n->right = build(depth - 1);
    } else {
        n->left = n->right = NULL;
    }
    return n;
}

static int64_t check(const struct node *n)
{
    if (n->left == NULL)
        return 1;
    return 1 + check(n->left) + check(n->right);
}

static void release(struct node *n)
{
    if (n->left != NULL) {
        release(n->left);
        release(n->right);
    }
    free(n);
}

/* check, then free: what the GC versions leave to the collector. */
static int64_t check_and_release(struct node *n)
{
    int64_t sum = check(n);
    release(n);
    return sum;
}

static void verify(int64_t sum, int64_t trees, int depth)
{
    int64_t want = trees * ((INT64_C(2) << depth) - 1);
    if (sum != want) {
        fprintf(stderr, "gcbench_malloc: check %" PRId64 " at depth %d, want %" PRId64 "\n",
                sum, depth, want);
        exit(1);
    }
}

static void report(int64_t elapsed_ns)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("RESULT gcbench time_ms %.1f\n", elapsed_ns / 1e6);
    printf("RESULT gcbench pause_max_ms 0\n");
    printf("RESULT gcbench pause_p99_ms 0\n");
    printf("RESULT gcbench gc_cycles 0\n");
    printf("RESULT gcbench peak_rss_mb %.1f\n", ru.ru_maxrss / 1024.0);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20;
    int max_depth = n < MIN_DEPTH + 2 ? MIN_DEPTH + 2 : n;
    int64_t start = now_ns();

    int64_t sum = check_and_release(build(max_depth + 1));
    verify(sum, 1, max_depth + 1);
    printf("stretch tree of depth %d\t check: %" PRId64 "\n", max_depth + 1, sum);

    struct node *long_lived = build(max_depth);
    for (int d = MIN_DEPTH; d <= max_depth; d += 2) {
        int64_t iterations = INT64_C(1) << (max_depth - d + MIN_DEPTH);
        sum = 0;
        for (int64_t i = 0; i < iterations; i++)
            sum += check_and_release(build(d));
        verify(sum, iterations, d);
        printf("%" PRId64 "\t trees of depth %d\t check: %" PRId64 "\n", iterations, d, sum);
    }
    sum = check_and_release(long_lived);
    verify(sum, 1, max_depth);
    printf("long lived tree of depth %d\t check: %" PRId64 "\n", max_depth, sum);

    report(now_ns() - start);
    return 0;
}
