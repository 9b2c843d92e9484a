/*
 * test_ctx.c — the context switch on its own: rt_ctx_make and
 * rt_ctx_switch (ctx.c, ctx_<arch>.S), with no scheduler, no goroutines
 * and nothing else from the runtime.
 *
 * Each test runs the main context against one other context on an
 * mmap'd stack.  The other context never calls cmocka: a failed assertion
 * longjmps, and jumping off a foreign stack is exactly the kind of thing
 * this file should not depend on.  It records what it saw in globals and
 * the main context asserts on them.
 *
 * What the ABIs promise across a call, and so what a switch must keep:
 *   x86-64   rbx rbp r12-r15, the x87 control word, MXCSR control bits
 *            (no xmm register is callee-saved)
 *   aarch64  x19-x28, x29, x30, the low 64 bits of v8-v15, FPCR
 * The floating-point control state is set with inline assembly rather
 * than fesetround so the test needs no libm.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1           /* MAP_ANONYMOUS, MAP_STACK */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/mman.h>

#include "ctx.h"

enum { STACK_SIZE = 256 * 1024, PINGPONGS = 1000 };
enum { MAIN, OTHER };

/* ---- two contexts ------------------------------------------------------ */

static void *saved_sp[2];
static void *stack_lo;
static void (*other_body)(void);

static void switch_to(int from, int to)
{
    rt_ctx_switch(&saved_sp[from], saved_sp[to]);
}

/* The other context's entry: run the test's body, then hand control back
 * to the main context for ever, since entry must never return. */
static void other_entry(void)
{
    other_body();
    for (;;)
        switch_to(OTHER, MAIN);
}

/* Prepares the other context to run body on a fresh stack whose top is
 * hi_offset bytes above the stack's base (STACK_SIZE or a little less, to
 * try an unaligned top). */
static void other_make(void (*body)(void), size_t hi_offset)
{
    stack_lo = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    assert_true(stack_lo != MAP_FAILED);
    other_body = body;
    saved_sp[OTHER] = rt_ctx_make((char *)stack_lo + hi_offset, other_entry);
    assert_non_null(saved_sp[OTHER]);
}

static int other_free(void **state)
{
    if (stack_lo != NULL)
        munmap(stack_lo, STACK_SIZE);
    stack_lo = NULL;
    return 0;
}

/* Hides a value's origin from the optimiser, which would otherwise fold
 * "the address of a 16-aligned local is 16-aligned" to true. */
static uintptr_t launder(uintptr_t v)
{
    __asm__ volatile("" : "+r"(v));
    return v;
}

/* ---- a fresh context runs entry ----------------------------------------- */

static int entered;

static void body_enter(void)
{
    entered++;
}

static void test_fresh_context_runs_entry(void **state)
{
    entered = 0;
    other_make(body_enter, STACK_SIZE);
    switch_to(MAIN, OTHER);
    assert_int_equal(entered, 1);
    /* Finished bodies park in other_entry's loop and can be resumed. */
    switch_to(MAIN, OTHER);
    switch_to(MAIN, OTHER);
    assert_int_equal(entered, 1);
}

/* ---- callee-saved registers survive a ping-pong -------------------------- */

/* Both contexts run pingpong() with different seeds, so the same
 * callee-saved registers hold different values on each side: a register
 * the switch forgot shows up as the other side's value.  Ten integers and
 * eight doubles fill x19-x28 and d8-d15 on aarch64; on x86-64 the doubles
 * live in the stack frame, which must survive just as well. */
struct snapshot {
    uint64_t x[10];
    double d[8];
};

static struct snapshot expected[2];
static unsigned mismatches[2];
static int pingpongs_done[2];

__attribute__((noinline)) static void
record(int side, uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3,
       uint64_t x4, uint64_t x5, uint64_t x6, uint64_t x7, uint64_t x8,
       uint64_t x9, double d0, double d1, double d2, double d3, double d4,
       double d5, double d6, double d7)
{
    expected[side] = (struct snapshot){
        { x0, x1, x2, x3, x4, x5, x6, x7, x8, x9 },
        { d0, d1, d2, d3, d4, d5, d6, d7 },
    };
}

__attribute__((noinline)) static void
verify(int side, uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3,
       uint64_t x4, uint64_t x5, uint64_t x6, uint64_t x7, uint64_t x8,
       uint64_t x9, double d0, double d1, double d2, double d3, double d4,
       double d5, double d6, double d7)
{
    struct snapshot seen = {
        { x0, x1, x2, x3, x4, x5, x6, x7, x8, x9 },
        { d0, d1, d2, d3, d4, d5, d6, d7 },
    };
    for (int i = 0; i < 10; i++)
        mismatches[side] += seen.x[i] != expected[side].x[i];
    for (int i = 0; i < 8; i++)
        mismatches[side] += seen.d[i] != expected[side].d[i];
}

/* A step no induction-variable analysis can turn into a closed form, so
 * every value stays live across the switch.  The multiplier differs per
 * side, else the compiler parks the shared constant in a callee-saved
 * register where a lost save would go unnoticed; for the same reason the
 * loop counts in a global rather than in a register both sides agree on. */
static uint64_t mix(uint64_t v, uint64_t m, uint64_t k)
{
    return v * m + k;
}

static void pingpong(int side)
{
    volatile uint64_t seed = 0x9e3779b97f4a7c15u * (uint64_t)(side + 1);
    volatile uint64_t multiplier = side ? 6364136223846793005u
                                        : 2862933555777941757u;
    uint64_t m = multiplier;
    uint64_t x0 = seed, x1 = x0 ^ 1, x2 = x0 ^ 2, x3 = x0 ^ 3, x4 = x0 ^ 4;
    uint64_t x5 = x0 ^ 5, x6 = x0 ^ 6, x7 = x0 ^ 7, x8 = x0 ^ 8, x9 = x0 ^ 9;
    double d0 = (double)(seed >> 40), d1 = d0 + 1, d2 = d0 + 2, d3 = d0 + 3;
    double d4 = d0 + 4, d5 = d0 + 5, d6 = d0 + 6, d7 = d0 + 7;

    while (pingpongs_done[side] < PINGPONGS) {
        x0 = mix(x0, m, 1), x1 = mix(x1, m, 2), x2 = mix(x2, m, 3);
        x3 = mix(x3, m, 4), x4 = mix(x4, m, 5), x5 = mix(x5, m, 6);
        x6 = mix(x6, m, 7), x7 = mix(x7, m, 8), x8 = mix(x8, m, 9);
        x9 = mix(x9, m, 10);
        d0 = d0 * 0.75 + (double)(x0 >> 12), d1 = d1 * 0.75 + (double)(x1 >> 12);
        d2 = d2 * 0.75 + (double)(x2 >> 12), d3 = d3 * 0.75 + (double)(x3 >> 12);
        d4 = d4 * 0.75 + (double)(x4 >> 12), d5 = d5 * 0.75 + (double)(x5 >> 12);
        d6 = d6 * 0.75 + (double)(x6 >> 12), d7 = d7 * 0.75 + (double)(x7 >> 12);
        record(side, x0, x1, x2, x3, x4, x5, x6, x7, x8, x9,
               d0, d1, d2, d3, d4, d5, d6, d7);
        switch_to(side, !side);
        verify(side, x0, x1, x2, x3, x4, x5, x6, x7, x8, x9,
               d0, d1, d2, d3, d4, d5, d6, d7);
        pingpongs_done[side]++;
    }
}

static void body_pingpong(void)
{
    pingpong(OTHER);
}

static void test_pingpong_preserves_callee_saved(void **state)
{
    mismatches[MAIN] = mismatches[OTHER] = 0;
    pingpongs_done[MAIN] = pingpongs_done[OTHER] = 0;
    other_make(body_pingpong, STACK_SIZE);
    pingpong(MAIN);
    switch_to(MAIN, OTHER);     /* let the other side finish its last round */
    assert_int_equal(pingpongs_done[MAIN], PINGPONGS);
    assert_int_equal(pingpongs_done[OTHER], PINGPONGS);
    assert_int_equal(mismatches[MAIN], 0);
    assert_int_equal(mismatches[OTHER], 0);
}

/* ---- every callee-saved register, exactly ---------------------------------- */

/* The ping-pong above only covers the registers the compiler happened to
 * allocate (at -O0 hardly any).  probe_switch covers them all: it loads
 * every callee-saved register from in[], calls rt_ctx_switch(save, load),
 * and on return stores the registers to out[]; around that it keeps its
 * own caller's registers like any function.  in/out order:
 *   x86-64   rbx rbp r12 r13 r14 r15
 *   aarch64  x19-x28 x29 d8-d15 */
#if defined(__x86_64__)
enum { PROBE_REGISTERS = 6 };
__asm__(
    "        .text\n"
    "        .hidden probe_switch\n"
    "        .type   probe_switch, @function\n"
    "probe_switch:\n"           /* rdi save, rsi load, rdx in, rcx out */
    "        pushq   %rbp\n"
    "        pushq   %rbx\n"
    "        pushq   %r12\n"
    "        pushq   %r13\n"
    "        pushq   %r14\n"
    "        pushq   %r15\n"
    "        pushq   %rcx\n"    /* out; rsp is now 16-byte aligned */
    "        movq    0(%rdx), %rbx\n"
    "        movq    8(%rdx), %rbp\n"
    "        movq    16(%rdx), %r12\n"
    "        movq    24(%rdx), %r13\n"
    "        movq    32(%rdx), %r14\n"
    "        movq    40(%rdx), %r15\n"
    "        call    rt_ctx_switch\n"
    "        popq    %rax\n"
    "        movq    %rbx, 0(%rax)\n"
    "        movq    %rbp, 8(%rax)\n"
    "        movq    %r12, 16(%rax)\n"
    "        movq    %r13, 24(%rax)\n"
    "        movq    %r14, 32(%rax)\n"
    "        movq    %r15, 40(%rax)\n"
    "        popq    %r15\n"
    "        popq    %r14\n"
    "        popq    %r13\n"
    "        popq    %r12\n"
    "        popq    %rbx\n"
    "        popq    %rbp\n"
    "        ret\n"
    "        .size   probe_switch, .-probe_switch\n");
#elif defined(__aarch64__)
enum { PROBE_REGISTERS = 19 };
__asm__(
    "        .text\n"
    "        .hidden probe_switch\n"
    "        .type   probe_switch, %function\n"
    "probe_switch:\n"           /* x0 save, x1 load, x2 in, x3 out */
    "        stp     x29, x30, [sp, #-176]!\n"
    "        mov     x29, sp\n"
    "        stp     x19, x20, [sp, #16]\n"
    "        stp     x21, x22, [sp, #32]\n"
    "        stp     x23, x24, [sp, #48]\n"
    "        stp     x25, x26, [sp, #64]\n"
    "        stp     x27, x28, [sp, #80]\n"
    "        stp     d8,  d9,  [sp, #96]\n"
    "        stp     d10, d11, [sp, #112]\n"
    "        stp     d12, d13, [sp, #128]\n"
    "        stp     d14, d15, [sp, #144]\n"
    "        str     x3, [sp, #160]\n"
    "        ldp     x19, x20, [x2, #0]\n"
    "        ldp     x21, x22, [x2, #16]\n"
    "        ldp     x23, x24, [x2, #32]\n"
    "        ldp     x25, x26, [x2, #48]\n"
    "        ldp     x27, x28, [x2, #64]\n"
    "        ldr     x29, [x2, #80]\n"
    "        ldp     d8,  d9,  [x2, #88]\n"
    "        ldp     d10, d11, [x2, #104]\n"
    "        ldp     d12, d13, [x2, #120]\n"
    "        ldp     d14, d15, [x2, #136]\n"
    "        bl      rt_ctx_switch\n"
    "        ldr     x9, [sp, #160]\n"
    "        stp     x19, x20, [x9, #0]\n"
    "        stp     x21, x22, [x9, #16]\n"
    "        stp     x23, x24, [x9, #32]\n"
    "        stp     x25, x26, [x9, #48]\n"
    "        stp     x27, x28, [x9, #64]\n"
    "        str     x29, [x9, #80]\n"
    "        stp     d8,  d9,  [x9, #88]\n"
    "        stp     d10, d11, [x9, #104]\n"
    "        stp     d12, d13, [x9, #120]\n"
    "        stp     d14, d15, [x9, #136]\n"
    "        ldp     x19, x20, [sp, #16]\n"
    "        ldp     x21, x22, [sp, #32]\n"
    "        ldp     x23, x24, [sp, #48]\n"
    "        ldp     x25, x26, [sp, #64]\n"
    "        ldp     x27, x28, [sp, #80]\n"
    "        ldp     d8,  d9,  [sp, #96]\n"
    "        ldp     d10, d11, [sp, #112]\n"
    "        ldp     d12, d13, [sp, #128]\n"
    "        ldp     d14, d15, [sp, #144]\n"
    "        ldp     x29, x30, [sp], #176\n"
    "        ret\n"
    "        .size   probe_switch, .-probe_switch\n");
#endif

void probe_switch(void **save_sp, void *load_sp, const uint64_t *in,
                  uint64_t *out) __attribute__((visibility("hidden")));

static uint64_t probe_in[2][PROBE_REGISTERS], probe_out[2][PROBE_REGISTERS];

static void body_probe(void)
{
    probe_switch(&saved_sp[OTHER], saved_sp[MAIN], probe_in[OTHER],
                 probe_out[OTHER]);
}

static void test_switch_preserves_every_callee_saved_register(void **state)
{
    for (int side = 0; side < 2; side++)
        for (int r = 0; r < PROBE_REGISTERS; r++) {
            probe_in[side][r] = 0x0101010101010101u * (uint64_t)(r + 1)
                                ^ (uint64_t)(side + 1) << 60;
            probe_out[side][r] = 0;
        }
    other_make(body_probe, STACK_SIZE);
    /* Main probes, switching into the fresh context; that probes with its
     * own values and switches back; main resumes it to let it finish. */
    probe_switch(&saved_sp[MAIN], saved_sp[OTHER], probe_in[MAIN],
                 probe_out[MAIN]);
    switch_to(MAIN, OTHER);
    for (int side = 0; side < 2; side++)
        for (int r = 0; r < PROBE_REGISTERS; r++)
            assert_int_equal(probe_out[side][r], probe_in[side][r]);
}

/* ---- floating-point control state belongs to the context ------------------ */

enum rounding { ROUND_NEAREST, ROUND_UP, ROUND_DOWN, ROUND_ZERO };

#if defined(__x86_64__)
/* x87 RC (control word bits 10-11) and MXCSR RC (bits 13-14) share one
 * encoding; the switch must carry both. */
static const unsigned rounding_bits[4] = { 0, 2, 1, 3 };

static void rounding_set(enum rounding r)
{
    uint16_t cw;
    uint32_t mxcsr;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    cw = (uint16_t)((cw & ~0x0c00u) | rounding_bits[r] << 10);
    __asm__ volatile("fldcw %0" : : "m"(cw));
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    mxcsr = (mxcsr & ~0x6000u) | rounding_bits[r] << 13;
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
}

/* Returns the mode, or -1 when x87 and SSE disagree. */
static int rounding_get(void)
{
    uint16_t cw;
    uint32_t mxcsr;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    unsigned x87 = (cw >> 10) & 3, sse = (mxcsr >> 13) & 3;
    for (int r = 0; r < 4; r++)
        if (rounding_bits[r] == x87 && x87 == sse)
            return r;
    return -1;
}
#elif defined(__aarch64__)
/* FPCR.RMode, bits 22-23: RN, RP, RM, RZ. */
static const unsigned rounding_bits[4] = { 0, 1, 2, 3 };

static void rounding_set(enum rounding r)
{
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    fpcr = (fpcr & ~(uint64_t)(3u << 22)) | (uint64_t)rounding_bits[r] << 22;
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
}

static int rounding_get(void)
{
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    for (int r = 0; r < 4; r++)
        if (rounding_bits[r] == ((fpcr >> 22) & 3))
            return r;
    return -1;
}
#endif

/* 1/3 under the current rounding mode, in double (SSE or the FP unit) and
 * in long double (x87 on x86-64, libgcc's soft quad on aarch64). */
__attribute__((noinline)) static double third(void)
{
    volatile double one = 1, three = 3;
    return one / three;
}

__attribute__((noinline)) static long double third_long(void)
{
    volatile long double one = 1, three = 3;
    return one / three;
}

static int other_rounding_at_start, other_rounding_after_switch;
static double other_third;
static long double other_third_long;

static void body_rounding(void)
{
    other_rounding_at_start = rounding_get();
    rounding_set(ROUND_UP);
    switch_to(OTHER, MAIN);
    other_rounding_after_switch = rounding_get();
    other_third = third();
    other_third_long = third_long();
}

static void test_fp_control_is_per_context(void **state)
{
    rounding_set(ROUND_DOWN);       /* must not leak into a fresh context */
    other_make(body_rounding, STACK_SIZE);
    switch_to(MAIN, OTHER);
    int main_after_first = rounding_get();
    rounding_set(ROUND_ZERO);
    switch_to(MAIN, OTHER);
    int main_after_second = rounding_get();
    double main_third = third();
    long double main_third_long = third_long();
    rounding_set(ROUND_NEAREST);

    assert_int_equal(other_rounding_at_start, ROUND_NEAREST);
    assert_int_equal(main_after_first, ROUND_DOWN);
    assert_int_equal(other_rounding_after_switch, ROUND_UP);
    assert_int_equal(main_after_second, ROUND_ZERO);
    /* The restored mode really governs arithmetic: upward beats toward
     * zero by one unit in the last place. */
    assert_true(other_third > main_third);
    assert_true(other_third_long > main_third_long);
}

/* ---- the stack is aligned on entry ----------------------------------------- */

static uintptr_t other_frame, other_aligned_local;

static void body_alignment(void)
{
    _Alignas(16) char local[16];
    local[0] = 0;
    other_frame = launder((uintptr_t)__builtin_frame_address(0));
    other_aligned_local = launder((uintptr_t)local);
}

/* A stack top of base + hi_offset, aligned or not, must give entry a frame
 * that is 16-byte aligned and inside the stack. */
static void check_alignment(size_t hi_offset)
{
    other_frame = other_aligned_local = 1;
    other_make(body_alignment, hi_offset);
    switch_to(MAIN, OTHER);
    assert_int_equal(other_frame % 16, 0);
    assert_int_equal(other_aligned_local % 16, 0);
    assert_in_range(other_frame, (uintptr_t)stack_lo,
                    (uintptr_t)stack_lo + hi_offset);
    other_free(NULL);
}

static void test_entry_stack_is_aligned(void **state)
{
    check_alignment(STACK_SIZE);
    check_alignment(STACK_SIZE - 8);
    check_alignment(STACK_SIZE - 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_fresh_context_runs_entry, other_free),
        cmocka_unit_test_teardown(test_pingpong_preserves_callee_saved,
                                  other_free),
        cmocka_unit_test_teardown(
            test_switch_preserves_every_callee_saved_register, other_free),
        cmocka_unit_test_teardown(test_fp_control_is_per_context, other_free),
        cmocka_unit_test_teardown(test_entry_stack_is_aligned, other_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
