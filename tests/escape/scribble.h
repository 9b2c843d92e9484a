/* overwrite a lot of stack */
static __attribute__((noinline)) int scribble(int d)
{
    volatile char buf[512];
    for (int i = 0; i < 512; i++) buf[i] = (char)0x5a;
    return d ? scribble(d - 1) + buf[d] : buf[0];
}
