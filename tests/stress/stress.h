/*
 * stress.h — what the stress programs share.
 *
 * STRESS_TSAN: ThreadSanitizer keeps a large state per fiber (one per live
 * goroutine) and multiplies the cost of every allocation, so under it the
 * programs run a smaller configuration with the same structure.
 *
 * Leak checking is off: channels, timers and contexts belong to the
 * collector (goc.h: "Channels are never freed by the program") and the
 * program has no way to free them, so LeakSanitizer would list every one
 * at exit.
 */
#ifndef STRESS_H
#define STRESS_H

#if defined(__SANITIZE_THREAD__)
#define STRESS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STRESS_TSAN 1
#endif
#endif

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}

#endif
