/*
 * heap.c — goc_alloc, the allocation entry point of the garbage-collected
 * heap (SPEC §8).
 *
 * Interim: until the concurrent collector lands (its own issue), blocks come
 * from calloc and are never freed.  Everything that must live on the GC heap
 * (captured variables of go blocks, go statement arguments, goc_new) already
 * allocates here, so the collector replaces this file and nothing else.
 */
#include "rt.h"

#include <stdlib.h>
#include <string.h>

void *goc_alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p)
        rt_fatal("out of memory");
    return p;
}

void *goc_box(const void *p, size_t n)
{
    void *b = goc_alloc(n);
    memcpy(b, p, n);
    return b;
}
