# goc run: arguments after `--` (or after the files) reach the program,
# argv[0] is the source's name, the exit status is the program's; a second
# run of the same sources is a cache hit that runs no compiler; an edit is
# a miss.
. "$(dirname "$0")/../lib_goc.sh"

cat > echoargs.gc <<'C'
#include <stdio.h>
#include "answer.gh"
int main(int argc, char **argv)
{
    printf("%s", argv[0]);
    for (int i = 1; i < argc; i++)
        printf(" [%s]", argv[i]);
    printf(" %d\n", ANSWER);
    return argc + 10;
}
C
echo '#define ANSWER 42' > answer.gh

expect_status 14 "$GOC" run -x echoargs.gc -- one 'two words' -x
[ "$(cat "$out")" = "echoargs [one] [two words] [-x] 42" ] || fail "run printed $(cat "$out")"
expect_in "$err" "cache miss"
[ -d "$GOC_CACHE" ] || fail "no cache directory $GOC_CACHE"
before=$(find "$GOC_CACHE" -type f -printf '%p %s %T@\n' | sort)
[ -n "$before" ] || fail "nothing in the cache"

expect_status 12 "$GOC" run -x echoargs.gc again
[ "$(cat "$out")" = "echoargs [again] 42" ] || fail "second run printed $(cat "$out")"
expect_in "$err" "cache hit"
grep -q -- "-c " "$err" && fail "a cache hit ran the compiler: $(cat "$err")"
after=$(find "$GOC_CACHE" -type f -printf '%p %s %T@\n' | sort)
[ "$before" = "$after" ] || fail "a cache hit changed the cache"

# Editing an included .gh is a miss.
echo '#define ANSWER 43' > answer.gh
expect_status 11 "$GOC" run -x echoargs.gc
expect_in "$err" "cache miss"
[ "$(cat "$out")" = "echoargs 43" ] || fail "after the edit run printed $(cat "$out")"

# Different flags are a different entry.
expect_status 11 "$GOC" run -x -O0 echoargs.gc
expect_in "$err" "cache miss"

# A build failure: the compiler's status, nothing run, nothing cached.
printf 'int main(void) { return undeclared_name; }\n' > bad.gc
expect_status 1 "$GOC" run bad.gc
expect_in "$err" "undeclared_name"
find "$GOC_CACHE" -name bad | grep -q . && fail "a failed build was cached"

no_temporaries
echo PASS
