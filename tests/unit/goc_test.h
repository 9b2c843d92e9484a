/*
 * goc_test.h — what the cmocka unit tests share: running a test body as a
 * goroutine and collecting failures from goroutines.
 *
 * A test body runs as a goroutine through goc_run (it must: every blocking
 * goc call needs one).  cmocka's assert_* macros longjmp to the test
 * runner's jmp_buf on the OS thread's stack, and jumping there from a
 * goroutine's stack would corrupt both, so code running in goroutines never
 * calls them.  It uses CHECK / CHECK_EQ instead, which record the failure
 * (the first message in full, and a count) and carry on, or REQUIRE, which
 * also returns -1 from the enclosing int function.  goc_test_run then fails
 * the cmocka test from the runner thread, where that is safe.
 *
 * Every test joins the goroutines it starts before returning, unless it
 * says otherwise (the nil-channel tests leave goroutines blocked for ever
 * on purpose), so that a late CHECK cannot blame the wrong test.
 */
#ifndef GOC_TEST_H
#define GOC_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "goc.h"

/* GOC_TEST_TSAN: ThreadSanitizer allows at most 8128 live threads and
 * fibers (one fiber per goroutine), so tests that keep more goroutines
 * alive at once use a smaller count under it. */
#if defined(__SANITIZE_THREAD__)
#define GOC_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GOC_TEST_TSAN 1
#endif
#endif

/* Leak checking off under AddressSanitizer: channels, timers and contexts
 * belong to the collector (goc.h: "Channels are never freed by the
 * program"), so LeakSanitizer would list every one at exit. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}

static _Atomic int goc_test_failures;
static _Atomic int goc_test_have_msg;
static char goc_test_msg[1024];

static void goc_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void goc_test_fail(const char *file, int line, const char *fmt, ...)
{
    atomic_fetch_add(&goc_test_failures, 1);
    if (atomic_exchange(&goc_test_have_msg, 1) != 0)
        return;
    int n = snprintf(goc_test_msg, sizeof goc_test_msg, "%s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(goc_test_msg + n, sizeof goc_test_msg - (size_t)n, fmt, ap);
    va_end(ap);
}

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond))                                                            \
            goc_test_fail(__FILE__, __LINE__, "check failed: %s", #cond);       \
    } while (0)

#define CHECK_EQ(a, b)                                                          \
    do {                                                                        \
        long long goc_test_a = (long long)(a), goc_test_b = (long long)(b);     \
        if (goc_test_a != goc_test_b)                                           \
            goc_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, \
                          goc_test_a, goc_test_b);                              \
    } while (0)

#define CHECK_STR(a, b)                                                         \
    do {                                                                        \
        const char *goc_test_sa = (a), *goc_test_sb = (b);                      \
        if (!goc_test_sa || !goc_test_sb || strcmp(goc_test_sa, goc_test_sb))   \
            goc_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, \
                          #b, goc_test_sa ? goc_test_sa : "(null)",             \
                          goc_test_sb ? goc_test_sb : "(null)");                \
    } while (0)

/* Records a failure and returns -1 from the enclosing int function. */
#define REQUIRE(cond)                                                           \
    do {                                                                        \
        if (!(cond)) {                                                          \
            goc_test_fail(__FILE__, __LINE__, "requirement failed: %s", #cond); \
            return -1;                                                          \
        }                                                                       \
    } while (0)

/* Runs fn(arg) as a goroutine; fails the current cmocka test if fn or any
 * goroutine recorded a failure or fn returned nonzero. */
static void goc_test_run(int (*fn)(void *), void *arg)
{
    atomic_store(&goc_test_failures, 0);
    atomic_store(&goc_test_have_msg, 0);
    int r = goc_run(fn, arg);
    int failures = atomic_load(&goc_test_failures);
    if (failures)
        fail_msg("%d failure(s); first: %s", failures, goc_test_msg);
    assert_int_equal(r, 0);
}

/* Declares the cmocka test that runs the goroutine body `name`. */
#define GOC_TEST(name)                                                          \
    static int name(void *arg);                                                 \
    static void test_##name(void **state)                                       \
    {                                                                           \
        (void)state;                                                            \
        goc_test_run(name, NULL);                                               \
    }                                                                           \
    static int name(void *arg)

#define GOC_UNIT(name) cmocka_unit_test(test_##name)

/* A small deterministic generator (xorshift64*) for tests and seeds. */
static inline uint64_t goc_test_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Waits, yielding and sleeping a little, until *flag reaches want or about
 * limit_ms milliseconds pass; returns whether it got there.  For progress
 * conditions only (something must eventually happen); never used to assert
 * how long something took. */
static inline bool goc_test_wait_for(_Atomic int *flag, int want, int limit_ms)
{
    for (int i = 0; i < limit_ms * 10; i++) {
        if (atomic_load(flag) >= want)
            return true;
        if (i < 1000)
            goc_yield();
        else
            goc_sleep(100 * GOC_MICROSECOND);
    }
    return atomic_load(flag) >= want;
}

#endif
