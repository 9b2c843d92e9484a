#!/usr/bin/env bash
# tests/identity/test_ts_parser.sh GOC BUILD_DIR
# SPEC §1 identity on plain C: tree-sitter-c's generated parser.c (a large,
# table-heavy C file) renamed .gc must compile to an object defining the same
# symbols as the original, and `goc translate` must accept it.
set -uo pipefail
BUILD=$(realpath "${2:?usage: $0 PATH/TO/goc BUILD_DIR}")
src=$BUILD/_deps/tree-sitter-c/package/src
if [ ! -f "$src/parser.c" ]; then
    echo "SKIP: $src/parser.c not present (tree-sitter-c download failed?)"
    exit 77
fi
. "$(dirname "$0")/../lib_goc.sh"
cp "$src/parser.c" parser.c
cp "$src/parser.c" parser.gc
cp -r "$src/tree_sitter" tree_sitter

"$GOC" translate parser.gc -o parser.translated.c 2>translate.err \
    || { head -50 translate.err >&2; fail "goc translate parser.gc"; }
cc -c parser.c -o b.o -I"$scratch" || fail "cc -c parser.c"
"$GOC" cc -c parser.gc -o a.o -I"$scratch" 2>gcc.err \
    || { head -50 gcc.err >&2; fail "goc cc -c parser.gc"; }
nm --defined-only a.o | awk '{print $NF, $(NF-1)}' | sort >a.syms
nm --defined-only b.o | awk '{print $NF, $(NF-1)}' | sort >b.syms
if ! diff -u b.syms a.syms >syms.diff; then
    head -40 syms.diff >&2
    fail "defined symbols differ between cc (b.o) and goc cc (a.o)"
fi
echo "ok: $(wc -l <a.syms) defined symbols identical"
