/*
 * context.c — cancellation trees, after Go's context package.
 *
 * A cancelable context has a mutex, a done channel (closed exactly once, on
 * cancellation), the error that ended it and a list of cancelable children.
 * Cancelling takes the node's mutex, records the error, closes done, and
 * detaches the children, which are then cancelled with the same error
 * outside the parent's lock (a parent's lock is never held while a child's
 * is taken, so there is no lock order to get wrong).  A child created under
 * an already-cancelled parent is cancelled at birth.
 *
 * Deadlines: with_deadline starts a timer whose function cancels the node
 * with "context deadline exceeded" (in its own goroutine, since cancelling
 * takes goroutine mutexes).  A deadline later than the parent's adds
 * nothing but a cancel, as in Go.
 *
 * Contexts are never freed by the program; until the collector exists they
 * are malloc'ed and live for the life of the process.
 */
#include "rt.h"

#include <stdlib.h>

static const char canceled[] = "context canceled";
static const char deadline_exceeded[] = "context deadline exceeded";

struct goc_context {
    goc_context *parent;
    goc_mutex mu;              /* guards err, children, sibling links */
    goc_chan *done;            /* NULL for background                  */
    const char *err;
    bool has_deadline;
    int64_t deadline;
    goc_timer *timer;
    goc_context *children;     /* cancelable children, doubly linked   */
    goc_context *next, *prev;  /* siblings (parent->mu)                */
    bool linked;               /* in the parent's list (parent->mu)    */
};

static goc_context background;

goc_context *goc_context_background(void)
{
    return &background;
}

static void cancel(goc_context *c, const char *err)
{
    goc_mutex_lock(&c->mu);
    if (c->err) {
        goc_mutex_unlock(&c->mu);
        return;
    }
    c->err = err;
    goc_chan_close(c->done);
    /* Take the children out of the list while holding the lock: a child
     * cancelled concurrently unlinks itself under this same lock, so the
     * list must not be walked after it is released. */
    int n = 0;
    for (goc_context *k = c->children; k; k = k->next)
        n++;
    goc_context **kids = n ? malloc(sizeof *kids * (size_t)n) : NULL;
    if (n && !kids)
        rt_fatal("out of memory");
    n = 0;
    for (goc_context *k = c->children, *next; k; k = next) {
        next = k->next;
        k->next = k->prev = NULL;
        k->linked = false;
        kids[n++] = k;
    }
    c->children = NULL;
    goc_timer *t = c->timer;
    goc_mutex_unlock(&c->mu);
    if (t)
        goc_timer_stop(t);
    for (int i = 0; i < n; i++)
        cancel(kids[i], err);
    free(kids);
}

/* The nearest cancelable ancestor-or-self (NULL: background). */
static goc_context *cancelable(goc_context *c)
{
    while (c && !c->done)
        c = c->parent;
    return c;
}

static void detach(goc_context *c)
{
    goc_context *p = cancelable(c->parent);
    if (!p)
        return;
    goc_mutex_lock(&p->mu);
    if (c->linked) {
        if (c->prev)
            c->prev->next = c->next;
        else
            p->children = c->next;
        if (c->next)
            c->next->prev = c->prev;
        c->next = c->prev = NULL;
        c->linked = false;
    }
    goc_mutex_unlock(&p->mu);
}

static goc_context *new_child(goc_context *parent)
{
    if (!parent)
        rt_panic("cannot create context from nil parent");
    goc_context *c = calloc(1, sizeof *c);
    if (!c)
        rt_fatal("out of memory");
    c->parent = parent;
    c->done = goc_chan_make(sizeof(int), 0);
    goc_context *p = cancelable(parent);
    if (!p)
        return c;
    goc_mutex_lock(&p->mu);
    const char *perr = p->err;
    if (!perr) {
        c->next = p->children;
        if (p->children)
            p->children->prev = c;
        p->children = c;
        c->linked = true;
    }
    goc_mutex_unlock(&p->mu);
    if (perr)
        cancel(c, perr);
    return c;
}

goc_context *goc_context_with_cancel(goc_context *parent)
{
    return new_child(parent);
}

void goc_context_cancel(goc_context *ctx)
{
    if (!ctx || !ctx->done)
        return;
    cancel(ctx, canceled);
    detach(ctx);
}

static void on_deadline(void *arg)
{
    goc_context *c = arg;
    cancel(c, deadline_exceeded);
    detach(c);
}

goc_context *goc_context_with_deadline(goc_context *parent, int64_t deadline)
{
    int64_t cur;
    if (parent && goc_context_deadline(parent, &cur) && cur < deadline)
        return new_child(parent);
    goc_context *c = new_child(parent);
    goc_mutex_lock(&c->mu);
    c->has_deadline = true;
    c->deadline = deadline;
    bool live = c->err == NULL;
    goc_mutex_unlock(&c->mu);
    if (!live)
        return c;
    int64_t d = deadline - goc_nanotime();
    if (d <= 0) {
        on_deadline(c);
        return c;
    }
    goc_timer *t = goc_timer_after_func(d, on_deadline, c);
    goc_mutex_lock(&c->mu);
    c->timer = t;
    bool dead = c->err != NULL;
    goc_mutex_unlock(&c->mu);
    if (dead)
        goc_timer_stop(t);
    return c;
}

goc_context *goc_context_with_timeout(goc_context *parent, int64_t d)
{
    return goc_context_with_deadline(parent, goc_nanotime() + d);
}

goc_chan *goc_context_done(goc_context *ctx)
{
    return ctx ? ctx->done : NULL;
}

const char *goc_context_err(goc_context *ctx)
{
    if (!ctx || !ctx->done)
        return NULL;
    goc_mutex_lock(&ctx->mu);
    const char *e = ctx->err;
    goc_mutex_unlock(&ctx->mu);
    return e;
}

bool goc_context_deadline(goc_context *ctx, int64_t *deadline)
{
    for (; ctx; ctx = ctx->parent) {
        if (ctx->has_deadline) {
            if (deadline)
                *deadline = ctx->deadline;
            return true;
        }
    }
    return false;
}
