/*
 * Context switch for aarch64 (AAPCS64).  See ctx.h for the contract.
 *
 * AAPCS64 makes x19-x28, the frame pointer x29, the link register x30 and
 * the low 64 bits of v8-v15 (d8-d15) callee-saved; FPCR (rounding mode,
 * flush-to-zero, default NaN) is per-thread state that a goroutine owns.
 * Frame stored on the suspended stack, 176 bytes so sp stays 16-byte
 * aligned, offsets from the saved stack pointer:
 *     0  FPCR         8  (pad)
 *    16  d8   d9     32  d10  d11    48  d12  d13    64  d14  d15
 *    80  x19  x20    96  x21  x22   112  x23  x24   128  x25  x26
 *   144  x27  x28   160  x29  x30 (return address)
 * rt_ctx_make builds the same frame with the entry function as x30, so
 * the first switch "returns" into it.
 *
 * FPCR is written only when the two contexts disagree: a write to it is
 * expensive on many cores (it can serialise the FP pipeline) and almost
 * every switch is between contexts with the default FPCR.  FPSR, the sticky exception flags, is
 * not switched: goc promises nothing about fetestexcept across a call
 * that may reschedule.
 */
#if defined(__aarch64__)
        .text
        .p2align 4
        .globl  rt_ctx_switch
        .hidden rt_ctx_switch
        .type   rt_ctx_switch, %function
rt_ctx_switch:
        .cfi_startproc
#if defined(__ARM_FEATURE_BTI_DEFAULT)
        hint    #34                     /* bti c */
#endif
        sub     sp, sp, #176
        stp     x29, x30, [sp, #160]
        stp     x27, x28, [sp, #144]
        stp     x25, x26, [sp, #128]
        stp     x23, x24, [sp, #112]
        stp     x21, x22, [sp, #96]
        stp     x19, x20, [sp, #80]
        stp     d14, d15, [sp, #64]
        stp     d12, d13, [sp, #48]
        stp     d10, d11, [sp, #32]
        stp     d8,  d9,  [sp, #16]
        mrs     x9, fpcr
        str     x9, [sp]
        mov     x10, sp
        str     x10, [x0]
        mov     sp, x1
        ldr     x10, [sp]
        cmp     x9, x10
        b.eq    1f
        msr     fpcr, x10
1:      ldp     d8,  d9,  [sp, #16]
        ldp     d10, d11, [sp, #32]
        ldp     d12, d13, [sp, #48]
        ldp     d14, d15, [sp, #64]
        ldp     x19, x20, [sp, #80]
        ldp     x21, x22, [sp, #96]
        ldp     x23, x24, [sp, #112]
        ldp     x25, x26, [sp, #128]
        ldp     x27, x28, [sp, #144]
        ldp     x29, x30, [sp, #160]
        add     sp, sp, #176
        ret
        .cfi_endproc
        .size   rt_ctx_switch, .-rt_ctx_switch

/* When C is built with -mbranch-protection, every object must carry the
 * GNU property note or the linker drops BTI/PAC marking for the whole
 * binary.  PAC needs nothing here: x30 is saved and restored unsigned,
 * exactly as the caller's bl left it. */
#if defined(__ARM_FEATURE_BTI_DEFAULT) || defined(__ARM_FEATURE_PAC_DEFAULT)
        .section .note.gnu.property, "a"
        .p2align 3
        .word   4                       /* name size: "GNU\0"          */
        .word   16                      /* descriptor size             */
        .word   5                       /* NT_GNU_PROPERTY_TYPE_0      */
        .asciz  "GNU"
        .word   0xc0000000              /* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
        .word   4
#if defined(__ARM_FEATURE_BTI_DEFAULT) && defined(__ARM_FEATURE_PAC_DEFAULT)
        .word   3                       /* BTI | PAC                   */
#elif defined(__ARM_FEATURE_BTI_DEFAULT)
        .word   1                       /* BTI                         */
#else
        .word   2                       /* PAC                         */
#endif
        .word   0                       /* pad to 8                    */
#endif
#endif
        .section .note.GNU-stack,"",%progbits
