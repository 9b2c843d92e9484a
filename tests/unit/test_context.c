/*
 * test_context.c — the context package: the background context, cancel
 * propagation down the tree (and not up or sideways), done channels that
 * close and wake their waiters, the error strings, timeouts, deadlines and
 * their inheritance.
 */
#include "goc_test.h"

enum { MS = 1000000 };

/* Whether ctx's done channel is closed (a receive completes with ok false);
 * never blocks. */
static bool is_done(goc_context *ctx)
{
    goc_chan *d = goc_context_done(ctx);
    if (d == NULL)
        return false;
    bool ok = true;
    int v = 123;
    if (!goc_chan_try_recv(d, &v, &ok))
        return false;
    CHECK(!ok);                               /* closed, never sent on */
    CHECK_EQ(v, 0);
    return true;
}

GOC_TEST(background)
{
    goc_context *bg = goc_context_background();
    CHECK(bg != NULL);
    CHECK(goc_context_done(bg) == NULL);
    CHECK(goc_context_err(bg) == NULL);
    int64_t dl = 77;
    CHECK(!goc_context_deadline(bg, &dl));
    CHECK(!is_done(bg));
    return 0;
}

GOC_TEST(cancel)
{
    goc_context *ctx = goc_context_with_cancel(goc_context_background());
    CHECK(ctx != NULL);
    goc_chan *d = goc_context_done(ctx);
    CHECK(d != NULL);
    CHECK(goc_context_done(ctx) == d);        /* the same channel each time */
    CHECK(goc_context_err(ctx) == NULL);
    CHECK(!is_done(ctx));
    int64_t dl;
    CHECK(!goc_context_deadline(ctx, &dl));
    goc_context_cancel(ctx);
    CHECK(is_done(ctx));
    CHECK_STR(goc_context_err(ctx), "context canceled");
    goc_context_cancel(ctx);                  /* idempotent */
    CHECK(is_done(ctx));
    CHECK_STR(goc_context_err(ctx), "context canceled");
    /* A blocking receive on the done channel returns at once. */
    int v = 5;
    CHECK(!goc_chan_recv(d, &v));
    CHECK_EQ(v, 0);
    return 0;
}

GOC_TEST(cancel_propagates_down)
{
    goc_context *root = goc_context_with_cancel(goc_context_background());
    goc_context *a = goc_context_with_cancel(root);
    goc_context *b = goc_context_with_cancel(root);
    goc_context *a1 = goc_context_with_cancel(a);
    goc_context *a2 = goc_context_with_timeout(a, 3600 * GOC_SECOND);
    goc_context *a11 = goc_context_with_cancel(a1);

    /* Cancelling a1 ends a1 and a11 only. */
    goc_context_cancel(a1);
    CHECK(is_done(a1));
    CHECK(is_done(a11));
    CHECK_STR(goc_context_err(a11), "context canceled");
    CHECK(!is_done(a));
    CHECK(!is_done(a2));
    CHECK(!is_done(root));
    CHECK(!is_done(b));
    CHECK(goc_context_err(root) == NULL);
    CHECK(goc_context_err(a) == NULL);

    /* Cancelling root ends everything below it. */
    goc_context_cancel(root);
    goc_context *all[] = { root, a, b, a1, a2, a11 };
    for (int i = 0; i < 6; i++) {
        CHECK(is_done(all[i]));
        CHECK_STR(goc_context_err(all[i]), "context canceled");
    }

    /* A child of a cancelled parent is born cancelled. */
    goc_context *late = goc_context_with_cancel(root);
    CHECK(is_done(late));
    CHECK_STR(goc_context_err(late), "context canceled");
    goc_context *late_t = goc_context_with_timeout(a, 3600 * GOC_SECOND);
    CHECK(is_done(late_t));
    CHECK_STR(goc_context_err(late_t), "context canceled");
    return 0;
}

/* Goroutines blocked on done channels deep in the tree are all woken. */
struct done_waiter {
    goc_context *ctx;
    goc_chan *join;
};

static void done_waiter_main(void *p)
{
    struct done_waiter *w = p;
    int v = 1;
    bool ok = goc_chan_recv(goc_context_done(w->ctx), &v);
    int res = ok ? 1 : 0;
    goc_chan_send(w->join, &res);
}

static void done_selector_main(void *p)
{
    struct done_waiter *w = p;
    goc_chan *never = goc_chan_make(sizeof(int), 0);
    goc_select_case cs[] = {
        { .chan = never, .elem = NULL, .dir = GOC_SELECT_RECV },
        { .chan = goc_context_done(w->ctx), .elem = NULL, .dir = GOC_SELECT_RECV },
    };
    int got = goc_select(cs, 2, false);
    int res = (got == 1 && !cs[1].ok) ? 0 : 1;
    goc_chan_send(w->join, &res);
}

GOC_TEST(cancel_wakes_waiters)
{
    enum { N = 30 };
    goc_context *root = goc_context_with_cancel(goc_context_background());
    goc_context *mid = goc_context_with_cancel(root);
    goc_context *leaf = goc_context_with_cancel(mid);
    goc_context *ctxs[] = { root, mid, leaf };
    struct done_waiter w[N];
    goc_chan *join = goc_chan_make(sizeof(int), N);
    for (int i = 0; i < N; i++) {
        w[i] = (struct done_waiter){ ctxs[i % 3], join };
        goc_go(i % 2 ? done_selector_main : done_waiter_main, &w[i]);
    }
    for (int i = 0; i < 100; i++)
        goc_yield();
    goc_context_cancel(root);
    for (int i = 0; i < N; i++) {
        int res = -1;
        CHECK(goc_chan_recv(join, &res));
        CHECK_EQ(res, 0);
    }
    return 0;
}

GOC_TEST(timeout_fires)
{
    int64_t t0 = goc_nanotime();
    goc_context *ctx = goc_context_with_timeout(goc_context_background(), 20 * MS);
    int64_t t1 = goc_nanotime();
    int64_t dl = 0;
    CHECK(goc_context_deadline(ctx, &dl));
    CHECK(dl >= t0 + 20 * MS);
    CHECK(dl <= t1 + 20 * MS);
    CHECK(goc_context_err(ctx) == NULL);
    goc_context *child = goc_context_with_cancel(ctx);
    /* Wait for it. */
    CHECK(!goc_chan_recv(goc_context_done(ctx), NULL));
    CHECK(goc_nanotime() >= dl);
    CHECK_STR(goc_context_err(ctx), "context deadline exceeded");
    /* The child inherits the deadline and ends with the parent's error. */
    CHECK(!goc_chan_recv(goc_context_done(child), NULL));
    CHECK_STR(goc_context_err(child), "context deadline exceeded");
    int64_t cdl = 0;
    CHECK(goc_context_deadline(child, &cdl));
    CHECK_EQ(cdl, dl);
    /* A later cancel changes nothing. */
    goc_context_cancel(ctx);
    CHECK_STR(goc_context_err(ctx), "context deadline exceeded");
    return 0;
}

GOC_TEST(deadline)
{
    int64_t now = goc_nanotime();
    goc_context *ctx = goc_context_with_deadline(goc_context_background(), now + 15 * MS);
    int64_t dl = 0;
    CHECK(goc_context_deadline(ctx, &dl));
    CHECK_EQ(dl, now + 15 * MS);
    CHECK(!goc_chan_recv(goc_context_done(ctx), NULL));
    CHECK(goc_nanotime() >= now + 15 * MS);
    CHECK_STR(goc_context_err(ctx), "context deadline exceeded");

    /* A deadline already past: done at once. */
    goc_context *past = goc_context_with_deadline(goc_context_background(), goc_nanotime() - 1);
    CHECK(!goc_chan_recv(goc_context_done(past), NULL));
    CHECK_STR(goc_context_err(past), "context deadline exceeded");
    goc_context *zero = goc_context_with_timeout(goc_context_background(), 0);
    CHECK(!goc_chan_recv(goc_context_done(zero), NULL));
    CHECK_STR(goc_context_err(zero), "context deadline exceeded");
    return 0;
}

/* A child's deadline is the earlier of its own and its parent's. */
GOC_TEST(deadline_inherited)
{
    int64_t now = goc_nanotime();
    goc_context *parent = goc_context_with_deadline(goc_context_background(), now + 40 * MS);
    goc_context *later = goc_context_with_deadline(parent, now + 3600 * GOC_SECOND);
    goc_context *earlier = goc_context_with_deadline(parent, now + 10 * MS);
    int64_t dl = 0;
    CHECK(goc_context_deadline(later, &dl));
    CHECK_EQ(dl, now + 40 * MS);
    CHECK(goc_context_deadline(earlier, &dl));
    CHECK_EQ(dl, now + 10 * MS);
    /* The earlier child ends first, its parent unaffected. */
    CHECK(!goc_chan_recv(goc_context_done(earlier), NULL));
    CHECK_STR(goc_context_err(earlier), "context deadline exceeded");
    CHECK(goc_context_err(parent) == NULL || goc_nanotime() >= now + 40 * MS);
    /* The later child ends with its parent. */
    CHECK(!goc_chan_recv(goc_context_done(later), NULL));
    CHECK(goc_nanotime() >= now + 40 * MS);
    CHECK_STR(goc_context_err(later), "context deadline exceeded");
    CHECK_STR(goc_context_err(parent), "context deadline exceeded");
    return 0;
}

/* Cancelling before the deadline: "context canceled", for good. */
GOC_TEST(cancel_before_timeout)
{
    goc_context *ctx = goc_context_with_timeout(goc_context_background(), 20 * MS);
    goc_context *child = goc_context_with_timeout(ctx, 3600 * GOC_SECOND);
    goc_context_cancel(ctx);
    CHECK(is_done(ctx));
    CHECK(is_done(child));
    CHECK_STR(goc_context_err(ctx), "context canceled");
    CHECK_STR(goc_context_err(child), "context canceled");
    /* Past the deadline the error stays. */
    CHECK(goc_chan_recv(goc_after(40 * MS), NULL));
    CHECK_STR(goc_context_err(ctx), "context canceled");
    CHECK_STR(goc_context_err(child), "context canceled");
    /* Cancelling a timeout child leaves its parent running. */
    goc_context *p2 = goc_context_with_cancel(goc_context_background());
    goc_context *c2 = goc_context_with_timeout(p2, 3600 * GOC_SECOND);
    goc_context_cancel(c2);
    CHECK(is_done(c2));
    CHECK(!is_done(p2));
    CHECK(goc_context_err(p2) == NULL);
    goc_context_cancel(p2);
    return 0;
}

/* The done channel in a select with a timeout: the timeout wins while the
 * context is live, the done case once it is cancelled. */
GOC_TEST(done_in_select)
{
    goc_context *ctx = goc_context_with_cancel(goc_context_background());
    goc_select_case cs[] = {
        { .chan = goc_context_done(ctx), .elem = NULL, .dir = GOC_SELECT_RECV },
        { .chan = goc_after(10 * MS), .elem = NULL, .dir = GOC_SELECT_RECV },
    };
    CHECK_EQ(goc_select(cs, 2, false), 1);
    CHECK_EQ(goc_select(cs, 1, true), -1);
    goc_context_cancel(ctx);
    CHECK_EQ(goc_select(cs, 1, false), 0);
    CHECK(!cs[0].ok);
    /* The background context's nil done channel is never ready. */
    goc_select_case bg[] = {
        { .chan = goc_context_done(goc_context_background()), .elem = NULL,
          .dir = GOC_SELECT_RECV },
    };
    CHECK_EQ(goc_select(bg, 1, true), -1);
    return 0;
}

/* Many contexts under one parent, cancelled concurrently with the parent
 * from several goroutines: everything ends cancelled, nothing is lost. */
struct racer {
    goc_context **ctxs;
    int n, start;
    goc_chan *join;
};

static void racer_main(void *p)
{
    struct racer *r = p;
    for (int i = r->start; i < r->n; i += 4)
        goc_context_cancel(r->ctxs[i]);
    int one = 1;
    goc_chan_send(r->join, &one);
}

GOC_TEST(concurrent_cancel)
{
    enum { N = 400 };
    static goc_context *ctxs[N];
    goc_context *root = goc_context_with_cancel(goc_context_background());
    for (int i = 0; i < N; i++)
        ctxs[i] = goc_context_with_cancel(i < 20 ? root : ctxs[i % 20]);
    goc_chan *join = goc_chan_make(sizeof(int), 4);
    struct racer r[4];
    for (int k = 0; k < 4; k++) {
        r[k] = (struct racer){ ctxs, N, k, join };
        goc_go(racer_main, &r[k]);
    }
    goc_context_cancel(root);
    for (int k = 0; k < 4; k++)
        goc_chan_recv(join, NULL);
    for (int i = 0; i < N; i++) {
        CHECK(!goc_chan_recv(goc_context_done(ctxs[i]), NULL));
        CHECK_STR(goc_context_err(ctxs[i]), "context canceled");
    }
    return 0;
}

/* Cancelling a parent while some of its children cancel themselves: the
 * children nobody cancels directly must still be reached through the
 * parent.  (A parent that walks its child list while a child unlinks
 * itself from it can lose the rest of the list.) */
struct half_canceller {
    goc_context **kids;
    int n;
    _Atomic int *go;
    goc_chan *join;
};

static void cancel_even_kids(void *p)
{
    struct half_canceller *h = p;
    while (!atomic_load(h->go))
        goc_yield();
    for (int i = h->n - 2; i >= 0; i -= 2)
        goc_context_cancel(h->kids[i]);
    int one = 1;
    goc_chan_send(h->join, &one);
}

GOC_TEST(cancel_parent_races_child_cancel)
{
    enum { ROUNDS = 3000, K = 16 };
    goc_context *kids[K];
    goc_chan *join = goc_chan_make(sizeof(int), 1);
    long missed = 0;
    for (int r = 0; r < ROUNDS; r++) {
        goc_context *root = goc_context_with_cancel(goc_context_background());
        for (int i = 0; i < K; i++)
            kids[i] = goc_context_with_cancel(root);
        _Atomic int go = 0;
        struct half_canceller h = { kids, K, &go, join };
        goc_go(cancel_even_kids, &h);
        goc_yield();
        atomic_store(&go, 1);
        goc_context_cancel(root);
        goc_chan_recv(join, NULL);
        for (int i = 0; i < K; i++)
            if (!is_done(kids[i]) || goc_context_err(kids[i]) == NULL)
                missed++;
    }
    CHECK_EQ(missed, 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        GOC_UNIT(background),
        GOC_UNIT(cancel),
        GOC_UNIT(cancel_propagates_down),
        GOC_UNIT(cancel_wakes_waiters),
        GOC_UNIT(timeout_fires),
        GOC_UNIT(deadline),
        GOC_UNIT(deadline_inherited),
        GOC_UNIT(cancel_before_timeout),
        GOC_UNIT(done_in_select),
        GOC_UNIT(concurrent_cancel),
        GOC_UNIT(cancel_parent_races_child_cancel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
