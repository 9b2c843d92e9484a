/*
 * Plain C for blocking.gc: code the translator never sees, so it has no
 * preemption polls -- what a goroutine calling into a C library runs.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

/* Spins, computing, until *flag becomes nonzero; returns the rounds. */
uint64_t c_spin_until(_Atomic int *flag)
{
    uint64_t rounds = 0, x = 88172645463325252ull;
    while (!atomic_load_explicit(flag, memory_order_acquire)) {
        for (int i = 0; i < 1000; i++) {       /* xorshift: real work */
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        rounds += 1 + (x == 0);
    }
    return rounds;
}

/* read(2) until n bytes arrived or EOF; returns the bytes read. */
ssize_t c_read_full(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}
