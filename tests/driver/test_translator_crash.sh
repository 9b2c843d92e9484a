# A crash of the translator (GOC_TEST_TRANSLATOR_CRASH makes it fault at
# the first go statement it lowers) is reported at the .gc position it was
# at, and goc still removes its work directory; a fault elsewhere in goc
# (a SIGSEGV sent while the compiler runs) names the signal and cleans up
# too.
. "$(dirname "$0")/../lib_goc.sh"

cat > prog.gc <<'C'
#include <stdio.h>
int main(void)
{
    go { puts("never"); }
    return 0;
}
C

for command in "build -o prog" "translate -o prog.c" run; do
    GOC_TEST_TRANSLATOR_CRASH=1 expect_status 139 "$GOC" $command prog.gc
    expect_in "$err" "prog.gc:4:5: internal error: the translator crashed here (SIGSEGV, in the lowering)"
    expect_in "$err" '    4 |     go { puts("never"); }'
    [ ! -e prog ] && [ ! -e prog.c ] || fail "goc $command left an output behind"
    no_temporaries
done

cat > slowcc <<'SH'
#!/bin/sh
sleep 30 >/dev/null 2>&1 &
trap 'kill $! 2>/dev/null; exit 143' TERM
touch "$SLOWCC_STARTED"
wait
exec cc "$@"
SH
chmod +x slowcc
export SLOWCC_STARTED=$scratch/started
CC=$scratch/slowcc "$GOC" build -o prog prog.gc 2>"$err" &
pid=$!
wait_for_file "$SLOWCC_STARTED"
kill -s SEGV "$pid"
status=0
wait "$pid" || status=$?
[ "$status" = 139 ] || fail "goc sent SIGSEGV exited $status, want 139"
expect_in "$err" "goc: internal error: SIGSEGV"
[ ! -e prog ] || fail "SIGSEGV left ./prog"
no_temporaries
echo PASS
