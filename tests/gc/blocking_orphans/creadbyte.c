/* Plain C for blocking_orphans.gc: the translator never sees it. */
#include <unistd.h>

/* Blocks in read(2) until one byte arrives (or EOF). */
int c_read_byte(int fd)
{
    char c;
    return read(fd, &c, 1) == 1 ? c : -1;
}
