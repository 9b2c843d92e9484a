#!/usr/bin/env bash
# A breakpoint set on a .gc line stops there: goc build -g keeps #line
# directives pointing at the .gc source, so gdb sees .gc lines.
# Usage: test_gdb_line.sh GOC
set -u
goc=$1
command -v gdb >/dev/null || { echo "gdb not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/bp.gc" <<'GC'
#include <stdio.h>

static int twice(int x)
{
    return 2 * x;
}

int main(void)
{
    chan int c = make(chan int, 1);
    go { c <- twice(21); }
    int v = <-c;
    printf("%d\n", v);
    return 0;
}
GC
"$goc" build -g -O0 -o "$dir/bp" "$dir/bp.gc" || exit 1
out=$(cd "$dir" && gdb -q -batch -ex 'break bp.gc:5' -ex run -ex 'info frame' -ex 'bt 1' ./bp 2>&1)
echo "$out" | grep -q "Breakpoint 1 at .*bp.gc, line 5" || { echo "no breakpoint on bp.gc:5"; echo "$out"; exit 1; }
echo "$out" | grep -qE "Breakpoint 1, twice \(x=21\) at .*bp.gc:5" || { echo "did not stop at bp.gc:5"; echo "$out"; exit 1; }
echo ok
