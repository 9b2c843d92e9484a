/*
 * goc__setjmp / goc__longjmp for AArch64 (AAPCS64): see jmp_x86_64.S.
 * Saves x19..x30, sp and d8..d15 (words 0..20 of the buffer); the jump
 * back returns through x30 with `ret`, which BTI does not check.  (Built
 * with -mbranch-protection, the GNU property note ctx_aarch64.S carries is
 * needed here too; Debian's default build has neither.)
 */
#if defined(__aarch64__)
        .text
        .globl  goc__setjmp
        .type   goc__setjmp, %function
goc__setjmp:
        .cfi_startproc
#if defined(__ARM_FEATURE_BTI_DEFAULT)
        hint    #34                     /* bti c: reached through the PLT */
#endif
        stp     x19, x20, [x0, #0]
        stp     x21, x22, [x0, #16]
        stp     x23, x24, [x0, #32]
        stp     x25, x26, [x0, #48]
        stp     x27, x28, [x0, #64]
        stp     x29, x30, [x0, #80]
        mov     x2, sp
        str     x2, [x0, #96]
        stp     d8,  d9,  [x0, #104]
        stp     d10, d11, [x0, #120]
        stp     d12, d13, [x0, #136]
        stp     d14, d15, [x0, #152]
        mov     w0, #0
        ret
        .cfi_endproc
        .size   goc__setjmp, .-goc__setjmp

        .globl  goc__longjmp
        .type   goc__longjmp, %function
goc__longjmp:
        .cfi_startproc
#if defined(__ARM_FEATURE_BTI_DEFAULT)
        hint    #34                     /* bti c */
#endif
        ldp     x19, x20, [x0, #0]
        ldp     x21, x22, [x0, #16]
        ldp     x23, x24, [x0, #32]
        ldp     x25, x26, [x0, #48]
        ldp     x27, x28, [x0, #64]
        ldp     x29, x30, [x0, #80]
        ldr     x2, [x0, #96]
        mov     sp, x2
        ldp     d8,  d9,  [x0, #104]
        ldp     d10, d11, [x0, #120]
        ldp     d12, d13, [x0, #136]
        ldp     d14, d15, [x0, #152]
        cmp     w1, #0
        csinc   w0, w1, wzr, ne
        ret
        .cfi_endproc
        .size   goc__longjmp, .-goc__longjmp
#endif
        .section .note.GNU-stack,"",%progbits
