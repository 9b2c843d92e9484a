# goc build: .gc, .c, .o and .a files mixed; .gh headers beside the .gc, in
# a subdirectory, climbing with "..", and in a -I directory; CC-FLAGS after
# `--`; the default output name; failures exit 1 and leave no output file
# (and an older one intact) and no temporary directory.
. "$(dirname "$0")/../lib_goc.sh"

mkdir -p src/sub include lib
cat > src/main.gc <<'C'
#include <stdio.h>
#include "sub/scale.gh"
#include "limits.gh"
#include "helpers.h"

int main(int argc, char **argv)
{
    printf("%d %d %d %d %s\n", scaled(2), LIMIT, add_one(41), from_archive(), GREETING);
    return 0;
}
C
cat > src/sub/scale.gh <<'C'
#include "../factor.gh"
#include "plain_sub.h"
static inline int scaled(int x) { return x * FACTOR * PLAIN_SUB_ONE; }
C
echo '#define PLAIN_SUB_ONE 1' > src/sub/plain_sub.h
echo '#define FACTOR 10' > src/factor.gh
echo '#define LIMIT 99' > include/limits.gh
printf 'int add_one(int x);\nint from_archive(void);\n' > src/helpers.h
printf '#include "helpers.h"\nint add_one(int x) { return x + 1; }\n' > src/add.c
printf 'int from_archive(void) { return 7; }\n' > lib/arch.c
cc -c lib/arch.c -o lib/arch.o
ar rcs lib/libarch.a lib/arch.o

expect_status 0 "$GOC" build src/main.gc src/add.c lib/libarch.a -- -Iinclude '-DGREETING="hi"'
[ -x main ] || fail "default output name: no ./main"
./main > got
[ "$(cat got)" = "20 99 42 7 hi" ] || fail "main printed $(cat got)"

expect_status 0 "$GOC" build -o bin_prog -O2 -g src/add.c src/main.gc lib/arch.o -- -Iinclude -DGREETING='"yo"'
[ "$(./bin_prog)" = "20 99 42 7 yo" ] || fail "bin_prog printed $(./bin_prog)"
no_temporaries

# -x prints the commands: translated C gets -std=gnu17 and the -Werror set.
expect_status 0 "$GOC" build -x -o bin_prog src/main.gc src/add.c lib/arch.o -- -Iinclude -DGREETING='"x"'
expect_in "$err" "-std=gnu17"
expect_in "$err" "-Werror=incompatible-pointer-types"
expect_in "$err" "libgoc"

# A C compile error: the compiler's message and status, no output file.
printf 'int main(void) { return undeclared_name; }\n' > bad.gc
expect_status 1 "$GOC" build bad.gc
expect_in "$err" "bad.gc:1"
expect_in "$err" "undeclared_name"
[ ! -e bad ] || fail "a failed build left ./bad"
ls -A | grep -q '\.goc-' && fail "a failed build left a temporary output"

# A link error (no main) leaves no output either, and keeps an older one.
printf 'int not_main(void) { return 0; }\n' > nomain.gc
echo old > nomain
expect_status 1 "$GOC" build nomain.gc
[ "$(cat nomain)" = old ] || fail "a failed link replaced ./nomain"
ls -A | grep -q '\.goc-' && fail "a failed link left a temporary output"

# A translation error (a macro body that uses chan is one, SPEC.md §1).
printf '#define CHANNEL(x) chan int x\nint main(void) { return 0; }\n' > badmacro.gc
expect_status 1 "$GOC" build badmacro.gc
expect_in "$err" "badmacro.gc:1"
[ ! -e badmacro ] || fail "a failed translation left ./badmacro"

# -std=c99 after `--` hides POSIX and GNU functions from a translated file as
# from plain C, unless the file asks for them with a feature-test macro
# before its includes (the translation's own include of goc_lang.h comes
# after that define, so it cannot hide them).
cat > strict.gc <<'C'
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
int main(void)
{
    char *s = strdup("hello");
    go { }
    printf("%s %zu\n", s, strnlen(s, 3));
    return 0;
}
C
expect_status 0 "$GOC" build -o strict strict.gc -- -std=c99
[ "$(./strict)" = "hello 3" ] || fail "strict printed $(./strict)"
sed 1d strict.gc > strict_nomacro.gc
expect_status 1 "$GOC" build -o strict_nomacro strict_nomacro.gc -- -std=c99
expect_in "$err" "strdup"

# GOC_KEEP_TMP keeps the work directory and says where it is.
GOC_KEEP_TMP=1 expect_status 0 "$GOC" build -o kept src/main.gc src/add.c lib/arch.o -- -Iinclude -DGREETING='"k"'
work=$(sed -n 's/^WORK=//p' "$err")
[ -n "$work" ] && [ -d "$work" ] || fail "GOC_KEEP_TMP: no WORK= line or directory"
find "$work" -name main.c | grep -q . || fail "GOC_KEEP_TMP: no translated main.c in $work"
find "$work" -name scale.gh | grep -q . || fail "GOC_KEEP_TMP: no translated scale.gh in $work"
rm -rf "$work"

# -o naming a device or FIFO (as -o /dev/null does) writes into it: a
# rename over it would replace /dev/null with a regular file.
mkfifo out.fifo
timeout 60 cat out.fifo > fifo_got &
expect_status 0 "$GOC" build -o out.fifo src/main.gc src/add.c lib/arch.o -- -Iinclude -DGREETING='"f"'
wait
[ -p out.fifo ] || fail "build -o FIFO replaced the FIFO"
head -c 4 fifo_got | grep -q ELF || fail "build -o FIFO: no executable came through it"
timeout 60 cat out.fifo > fifo_c &
expect_status 0 "$GOC" translate src/factor.gh -o out.fifo
wait
[ -p out.fifo ] || fail "translate -o FIFO replaced the FIFO"
grep -q FACTOR fifo_c || fail "translate -o FIFO: nothing came through it"

no_temporaries
echo PASS
