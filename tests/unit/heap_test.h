/*
 * heap_test.h — what the heap's unit tests (test_alloc.c, test_gc.c) share:
 * the whole-heap validator after flushing the caller's cache.  Include
 * after goc_test.h and alloc.h.
 */
#ifndef GOC_HEAP_TEST_H
#define GOC_HEAP_TEST_H

/* Flushes this P's cache and checks the whole heap. */
static int heap_ok(void)
{
    rt_heap_flush_caches();
    const char *err = rt_heap_check();
    if (err)
        goc_test_fail(__FILE__, __LINE__, "rt_heap_check: %s", err);
    return err ? -1 : 0;
}

#endif
