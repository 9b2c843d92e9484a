/*
 * proc.c — child processes started and waited for without blocking a
 * thread (goc_proc_start, goc_proc_wait).
 *
 * posix_spawnp starts the child (glibc's uses a vfork-like clone, cheap
 * even for a large heap) and reports a program that cannot be run as its
 * error.  Waiting uses a pidfd, which becomes readable when the process
 * exits: the goroutine parks on it in the poller like on a socket, then
 * reaps the child with waitpid, which no longer blocks.  Kernels without
 * pidfd_open (before 5.3) fall back to a blocking waitpid, which sysmon
 * treats as any blocking C call.
 */
#include "netpoll.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

pid_t goc_proc_start(const char *path, char *const argv[], char *const envp[], const int fds[3])
{
    if (!path || !argv) {
        errno = EINVAL;
        return -1;
    }
    /* The dup2s run in order in the child, so a source below 3 that is
     * another entry's target (stdout and stderr swapped) is first copied
     * above 2 here. */
    int src[3] = { -1, -1, -1 }, copies[3] = { -1, -1, -1 };
    for (int i = 0; fds && i < 3; i++) {
        src[i] = fds[i];
        if (fds[i] >= 0 && fds[i] < 3 && fds[i] != i)
            src[i] = copies[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    for (int i = 0; i < 3; i++)
        if (src[i] >= 0)
            posix_spawn_file_actions_adddup2(&fa, src[i], i);
    pid_t pid;
    int err = posix_spawnp(&pid, path, &fa, NULL, argv, envp ? envp : environ);
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 3; i++)
        if (copies[i] >= 0)
            close(copies[i]);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return pid;
}

static pid_t reap(pid_t pid, int *status)
{
    int st = 0;
    pid_t r;
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (r > 0 && status)
        *status = st;
    return r;
}

pid_t goc_proc_wait(pid_t pid, int *status)
{
    siginfo_t si;
    si.si_pid = 0;
    if (pid <= 0 || waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
        if (pid <= 0)
            errno = ECHILD;
        return -1;   /* not our child */
    }
    if (si.si_pid == pid)
        return reap(pid, status);   /* already exited */
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pfd < 0)
        return reap(pid, status);   /* no pidfds: block this thread */
    rt_netpoll_open(pfd, true);
    while (rt_netpoll_wait(pfd, false) < 0 && errno == EINTR)
        ;
    goc_close(pfd);
    return reap(pid, status);
}
