/*
 * signal.c — signals relayed to channels (goc_signal_notify), as Go's
 * os/signal does.
 *
 * The handler only writes the signal number to a self-pipe: a write(2) is
 * async-signal-safe, a channel send is not.  The pipe's read end is served
 * by the poller itself (rt_netpoll_add_internal): whichever thread polls
 * drains it and sends each number to every channel watching that signal,
 * without blocking (a full channel misses it, as in Go).  Each watch
 * holds the poller's interest, so the pipe is polled, and counts as a
 * possible waker, so that a program that waits for a signal is not
 * reported as deadlocked.  The watch list is malloc'ed, which keeps its
 * channels alive for the collector (goc.h, "Memory").
 */
#include "netpoll.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NSIG_MAX 65

typedef struct watch {
    goc_chan *c;
    int sig;
    struct watch *next;
} watch;

static rt_lock sig_lock;
static watch *watches;                     /* sig_lock */
static int nwatching[NSIG_MAX];            /* sig_lock */
static struct sigaction saved[NSIG_MAX];   /* dispositions before the first watch */
static int sig_pipe[2] = { -1, -1 };
static _Atomic int relaying;               /* relays between copy and last send */
static pthread_once_t sig_once = PTHREAD_ONCE_INIT;

static void on_signal(int sig)
{
    int saved_errno = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t r = write(sig_pipe[1], &b, 1);   /* a full pipe drops it: the channel would too */
    (void)r;
    errno = saved_errno;
}

/* Runs on the polling thread when the pipe is readable (edge triggered:
 * drain it all). */
static void relay(void *arg)
{
    unsigned char buf[64];
    for (;;) {
        ssize_t n = read(sig_pipe[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        for (ssize_t i = 0; i < n; i++) {
            int sig = buf[i];
            /* Sends happen outside sig_lock; the channels are copied to a
             * malloc'ed array, which keeps them alive meanwhile. */
            rt_lock_acquire(&sig_lock);
            int k = nwatching[sig], j = 0;
            goc_chan **to = k ? malloc(sizeof *to * (size_t)k) : NULL;
            for (watch *w = watches; w && to && j < k; w = w->next)
                if (w->sig == sig)
                    to[j++] = w->c;
            atomic_fetch_add(&relaying, 1);
            rt_lock_release(&sig_lock);
            for (int x = 0; x < j; x++)
                goc_chan_try_send(to[x], &sig);
            atomic_fetch_sub(&relaying, 1);
            free(to);
        }
    }
}

static void sig_init(void)
{
    if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
        rt_fatal("signal: cannot make its pipe");
    rt_netpoll_add_internal(sig_pipe[0], relay, NULL);
}

static bool refused(int sig)
{
    return sig <= 0 || sig >= NSIG_MAX || sig == SIGKILL || sig == SIGSTOP || sig == SIGSEGV ||
           sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGPWR;
}

int goc_signal_notify(void *c, int sig)
{
    if (!c || refused(sig)) {
        errno = EINVAL;
        return -1;
    }
    pthread_once(&sig_once, sig_init);
    watch *w = malloc(sizeof *w);
    if (!w)
        rt_fatal("out of memory");
    rt_lock_acquire(&sig_lock);
    for (watch *x = watches; x; x = x->next) {
        if (x->c == c && x->sig == sig) {   /* already watching: as Go, nothing */
            rt_lock_release(&sig_lock);
            free(w);
            return 0;
        }
    }
    w->c = (goc_chan *)c;
    w->sig = sig;
    w->next = watches;
    watches = w;
    if (nwatching[sig]++ == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(sig, &sa, &saved[sig]);
    }
    rt_lock_release(&sig_lock);
    rt_netpoll_hold(1);
    return 0;
}

void goc_signal_stop(void *c)
{
    int dropped = 0;
    rt_lock_acquire(&sig_lock);
    for (watch **pp = &watches; *pp;) {
        watch *w = *pp;
        if (w->c != c) {
            pp = &w->next;
            continue;
        }
        *pp = w->next;
        if (--nwatching[w->sig] == 0)
            sigaction(w->sig, &saved[w->sig], NULL);
        free(w);
        dropped++;
    }
    rt_lock_release(&sig_lock);
    /* As Go promises: once Stop returns, c gets no more signals, so a
     * relay that copied c before the removal must be over. */
    while (atomic_load(&relaying))
        sched_yield();
    if (dropped)
        rt_netpoll_hold(-dropped);
}
