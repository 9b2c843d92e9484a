/*
 * ctx.c — building the first frame of a new stack for rt_ctx_switch.
 * The layouts mirror the frames that ctx_<arch>.S pushes; change both
 * together.
 */
#include "ctx.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)

void *rt_ctx_make(void *stack_hi, void (*entry)(void))
{
    uintptr_t top = (uintptr_t)stack_hi & ~(uintptr_t)15;
    uint64_t *sp = (uint64_t *)top;
    /* After the final `ret` pops entry, rsp must be 8 mod 16, as after a
     * call: leave a zero fake return address there. */
    *--sp = 0;                       /* fake return address of entry  */
    *--sp = (uint64_t)(uintptr_t)entry;
    for (int i = 0; i < 6; i++)      /* rbp rbx r12 r13 r14 r15       */
        *--sp = 0;
    uint32_t fpu[2] = { 0x037f, 0x1f80 };  /* x87 CW, MXCSR defaults  */
    *--sp = 0;
    memcpy(sp, fpu, sizeof fpu);
    return sp;
}

#elif defined(__aarch64__)

/* Slots of the 176-byte frame ctx_aarch64.S stores, in 8-byte words. */
enum { FRAME_WORDS = 22, SLOT_FPCR = 0, SLOT_X29 = 20, SLOT_X30 = 21 };

void *rt_ctx_make(void *stack_hi, void (*entry)(void))
{
    uintptr_t top = (uintptr_t)stack_hi & ~(uintptr_t)15;
    uint64_t *sp = (uint64_t *)top - FRAME_WORDS;
    /* x19-x28 and d8-d15 start at zero; FPCR 0 is the Linux default
     * (round to nearest, no traps, no flush-to-zero); x29 = 0 ends the
     * frame-pointer chain; x30 is where the final `ret` goes.  After the
     * frame is popped sp is top again, 16-byte aligned as AAPCS64 needs
     * at every instruction that touches the stack. */
    memset(sp, 0, FRAME_WORDS * sizeof *sp);
    sp[SLOT_FPCR] = 0;
    sp[SLOT_X29] = 0;
    sp[SLOT_X30] = (uint64_t)(uintptr_t)entry;
    return sp;
}

#else
#error "goc: unsupported architecture (x86-64 and aarch64 only)"
#endif
