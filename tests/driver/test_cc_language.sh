# -x LANG among the user's arguments (configure scripts run `$CC -x c
# conftest.c`) does not reach the runtime library and -lpthread that goc
# appends to a link: `-x none` comes before them.
. "$(dirname "$0")/../lib_goc.sh"

printf 'int main(void) { return 0; }\n' > conftest.txt
expect_status 0 "$GOC" cc -x c conftest.txt -o separate
./separate || fail "separate exited $?"
expect_status 0 "$GOC" cc -xc conftest.txt -o joined
./joined || fail "joined exited $?"
expect_status 0 "$GOC" cc -x c -c conftest.txt -o conftest.o
expect_status 0 "$GOC" cc conftest.o -o linked
./linked || fail "linked exited $?"

printf 'int main(void) { return 3; }\n' > prog.c
expect_status 0 "$GOC" build -o built prog.c -- -x c
status=0
./built || status=$?
[ "$status" = 3 ] || fail "built exited $status, want 3"

no_temporaries
echo PASS
