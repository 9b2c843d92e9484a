/*
 * netpoll.c — goroutines that wait for file descriptors, on one epoll
 * instance.
 *
 * Poll descriptors.  Each descriptor number has an rt_pd, made on first
 * use in a two-level table that never moves or shrinks, so a lookup needs
 * no lock.  A pd holds, under its lock, the goroutines waiting to read and
 * to write (a list each of rt_pdw records on the waiters' stacks), a
 * "ready" bit per direction for an event that found nobody waiting, the
 * deadlines and their timers.  A descriptor is registered once, edge
 * triggered for input and output, with its number and a generation in the
 * event's data; closing or re-making the number bumps the generation, so
 * an event fetched for the old file is recognised and dropped.
 *
 * Waiting.  The I/O call tries the operation first; on EAGAIN it waits:
 * under the pd lock it consumes the ready bit if set, else queues itself
 * and parks, the lock released by the park's after-switch hook (rt.h), so
 * a waker that takes the lock sees a fully parked goroutine.  An event
 * wakes every waiter of its direction (they retry; a loser of the race
 * gets EAGAIN and waits again), a deadline timer wakes them with
 * ETIMEDOUT, goc_close with EBADF; the reason is written into the
 * waiter's record before it is readied, and the record is not touched
 * after.  Waiters count in sched.nblocking, so that the deadlock report
 * (sched.c) never fires while I/O could still wake a goroutine.
 *
 * Who polls.  (1) An idle M: at most one, the owner, blocks in
 * epoll_pwait2 in stop_m instead of on its futex, with the timers' timeout
 * (sched.c); whoever wakes that M also writes the eventfd that interrupts
 * the poll.  (2) An M that runs out of work polls without waiting before it
 * steals, and keeps what it finds.  (3) sysmon polls when nobody has for
 * 10 ms (every M busy).  When goroutines start to wait and no M owns the
 * poller, an idle M is nudged to take it.  This is the shape of Go's
 * netpoller; the difference is that an M here owns its P for life, so the
 * owner queues what it finds on its own P and leaves the idle list.
 */
#include "netpoll.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define PD_CHUNK 1024
#define PD_CHUNKS 4096   /* descriptors below 4M */
#define BREAK_TAG ((uint64_t)1 << 63)

enum { PD_NEW, PD_POLLED, PD_UNPOLLABLE };

typedef struct rt_pdw {
    rt_g *g;
    int err;                      /* why it was woken: 0, ETIMEDOUT, EBADF */
    struct rt_pdw *next;
} rt_pdw;

typedef struct rt_pd {
    rt_lock lock;
    int fd;
    uint32_t gen;
    uint8_t state;
    bool ready[2];                /* [0] read, [1] write */
    rt_pdw *waiters[2];
    int64_t deadline[2];
    rt_timer timer[2];
    void (*internal_fn)(void *);  /* a descriptor the poller serves itself */
    void *internal_arg;
} rt_pd;

static rt_pd *_Atomic pd_chunks[PD_CHUNKS];
static int epfd = -1, breakfd = -1;
static pthread_once_t np_once = PTHREAD_ONCE_INIT;
static _Atomic int32_t np_interest;
static _Atomic int64_t np_last;
static _Atomic uint32_t np_break_pending;
static bool have_pwait2 = true;
_Atomic(rt_m *) rt_netpoll_owner;

/* epfd and breakfd are set once, published with release: pollers read
 * them without the once-guard (a poll can start before any I/O). */
static void np_init(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int bf = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (ep < 0 || bf < 0)
        rt_fatal("netpoll: cannot create epoll instance");
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = BREAK_TAG };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, bf, &ev) != 0)
        rt_fatal("netpoll: cannot watch its eventfd");
    __atomic_store_n(&breakfd, bf, __ATOMIC_RELEASE);
    __atomic_store_n(&epfd, ep, __ATOMIC_RELEASE);
}

static rt_pd *pd_get(int fd)
{
    if (fd < 0 || fd >= PD_CHUNK * PD_CHUNKS)
        return NULL;
    pthread_once(&np_once, np_init);
    rt_pd *_Atomic *slot = &pd_chunks[fd / PD_CHUNK];
    rt_pd *chunk = atomic_load_explicit(slot, memory_order_acquire);
    if (!chunk) {
        rt_pd *fresh = calloc(PD_CHUNK, sizeof *fresh);
        if (!fresh)
            rt_fatal("out of memory");
        for (int i = 0; i < PD_CHUNK; i++)
            fresh[i].fd = fd / PD_CHUNK * PD_CHUNK + i;
        if (atomic_compare_exchange_strong(slot, &chunk, fresh))
            chunk = fresh;
        else
            free(fresh);   /* another thread made it first */
    }
    return &chunk[fd % PD_CHUNK];
}

/* noipa: the compiler must not learn that this returns the same address
 * on every call (see goc.h). */
__attribute__((noipa)) int *goc_errno_location(void)
{
    return __errno_location();
}

bool rt_netpoll_interest(void)
{
    return atomic_load_explicit(&np_interest, memory_order_relaxed) > 0;
}

int64_t rt_netpoll_last(void)
{
    return atomic_load_explicit(&np_last, memory_order_relaxed);
}

void rt_netpoll_hold(int delta)
{
    pthread_once(&np_once, np_init);
    atomic_fetch_add(&np_interest, delta);
    atomic_fetch_add(&rt_sched_state.nblocking, delta);
    if (delta > 0)
        rt_netpoll_nudge();
}

/* ---------------------------------------------------------------------- */
/* Registration                                                           */
/* ---------------------------------------------------------------------- */

static uint64_t pd_data(rt_pd *pd)
{
    return (uint64_t)(uint32_t)pd->fd | (uint64_t)(pd->gen & 0x7fffffff) << 32;
}

/* pd lock held. */
static void pd_register(rt_pd *pd, bool fresh)
{
    if (fresh) {
        pd->gen++;
        pd->state = PD_NEW;
        pd->ready[0] = pd->ready[1] = false;
        pd->deadline[0] = pd->deadline[1] = 0;
    }
    if (pd->state != PD_NEW)
        return;
    int fl = fcntl(pd->fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK))
        fcntl(pd->fd, F_SETFL, fl | O_NONBLOCK);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                              .data.u64 = pd_data(pd) };
    int r = epoll_ctl(epfd, EPOLL_CTL_ADD, pd->fd, &ev);
    if (r != 0 && errno == EEXIST)   /* closed without goc_close, then a dup */
        r = epoll_ctl(epfd, EPOLL_CTL_MOD, pd->fd, &ev);
    pd->state = r == 0 ? PD_POLLED : PD_UNPOLLABLE;
}

bool rt_netpoll_open(int fd, bool fresh)
{
    rt_pd *pd = pd_get(fd);
    if (!pd)
        return false;
    rt_lock_acquire(&pd->lock);
    pd_register(pd, fresh);
    bool polled = pd->state == PD_POLLED;
    rt_lock_release(&pd->lock);
    return polled;
}

void rt_netpoll_add_internal(int fd, void (*fn)(void *), void *arg)
{
    rt_pd *pd = pd_get(fd);
    rt_lock_acquire(&pd->lock);
    pd->internal_fn = fn;
    pd->internal_arg = arg;
    pd_register(pd, true);
    rt_lock_release(&pd->lock);
}

/* ---------------------------------------------------------------------- */
/* Waking                                                                 */
/* ---------------------------------------------------------------------- */

/* pd lock held: detaches direction d's waiters, each told err, onto
 * *list (schedlink); returns how many.  Nobody waiting: an event (err 0)
 * is remembered in the ready bit. */
static int pd_take(rt_pd *pd, int d, int err, rt_g **list)
{
    rt_pdw *w = pd->waiters[d];
    if (!w) {
        if (err == 0)
            pd->ready[d] = true;
        return 0;
    }
    pd->waiters[d] = NULL;
    int n = 0;
    while (w) {
        rt_pdw *next = w->next;
        rt_g *g = w->g;
        w->err = err;             /* the last touch of w: g may run once queued */
        atomic_store_explicit(&g->status, RT_G_RUNNABLE, memory_order_relaxed);
        g->schedlink = *list;
        *list = g;
        n++;
        w = next;
    }
    return n;
}

static void ready_list(rt_g *list)
{
    while (list) {
        rt_g *next = list->schedlink;
        rt_ready(list);
        list = next;
    }
}

static void pd_timer_fired(rt_pd *pd, int d, int64_t now)
{
    rt_g *list = NULL;
    rt_lock_acquire(&pd->lock);
    int64_t dl = pd->deadline[d];
    if (dl && now >= dl)
        pd_take(pd, d, ETIMEDOUT, &list);
    rt_lock_release(&pd->lock);
    ready_list(list);
}

static void read_timer(void *arg, int64_t now) { pd_timer_fired(arg, 0, now); }
static void write_timer(void *arg, int64_t now) { pd_timer_fired(arg, 1, now); }

/* pd lock held: makes direction d's timer fire at its deadline, if there
 * is one and somebody waits. */
static void pd_arm(rt_pd *pd, int d)
{
    rt_timer *t = &pd->timer[d];
    int64_t dl = pd->deadline[d];
    bool pending = __atomic_load_n(&t->p, __ATOMIC_ACQUIRE) != NULL;
    if (pending && __atomic_load_n(&t->when, __ATOMIC_RELAXED) == dl)
        return;
    if (pending)
        rt_timer_stop(t);
    if (!dl || !pd->waiters[d])
        return;
    __atomic_store_n(&t->when, dl, __ATOMIC_RELAXED);
    t->period = 0;
    t->f = d ? write_timer : read_timer;
    t->arg = pd;
    rt_timer_start(t);
}

/* ---------------------------------------------------------------------- */
/* Waiting                                                                */
/* ---------------------------------------------------------------------- */

static void pd_unlock_parked(rt_g *g, void *arg)
{
    rt_lock_release(&((rt_pd *)arg)->lock);
}

/* Outside a goroutine: poll(2) the thread, honouring the deadline. */
static int wait_thread(rt_pd *pd, int d)
{
    for (;;) {
        rt_lock_acquire(&pd->lock);
        int64_t dl = pd->deadline[d], ms = -1;
        rt_lock_release(&pd->lock);
        if (dl) {
            int64_t left = dl - goc_nanotime();
            if (left <= 0) {
                errno = ETIMEDOUT;
                return -1;
            }
            ms = (left + 999999) / 1000000;
        }
        struct pollfd pfd = { pd->fd, d ? POLLOUT : POLLIN, 0 };
        int r = poll(&pfd, 1, ms > 1000 ? 1000 : (int)ms);
        if (r > 0)
            return (pfd.revents & POLLNVAL) ? (errno = EBADF, -1) : 0;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

int rt_netpoll_wait(int fd, bool write)
{
    rt_pd *pd = pd_get(fd);
    if (!pd) {
        errno = EBADF;
        return -1;
    }
    int d = write;
    rt_g *g = rt_curg_leaf();   /* read before any switch: NULL off goroutines */
    rt_lock_acquire(&pd->lock);
    pd_register(pd, false);
    if (pd->state != PD_POLLED || !g) {
        rt_lock_release(&pd->lock);
        return wait_thread(pd, d);
    }
    if (pd->ready[d]) {
        pd->ready[d] = false;
        rt_lock_release(&pd->lock);
        return 0;
    }
    if (pd->deadline[d] && goc_nanotime() >= pd->deadline[d]) {
        rt_lock_release(&pd->lock);
        errno = ETIMEDOUT;
        return -1;
    }
    rt_pdw w = { g, 0, pd->waiters[d] };
    pd->waiters[d] = &w;
    pd_arm(pd, d);
    rt_netpoll_hold(1);
    rt_park(pd_unlock_parked, pd, "IO wait", pd);
    rt_netpoll_hold(-1);
    if (w.err) {
        errno = w.err;
        return -1;
    }
    return 0;
}

int rt_netpoll_deadline(int fd, int mode, int64_t deadline)
{
    rt_pd *pd = pd_get(fd);
    if (!pd || fcntl(fd, F_GETFD) < 0) {
        errno = EBADF;
        return -1;
    }
    if (deadline < 0)
        deadline = 0;
    rt_g *list = NULL;
    rt_lock_acquire(&pd->lock);
    for (int d = 0; d < 2; d++) {
        if ((d == 0 && mode == 'w') || (d == 1 && mode == 'r'))
            continue;
        pd->deadline[d] = deadline;
        if (deadline && goc_nanotime() >= deadline)
            pd_take(pd, d, ETIMEDOUT, &list);   /* already past: wake now */
        else
            pd_arm(pd, d);
    }
    rt_lock_release(&pd->lock);
    ready_list(list);
    return 0;
}

void rt_netpoll_close(int fd)
{
    rt_pd *pd = pd_get(fd);
    if (!pd)
        return;
    rt_g *list = NULL;
    rt_lock_acquire(&pd->lock);
    for (int d = 0; d < 2; d++) {
        pd_take(pd, d, EBADF, &list);
        pd->deadline[d] = 0;
        pd->ready[d] = false;
        if (__atomic_load_n(&pd->timer[d].p, __ATOMIC_ACQUIRE))
            rt_timer_stop(&pd->timer[d]);
    }
    if (pd->state == PD_POLLED)
        epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
    pd->gen++;
    pd->state = PD_NEW;
    pd->internal_fn = NULL;
    rt_lock_release(&pd->lock);
    ready_list(list);
}

/* ---------------------------------------------------------------------- */
/* Polling                                                                */
/* ---------------------------------------------------------------------- */

void rt_netpoll_break(void)
{
    int bf = __atomic_load_n(&breakfd, __ATOMIC_ACQUIRE);
    if (bf < 0 || atomic_exchange(&np_break_pending, 1))
        return;   /* one write is enough until the owner drains it */
    uint64_t one = 1;
    while (write(bf, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

static int epoll_for(int ep, struct epoll_event *evs, int max, int64_t timeout_ns)
{
    if (timeout_ns == 0)
        return epoll_wait(ep, evs, max, 0);
    if (__atomic_load_n(&have_pwait2, __ATOMIC_RELAXED)) {
        struct timespec ts = { timeout_ns / 1000000000, timeout_ns % 1000000000 };
        int r = epoll_pwait2(ep, evs, max, timeout_ns < 0 ? NULL : &ts, NULL);
        if (r >= 0 || errno != ENOSYS)
            return r;
        __atomic_store_n(&have_pwait2, false, __ATOMIC_RELAXED);
    }
    int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
    return epoll_wait(ep, evs, max, ms);
}

static void pd_event(uint64_t data, uint32_t events, rt_g **list, int *n)
{
    rt_pd *pd = pd_get((int)(uint32_t)data);
    if (!pd)
        return;
    rt_lock_acquire(&pd->lock);
    if ((pd->gen & 0x7fffffff) != (uint32_t)(data >> 32) || pd->state != PD_POLLED) {
        rt_lock_release(&pd->lock);   /* for a file closed since */
        return;
    }
    void (*fn)(void *) = pd->internal_fn;
    void *arg = pd->internal_arg;
    if (!fn) {
        if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            *n += pd_take(pd, 0, 0, list);
        if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
            *n += pd_take(pd, 1, 0, list);
    }
    rt_lock_release(&pd->lock);
    if (fn)
        fn(arg);
}

rt_g *rt_netpoll(int64_t timeout_ns, int *n)
{
    *n = 0;
    int ep = __atomic_load_n(&epfd, __ATOMIC_ACQUIRE);
    if (ep < 0)
        return NULL;
    struct epoll_event evs[128];
    rt_runtime_wait_begin();
    int k = epoll_for(ep, evs, 128, timeout_ns);
    rt_runtime_wait_end();
    atomic_store_explicit(&np_last, goc_nanotime(), memory_order_relaxed);
    rt_g *list = NULL;
    for (int i = 0; i < k; i++) {
        if (evs[i].data.u64 == BREAK_TAG) {
            uint64_t v;
            atomic_store(&np_break_pending, 0);
            while (read(__atomic_load_n(&breakfd, __ATOMIC_ACQUIRE), &v, sizeof v) < 0 &&
                   errno == EINTR)
                ;
            continue;
        }
        pd_event(evs[i].data.u64, evs[i].events, &list, n);
    }
    return list;
}
