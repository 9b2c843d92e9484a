/*
 * fence.c — a full memory fence executed by every running thread of the
 * process, on demand: membarrier(2)'s private expedited command.
 *
 * It lets a rare path pay for the ordering a hot path would otherwise need
 * on every call.  The user is goc_mutex (sync.c's top comment): an unlock
 * of a mutex that never had a waiter names the mutex in its thread's
 * goc__unlocking, looks at the mutex's mode and releases it with a plain
 * store; the first goroutine about to wait on it changes the mode, calls
 * rt_process_fence, and can then trust each worker's goc__unlocking: an
 * unlocker whose look came before the fence has its name visible by now.
 * A thread that is not running at the time has already been fenced by the
 * context switch that stopped it.
 *
 * Registration happens once at start-up.  Where the kernel lacks the
 * command, a seccomp filter refuses it, or GOC_DEBUG has nomembarrier (to
 * test that case), rt_plain_unlocks stays false: workers keep their slot
 * at 1 like every other thread, every unlock is atomic, and no fence is
 * ever needed.
 */
#include "rt.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

bool rt_plain_unlocks;

/* 1 (always unlock atomically) until worker_main clears it, which it does
 * only when rt_plain_unlocks. */
__thread const void *goc__unlocking = (const void *)1;
long goc__unlocking_offset;

static long membarrier(int cmd)
{
    return syscall(SYS_membarrier, cmd, 0, 0);
}

void rt_process_fence_init(void)
{
    /* The same for every thread: goc__unlocking is in the static TLS
     * block.  Until set, goc.h's slot is the thread control block's first
     * word, never 0, so unlocks stay atomic. */
    __atomic_store_n(&goc__unlocking_offset,
                     (long)((char *)&goc__unlocking - (char *)goc__unlocking_slot()),
                     __ATOMIC_RELAXED);
    const char *dbg = getenv("GOC_DEBUG");
    if (dbg && strstr(dbg, "nomembarrier"))
        return;
    long cmds = membarrier(MEMBARRIER_CMD_QUERY);
    rt_plain_unlocks = cmds >= 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
                       membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
}

void rt_process_fence(void)
{
    while (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
        if (errno != EINTR && errno != EAGAIN && errno != ENOMEM)
            rt_fatal("membarrier: %s", strerror(errno));
        sched_yield();
    }
}
