# goc's command line: usage errors exit 2 with a message, failures exit 1
# with a message naming the file, version and env print what they should.
. "$(dirname "$0")/../lib_goc.sh"

expect_status 2 "$GOC"
expect_in "$err" "Usage:"
expect_status 2 "$GOC" frobnicate
expect_in "$err" 'unknown command "frobnicate"'
expect_status 2 "$GOC" build
expect_in "$err" "no files"
expect_status 2 "$GOC" build -race -asan x.gc
expect_status 2 "$GOC" build -Q x.gc
expect_status 2 "$GOC" build prog.txt
expect_status 2 "$GOC" build -o
expect_status 2 "$GOC" run
expect_status 2 "$GOC" translate
expect_status 2 "$GOC" translate a.gc b.gc
expect_status 2 "$GOC" translate x.c
expect_status 2 "$GOC" version extra
expect_status 2 "$GOC" env NOT_A_GOC_VARIABLE

expect_status 0 "$GOC" help
expect_in "$out" "goc build"

# A missing source: exit 1, a message naming it, nothing written.
expect_status 1 "$GOC" translate missing.gc
expect_in "$err" "missing.gc"
expect_status 1 "$GOC" translate missing.gc -o missing.c
[ ! -e missing.c ] || fail "translate wrote missing.c"
expect_status 1 "$GOC" build missing.gc
expect_in "$err" "missing.gc"
[ ! -e missing ] || fail "build wrote missing"
expect_status 1 "$GOC" run missing.gc
expect_in "$err" "missing.gc"

expect_status 0 "$GOC" version
grep -Eq '^goc version [0-9]+\.[0-9]+\.[0-9]+ [a-z]+/[a-z0-9_]+$' "$out" || fail "version: $(cat "$out")"

expect_status 0 "$GOC" env
for key in GOC_VERSION CC GOC_INCLUDE GOC_LIB GOC_CACHE; do
    grep -q "^$key=\".*\"\$" "$out" || fail "goc env lacks $key"
done
expect_in "$out" "GOC_CACHE=\"$GOC_CACHE\""
expect_status 0 "$GOC" env GOC_INCLUDE
[ -f "$(cat "$out")/goc.h" ] || fail "GOC_INCLUDE $(cat "$out") holds no goc.h"
expect_status 0 "$GOC" env GOC_LIB
[ -f "$(cat "$out")/libgoc.a" ] || fail "GOC_LIB $(cat "$out") holds no libgoc.a"
GOC_LIB=/elsewhere expect_status 0 "$GOC" env GOC_LIB
expect_in "$out" /elsewhere
CC="cc -m64" expect_status 0 "$GOC" env CC
expect_in "$out" "cc -m64"

no_temporaries
echo PASS
