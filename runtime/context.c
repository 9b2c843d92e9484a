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
    goc_context *kids = c->children;
    c->children = NULL;
    goc_timer *t = c->timer;
    goc_mutex_unlock(&c->mu);
    if (t)
        goc_timer_stop(t);
    while (kids) {
        goc_context *k = kids;
        kids = k->next;
        k->next = k->prev = NULL;
        cancel(k, err);
    }
}

static void detach(goc_context *c)
{
    goc_context *p = c->parent;
    if (!p || !p->done)
        return;
    goc_mutex_lock(&p->mu);
    if (c->prev)
        c->prev->next = c->next;
    else if (p->children == c)
        p->children = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = c->prev = NULL;
    goc_mutex_unlock(&p->mu);
}

/* The nearest cancelable ancestor-or-self (NULL: background). */
static goc_context *cancelable(goc_context *c)
{
    while (c && !c->done)
        c = c->parent;
    return c;
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
