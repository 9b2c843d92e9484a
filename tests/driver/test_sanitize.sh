# goc build -race and -asan: a program whose goroutines pass values over
# a channel builds against the sanitizer runtime and runs clean.  The
# goroutine code is in a .gc without main (plain C using goc.h), main in a
# .c file.  A flavour whose runtime this build lacks is left out; with
# neither, the test is skipped (77).
. "$(dirname "$0")/../lib_goc.sh"

cat > work.gc <<'C'
#include <goc.h>

static void produce(void *arg)
{
    goc_chan *c = arg;
    for (int i = 1; i <= 100; i++)
        goc_chan_send(c, &i);
    goc_chan_close(c);
}

int sum_over_channel(void)
{
    goc_chan *c = goc_chan_make(sizeof(int), 4);
    goc_go(produce, c);
    int v, sum = 0;
    while (goc_chan_recv(c, &v))
        sum += v;
    return sum;
}
C
cat > main.c <<'C'
#include <goc.h>
#include <stdio.h>
int sum_over_channel(void);
static int real_main(int argc, char **argv)
{
    printf("%d\n", sum_over_channel());
    return 0;
}
int main(int argc, char **argv) { return goc_main(real_main, argc, argv); }
C

ran=0
for flag in race asan; do
    status=0
    "$GOC" build -"$flag" -o "prog_$flag" work.gc main.c >"$out" 2>"$err" || status=$?
    if [ "$status" -ne 0 ] && grep -q "runtime library .* not found" "$err"; then
        continue   # this build has no runtime for -$flag
    fi
    [ "$status" -eq 0 ] || { cat "$err" >&2; fail "goc build -$flag exited $status"; }
    ASAN_OPTIONS=detect_leaks=0 expect_status 0 "./prog_$flag"
    [ "$(cat "$out")" = 5050 ] || fail "-$flag program printed $(cat "$out")"
    grep -q "WARNING: ThreadSanitizer\|ERROR: AddressSanitizer" "$err" && fail "-$flag: $(cat "$err")"
    ran=$((ran + 1))
done
expect_status 0 "$GOC" build -o prog_plain work.gc main.c
expect_status 0 ./prog_plain
[ "$(cat "$out")" = 5050 ] || fail "plain program printed $(cat "$out")"

no_temporaries
[ "$ran" -gt 0 ] || { echo "SKIP: no runtime for -race or -asan in this build"; exit 77; }
echo PASS
