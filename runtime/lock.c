/*
 * lock.c — the runtime's internal mutex and futex helpers.
 *
 * rt_lock is the classic three-state futex mutex (Drepper, "Futexes Are
 * Tricky"): 0 unlocked, 1 locked, 2 locked and someone may sleep.  The fast
 * paths are inline in rt.h: one CAS to lock, one exchange to unlock, and a
 * FUTEX_WAKE only when the state says a sleeper may exist.  The slow path
 * spins a little before sleeping because runtime critical sections (a
 * channel operation, a queue splice) are a few hundred instructions and
 * the holder is usually running on another core.
 *
 * These locks block the OS thread; goroutine-level locking is goc_mutex in
 * sync.c, which parks the goroutine instead.
 */
#include "rt.h"
#include "gc.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void rt_futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t timeout_ns)
{
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000;
        ts.tv_nsec = timeout_ns % 1000000000;
        tsp = &ts;
    }
    /* The collector may snapshot the process while this thread sleeps:
     * its callers' registers must be in memory, above the recorded sp. */
    __builtin_unwind_init();
    bool safe = rt_gc_enter_safe(rt_current_sp());
    /* A runtime wait is not a blocking C call: sysmon must not add a spare
     * P for it (an allocation waiting for the collector would get round
     * the wait). */
    rt_runtime_wait_begin();
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, val, tsp, NULL, 0);
    rt_runtime_wait_end();
    if (safe)
        rt_gc_exit_safe();
}

void rt_futex_wait_raw(_Atomic uint32_t *addr, uint32_t val)
{
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

void rt_futex_wake(_Atomic uint32_t *addr, int n)
{
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

void rt_lock_slow(rt_lock *l)
{
    for (int spin = 0; spin < 100; spin++) {
        uint32_t s = atomic_load_explicit(&l->state, memory_order_relaxed);
        if (s == 0 && atomic_compare_exchange_weak_explicit(&l->state, &s, 1,
                          memory_order_acquire, memory_order_relaxed))
            return;
        rt_cpu_relax();
    }
    /* Mark "maybe sleepers" and sleep until we take it in that state. */
    while (atomic_exchange_explicit(&l->state, 2, memory_order_acquire) != 0)
        rt_futex_wait(&l->state, 2, -1);
}

void rt_unlock_slow(rt_lock *l)
{
    rt_futex_wake(&l->state, 1);
}
