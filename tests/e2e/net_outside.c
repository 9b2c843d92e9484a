/*
 * net_outside: the I/O functions of goc.h called from plain C threads that
 * are not goroutines (the process's main thread, a pthread) block the
 * calling thread with poll(2) and give the same results as in a goroutine
 * (goc.h): accept and read deadlines end in ETIMEDOUT; a connection made
 * between two plain threads carries data both ways and ends with end of
 * file; a plain thread's dial reaches a goroutine's accept (goc_run on
 * another thread) and the other way round; goc_proc_start and
 * goc_proc_wait work without the runtime's goroutines; a signal watched
 * from plain C arrives on the channel (read with goc_chan_try_recv, which
 * does not block).  Last, goc_close from one plain thread wakes another
 * plain thread blocked in goc_read, which fails with EBADF.
 * No goc_main: the runtime starts when goc_run is first called.
 */
#include <goc.h>

#include "e2e_san.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char addr[64];

static const char *ename(int e)
{
    switch (e) {
    case 0: return "0";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EBADF: return "EBADF";
    default: return strerror(e);
    }
}

static void *client_thread(void *arg)
{
    usleep(50 * 1000);
    int fd = goc_tcp_dial(addr, goc_nanotime() + 5 * GOC_SECOND);
    if (fd < 0) {
        perror("thread dial");
        exit(1);
    }
    char buf[16] = { 0 };
    if (goc_write(fd, "hello", 5) != 5 || goc_read(fd, buf, sizeof buf) != 5 ||
        strcmp(buf, "HELLO") != 0) {
        fprintf(stderr, "thread: bad exchange\n");
        exit(1);
    }
    goc_close(fd);
    return arg;
}

static int accept_in_goroutine(void *arg)
{
    int ln = *(int *)arg;
    int fd = goc_tcp_accept(ln);
    if (fd < 0)
        return -1;
    char buf[16] = { 0 };
    ssize_t n = goc_read(fd, buf, sizeof buf);
    goc_close(fd);
    return n == 4 && memcmp(buf, "ping", 4) == 0 ? 1 : 0;
}

static void *run_goroutine_thread(void *arg)
{
    static int result;
    result = goc_run(accept_in_goroutine, arg);
    return &result;
}

static int dial_in_goroutine(void *arg)
{
    (void)arg;
    goc_sleep(50 * GOC_MILLISECOND);
    int fd = goc_tcp_dial(addr, 0);
    if (fd < 0)
        return -1;
    ssize_t n = goc_write(fd, "pong", 4);
    goc_close(fd);
    return n == 4;
}

static void *dial_goroutine_thread(void *arg)
{
    static int result;
    (void)arg;
    result = goc_run(dial_in_goroutine, NULL);
    return &result;
}

static int victim = -1;

static void *close_later(void *arg)
{
    usleep(50 * 1000);
    goc_close(victim);
    return arg;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int ln = goc_tcp_listen("127.0.0.1:0");
    if (ln < 0) {
        perror("listen");
        return 1;
    }
    snprintf(addr, sizeof addr, "127.0.0.1:%d", goc_tcp_port(ln));

    int64_t dl = goc_nanotime() + 30 * GOC_MILLISECOND;
    goc_set_read_deadline(ln, dl);
    int a = goc_tcp_accept(ln);
    int e = a < 0 ? errno : 0;
    printf("accept with a deadline: %d %s, not early: %s\n", a, ename(e),
           goc_nanotime() >= dl ? "yes" : "no");
    goc_set_read_deadline(ln, 0);

    pthread_t t;
    pthread_create(&t, NULL, client_thread, NULL);
    int fd = goc_tcp_accept(ln);
    char buf[16] = { 0 };
    ssize_t n = goc_read(fd, buf, sizeof buf);
    printf("read from a plain thread: %zd \"%s\"\n", n, buf);
    for (ssize_t i = 0; i < n; i++)
        buf[i] = (char)(buf[i] - 'a' + 'A');
    goc_write(fd, buf, (size_t)n);
    n = goc_read(fd, buf, sizeof buf);
    printf("then end of file: %zd\n", n);
    pthread_join(t, NULL);

    dl = goc_nanotime() + 30 * GOC_MILLISECOND;
    goc_set_read_deadline(fd, dl);
    n = goc_read(fd, buf, sizeof buf);
    printf("read at end of file with a deadline: %zd\n", n);
    goc_close(fd);

    /* a goroutine accepts, this thread dials */
    void *res;
    pthread_create(&t, NULL, run_goroutine_thread, &ln);
    usleep(50 * 1000);
    fd = goc_tcp_dial(addr, 0);
    goc_write(fd, "ping", 4);
    goc_close(fd);
    pthread_join(t, &res);
    printf("a goroutine accepted this thread's dial: %d\n", *(int *)res);

    /* a goroutine dials, this thread accepts */
    pthread_create(&t, NULL, dial_goroutine_thread, NULL);
    fd = goc_tcp_accept(ln);
    memset(buf, 0, sizeof buf);
    n = goc_read(fd, buf, sizeof buf);
    pthread_join(t, &res);
    printf("this thread accepted a goroutine's dial: %d, read \"%s\"\n", *(int *)res, buf);
    goc_close(fd);

    /* a child process */
    char *argv[] = { "sh", "-c", "exit 9", NULL };
    pid_t pid = goc_proc_start("/bin/sh", argv, NULL, NULL);
    int status = -1;
    pid_t w = goc_proc_wait(pid, &status);
    printf("child: %s, exited %d\n", w == pid && pid > 0 ? "waited" : "failed",
           WIFEXITED(status) ? WEXITSTATUS(status) : -1);

    /* a signal */
    goc_chan *c = goc_chan_make(sizeof(int), 1);
    goc_signal_notify(c, SIGUSR1);
    raise(SIGUSR1);
    int sig = 0;
    for (int i = 0; i < 5000 && !goc_chan_try_recv(c, &sig, NULL); i++)
        usleep(1000);
    printf("signal on the channel: %d\n", sig);
    goc_signal_stop(c);

    /* goc_close wakes a plain thread blocked in goc_read */
    int c2 = goc_tcp_dial(addr, 0);
    victim = goc_tcp_accept(ln);
    goc_set_read_deadline(victim, goc_nanotime() + 5 * GOC_SECOND);   /* not woken: ETIMEDOUT */
    pthread_create(&t, NULL, close_later, NULL);
    n = goc_read(victim, buf, sizeof buf);
    e = n < 0 ? errno : 0;
    pthread_join(t, NULL);
    printf("read woken by goc_close from another thread: %zd %s\n", n, ename(e));
    goc_close(c2);
    goc_close(ln);
    return 0;
}
