/*
 * fence.c — a full memory fence executed by every running thread of the
 * process, on demand: membarrier(2)'s private expedited command.
 *
 * It lets a rare path pay for the ordering a hot path would otherwise need
 * on every call.  The user is goc_mutex (sync.c): an unlock of a mutex that
 * never had a waiter releases with a plain store and then looks for
 * waiters, which without a fence between the two could miss a goroutine
 * that is just starting to wait; that goroutine calls rt_process_fence
 * after announcing itself, which makes any such unlocker's store visible
 * (or its look see the announcement).  A thread that is not running at the
 * time has already been fenced by the context switch that stopped it.
 *
 * Registration happens once at start-up.  Where the kernel lacks the
 * command or a seccomp filter refuses it, goc__mutex_fenced is raised
 * before any goroutine runs and every unlock fences instead.
 */
#include "rt.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

uint32_t goc__mutex_fenced;

static long membarrier(int cmd)
{
    return syscall(SYS_membarrier, cmd, 0, 0);
}

void rt_process_fence_init(void)
{
    long cmds = membarrier(MEMBARRIER_CMD_QUERY);
    if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) ||
        membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0)
        goc__mutex_fenced = GOC__MUTEX_MARKED;
}

void rt_process_fence(void)
{
    if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0)
        rt_fatal("membarrier failed after registration");
}
