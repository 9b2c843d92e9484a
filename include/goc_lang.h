/*
 * goc_lang.h — what translated .gc code includes first (never include it
 * from plain C; use goc.h).
 *
 * Known to the translator: the spellings below are produced by
 * translator/prepass.c and translator/lower*.c; change both ends together.
 *
 * A channel of T is a typed handle of pointer size:
 *     chan T      __typeof__(__typeof__(T) (**)[1])
 *     chan<- T    __typeof__(__typeof__(T) (*const *)[1])
 *     <-chan T    __typeof__(__typeof__(T) (*volatile *)[1])
 * so the element type is recoverable from any channel expression c as
 * __typeof__((**(c))[0]), a bidirectional channel converts implicitly to
 * either direction (adding a qualifier), and the reverse or a mismatched
 * element type is a C type error at the .gc line.  Direction misuse is
 * caught with _Static_assert and Go's wording.
 */
#ifndef GOC_LANG_H
#define GOC_LANG_H

#include <goc.h>
#include <errno.h>

#define GOC_LANG_ABI 2

/* errno re-read at each use: a goroutine may resume on another thread
 * after any blocking call (goc.h, goc_errno_location). */
#undef errno
#define errno (*goc_errno_location())

/* Preemption poll at the top of every loop body of translated code (see
 * runtime/sched.c): one relaxed load, a call only when sysmon asked. */
#define GOC__PREEMPT_POLL() \
    (__builtin_expect(__atomic_load_n((int *)&goc__preempt_line.pending, __ATOMIC_RELAXED), 0) \
         ? goc__preempt() : (void)0)

#define goc__elem_t(c) __typeof__((**(c))[0])
#define goc__is_sendonly(c) \
    __builtin_types_compatible_p(__typeof__(c), goc__elem_t(c) (*const *)[1])
#define goc__is_recvonly(c) \
    __builtin_types_compatible_p(__typeof__(c), goc__elem_t(c) (*volatile *)[1])
#define goc__assert_recv(c) \
    _Static_assert(!goc__is_sendonly(c), "invalid operation: cannot receive from send-only channel")
#define goc__assert_send(c) \
    _Static_assert(!goc__is_recvonly(c), "invalid operation: cannot send to receive-only channel")

/* make(chan T, n) */
#define __goc_make(CT, n) ((CT)goc_chan_make(sizeof(goc__elem_t((CT)0)), (n)))

/* ch <- v; */
#define __goc_send(c, v) do { \
        __auto_type goc__sc = (c); goc__assert_send(goc__sc); \
        goc__elem_t(goc__sc) goc__sv = (v); \
        goc_chan_send((goc_chan *)goc__sc, &goc__sv); \
    } while (0)

/* <-ch */
#define __goc_recv(c) (__extension__({ \
        __auto_type goc__rc = (c); goc__assert_recv(goc__rc); \
        goc__elem_t(goc__rc) goc__rv; \
        goc_chan_recv((goc_chan *)goc__rc, &goc__rv); goc__rv; }))

/* v, ok = <-ch; */
#define __goc_recvok(v, ok, c) do { \
        __auto_type goc__kc = (c); goc__assert_recv(goc__kc); \
        goc__elem_t(goc__kc) goc__kv; \
        _Bool goc__ok = goc_chan_recv((goc_chan *)goc__kc, &goc__kv); \
        (v) = goc__kv; (ok) = goc__ok; \
    } while (0)

/* for (T v : ch): receive into v; false once ch is closed and drained. */
#define goc__recv_into(c, vp) (__extension__({ \
        goc__assert_recv(c); goc__elem_t(c) goc__iv; \
        _Bool goc__iok = goc_chan_recv((goc_chan *)(c), &goc__iv); \
        if (goc__iok) *(vp) = goc__iv; goc__iok; }))

/* close/len/cap on channels */
#define goc__close(c) do { \
        __auto_type goc__cc = (c); \
        _Static_assert(!goc__is_recvonly(goc__cc), \
                       "invalid operation: cannot close receive-only channel"); \
        goc_chan_close((goc_chan *)goc__cc); \
    } while (0)
#define goc__len(c) goc_chan_len((goc_chan *)(c))
#define goc__cap(c) goc_chan_cap((goc_chan *)(c))

#endif
