# tests/lib_goc.sh — sourced by the tests that drive the goc command
# (tests/driver/test_*.sh and tests/identity/test_*.sh, run by CTest as
# `bash test_X.sh PATH/TO/goc [MORE]`).
#
# Gives each test $GOC, a private scratch directory as the working
# directory, TMPDIR inside it (so that a work directory goc leaves behind is
# seen: check with no_temporaries) and GOC_CACHE inside it, and removes it
# all at the end.  The .gc files the tests write are plain C, so the tests
# hold for any translator that keeps plain C as it is.
set -euo pipefail
GOC=$(realpath "${1:?usage: $0 PATH/TO/goc}")
scratch=$(mktemp -d "${TMPDIR:-/tmp}/goc-driver-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export TMPDIR=$scratch/tmp GOC_CACHE=$scratch/cache
unset GOC_KEEP_TMP GOC_INCLUDE GOC_LIB
mkdir -p "$TMPDIR"
cd "$scratch"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

out=$scratch/out
err=$scratch/err

# expect_status WANT COMMAND...: runs COMMAND with its output in $out and
# $err, and fails unless it exits with WANT.
expect_status() {
    local want=$1 got=0
    shift
    "$@" >"$out" 2>"$err" || got=$?
    if [ "$got" != "$want" ]; then
        cat "$out" "$err" >&2
        fail "'$*' exited $got, want $want"
    fi
}

# expect_in FILE TEXT: fails unless FILE contains TEXT (a fixed string).
expect_in() {
    grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$1 lacks '$2'"; }
}

no_temporaries() {
    local left
    left=$(ls -A "$TMPDIR")
    [ -z "$left" ] || fail "left behind in TMPDIR: $left"
}

# wait_for_file PATH: waits up to 10 s for PATH to appear (a slow compiler
# stand-in touches it when it starts); fails the test if it never does.
wait_for_file() {
    for _ in $(seq 100); do
        [ -e "$1" ] && return 0
        sleep 0.1
    done
    fail "the compiler never started"
}
