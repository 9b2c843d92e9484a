# A goc build killed while its compiler runs stops the compiler and
# leaves neither its work directory nor a partial output behind.  (SIGINT
# is not tried: a background job of a non-interactive shell ignores it.)
. "$(dirname "$0")/../lib_goc.sh"

cat > slowcc <<'SH'
#!/bin/sh
sleep 30 >/dev/null 2>&1 &
trap 'kill $! 2>/dev/null; exit 143' TERM HUP INT
touch "$SLOWCC_STARTED"
wait
exec cc "$@"
SH
chmod +x slowcc
printf 'int main(void) { return 0; }\n' > prog.gc
export SLOWCC_STARTED=$scratch/started

for sig in TERM HUP; do
    rm -f "$SLOWCC_STARTED"
    CC=$scratch/slowcc "$GOC" build -o prog prog.gc &
    pid=$!
    wait_for_file "$SLOWCC_STARTED"
    kill -s "$sig" "$pid"
    status=0
    wait "$pid" || status=$?
    [ "$status" -ne 0 ] || fail "goc killed by SIG$sig exited 0"
    [ ! -e prog ] || fail "SIG$sig left ./prog"
    ls -A | grep -q '\.goc-' && fail "SIG$sig left a temporary output"
    no_temporaries
done
echo PASS
