/*
 * test_alloc.c — the heap allocator (alloc.h): size classes and their
 * division magic, zeroing and 16-byte alignment, interior-pointer lookup,
 * noscan separation, freeing and reuse (slots, spans, large objects, pages
 * returned to the kernel), span enumeration, allocation from threads
 * without a P, and a checksummed stress of many goroutines allocating and
 * freeing across Ps.
 *
 * The stress runs at GOC_MAXPROCS 1, 2 and 8: the worker count is fixed when
 * the runtime starts, so the test runs this binary again as a child
 * (`test_alloc --stress`) with each setting and checks its exit status.
 * Every test ends with the whole-heap validator (rt_heap_check).
 */
#include "goc_test.h"
#include "alloc.h"
#include "heap_test.h"

#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* ---- size classes -------------------------------------------------------- */

static void test_size_classes(void **state)
{
    (void)state;
    rt_heap_init();
    assert_true(rt_nclasses > 30 && rt_nclasses <= RT_NCLASS_MAX);
    for (int c = 1; c < rt_nclasses; c++) {
        const rt_class_info *ci = &rt_classes[c];
        assert_int_equal(ci->size % RT_ALIGN, 0);
        if (c > 1)
            assert_true(ci->size > rt_classes[c - 1].size);
        assert_int_equal(ci->nelems, ci->npages * RT_PAGE_SIZE / ci->size);
        assert_true(ci->nelems >= 1 && ci->nelems <= RT_SPAN_MAX_OBJS);
        /* The tail of a span is at most a quarter of it. */
        assert_true((ci->npages * RT_PAGE_SIZE - ci->nelems * ci->size) * 4 <=
                    ci->npages * RT_PAGE_SIZE);
        /* The multiply that replaces a division is exact for every offset
         * in a span. */
        for (uint64_t off = 0; off < ci->npages * RT_PAGE_SIZE; off++)
            if (((off * ci->div_magic) >> 32) != off / ci->size)
                fail_msg("class %d (size %u): magic wrong at offset %llu", c, ci->size,
                         (unsigned long long)off);
    }
    assert_int_equal(rt_classes[rt_nclasses - 1].size, RT_SMALL_MAX);
    /* Every request gets the smallest class that holds it. */
    for (size_t n = 1; n <= RT_SMALL_MAX; n++) {
        unsigned c = rt_size_class(n);
        assert_true(c >= 1 && c < (unsigned)rt_nclasses);
        assert_true(rt_classes[c].size >= n);
        if (c > 1)
            assert_true(rt_classes[c - 1].size < n);
        /* Rounding up wastes at most 25% above 128 bytes. */
        if (n > 128)
            assert_true((rt_classes[c].size - n) * 4 <= rt_classes[c].size);
    }
}

/* ---- zeroing and alignment ----------------------------------------------- */

static int zero_and_align_sizes(bool noscan)
{
    static const size_t sizes[] = { 0, 1, 7, 8, 15, 16, 17, 31, 48, 100, 256, 257, 1000,
                                    1024, 1025, 4000, 8192, 20000, 32767, 32768, 32769,
                                    65536, 100000, 1 << 20 };
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
            size_t n = sizes[i];
            unsigned char *p = noscan ? goc_alloc_noscan(n) : goc_alloc(n);
            REQUIRE(p != NULL);
            CHECK_EQ((uintptr_t)p % 16, 0);
            CHECK(all_zero(p, n));
            memset(p, 0xAB, n);
            void *base;
            size_t size;
            rt_span *s = rt_heap_find(p, &base, &size);
            REQUIRE(s != NULL);
            CHECK(base == p);
            CHECK(size >= n);
            CHECK_EQ(s->noscan, noscan);
            if (n > 1)
                CHECK(rt_heap_find(p + n - 1, NULL, NULL) == s);
            /* Dirty the memory and give it back: the next round reuses
             * it and must see zeros again. */
            rt_heap_free(p);
        }
        rt_heap_flush_caches();
    }
    return 0;
}

GOC_TEST(zero_and_align)
{
    REQUIRE(zero_and_align_sizes(false) == 0);
    REQUIRE(zero_and_align_sizes(true) == 0);
    /* Many small objects in a row: distinct, aligned, zero. */
    enum { N = 5000 };
    static unsigned char *ps[N];
    for (int i = 0; i < N; i++) {
        size_t n = 1 + (size_t)i % 300;
        ps[i] = goc_alloc(n);
        CHECK_EQ((uintptr_t)ps[i] % 16, 0);
        CHECK(all_zero(ps[i], n));
        memset(ps[i], i & 0xff, n);
    }
    for (int i = 0; i < N; i++) {
        size_t n = 1 + (size_t)i % 300;
        for (size_t k = 0; k < n; k++)
            if (ps[i][k] != (i & 0xff)) {
                CHECK(!"an object was overwritten by another");
                return -1;
            }
    }
    return heap_ok();
}

/* ---- interior pointers --------------------------------------------------- */

static int global_word;

GOC_TEST(interior_pointers)
{
    void *base;
    size_t size;

    /* Small: every byte of the object leads to its base. */
    char *a = goc_alloc(40), *b = goc_alloc(40);
    REQUIRE(rt_heap_find(a, &base, &size));
    CHECK_EQ(size, 48);
    for (size_t k = 0; k < size; k++) {
        base = NULL;
        CHECK(rt_heap_find(a + k, &base, NULL) && base == a);
    }
    /* One past the end is the next slot (b, in a fresh span) or nothing,
     * never a. */
    base = NULL;
    if (rt_heap_find(a + size, &base, NULL))
        CHECK(base == a + size);
    CHECK(b != a);

    /* A freed slot in a span no cache holds is rejected. */
    rt_heap_flush_caches();
    rt_heap_free(b);
    CHECK(rt_heap_find(b, NULL, NULL) == NULL);
    CHECK(rt_heap_find(b + 5, NULL, NULL) == NULL);
    CHECK(rt_heap_find(a + 5, &base, NULL) && base == a);

    /* Large: interior bytes lead to the base; the rounded end and the
     * span's tail do not. */
    size_t n = 100000;
    char *l = goc_alloc(n);
    rt_span *s = rt_heap_find(l + n - 1, &base, &size);
    REQUIRE(s != NULL);
    CHECK(base == l);
    CHECK_EQ(size, (n + 15) & ~(size_t)15);
    CHECK(rt_heap_find(l + 12345, &base, NULL) == s && base == l);
    CHECK(rt_heap_find(l + size, NULL, NULL) == NULL);
    CHECK(rt_heap_find(l + s->npages * RT_PAGE_SIZE - 1, NULL, NULL) == NULL);

    /* Not the heap. */
    int local = 0;
    void *m = malloc(64);
    CHECK(rt_heap_find(&local, NULL, NULL) == NULL);
    CHECK(rt_heap_find(&global_word, NULL, NULL) == NULL);
    CHECK(rt_heap_find(m, NULL, NULL) == NULL);
    CHECK(rt_heap_find(NULL, NULL, NULL) == NULL);
    CHECK(rt_heap_find((void *)(uintptr_t)0xdead0000beef0000ULL, NULL, NULL) == NULL);
    CHECK(rt_heap_find((void *)~(uintptr_t)0, NULL, NULL) == NULL);
    free(m);

    /* Freed pages are not objects any more. */
    rt_heap_free(l);
    CHECK(rt_heap_find(l, NULL, NULL) == NULL);
    CHECK(rt_heap_find(l + 5000, NULL, NULL) == NULL);
    return heap_ok();
}

/* ---- noscan -------------------------------------------------------------- */

GOC_TEST(noscan_separate)
{
    for (size_t n = 8; n <= 65536; n *= 2) {
        void *p = goc_alloc(n), *q = goc_alloc_noscan(n);
        rt_span *sp = rt_heap_find(p, NULL, NULL), *sq = rt_heap_find(q, NULL, NULL);
        REQUIRE(sp && sq);
        CHECK(sp != sq);
        CHECK_EQ(sp->noscan, 0);
        CHECK_EQ(sq->noscan, 1);
        CHECK(all_zero(q, n));
    }
    /* Every object of a noscan span is noscan: no mixing in a span. */
    for (int i = 0; i < 1000; i++) {
        void *q = goc_alloc_noscan(24);
        rt_span *s = rt_heap_find(q, NULL, NULL);
        REQUIRE(s);
        CHECK_EQ(s->noscan, 1);
    }
    return heap_ok();
}

/* ---- free and reuse ------------------------------------------------------ */

static bool in_set(void **set, int n, void *p)
{
    for (int i = 0; i < n; i++)
        if (set[i] == p)
            return true;
    return false;
}

GOC_TEST(free_reuse_slots)
{
    enum { N = 64 };
    void *objs[N], *freed[N];
    int nfreed = 0;
    /* Half freed while their span is cached (deferred to the release),
     * the other half after a flush (direct). */
    for (int i = 0; i < N; i++) {
        objs[i] = goc_alloc(200);
        memset(objs[i], 0xEE, 200);
    }
    for (int i = 0; i < N; i += 4) {
        rt_heap_free(objs[i]);
        freed[nfreed++] = objs[i];
    }
    rt_heap_flush_caches();
    for (int i = 2; i < N; i += 4) {
        rt_heap_free(objs[i]);
        freed[nfreed++] = objs[i];
    }
    REQUIRE(heap_ok() == 0);
    /* The freed slots are in partial spans, which a cache takes before
     * any fresh span: they all come back (zeroed) long before this many
     * allocations. */
    int reused = 0;
    for (int i = 0; i < 10000 && reused < nfreed; i++) {
        unsigned char *p = goc_alloc(200);
        CHECK(all_zero(p, 200));
        reused += in_set(freed, nfreed, p);
    }
    CHECK_EQ(reused, nfreed);
    /* The objects never freed are intact. */
    for (int i = 1; i < N; i += 2) {
        const unsigned char *p = objs[i];
        CHECK(p[0] == 0xEE && p[199] == 0xEE);
    }
    return heap_ok();
}

GOC_TEST(free_reuse_spans)
{
    REQUIRE(heap_ok() == 0);
    rt_heap_stats before, after;
    rt_heap_get_stats(&before);
    /* Fill whole spans, free everything: the empty spans go back to the
     * page heap and a second round takes them again without growing. */
    enum { N = 20000 };
    static void *objs[N];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            objs[i] = goc_alloc(64 + (size_t)(i % 4) * 64);
            CHECK(all_zero(objs[i], 64));
            memset(objs[i], 0x5A, 64);
        }
        for (int i = 0; i < N; i++)
            rt_heap_free(objs[i]);
        REQUIRE(heap_ok() == 0);
        rt_heap_get_stats(&after);
        CHECK_EQ(after.inuse, before.inuse);
    }
    CHECK_EQ(after.mapped, before.mapped);
    return 0;
}

GOC_TEST(free_reuse_large)
{
    REQUIRE(heap_ok() == 0);
    rt_heap_stats before, after;
    rt_heap_get_stats(&before);
    size_t n = 3 << 20;
    for (int round = 0; round < 4; round++) {
        unsigned char *p = goc_alloc(n);
        CHECK(all_zero(p, n));
        memset(p, 0xCD, n);
        rt_heap_free(p);
    }
    rt_heap_get_stats(&after);
    CHECK_EQ(after.mapped, before.mapped);
    CHECK_EQ(after.inuse, before.inuse);

    /* Coalescing: three neighbours freed in any order become one run that
     * a request for all three fits without growing the heap. */
    void *x = goc_alloc(200000), *y = goc_alloc(200000), *z = goc_alloc(200000);
    rt_heap_free(y);
    rt_heap_free(x);
    rt_heap_free(z);
    unsigned char *w = goc_alloc(3 * 200000);
    CHECK(all_zero(w, 3 * 200000));
    rt_heap_get_stats(&after);
    CHECK_EQ(after.mapped, before.mapped);
    /* the merged run is the one reused (the arena has room elsewhere, so
     * the mapped size alone would not notice a failed merge) */
    CHECK((void *)w == x || (void *)w == y || (void *)w == z);
    rt_heap_free(w);
    return heap_ok();
}

GOC_TEST(scavenge_returns_pages)
{
    size_t n = 4 << 20;
    unsigned char *p = goc_alloc(n);
    memset(p, 0x11, n);
    rt_heap_free(p);
    size_t released = rt_heap_scavenge(0);
    CHECK(released >= n);
    rt_heap_stats st;
    rt_heap_get_stats(&st);
    CHECK(st.released >= n);
    /* The kernel took the pages back: none resident. */
    size_t npages = n / (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *vec = malloc(npages);
    REQUIRE(mincore(p, n, vec) == 0);
    size_t resident = 0;
    for (size_t i = 0; i < npages; i++)
        resident += vec[i] & 1;
    free(vec);
    CHECK_EQ(resident, 0);
    /* Reused, they read as zero (no memset needed, none done). */
    unsigned char *q = goc_alloc(n);
    CHECK(all_zero(q, n));
    rt_heap_free(q);
    return heap_ok();
}

/* ---- enumeration --------------------------------------------------------- */

struct census {
    size_t n;
    rt_span *want;
    bool found;
};

static void count_span(rt_span *s, void *arg)
{
    struct census *c = arg;
    c->n++;
    c->found |= s == c->want;
}

GOC_TEST(enumerate_spans)
{
    void *p = goc_alloc(77), *l = goc_alloc(50000);
    rt_heap_stats st;
    struct census c = { 0, rt_heap_find(p, NULL, NULL), false };
    rt_heap_for_each_span(count_span, &c);
    rt_heap_get_stats(&st);
    CHECK_EQ(c.n, st.nspans);
    CHECK(c.found);
    c = (struct census){ 0, rt_heap_find(l, NULL, NULL), false };
    rt_heap_for_each_span(count_span, &c);
    CHECK(c.found);
    return heap_ok();
}

/* ---- threads without a P ------------------------------------------------- */

static void *thread_alloc(void *arg)
{
    uintptr_t seed = (uintptr_t)arg;
    enum { N = 20000 };
    unsigned char **ps = malloc(N * sizeof *ps);
    for (int i = 0; i < N; i++) {
        size_t n = 1 + (seed * 7 + (size_t)i * 13) % 500;
        ps[i] = goc_alloc(n);
        if (!all_zero(ps[i], n))
            return (void *)1;
        memset(ps[i], (int)(seed + (size_t)i) & 0xff, n);
    }
    for (int i = 0; i < N; i++) {
        size_t n = 1 + (seed * 7 + (size_t)i * 13) % 500;
        if (ps[i][0] != ((seed + (size_t)i) & 0xff) || ps[i][n - 1] != ps[i][0])
            return (void *)2;
        if (i % 2)
            rt_heap_free(ps[i]);
    }
    free(ps);
    return NULL;
}

static void test_plain_threads(void **state)
{
    (void)state;
    /* This thread has no P yet; nor do these. */
    void *p = goc_alloc(10);
    assert_non_null(p);
    assert_true(all_zero(p, 10));
    pthread_t t[4];
    for (uintptr_t i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thread_alloc, (void *)(i + 1)), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        assert_null(r);
    }
}

/* ---- stress (run in a child per GOC_MAXPROCS) ---------------------------- */

#if defined(GOC_TEST_TSAN)
enum { STRESS_PAIRS = 8, STRESS_ITERS = 4000 };
#else
enum { STRESS_PAIRS = 32, STRESS_ITERS = 20000 };
#endif
enum { RING = 128 };

struct rec {
    unsigned char *p;
    size_t n;
    uint32_t seed;
};

static uint32_t fill(unsigned char *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)((seed + i * 131) >> 3);
    return seed;
}

static bool verify(const struct rec *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->p[i] != (unsigned char)((r->seed + i * 131) >> 3))
            return false;
    return true;
}

static size_t stress_size(uint64_t *rng)
{
    uint64_t x = goc_test_rand(rng);
    switch (x % 64) {
    case 0: return 32769 + (x >> 8) % 100000;    /* sometimes large   */
    case 1: case 2: case 3: case 4: return 1 + (x >> 8) % 32768;
    default: return 1 + (x >> 8) % 256;
    }
}

struct pair {
    goc_chan *ch;                                 /* struct rec, producer -> consumer */
    goc_chan *done;
    uint64_t seed;
};

/* Allocates, fills, verifies its own ring, frees what leaves the ring and
 * sends every fourth object to its consumer (freed on another P). */
static void producer(void *arg)
{
    struct pair *pr = arg;
    uint64_t rng = pr->seed;
    struct rec ring[RING] = { 0 };
    for (int i = 0; i < STRESS_ITERS; i++) {
        struct rec r = { NULL, stress_size(&rng), (uint32_t)goc_test_rand(&rng) };
        bool noscan = r.n % 3 == 0;
        r.p = noscan ? goc_alloc_noscan(r.n) : goc_alloc(r.n);
        CHECK_EQ((uintptr_t)r.p % 16, 0);
        if (!all_zero(r.p, r.n))
            CHECK(!"fresh object not zero");
        void *base = NULL;
        if (!rt_heap_find(r.p + r.n / 2, &base, NULL) || base != r.p)
            CHECK(!"interior lookup of a live object");
        fill(r.p, r.n, r.seed);
        if (i % 4 == 0) {
            goc_chan_send(pr->ch, &r);
            continue;
        }
        struct rec *slot = &ring[i % RING];
        if (slot->p) {
            if (!verify(slot))
                CHECK(!"producer: object contents changed");
            rt_heap_free(slot->p);
        }
        *slot = r;
        if (i % 512 == 0)
            goc_yield();                          /* move between Ps */
    }
    for (int k = 0; k < RING; k++)
        if (ring[k].p && !verify(&ring[k]))
            CHECK(!"producer: object contents changed at the end");
    goc_chan_close(pr->ch);
}

static void consumer(void *arg)
{
    struct pair *pr = arg;
    struct rec r, keep[16] = { 0 };
    int k = 0;
    while (goc_chan_recv(pr->ch, &r)) {
        if (!verify(&r))
            CHECK(!"consumer: object arrived corrupted");
        struct rec *slot = &keep[k++ % 16];
        if (slot->p) {
            if (!verify(slot))
                CHECK(!"consumer: kept object changed");
            rt_heap_free(slot->p);
        }
        *slot = r;
    }
    for (int i = 0; i < 16; i++)
        if (keep[i].p && !verify(&keep[i]))
            CHECK(!"consumer: kept object changed at the end");
    int one = 1;
    goc_chan_send(pr->done, &one);
}

static int stress_main(void *arg)
{
    (void)arg;
    static struct pair pairs[STRESS_PAIRS];
    goc_chan *done = goc_chan_make(sizeof(int), 2 * STRESS_PAIRS);
    for (int i = 0; i < STRESS_PAIRS; i++) {
        pairs[i] = (struct pair){ goc_chan_make(sizeof(struct rec), 8), done,
                                  0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1) };
        goc_go(producer, &pairs[i]);
        goc_go(consumer, &pairs[i]);
    }
    for (int i = 0; i < STRESS_PAIRS; i++)
        goc_chan_recv(done, NULL);
    return heap_ok();
}

static char *user_gc;   /* GOC_GC as the test was started with, or NULL */

/* Starts this test binary again with argument `mode` (under the emulator
 * of a cross build, GOC_TEST_EMULATOR, when there is one). */
static pid_t spawn_self(const char *mode, posix_spawn_file_actions_t *fa)
{
    static char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = 0;
    char *argv[16], *emu = getenv("GOC_TEST_EMULATOR"), *copy = NULL;
    int argc = 0;
    if (emu && *emu) {
        copy = strdup(emu);
        for (char *t = strtok(copy, " "); t && argc < 12; t = strtok(NULL, " ")) argv[argc++] = t;
    }
    argv[argc++] = self;
    argv[argc++] = (char *)mode;
    argv[argc] = NULL;
    pid_t pid;
    assert_int_equal(posix_spawnp(&pid, argv[0], fa, NULL, argv, environ), 0);
    free(copy);
    return pid;
}

static void test_stress_procs(void **state)
{
    (void)state;
    static const char *procs[] = { "1", "2", "8" };
    if (user_gc)
        setenv("GOC_GC", user_gc, 1);
    else
        unsetenv("GOC_GC");
    for (int i = 0; i < 3; i++) {
        setenv("GOC_MAXPROCS", procs[i], 1);
        pid_t pid = spawn_self("--stress", NULL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("stress at GOC_MAXPROCS=%s: status %#x", procs[i], status);
    }
    unsetenv("GOC_MAXPROCS");
}

/* ---- out of memory ------------------------------------------------------- */

/* An impossible size is a fatal error (status 2), never NULL. */
static void test_out_of_memory(void **state)
{
    (void)state;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = spawn_self("--oom", &fa);
    posix_spawn_file_actions_destroy(&fa);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--oom") == 0) {
        void *p = goc_alloc(SIZE_MAX / 2);
        return p ? 0 : 1;                         /* not reached */
    }
    if (argc > 1 && strcmp(argv[1], "--stress") == 0) {
        int r = goc_run(stress_main, NULL);
        int failures = atomic_load(&goc_test_failures);
        if (failures)
            fprintf(stderr, "stress: %d failure(s); first: %s\n", failures, goc_test_msg);
        return r != 0 || failures != 0;
    }
    /* These tests check the allocator's exact accounting (in use, mapped,
     * which run is reused): a collection in flight would sweep garbage the
     * earlier tests left and change it.  Under CPU contention a cycle
     * started during one test could end inside the next (3 of 30 paired
     * runs failed so).  The collector stays off here; the stress children
     * get the caller's setting back. */
    const char *gc = getenv("GOC_GC");
    user_gc = gc ? strdup(gc) : NULL;
    setenv("GOC_GC", "off", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_classes),
        cmocka_unit_test(test_plain_threads),
        GOC_UNIT(zero_and_align),
        GOC_UNIT(interior_pointers),
        GOC_UNIT(noscan_separate),
        GOC_UNIT(free_reuse_slots),
        GOC_UNIT(free_reuse_spans),
        GOC_UNIT(free_reuse_large),
        GOC_UNIT(scavenge_returns_pages),
        GOC_UNIT(enumerate_spans),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_stress_procs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
