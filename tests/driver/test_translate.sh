# goc translate: the C on stdout or in -o FILE (written whole or not at
# all); a .gh translates too; errors exit 1 and write nothing.
. "$(dirname "$0")/../lib_goc.sh"

cat > prog.gc <<'C'
#include <stdio.h>
#include "part.gh"
int distinctive_function_name(int x) { return x + PART; }
int main(void) { printf("%d\n", distinctive_function_name(1)); return 0; }
C
echo '#define PART 1' > part.gh

expect_status 0 "$GOC" translate prog.gc
expect_in "$out" distinctive_function_name
expect_in "$out" prog.gc    # #line directives name the source

expect_status 0 "$GOC" translate prog.gc -o prog.c
[ -s prog.c ] || fail "translate -o wrote no prog.c"
[ -z "$(cat "$out")" ] || fail "translate -o also wrote to stdout"
expect_in prog.c distinctive_function_name
expect_status 0 "$GOC" translate -o other.c prog.gc
cmp -s prog.c other.c || fail "-o before and after the file differ"

expect_status 0 "$GOC" translate part.gh
expect_in "$out" PART

# An error: nothing written, an older output kept, no temporary beside it.
printf '#define CHANNEL(x) chan int x\nint main(void) { return 0; }\n' > bad.gc
echo old > bad.c
expect_status 1 "$GOC" translate bad.gc -o bad.c
expect_in "$err" "bad.gc:1"
[ "$(cat bad.c)" = old ] || fail "a failed translate replaced bad.c"
expect_status 1 "$GOC" translate bad.gc -o fresh.c
[ ! -e fresh.c ] || fail "a failed translate wrote fresh.c"
ls -A | grep -q '\.goc-' && fail "a temporary output was left behind"

# -- CC-FLAGS: -I finds a .gh elsewhere.
mkdir inc
echo '#define ELSEWHERE 3' > inc/far.gh
printf '#include "far.gh"\nint f(void) { return ELSEWHERE; }\n' > usesfar.gc
expect_status 0 "$GOC" translate usesfar.gc -- -Iinc
expect_in "$out" ELSEWHERE

no_temporaries
echo PASS
