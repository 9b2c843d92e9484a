/*
 * net.c — TCP and descriptor I/O for goroutines (goc.h, "I/O").
 *
 * Every call is the system call first and a wait on the poller
 * (netpoll.c) only when the kernel says EAGAIN, as Go's internal/poll
 * does: a read of data already buffered costs one read(2).  Addresses are
 * "host:port", "[v6]:port" or ":port"; hosts go through getaddrinfo, which
 * may block the thread on DNS (sysmon hands the P's other goroutines on,
 * as for any blocking C call).
 */
#include "netpoll.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Splits addr into host (NULL for every interface) and port. */
static bool split_addr(const char *addr, char *host, size_t hostsz, char *port, size_t portsz)
{
    if (!addr)
        return false;
    const char *colon;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':')
            return false;
        size_t len = (size_t)(close - addr - 1);
        if (len == 0 || len >= hostsz)
            return false;
        memcpy(host, addr + 1, len);
        host[len] = 0;
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || memchr(addr, ':', (size_t)(colon - addr)))
            return false;   /* no port, or a bare IPv6 address */
        size_t len = (size_t)(colon - addr);
        if (len >= hostsz)
            return false;
        memcpy(host, addr, len);
        host[len] = 0;
    }
    const char *p = colon + 1;
    size_t plen = strlen(p);
    if (plen == 0 || plen >= portsz || strspn(p, "0123456789") != plen || atol(p) > 65535)
        return false;
    memcpy(port, p, plen + 1);
    return true;
}

/* host "" is every interface (passive) or the local host. */
static struct addrinfo *resolve(const char *host, const char *port, bool passive)
{
    struct addrinfo hints = { 0 }, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    int r = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (r != 0) {
        errno = r == EAI_SYSTEM ? errno : r == EAI_MEMORY ? ENOMEM : EADDRNOTAVAIL;
        return NULL;
    }
    return res;
}

/* Closes fd after a failure, keeping the failure's errno; returns -1. */
static int close_failed(int fd)
{
    int e = errno;
    goc_close(fd);
    errno = e;
    return -1;
}

static void no_delay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int new_socket(int family)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0)
        rt_netpoll_open(fd, true);
    return fd;
}

static int listen_on(const struct sockaddr *sa, socklen_t len)
{
    int fd = new_socket(sa->sa_family);
    if (fd < 0)
        return -1;
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (sa->sa_family == AF_INET6)   /* "[::]:port" takes IPv4 too, as in Go */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (bind(fd, sa, len) == 0 && listen(fd, SOMAXCONN) == 0)
        return fd;
    return close_failed(fd);
}

int goc_tcp_listen(const char *addr)
{
    char host[256], port[8];
    if (!split_addr(addr, host, sizeof host, port, sizeof port)) {
        errno = EINVAL;
        return -1;
    }
    if (!host[0]) {   /* every interface: IPv6 and IPv4 if we can */
        struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(port)),
                                   .sin6_addr = IN6ADDR_ANY_INIT };
        int fd = listen_on((struct sockaddr *)&s6, sizeof s6);
        if (fd >= 0 || errno == EADDRINUSE)
            return fd;
        struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = s6.sin6_port,
                                  .sin_addr.s_addr = htonl(INADDR_ANY) };
        return listen_on((struct sockaddr *)&s4, sizeof s4);
    }
    struct addrinfo *res = resolve(host, port, true);
    if (!res)
        return -1;
    int fd = -1, err = EADDRNOTAVAIL;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next)
        if ((fd = listen_on(a->ai_addr, a->ai_addrlen)) < 0)
            err = errno;
    freeaddrinfo(res);
    if (fd < 0)
        errno = err;
    return fd;
}

int goc_tcp_accept(int ln)
{
    for (;;) {
        int fd = accept4(ln, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            no_delay(fd);
            rt_netpoll_open(fd, true);
            return fd;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        if (rt_netpoll_wait(ln, false) < 0)
            return -1;
    }
}

static int connect_one(struct addrinfo *a, int64_t deadline)
{
    int fd = new_socket(a->ai_family);
    if (fd < 0)
        return -1;
    if (deadline)
        rt_netpoll_deadline(fd, 'w', deadline);
    int r = connect(fd, a->ai_addr, a->ai_addrlen);
    if (r != 0 && (errno == EINPROGRESS || errno == EINTR)) {
        for (;;) {
            if (rt_netpoll_wait(fd, true) < 0)
                return close_failed(fd);
            int err = 0;
            socklen_t len = sizeof err;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                err = errno;
            if (err == 0) {
                /* Writable with no error can be spurious before the
                 * handshake ends: connected only if it has a peer. */
                struct sockaddr_storage ss;
                socklen_t sl = sizeof ss;
                if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
                    continue;
                r = 0;
            } else {
                errno = err;
                r = -1;
            }
            break;
        }
    }
    if (r != 0)
        return close_failed(fd);
    rt_netpoll_deadline(fd, 'w', 0);
    no_delay(fd);
    return fd;
}

int goc_tcp_dial(const char *addr, int64_t deadline)
{
    char host[256], port[8];
    if (!split_addr(addr, host, sizeof host, port, sizeof port)) {
        errno = EINVAL;
        return -1;
    }
    struct addrinfo *res = resolve(host, port, false);
    if (!res)
        return -1;
    int fd = -1, err = ECONNREFUSED;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = connect_one(a, deadline);
        if (fd < 0) {
            err = errno;
            if (err == ETIMEDOUT)
                break;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        errno = err;
    return fd;
}

int goc_tcp_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    errno = EAFNOSUPPORT;
    return -1;
}

ssize_t goc_read(int fd, void *buf, size_t n)
{
    bool polled = rt_netpoll_open(fd, false);
    for (;;) {
        ssize_t r = read(fd, buf, n);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (!polled || (errno != EAGAIN && errno != EWOULDBLOCK))
            return -1;
        if (rt_netpoll_wait(fd, false) < 0)
            return -1;
    }
}

/* write(2) that fails with EPIPE instead of raising SIGPIPE, as Go's
 * writes to descriptors other than standard output and error do: SIGPIPE
 * is blocked in this thread around the call (the kernel sends it to the
 * writing thread) and one it raised is taken off the pending set. */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t n)
{
    if (fd == 1 || fd == 2)
        return write(fd, buf, n);   /* `prog | head` ends prog, as in Go */
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    ssize_t r = write(fd, buf, n);
    int e = errno;
    if (r < 0 && e == EPIPE) {
        sigset_t pending;
        struct timespec zero = { 0, 0 };
        if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE))
            while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
                ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return r;
}

ssize_t goc_write_some(int fd, const void *buf, size_t n, size_t *done)
{
    bool polled = rt_netpoll_open(fd, false);
    size_t off = 0;
    ssize_t result = (ssize_t)n;
    bool sock = true;   /* until ENOTSOCK: a closed peer is EPIPE, not SIGPIPE */
    while (off < n) {
        ssize_t r = sock ? send(fd, (const char *)buf + off, n - off, MSG_NOSIGNAL) : -1;
        if (r < 0 && sock && errno == ENOTSOCK)
            sock = false;
        if (!sock)
            r = write_nosigpipe(fd, (const char *)buf + off, n - off);
        if (r > 0) {
            off += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0 || !polled || (errno != EAGAIN && errno != EWOULDBLOCK) ||
            rt_netpoll_wait(fd, true) < 0) {
            if (r == 0)
                errno = EIO;
            result = -1;
            break;
        }
    }
    if (done)
        *done = off;
    return result;
}

ssize_t goc_write(int fd, const void *buf, size_t n)
{
    return goc_write_some(fd, buf, n, NULL);
}

/* Level semantics over the poller's edges: the descriptor is asked first
 * (poll with no timeout), and again after each wake-up, since an edge may
 * have been used up by an earlier wait, or be stale. */
int goc_fd_wait(int fd, bool write)
{
    if (fcntl(fd, F_GETFD) < 0)
        return -1;
    for (;;) {
        struct pollfd pfd = { fd, write ? POLLOUT : POLLIN, 0 };
        if (poll(&pfd, 1, 0) > 0)
            return 0;
        if (rt_netpoll_wait(fd, write) < 0)
            return -1;
    }
}

int goc_set_deadline(int fd, int64_t deadline)
{
    return rt_netpoll_deadline(fd, 'b', deadline);
}

int goc_set_read_deadline(int fd, int64_t deadline)
{
    return rt_netpoll_deadline(fd, 'r', deadline);
}

int goc_set_write_deadline(int fd, int64_t deadline)
{
    return rt_netpoll_deadline(fd, 'w', deadline);
}

int goc_close(int fd)
{
    if (fcntl(fd, F_GETFD) < 0)
        return -1;
    rt_netpoll_close(fd);
    return close(fd);
}
