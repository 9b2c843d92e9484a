/*
 * gc_test.h — what the collector's end-to-end tests (tests/gc/gc_*.gc)
 * share.  Plain C: no .gc syntax, so any test may include it.
 *
 * The tests check goc.h's "Memory" contract from the outside.  A test of
 * survival alone would pass on a runtime that never frees anything, so every
 * test also checks that collections ran and freed the garbage made around
 * its survivors: gct_collect() calls goc_gc() and fails unless a new cycle
 * completed and the count of freed objects grew.  (A survivor's own memory
 * being freed is caught by the churn below, not by counters.)
 *
 * Churn.  After each collection gct_churn() allocates garbage — the sizes a
 * test's survivors have, then a mix of others, scan and noscan, small and
 * large — and fills every byte with GCT_JUNK.  If the collector wrongly
 * freed a survivor, its memory is handed out again, zeroed and overwritten,
 * and the survivor's check words fail when the test reads it back.
 *
 * Check words.  Every survivor carries a word computed over its other
 * fields, pointers included (gct_mix); a reader validates a node before it
 * follows any pointer in it, so a clobbered structure is reported as a
 * failure rather than a crash.
 *
 * Stale copies.  A conservative collector keeps alive whatever a stale word
 * on a stack points to, and a survivor kept only by such a copy would hide
 * a missing root.  Tests build their survivors in noinline functions and
 * then call gct_scrub_stack(), which overwrites the dead stack below the
 * caller.
 *
 * A failure prints one "FAIL: ..." line on standard output (no expected
 * output contains one) and exits with status 1.
 */
#ifndef GC_TEST_H
#define GC_TEST_H

#include <goc.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_THREAD__)
#define GCT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GCT_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define GCT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GCT_ASAN 1
#endif
#endif

#define GCT_JUNK 0xa5
#define GCT_NOINLINE __attribute__((noinline, unused))

/* Collections per test, and the garbage made after each. */
enum { GCT_ROUNDS = 8 };
#ifdef GCT_TSAN
#define GCT_CHURN_BYTES ((size_t)8 << 20)
#else
#define GCT_CHURN_BYTES ((size_t)24 << 20)
#endif

static inline void gct_fail(const char *fmt, ...) GOC_PRINTF(1, 2);
static inline void gct_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    exit(1);
}

/* splitmix64's finaliser: a different, well-spread word for every input. */
static inline uint64_t gct_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static inline uint64_t gct_rand(uint64_t *s)
{
    *s = gct_mix(*s);
    return *s;
}

static inline uint64_t gct_addr(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* Overwrites the stack below the caller, where the frames of the functions
 * that built the survivors were, so that no stale copy of a survivor's
 * address is left there.  16 KiB: goroutine stacks are 64 KiB by default. */
static GCT_NOINLINE void gct_scrub_stack(void)
{
    volatile unsigned char buf[16384];
    memset((unsigned char *)buf, 0, sizeof buf);
    __asm__ volatile("" : : "r"(buf) : "memory");
}

/* One garbage object of n bytes, every byte GCT_JUNK. */
static inline void gct_junk(size_t n, bool noscan)
{
    unsigned char *p = noscan ? goc_alloc_noscan(n) : goc_alloc(n);
    memset(p, GCT_JUNK, n);
}

/* A size of the usual mix: mostly small, some up to 32 KiB, a few large. */
static inline size_t gct_mixed_size(uint64_t *s)
{
    uint64_t r = gct_rand(s);
    switch (r % 100) {
    case 0:
        return 32 * 1024 + 1 + (r >> 8) % (256 * 1024);
    case 1: case 2: case 3: case 4:
        return 4096 + (r >> 8) % (28 * 1024);
    default:
        return 8 + (r >> 8) % 600;
    }
}

/* Allocates about `bytes` of garbage: half in objects of the given sizes
 * (the survivors'), scan and noscan alternately, half of the usual mix. */
static GCT_NOINLINE void gct_churn(size_t bytes, const size_t *sizes, int nsizes, uint64_t seed)
{
    uint64_t s = seed ^ 0x5eedULL;
    size_t done = 0;
    for (long i = 0; done < bytes / 2 && nsizes > 0; i++) {
        size_t n = sizes[i % nsizes];
        gct_junk(n, i & 1);
        done += n;
    }
    for (long i = 0; done < bytes; i++) {
        size_t n = gct_mixed_size(&s);
        gct_junk(n, i & 1);
        done += n;
    }
}

static inline void gct_stats(goc_gc_stats *st)
{
    memset(st, 0xff, sizeof *st);
    goc_gc_read_stats(st);
}

/* goc_gc(), then fails unless it completed a cycle that freed garbage.
 * 1024 junk blocks made just before the call are garbage for that cycle
 * (it starts after the call) whatever automatic cycles freed before, so the
 * count of freed objects must grow. */
static GCT_NOINLINE void gct_collect(const char *when)
{
    goc_gc_stats a, b;
    for (int i = 0; i < 1024; i++)
        gct_junk(64, i & 1);
    gct_stats(&a);
    goc_gc();
    gct_stats(&b);
    if (b.cycles <= a.cycles)
        gct_fail("%s: goc_gc() completed no cycle (cycles %llu, then %llu)", when,
                 (unsigned long long)a.cycles, (unsigned long long)b.cycles);
    if (b.freed_objects <= a.freed_objects)
        gct_fail("%s: goc_gc() freed no garbage (freed_objects %llu, then %llu)", when,
                 (unsigned long long)a.freed_objects, (unsigned long long)b.freed_objects);
}

/* One round: collect, then churn so that whatever was freed is reused. */
static inline void gct_round(const char *when, const size_t *sizes, int nsizes, int round)
{
    gct_collect(when);
    gct_churn(GCT_CHURN_BYTES, sizes, nsizes, (uint64_t)round * 7919);
}

/* ===================================================================== */
/* Checked lists                                                         */
/* ===================================================================== */

/* A node of a list made by gct_list_make: position `index` from the head
 * (0 first) of the list named by `seed`; `nwords` words of payload, each
 * derived from seed and index; `check` over all of it, next included. */
typedef struct gct_node {
    struct gct_node *next;
    uint64_t seed;
    uint64_t index;
    uint64_t nwords;
    uint64_t check;
    uint64_t words[];
} gct_node;

enum { GCT_MAX_WORDS = 12 };

static inline uint64_t gct_word(uint64_t seed, uint64_t index, uint64_t i)
{
    return gct_mix(seed * 1000003 + index * 64 + i);
}

static inline uint64_t gct_node_check(const gct_node *n)
{
    uint64_t h = gct_mix(gct_addr(n->next) ^ 0x11);
    h = gct_mix(h ^ n->seed);
    h = gct_mix(h ^ n->index);
    h = gct_mix(h ^ n->nwords);
    return h;
}

static inline size_t gct_node_size(uint64_t nwords)
{
    return sizeof(gct_node) + nwords * sizeof(uint64_t);
}

/* The sizes of a list's nodes, for gct_churn. */
static const size_t gct_node_sizes[] __attribute__((unused)) = {
    sizeof(gct_node), sizeof(gct_node) + 8, sizeof(gct_node) + 24,
    sizeof(gct_node) + 56, sizeof(gct_node) + 96,
};
#define GCT_NODE_NSIZES ((int)(sizeof gct_node_sizes / sizeof gct_node_sizes[0]))

static inline uint64_t gct_node_nwords(uint64_t seed, uint64_t index)
{
    static const uint64_t pick[] = { 0, 1, 3, 7, GCT_MAX_WORDS };
    return pick[gct_mix(seed ^ (index << 20)) % 5];
}

static inline gct_node *gct_node_new(uint64_t seed, uint64_t index)
{
    uint64_t nw = gct_node_nwords(seed, index);
    gct_node *n = goc_alloc(gct_node_size(nw));
    n->seed = seed;
    n->index = index;
    n->nwords = nw;
    for (uint64_t i = 0; i < nw; i++)
        n->words[i] = gct_word(seed, index, i);
    return n;
}

/* A list of n nodes, built from the tail so that every node is finished
 * (check word included) when it is linked.  With junk_every > 0, a garbage
 * object follows every junk_every-th node, so that the list is spread over
 * spans that also hold garbage. */
static GCT_NOINLINE gct_node *gct_list_make(uint64_t seed, long n, int junk_every)
{
    gct_node *head = NULL;
    for (long i = n - 1; i >= 0; i--) {
        gct_node *node = gct_node_new(seed, (uint64_t)i);
        node->next = head;
        node->check = gct_node_check(node);
        head = node;
        if (junk_every > 0 && i % junk_every == 0)
            gct_junk(gct_node_size(gct_node_nwords(seed, (uint64_t)i + 1)), false);
    }
    return head;
}

/* NULL if the list named seed is intact and n long, else what is wrong (in
 * a static buffer: call from one goroutine at a time, or use the _r form). */
static inline const char *gct_list_problem_r(const gct_node *head, uint64_t seed, long n,
                                             char *buf, size_t len)
{
    const gct_node *p = head;
    for (long i = 0; i < n; i++) {
        if (!p) {
            snprintf(buf, len, "list %llu ends after %ld of %ld nodes",
                     (unsigned long long)seed, i, n);
            return buf;
        }
        if (p->seed != seed || p->index != (uint64_t)i || p->nwords > GCT_MAX_WORDS ||
            p->check != gct_node_check(p)) {
            snprintf(buf, len, "list %llu: node %ld of %ld is broken (seed %llu index %llu)",
                     (unsigned long long)seed, i, n, (unsigned long long)p->seed,
                     (unsigned long long)p->index);
            return buf;
        }
        for (uint64_t w = 0; w < p->nwords; w++) {
            if (p->words[w] != gct_word(seed, (uint64_t)i, w)) {
                snprintf(buf, len, "list %llu: node %ld word %llu is broken",
                         (unsigned long long)seed, i, (unsigned long long)w);
                return buf;
            }
        }
        p = p->next;
    }
    if (p) {
        snprintf(buf, len, "list %llu is longer than %ld nodes", (unsigned long long)seed, n);
        return buf;
    }
    return NULL;
}

static inline const char *gct_list_problem(const gct_node *head, uint64_t seed, long n)
{
    static char buf[200];
    return gct_list_problem_r(head, seed, n, buf, sizeof buf);
}

/* Fails unless the list is intact. */
static inline void gct_list_verify(const char *what, const gct_node *head, uint64_t seed, long n)
{
    const char *why = gct_list_problem(head, seed, n);
    if (why)
        gct_fail("%s: %s", what, why);
}

/* Fills n bytes with a pattern named by seed (each 8 bytes a word of
 * gct_mix); gct_bytes_ok checks it. */
static inline unsigned char gct_byte(uint64_t seed, size_t i)
{
    return (unsigned char)(gct_mix(seed ^ ((uint64_t)(i >> 3) << 20)) >> ((i & 7) * 8));
}

static inline void gct_bytes_fill(void *p, size_t n, uint64_t seed)
{
    unsigned char *b = p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = gct_mix(seed ^ ((uint64_t)(i >> 3) << 20));
        memcpy(b + i, &w, 8);
    }
    for (; i < n; i++)
        b[i] = gct_byte(seed, i);
}

static inline bool gct_bytes_ok(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *b = p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = gct_mix(seed ^ ((uint64_t)(i >> 3) << 20));
        if (memcmp(b + i, &w, 8) != 0)
            return false;
    }
    for (; i < n; i++)
        if (b[i] != gct_byte(seed, i))
            return false;
    return true;
}

#endif
