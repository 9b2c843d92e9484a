/*
 * ctx.h — the machine context switch, the one piece of the runtime written
 * in assembly (ctx_x86_64.S, ctx_aarch64.S).
 *
 * A context is just a saved stack pointer.  rt_ctx_switch pushes the
 * callee-saved registers and the floating-point control state (x86-64:
 * MXCSR and the x87 control word; aarch64: FPCR) onto the current stack,
 * stores the stack pointer in *save_sp, loads load_sp and pops the same
 * frame from there.  Everything caller-saved is already saved by the C
 * compiler around the call, so this is the whole state of a goroutine.
 *
 * Rejected: ucontext (swapcontext makes a sigprocmask system call on every
 * switch) and setjmp/longjmp (undefined when jumping between stacks, and
 * glibc's pointer mangling gets in the way).
 */
#ifndef GOC_RT_CTX_H
#define GOC_RT_CTX_H

/* Saves the running context into *save_sp and resumes the one at load_sp.
 * Returns when something switches back to the saved context. */
void rt_ctx_switch(void **save_sp, void *load_sp);

/* Prepares a fresh stack whose top (exclusive, 16-byte aligned) is
 * stack_hi so that the first switch to the returned stack pointer calls
 * entry() with a correctly aligned stack.  entry must never return. */
void *rt_ctx_make(void *stack_hi, void (*entry)(void));

#endif
