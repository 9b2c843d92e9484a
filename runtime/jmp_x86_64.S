/*
 * goc__setjmp / goc__longjmp for x86-64 System V: the jump back into a
 * frame that a panic unwinds (panic.c, goc.h's goc_frame_enter).  Like
 * _setjmp without the signal mask and pointer mangling: the callee-saved
 * registers, the stack pointer after return and the return address, in
 * words 0..7 of the buffer.  MXCSR and the x87 control word are not saved
 * (nor does glibc's setjmp save them).  Declared returns_twice, so the
 * compiler treats the call like setjmp.
 */
#if defined(__x86_64__)
        .text
        .globl  goc__setjmp
        .type   goc__setjmp, @function
goc__setjmp:
        .cfi_startproc
        movq    %rbx, 0(%rdi)
        movq    %rbp, 8(%rdi)
        movq    %r12, 16(%rdi)
        movq    %r13, 24(%rdi)
        movq    %r14, 32(%rdi)
        movq    %r15, 40(%rdi)
        leaq    8(%rsp), %rdx
        movq    %rdx, 48(%rdi)
        movq    (%rsp), %rdx
        movq    %rdx, 56(%rdi)
        xorl    %eax, %eax
        ret
        .cfi_endproc
        .size   goc__setjmp, .-goc__setjmp

        .globl  goc__longjmp
        .type   goc__longjmp, @function
goc__longjmp:
        .cfi_startproc
        movq    0(%rdi), %rbx
        movq    8(%rdi), %rbp
        movq    16(%rdi), %r12
        movq    24(%rdi), %r13
        movq    32(%rdi), %r14
        movq    40(%rdi), %r15
        movq    48(%rdi), %rsp
        movl    %esi, %eax
        testl   %eax, %eax
        jnz     1f
        incl    %eax
1:      jmpq    *56(%rdi)
        .cfi_endproc
        .size   goc__longjmp, .-goc__longjmp
#endif
        .section .note.GNU-stack,"",@progbits
