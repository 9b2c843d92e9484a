/*
 * gcbench_boehm: bench/gcbench.gc's binary trees on the Boehm-Demers-Weiser
 * collector (Debian's libgc-dev): every node a GC_MALLOC, nothing freed by
 * hand.  Same algorithm, same check lines, same RESULT lines.
 *
 * Boehm's collections here stop the world for the whole mark (the program
 * does not ask for incremental mode), with GC_MARKERS threads marking
 * (bench/run sets it to the worker count).  A pause is measured from
 * GC_EVENT_PRE_STOP_WORLD to GC_EVENT_POST_START_WORLD, by the callback
 * that GC_set_on_collection_event installs; it runs with the allocation
 * lock held, so the recording needs no lock of its own.
 */
#include <gc.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#define MIN_DEPTH 4
#define MAX_PAUSES 65536   /* recorded for the percentile; the max sees all */

struct node {
    struct node *left, *right;
};

static struct {
    int64_t stop_ns;          /* when the current pause began, or 0 */
    int64_t ns[MAX_PAUSES];
    size_t n, all;            /* recorded; all pauses */
    int64_t max_ns;
} pauses;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_collection_event(GC_EventType ev)
{
    if (ev == GC_EVENT_PRE_STOP_WORLD) {
        pauses.stop_ns = now_ns();
    } else if (ev == GC_EVENT_POST_START_WORLD && pauses.stop_ns != 0) {
        int64_t ns = now_ns() - pauses.stop_ns;
        pauses.stop_ns = 0;
        if (pauses.n < MAX_PAUSES)
            pauses.ns[pauses.n++] = ns;
        pauses.all++;
        if (ns > pauses.max_ns)
            pauses.max_ns = ns;
    }
}

static int compare_ns(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The 99th percentile of the recorded pauses (nearest rank), 0 if none. */
static int64_t pause_p99_ns(void)
{
    if (pauses.n == 0)
        return 0;
    qsort(pauses.ns, pauses.n, sizeof pauses.ns[0], compare_ns);
    return pauses.ns[(99 * pauses.n + 99) / 100 - 1];
}

static struct node *build(int depth)
{
    struct node *n = GC_MALLOC(sizeof *n);
    if (n == NULL) {
        fprintf(stderr, "gcbench_boehm: out of memory\n");
        exit(1);
    }
    if (depth > 0) {
        n->left = build(depth - 1);
        n->right = build(depth - 1);
    }
    return n;
}

static int64_t check(const struct node *n)
{
    if (n->left == NULL)
        return 1;
    return 1 + check(n->left) + check(n->right);
}

static void verify(int64_t sum, int64_t trees, int depth)
{
    int64_t want = trees * ((INT64_C(2) << depth) - 1);
    if (sum != want) {
        fprintf(stderr, "gcbench_boehm: check %" PRId64 " at depth %d, want %" PRId64 "\n",
                sum, depth, want);
        exit(1);
    }
}

static void report(int64_t elapsed_ns)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("RESULT gcbench time_ms %.1f\n", elapsed_ns / 1e6);
    printf("RESULT gcbench pause_max_ms %.3f\n", pauses.max_ns / 1e6);
    printf("RESULT gcbench pause_p99_ms %.3f\n", pause_p99_ns() / 1e6);
    printf("RESULT gcbench gc_cycles %lu\n", (unsigned long)GC_get_gc_no());
    printf("RESULT gcbench peak_rss_mb %.1f\n", ru.ru_maxrss / 1024.0);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    GC_INIT();
    GC_set_on_collection_event(on_collection_event);
    int n = argc > 1 ? atoi(argv[1]) : 20;
    int max_depth = n < MIN_DEPTH + 2 ? MIN_DEPTH + 2 : n;
    int64_t start = now_ns();

    int64_t sum = check(build(max_depth + 1));
    verify(sum, 1, max_depth + 1);
    printf("stretch tree of depth %d\t check: %" PRId64 "\n", max_depth + 1, sum);

    struct node *long_lived = build(max_depth);
    for (int d = MIN_DEPTH; d <= max_depth; d += 2) {
        int64_t iterations = INT64_C(1) << (max_depth - d + MIN_DEPTH);
        sum = 0;
        for (int64_t i = 0; i < iterations; i++)
            sum += check(build(d));
        verify(sum, iterations, d);
        printf("%" PRId64 "\t trees of depth %d\t check: %" PRId64 "\n", iterations, d, sum);
    }
    sum = check(long_lived);
    verify(sum, 1, max_depth);
    printf("long lived tree of depth %d\t check: %" PRId64 "\n", max_depth, sum);

    int64_t elapsed = now_ns() - start;
    if (pauses.all > pauses.n)
        fprintf(stderr, "gcbench_boehm: p99 over the first %zu of %zu pauses\n",
                pauses.n, pauses.all);
    report(elapsed);
    return 0;
}
