/*
 * alloc_class.c — the size classes of small objects, computed at start-up
 * from a rule rather than copied from a table.
 *
 * Rule.  Up to 256 bytes, every multiple of 16 is a class (small objects
 * are the common case and lose at most 15 bytes).  From 256 to 32 KiB,
 * each doubling [b, 2b] is cut into 8 steps of b/8, so rounding a request
 * up to its class wastes less than 12.5% of it.  Every size is a multiple
 * of 16, so objects at base + i * size of a page-aligned span are 16-byte
 * aligned.
 *
 * Span size.  A class's spans have the fewest pages (1 to 16) whose unused
 * tail is at most an eighth of the span, and at most RT_SPAN_MAX_OBJS
 * slots (the span's bitmaps are 8 words).  When no page count meets the
 * tail limit, the one with the smallest tail fraction wins.
 *
 * Pruning.  A class whose span has the same page count and slot count as
 * the next larger class is dropped: the larger slots cost nothing more.
 *
 * Lookup.  Two byte tables map a request to its class: one indexed by
 * ceil(n / 16) up to 1 KiB, one by ceil((n - 1 KiB) / 128) above (every
 * class above 1 KiB is a multiple of 128).  Rejected: a search over the
 * class sizes on every allocation (a few dozen cycles on the fast path),
 * and one table at 16-byte granularity to 32 KiB (2 KiB, colder).
 */
#include "alloc.h"

int rt_nclasses;
rt_class_info rt_classes[RT_NCLASS_MAX];
uint8_t rt_class_index_16[1024 / 16 + 1];
uint8_t rt_class_index_128[(RT_SMALL_MAX - 1024) / 128 + 1];

#define MAX_SPAN_PAGES 16

static uint32_t span_pages_for(uint32_t size)
{
    uint32_t best = 0;
    double best_waste = 2.0;
    for (uint32_t k = 1; k <= MAX_SPAN_PAGES; k++) {
        size_t bytes = k * RT_PAGE_SIZE;
        size_t n = bytes / size;
        if (n == 0)
            continue;
        if (n > RT_SPAN_MAX_OBJS)
            break;
        size_t tail = bytes - n * size;
        if (tail * 8 <= bytes)
            return k;
        if ((double)tail / (double)bytes < best_waste) {
            best_waste = (double)tail / (double)bytes;
            best = k;
        }
    }
    return best;
}

/* Candidate sizes in increasing order; returns how many. */
static int candidate_sizes(uint32_t *out)
{
    int n = 0;
    for (uint32_t s = 16; s <= 256; s += 16)
        out[n++] = s;
    for (uint32_t b = 256; b < RT_SMALL_MAX; b *= 2)
        for (uint32_t k = 1; k <= 8; k++)
            out[n++] = b + k * (b / 8);
    return n;
}

static void build_index_tables(void)
{
    int c = 1;
    for (size_t i = 0; i < sizeof rt_class_index_16; i++) {
        size_t n = i * 16;
        while (rt_classes[c].size < n)
            c++;
        rt_class_index_16[i] = (uint8_t)c;
    }
    for (size_t i = 0; i < sizeof rt_class_index_128; i++) {
        size_t n = 1024 + i * 128;
        while (rt_classes[c].size < n)
            c++;
        rt_class_index_128[i] = (uint8_t)c;
    }
}

void rt_class_init(void)
{
    uint32_t cand[RT_NCLASS_MAX], pages[RT_NCLASS_MAX];
    int n = candidate_sizes(cand);
    if (n > RT_NCLASS_MAX)
        rt_throw("size classes: too many candidates");
    for (int i = 0; i < n; i++)
        pages[i] = span_pages_for(cand[i]);

    /* Pruning, from the largest down: keep[i] unless the next kept class
     * has the same span shape. */
    bool keep[RT_NCLASS_MAX];
    int next = n - 1;
    keep[n - 1] = true;
    for (int i = n - 2; i >= 0; i--) {
        size_t objs_i = pages[i] * RT_PAGE_SIZE / cand[i];
        size_t objs_next = pages[next] * RT_PAGE_SIZE / cand[next];
        keep[i] = !(pages[i] == pages[next] && objs_i == objs_next);
        if (keep[i])
            next = i;
    }

    int c = 1;
    for (int i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        rt_class_info *ci = &rt_classes[c++];
        ci->size = cand[i];
        ci->npages = pages[i];
        ci->nelems = (uint32_t)(pages[i] * RT_PAGE_SIZE / cand[i]);
        ci->div_magic = (uint32_t)((((uint64_t)1 << 32) + cand[i] - 1) / cand[i]);
    }
    rt_nclasses = c;
    build_index_tables();
}
