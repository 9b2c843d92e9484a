/*
 * san.c — telling ThreadSanitizer and AddressSanitizer about goroutine
 * switches.  Both sanitizers track "the current stack"; without these
 * annotations a switch looks like a wild stack-pointer jump (ASan reports
 * false stack-buffer errors, TSan mixes the histories of goroutines that
 * share a thread).  Built in only when GOC_TSAN / GOC_ASAN is defined (the
 * GOC_SANITIZE CMake option); otherwise every function is empty and the
 * switch path pays nothing beyond a call.
 *
 * A G whose stack_lo is NULL is an M's g0, running on the thread's own
 * stack: TSan knows it as the thread's initial fiber, ASan needs its bounds
 * from pthread_getattr_np.
 */
#include "rt.h"

#include <pthread.h>

#if defined(GOC_TSAN)
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);

void rt_san_new_g(rt_g *g)
{
    g->tsan_fiber = g->stack_lo ? __tsan_create_fiber(0) : __tsan_get_current_fiber();
}

void rt_san_free_g(rt_g *g)
{
    /* Destroying runs on another fiber, after the switch away. */
    __tsan_destroy_fiber(g->tsan_fiber);
    g->tsan_fiber = NULL;
}

void rt_san_before_switch(rt_g *from, rt_g *to, bool from_exiting)
{
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
}

void rt_san_after_switch(rt_g *now) { }

#elif defined(GOC_ASAN)
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
                                     size_t *size_old);

void __asan_unpoison_memory_region(const volatile void *addr, size_t size);

void rt_san_new_g(rt_g *g)
{
    if (g->stack_lo) {
        /* A pooled stack keeps the shadow of its last goroutine's frames,
         * which never returned: clear it for the new one. */
        __asan_unpoison_memory_region(g->stack_lo, (size_t)(g->stack_hi - g->stack_lo));
        return;
    }
    pthread_attr_t attr;
    void *addr;
    size_t size;
    pthread_getattr_np(pthread_self(), &attr);
    pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
    g->stack_lo = addr;
    g->stack_hi = (char *)addr + size;
}

void rt_san_free_g(rt_g *g) { }

void rt_san_before_switch(rt_g *from, rt_g *to, bool from_exiting)
{
    __sanitizer_start_switch_fiber(from_exiting ? NULL : &from->asan_fake_stack,
                                   to->stack_lo, (size_t)(to->stack_hi - to->stack_lo));
}

void rt_san_after_switch(rt_g *now)
{
    __sanitizer_finish_switch_fiber(now->asan_fake_stack, NULL, NULL);
}

#else
void rt_san_new_g(rt_g *g) { }
void rt_san_free_g(rt_g *g) { }
void rt_san_before_switch(rt_g *from, rt_g *to, bool from_exiting) { }
void rt_san_after_switch(rt_g *now) { }
#endif
