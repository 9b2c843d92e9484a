/*
 * netpoll.h — the poller's interface to the rest of the runtime: the
 * scheduler's hooks (sched.c) and the I/O front ends (net.c, signal.c,
 * proc.c).  See netpoll.c for the design.
 */
#ifndef GOC_NETPOLL_H
#define GOC_NETPOLL_H

#include "rt.h"

#include <errno.h>

/* The I/O code reads errno after waits that may resume it on another
 * thread: never through an address kept from before (goc.h). */
#undef errno
#define errno (*goc_errno_location())

/* --- for the scheduler ------------------------------------------------ */

/* Whether anything waits on the poller (parked goroutines, signal
 * channels): only then is it worth polling. */
bool rt_netpoll_interest(void) RT_HIDDEN;
/* Polls epoll for at most timeout_ns (-1: until an event or a break, 0:
 * do not wait).  Returns the goroutines made runnable, linked through
 * schedlink with status RT_G_RUNNABLE, and their number in *n; the caller
 * queues them.  Signals are relayed to their channels here too. */
rt_g *rt_netpoll(int64_t timeout_ns, int *n) RT_HIDDEN;
/* The idle M allowed to block in rt_netpoll (at most one at a time). */
extern _Atomic(rt_m *) rt_netpoll_owner RT_HIDDEN;
/* Interrupts the owner's rt_netpoll (an eventfd write). */
void rt_netpoll_break(void) RT_HIDDEN;
/* When goroutines wait on the poller and no M owns it, asks an idle M to
 * take it (sched.c: wakes it without taking it off the idle list). */
void rt_netpoll_nudge(void) RT_HIDDEN;
/* Time of the last poll, for sysmon (goc_nanotime). */
int64_t rt_netpoll_last(void) RT_HIDDEN;

/* --- for the I/O front ends -------------------------------------------- */

/* Prepares fd for waits: nonblocking, registered with epoll.  fresh: fd
 * was just made (accept, socket), so anything known of its number is
 * stale.  Returns false when epoll cannot watch fd (a regular file): use
 * blocking calls then. */
bool rt_netpoll_open(int fd, bool fresh) RT_HIDDEN;
/* Waits until fd is readable (write false) or writable.  0, or -1 with
 * errno ETIMEDOUT (deadline) or EBADF (goc_close).  In a goroutine it
 * parks; elsewhere it blocks the thread in poll(2). */
int rt_netpoll_wait(int fd, bool write) RT_HIDDEN;
/* Wakes fd's waiters with EBADF and forgets fd (before close(2)). */
void rt_netpoll_close(int fd) RT_HIDDEN;
/* Sets a read (mode 'r'), write ('w') or both ('b') deadline. */
int rt_netpoll_deadline(int fd, int mode, int64_t deadline) RT_HIDDEN;
/* A descriptor the poller reads itself: fn(arg) runs on the polling
 * thread (a scheduler, never a goroutine) whenever fd is readable; it
 * must not block.  Used by signal.c for its self-pipe. */
void rt_netpoll_add_internal(int fd, void (*fn)(void *), void *arg) RT_HIDDEN;
/* Counts (+1 / -1) a waiter (a goroutine parked in rt_netpoll_wait, a
 * signal channel): it keeps the poller polled and the deadlock report off. */
void rt_netpoll_hold(int delta) RT_HIDDEN;

#endif
