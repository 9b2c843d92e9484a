# goc cc as make's C compiler: a project of main.gc (including a .gh),
# util.c and util.h, built by `make CC="goc cc"` with make's own rules, a
# pattern rule for .gc without -o, and -MMD dependency files.
. "$(dirname "$0")/../lib_goc.sh"

mkdir proj
cd proj
cat > main.gc <<'C'
#include <stdio.h>
#include "util.h"
#include "config.gh"

int main(int argc, char **argv)
{
    printf("%d %d\n", util_add(2, 3), SCALE);
    return 0;
}
C
echo '#define SCALE 10' > config.gh
printf 'int util_add(int a, int b);\n' > util.h
printf '#include "util.h"\nint util_add(int a, int b) { return a + b; }\n' > util.c
cat > Makefile <<'MK'
CFLAGS = -O1 -MMD
prog: main.o util.o
	$(CC) -o $@ $^
%.o: %.gc
	$(CC) $(CFLAGS) -c $<
-include $(wildcard *.d)
MK

expect_status 0 make CC="$GOC cc"
[ -f main.o ] || fail "goc cc -c main.gc did not write main.o"
[ "$(./prog)" = "5 10" ] || fail "prog printed $(./prog)"

# The dependency file names the sources, not their translations.
expect_in main.d main.gc
expect_in main.d config.gh
grep -q "$TMPDIR" main.d && fail "main.d names the work directory: $(cat main.d)"

expect_status 0 make CC="$GOC cc"
expect_in "$out" "up to date"
sleep 1
echo '#define SCALE 20' > config.gh
expect_status 0 make CC="$GOC cc"
expect_in "$out" main.gc
[ "$(./prog)" = "5 20" ] || fail "after editing config.gh prog printed $(./prog)"

# Explicit -o, -S, and a one-step compile and link.
expect_status 0 "$GOC" cc -c main.gc -o other.o
[ -f other.o ] || fail "goc cc -c -o other.o wrote nothing"
expect_status 0 "$GOC" cc -S main.gc
[ -f main.s ] || fail "goc cc -S main.gc did not write main.s"
expect_status 0 "$GOC" cc -o direct main.gc util.c
[ "$(./direct)" = "5 20" ] || fail "direct printed $(./direct)"

# Pass-through: the compiler's own options and errors, with its status.
expect_status 0 "$GOC" cc --version
printf 'int main(void) { return undeclared_name; }\n' > bad.gc
expect_status 1 "$GOC" cc -c bad.gc
expect_in "$err" "bad.gc:1"
[ ! -e bad.o ] || fail "a failed compile left bad.o"

cd ..
no_temporaries
echo PASS
