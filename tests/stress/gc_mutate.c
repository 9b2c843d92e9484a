/*
 * gc_mutate.c — the collector against mutators: goroutines keep rewriting
 * a shared graph of heap nodes while another calls goc_gc() in a loop and
 * automatic cycles run; every node carries a check word, so a node that was
 * freed and handed out again while still reachable shows up as a broken
 * check word (or, under AddressSanitizer, as a use after free: the
 * allocator poisons free slots).
 *
 * The graph
 *   NSLOTS slots, each a binary tree of goc_new nodes under the slot's
 *   goc_mutex, with the count of its nodes and the sum of their keys.  A
 *   node has a key, two kids, and maybe a noscan blob (8 bytes to 96 KiB,
 *   the largest ones large objects) whose words derive from the key; its
 *   check word covers key, kids, blob pointer and length.  A slot holds at
 *   most MAXN nodes.
 *
 * Mutators (NMUT goroutines, fixed seeds), each operation under the lock
 * of the slot(s) it touches:
 *   insert   a fresh subtree of 1..16 nodes hung at a random leaf;
 *   replace  a random node by a copy (same key and blob, or new ones);
 *   swap     a node's kids;
 *   prune    a random subtree dropped (garbage), a bigger one when the
 *            slot is three quarters full;
 *   move     a random subtree from one slot to another (both locked, in
 *            index order), moving pointers from an object the marker may
 *            not have reached into one it may have scanned already;
 *   hold     a subtree detached and kept only in a local of the goroutine
 *            across yields and allocations, then checked and hung
 *            somewhere else;
 *   mail     a subtree sent on a buffered channel (try_send); unmail
 *            takes one and hangs it somewhere;
 *   rebuild  a slot's tree replaced by a new one;
 *   check    a slot walked: every node, blob, count and key sum.
 *   Each operation also allocates a little garbage.
 * Collector: goc_gc() in a loop; each call must complete a cycle, and
 *   heap_live must stay under HEAP_LIMIT (a runtime that never frees fails
 *   there instead of filling memory).
 * Verifier: every 20 ms walks every slot.
 * At the end, after DURATION_MS: every slot and mailed subtree checked,
 *   at least one cycle per goc_gc call (3 calls or more), objects freed.
 *
 * Walks use an explicit stack (trees can be deep); it is malloc'ed, so
 * whatever stale pointers it keeps are roots — which only delays reclaiming
 * a few garbage nodes.  Under ThreadSanitizer slots hold fewer nodes.
 */
#include <goc.h>

#include "stress.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef STRESS_TSAN
enum { MAXN = 1500 };
#else
enum { MAXN = 300 };
#endif

enum {
    NSLOTS = 64,
    NMUT = 8,
    MAILBOX_CAP = 16,
    DURATION_MS = 2500,
    VERIFY_EVERY_MS = 20,
    STACK_CAP = 2 * MAXN + 16,
};

#define HEAP_LIMIT ((uint64_t)512 << 20)

typedef struct node {
    uint64_t key;
    struct node *kid[2];
    uint64_t *blob;             /* noscan: blob_words words of blob_word(key, i) */
    uint64_t blob_words;
    uint64_t check;             /* node_check() */
} node;

struct slot {
    goc_mutex mu;
    node *root;                 /* under mu */
    uint64_t count;             /* nodes in the tree, under mu */
    uint64_t keysum;            /* sum of their keys, under mu */
};

/* A detached subtree and what it holds. */
struct piece {
    node *root;
    uint64_t count;
    uint64_t keysum;
};

/* Where a node hangs: the slot's root pointer or a kid field of parent. */
struct pos {
    node **where;
    node *parent;               /* NULL when where is the slot's root */
};

struct mutator {
    uint64_t rng;
    node **stack;               /* malloc'ed, STACK_CAP entries */
};

static struct slot slots[NSLOTS];
static goc_chan *mailbox;       /* of struct piece */
static _Atomic int stop_mutators, stop_others;
static _Atomic long ops, moves, holds, mails, prunes, rebuilds, gc_calls, verifications;
static goc_waitgroup mutators_wg, others_wg;

static void fail(const char *fmt, ...) GOC_PRINTF(1, 2);
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "gc_mutate: P=%d: ", goc_maxprocs());
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    fflush(stderr);
    exit(1);
}

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t rnd(uint64_t *s)
{
    *s = mix(*s);
    return *s;
}

static uint64_t blob_word(uint64_t key, uint64_t i)
{
    return mix(key ^ (i << 32) ^ 0xb10b);
}

static uint64_t node_check(const node *n)
{
    uint64_t h = mix(n->key ^ 0x6e6f6465);
    h = mix(h ^ (uint64_t)(uintptr_t)n->kid[0]);
    h = mix(h ^ (uint64_t)(uintptr_t)n->kid[1]);
    h = mix(h ^ (uint64_t)(uintptr_t)n->blob);
    return mix(h ^ n->blob_words);
}

static void seal(node *n)
{
    n->check = node_check(n);
}

/* Fails unless n's check word and blob are intact. */
static void verify_node(const node *n, const char *ctx)
{
    if (n->check != node_check(n))
        fail("%s: node %p (key %llx) has a broken check word", ctx, (const void *)n,
             (unsigned long long)n->key);
    for (uint64_t i = 0; i < n->blob_words; i++)
        if (n->blob[i] != blob_word(n->key, i))
            fail("%s: node %p: blob word %llu of %llu is broken", ctx, (const void *)n,
                 (unsigned long long)i, (unsigned long long)n->blob_words);
}

/* Mostly none or small, a few up to 8 KiB, one in a thousand large. */
static uint64_t *new_blob(uint64_t key, uint64_t *rng, uint64_t *words)
{
    uint64_t r = rnd(rng), n;
    if (r % 100 < 50) {
        *words = 0;
        return NULL;
    } else if (r % 1000 == 999) {
        n = 4200 + (r >> 20) % 8000;            /* 33 to 97 KiB */
    } else if (r % 100 < 95) {
        n = 1 + (r >> 20) % 64;
    } else {
        n = 64 + (r >> 20) % 960;
    }
    uint64_t *b = goc_alloc_noscan(n * sizeof *b);
    for (uint64_t i = 0; i < n; i++)
        b[i] = blob_word(key, i);
    *words = n;
    return b;
}

static node *new_node(uint64_t *rng)
{
    node *n = goc_new(node);
    n->key = rnd(rng);
    n->blob = new_blob(n->key, rng, &n->blob_words);
    seal(n);
    return n;
}

static void junk(uint64_t *rng)
{
    uint64_t r = rnd(rng);
    size_t n = 16 + r % 2000;
    char *p = (r >> 32) & 1 ? goc_alloc_noscan(n) : goc_alloc(n);
    memset(p, 0xa5, n);
}

/* Walks the tree at root, checking every node: its size and key sum.  More
 * than limit nodes is a failure (a cycle, or a lost update). */
static struct piece walk(node **stack, node *root, uint64_t limit, const char *ctx)
{
    struct piece p = { root, 0, 0 };
    size_t sp = 0;
    if (root)
        stack[sp++] = root;
    while (sp) {
        node *n = stack[--sp];
        verify_node(n, ctx);
        if (++p.count > limit)
            fail("%s: more than %llu nodes", ctx, (unsigned long long)limit);
        p.keysum += n->key;
        for (int k = 0; k < 2; k++) {
            if (n->kid[k]) {
                if (sp == STACK_CAP)
                    fail("%s: walk stack overflow", ctx);
                stack[sp++] = n->kid[k];
            }
        }
    }
    return p;
}

/* Caller holds s->mu. */
static void verify_slot(node **stack, struct slot *s, const char *ctx)
{
    struct piece p = walk(stack, s->root, s->count, ctx);
    if (p.count != s->count || p.keysum != s->keysum)
        fail("%s: slot %d has %llu nodes (key sum %llx), want %llu (%llx)", ctx,
             (int)(s - slots), (unsigned long long)p.count, (unsigned long long)p.keysum,
             (unsigned long long)s->count, (unsigned long long)s->keysum);
}

/* A random node of s's tree (s->mu held, tree not empty): the walk down
 * stops at each node with probability 1/stop_odds. */
static struct pos pick_odds(struct slot *s, uint64_t *rng, unsigned stop_odds)
{
    struct pos at = { &s->root, NULL };
    for (;;) {
        node *n = *at.where;
        verify_node(n, "pick");
        uint64_t r = rnd(rng);
        if (r % stop_odds == 0)
            return at;
        int side = (int)(r >> 8) & 1;
        if (!n->kid[side])
            side ^= 1;
        if (!n->kid[side])
            return at;
        at.parent = n;
        at.where = &n->kid[side];
    }
}

static struct pos pick(struct slot *s, uint64_t *rng)
{
    return pick_odds(s, rng, 4);
}

/* A random empty kid field of s's tree, or its root if empty. */
static struct pos leaf(struct slot *s, uint64_t *rng)
{
    struct pos at = { &s->root, NULL };
    while (*at.where) {
        node *n = *at.where;
        verify_node(n, "leaf");
        at.parent = n;
        at.where = &n->kid[rnd(rng) & 1];
    }
    return at;
}

static void set_at(struct pos at, node *n)
{
    *at.where = n;
    if (at.parent)
        seal(at.parent);
}

/* Caller holds s->mu. */
static void attach(struct slot *s, struct piece p, uint64_t *rng)
{
    set_at(leaf(s, rng), p.root);
    s->count += p.count;
    s->keysum += p.keysum;
}

/* Caller holds s->mu; the tree is not empty. */
static struct piece detach(struct mutator *m, struct slot *s, struct pos at)
{
    struct piece p = walk(m->stack, *at.where, s->count, "detach");
    set_at(at, NULL);
    s->count -= p.count;
    s->keysum -= p.keysum;
    return p;
}

/* A new tree of n nodes, shared with nobody yet. */
static struct piece build(uint64_t *rng, uint64_t n)
{
    struct slot tmp = { .root = NULL };
    for (uint64_t i = 0; i < n; i++) {
        node *x = new_node(rng);
        attach(&tmp, (struct piece){ x, 1, x->key }, rng);
    }
    return (struct piece){ tmp.root, tmp.count, tmp.keysum };
}

static struct slot *random_slot(uint64_t *rng)
{
    return &slots[rnd(rng) % NSLOTS];
}

/* Hangs p in a random slot with room for it, or drops it. */
static void rehome(struct mutator *m, struct piece p)
{
    struct slot *s = random_slot(&m->rng);
    goc_mutex_lock(&s->mu);
    if (s->count + p.count <= MAXN)
        attach(s, p, &m->rng);
    goc_mutex_unlock(&s->mu);
}

static void op_move(struct mutator *m)
{
    int a = (int)(rnd(&m->rng) % NSLOTS), b = (int)(rnd(&m->rng) % NSLOTS);
    if (a == b)
        return;
    struct slot *from = &slots[a], *to = &slots[b];
    goc_mutex_lock(&slots[a < b ? a : b].mu);
    goc_mutex_lock(&slots[a < b ? b : a].mu);
    if (from->root) {
        struct piece p = detach(m, from, pick(from, &m->rng));
        if (to->count + p.count <= MAXN)
            attach(to, p, &m->rng);
        atomic_fetch_add_explicit(&moves, 1, memory_order_relaxed);
    }
    goc_mutex_unlock(&slots[a < b ? b : a].mu);
    goc_mutex_unlock(&slots[a < b ? a : b].mu);
}

static void op_hold(struct mutator *m)
{
    struct slot *s = random_slot(&m->rng);
    goc_mutex_lock(&s->mu);
    if (!s->root) {
        goc_mutex_unlock(&s->mu);
        return;
    }
    struct piece p = detach(m, s, pick(s, &m->rng));
    goc_mutex_unlock(&s->mu);
    /* Only this local holds the subtree now. */
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 16; j++)
            junk(&m->rng);
        goc_yield();
    }
    struct piece q = walk(m->stack, p.root, p.count, "hold");
    if (q.count != p.count || q.keysum != p.keysum)
        fail("hold: a subtree kept in a local changed");
    rehome(m, p);
    atomic_fetch_add_explicit(&holds, 1, memory_order_relaxed);
}

static void op_mail(struct mutator *m)
{
    struct slot *s = random_slot(&m->rng);
    goc_mutex_lock(&s->mu);
    if (s->root) {
        struct pos at = pick(s, &m->rng);
        struct piece p = detach(m, s, at);
        if (goc_chan_try_send(mailbox, &p)) {
            atomic_fetch_add_explicit(&mails, 1, memory_order_relaxed);
        } else {                        /* full: put it back where it was */
            set_at(at, p.root);
            s->count += p.count;
            s->keysum += p.keysum;
        }
    }
    goc_mutex_unlock(&s->mu);
}

static void check_mailed(struct mutator *m, struct piece p, const char *ctx)
{
    struct piece q = walk(m->stack, p.root, p.count, ctx);
    if (q.count != p.count || q.keysum != p.keysum)
        fail("%s: a subtree kept in a channel's buffer changed", ctx);
}

static void op_unmail(struct mutator *m)
{
    struct piece p;
    bool ok;
    if (goc_chan_try_recv(mailbox, &p, &ok) && ok) {
        check_mailed(m, p, "unmail");
        rehome(m, p);
    }
}

/* One operation on one slot. */
static void op_slot(struct mutator *m, unsigned what)
{
    struct slot *s = random_slot(&m->rng);
    goc_mutex_lock(&s->mu);
    if (!s->root || (what < 20 && s->count + 16 <= MAXN)) {           /* insert */
        struct piece p = build(&m->rng, 1 + rnd(&m->rng) % 16);
        if (s->count + p.count <= MAXN)
            attach(s, p, &m->rng);
    } else if (what < 40) {                                             /* replace */
        struct pos at = pick(s, &m->rng);
        node *old = *at.where, *n = goc_new(node);
        n->kid[0] = old->kid[0];
        n->kid[1] = old->kid[1];
        if (rnd(&m->rng) & 1) {
            n->key = old->key;
            n->blob = old->blob;
            n->blob_words = old->blob_words;
        } else {
            n->key = rnd(&m->rng);
            n->blob = new_blob(n->key, &m->rng, &n->blob_words);
        }
        seal(n);
        set_at(at, n);
        s->keysum += n->key - old->key;
    } else if (what < 50) {                                             /* swap */
        node *n = *pick(s, &m->rng).where;
        node *t = n->kid[0];
        n->kid[0] = n->kid[1];
        n->kid[1] = t;
        seal(n);
    } else if (what < 56 || s->count > MAXN * 3 / 4) {                 /* prune */
        detach(m, s, pick_odds(s, &m->rng, what < 56 ? 12 : 3));
        atomic_fetch_add_explicit(&prunes, 1, memory_order_relaxed);
    } else if (what < 57) {                                             /* rebuild */
        struct piece p = build(&m->rng, 1 + rnd(&m->rng) % (MAXN / 2));
        s->root = p.root;
        s->count = p.count;
        s->keysum = p.keysum;
        atomic_fetch_add_explicit(&rebuilds, 1, memory_order_relaxed);
    } else {                                                            /* check */
        verify_slot(m->stack, s, "mutator check");
    }
    goc_mutex_unlock(&s->mu);
}

static void mutator(void *arg)
{
    struct mutator m = { .rng = 0x1000 + (uint64_t)(intptr_t)arg };
    m.stack = malloc(STACK_CAP * sizeof *m.stack);
    while (!atomic_load_explicit(&stop_mutators, memory_order_relaxed)) {
        unsigned what = (unsigned)(rnd(&m.rng) % 100);
        if (what < 70)
            op_slot(&m, what);
        else if (what < 78)
            op_move(&m);
        else if (what < 84)
            op_hold(&m);
        else if (what < 92)
            op_mail(&m);
        else
            op_unmail(&m);
        junk(&m.rng);
        atomic_fetch_add_explicit(&ops, 1, memory_order_relaxed);
    }
    free(m.stack);
    goc_waitgroup_done(&mutators_wg);
}

static void collector(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_others)) {
        goc_gc_stats a, b;
        goc_gc_read_stats(&a);
        goc_gc();
        goc_gc_read_stats(&b);
        atomic_fetch_add(&gc_calls, 1);
        if (b.cycles <= a.cycles)
            fail("goc_gc returned without completing a cycle (cycles %llu, then %llu)",
                 (unsigned long long)a.cycles, (unsigned long long)b.cycles);
        if (b.heap_live > HEAP_LIMIT)
            fail("heap_live %llu MiB: garbage is not reclaimed",
                 (unsigned long long)(b.heap_live >> 20));
        goc_yield();
    }
    goc_waitgroup_done(&others_wg);
}

static void verifier(void *arg)
{
    (void)arg;
    node **stack = malloc(STACK_CAP * sizeof *stack);
    while (!atomic_load(&stop_others)) {
        for (int i = 0; i < NSLOTS; i++) {
            goc_mutex_lock(&slots[i].mu);
            verify_slot(stack, &slots[i], "verifier");
            goc_mutex_unlock(&slots[i].mu);
        }
        atomic_fetch_add(&verifications, 1);
        goc_sleep(VERIFY_EVERY_MS * GOC_MILLISECOND);
    }
    free(stack);
    goc_waitgroup_done(&others_wg);
}

static int real_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    int64_t t0 = goc_nanotime();
    mailbox = goc_chan_make(sizeof(struct piece), MAILBOX_CAP);
    struct mutator m = { .rng = 1 };
    m.stack = malloc(STACK_CAP * sizeof *m.stack);
    for (int i = 0; i < NSLOTS; i++) {
        struct piece p = build(&m.rng, MAXN / 2);
        slots[i].root = p.root;
        slots[i].count = p.count;
        slots[i].keysum = p.keysum;
    }

    goc_waitgroup_add(&others_wg, 2);
    goc_go(collector, NULL);
    goc_go(verifier, NULL);
    goc_waitgroup_add(&mutators_wg, NMUT);
    for (int i = 0; i < NMUT; i++)
        goc_go(mutator, (void *)(intptr_t)i);
    goc_sleep(DURATION_MS * GOC_MILLISECOND);
    atomic_store(&stop_mutators, 1);
    goc_waitgroup_wait(&mutators_wg);
    atomic_store(&stop_others, 1);
    goc_waitgroup_wait(&others_wg);

    goc_gc();
    uint64_t nodes = 0;
    for (int i = 0; i < NSLOTS; i++) {
        goc_mutex_lock(&slots[i].mu);
        verify_slot(m.stack, &slots[i], "final");
        nodes += slots[i].count;
        goc_mutex_unlock(&slots[i].mu);
    }
    struct piece p;
    bool ok;
    int mailed = 0;
    while (goc_chan_try_recv(mailbox, &p, &ok) && ok) {
        check_mailed(&m, p, "final");
        mailed++;
    }
    free(m.stack);

    goc_gc_stats st;
    goc_gc_read_stats(&st);
    long calls = atomic_load(&gc_calls);
    bool pass = calls >= 3 && st.cycles >= (uint64_t)calls + 1 && st.freed_objects > 0 &&
                atomic_load(&verifications) > 0;
    printf("gc_mutate: P=%d %.2f s, %ld ops (%ld moves, %ld holds, %ld mails, %ld prunes, "
           "%ld rebuilds), %llu nodes and %d mailed subtrees at the end, %ld goc_gc calls, "
           "%llu cycles, %llu objects freed, %ld full verifications: %s\n",
           goc_maxprocs(), (double)(goc_nanotime() - t0) / 1e9, atomic_load(&ops),
           atomic_load(&moves), atomic_load(&holds), atomic_load(&mails), atomic_load(&prunes),
           atomic_load(&rebuilds), (unsigned long long)nodes, mailed, calls,
           (unsigned long long)st.cycles, (unsigned long long)st.freed_objects,
           atomic_load(&verifications), pass ? "ok" : "FAIL");
    return pass ? 0 : 1;
}

int main(int argc, char **argv)
{
    return goc_main(real_main, argc, argv);
}
