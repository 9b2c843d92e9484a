/*
 * Context switch for x86-64 System V.  See ctx.h for the contract.
 *
 * Frame pushed on the suspended stack, from the saved stack pointer up:
 *   0  x87 control word (2 bytes, slot of 4)   4  MXCSR (4 bytes)
 *   8  r15  16 r14  24 r13  32 r12  40 rbx  48 rbp  56 return address
 * rt_ctx_make builds the same frame with the entry function as the return
 * address, so the first switch "returns" into it.
 */
#if defined(__x86_64__)
        .text
        .globl  rt_ctx_switch
        .hidden rt_ctx_switch
        .type   rt_ctx_switch, @function
rt_ctx_switch:
        .cfi_startproc
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $8, %rsp
        fnstcw  (%rsp)
        stmxcsr 4(%rsp)
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        fldcw   (%rsp)
        ldmxcsr 4(%rsp)
        addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .cfi_endproc
        .size   rt_ctx_switch, .-rt_ctx_switch
#endif
        .section .note.GNU-stack,"",@progbits
