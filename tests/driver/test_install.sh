# cmake --install and what it installs (SPEC §9, build integration):
#   - the layout: PREFIX/bin/goc, include/goc.h and goc_lang.h,
#     lib/libgoc.a and libgoc.so, lib/pkgconfig/goc.pc, lib/cmake/goc/;
#   - the installed goc finds the installed headers and runtime (../include
#     and ../lib beside it), and builds and runs a .gc program;
#   - an outside CMake project: find_package(goc) with a version,
#     goc_add_executable(app main.gc util.c) with a .gh header and a target
#     compile definition, a plain C target linked to goc::goc, a static
#     library from goc_add_library, and a plain add_executable of a .gc
#     (linked with the plain target_link_libraries signature) made a goc
#     target by goc_target_gc_sources; an edited .gh rebuilds app; a version
#     the package does not offer is refused;
#   - pkg-config: a plain C program built with `pkg-config --cflags --libs goc`;
#   - the installed tree still works after it is moved.
# Run as `bash test_install.sh PATH/TO/goc BUILD_DIR`.
. "$(dirname "$0")/../lib_goc.sh"
build=$(realpath "${2:?usage: $0 PATH/TO/goc BUILD_DIR}")
for tool in cmake pkg-config cc; do
    command -v "$tool" >/dev/null || { echo "SKIP: no $tool"; exit 77; }
done
version=$("$GOC" version | awk '{ print $3 }')

prefix=$scratch/prefix
expect_status 0 cmake --install "$build" --prefix "$prefix"
for f in bin/goc include/goc.h include/goc_lang.h lib/libgoc.a lib/libgoc.so \
         lib/pkgconfig/goc.pc lib/cmake/goc/gocConfig.cmake \
         lib/cmake/goc/gocConfigVersion.cmake lib/cmake/goc/gocFunctions.cmake; do
    [ -e "$prefix/$f" ] || fail "cmake --install did not install $f"
done
[ -x "$prefix/bin/goc" ] || fail "installed goc is not executable"

# The installed goc uses the installed headers and library, not the build tree's.
[ "$("$prefix/bin/goc" env GOC_INCLUDE)" = "$prefix/include" ] ||
    fail "installed goc uses include dir $("$prefix/bin/goc" env GOC_INCLUDE)"
[ "$("$prefix/bin/goc" env GOC_LIB)" = "$prefix/lib" ] ||
    fail "installed goc uses lib dir $("$prefix/bin/goc" env GOC_LIB)"

# --- an outside project: a .gc (with a .gh) and a .c in one program, and a
# plain C program on goc.h linked against goc::goc.
mkdir -p proj/src
cat > proj/CMakeLists.txt <<'CM'
cmake_minimum_required(VERSION 3.18)
project(outside C)
find_package(goc 0.1 REQUIRED)
goc_add_executable(app src/main.gc src/util.c)
target_compile_definitions(app PRIVATE GREETING="hello from app")
add_executable(plain src/plain.c)
target_link_libraries(plain PRIVATE goc::goc)
goc_add_library(gen STATIC src/gen.gc)
add_executable(app2 src/app2.gc)
target_link_libraries(app2 gen)
goc_target_gc_sources(app2)
CM
cat > proj/src/gen.gc <<'C'
int gen_sum(int n)
{
    chan int c = make(chan int);
    go {
        for (int i = 1; i <= n; i++)
            c <- i;
        close(c);
    }
    int sum = 0;
    for (int v : c)
        sum += v;
    return sum;
}
C
cat > proj/src/app2.gc <<'C'
#include <stdio.h>
int gen_sum(int n);
int main(void)
{
    chan int done = make(chan int, 1);
    go { done <- gen_sum(10); }
    printf("gen_sum %d\n", <-done);
    return 0;
}
C
cat > proj/src/main.gc <<'C'
#include <stdio.h>
#include "util.h"
#include "config.gh"

static void square(chan int out, int v)
{
    out <- v * v;
}

static chan int produce(int n)
{
    chan int c = make(chan int, n);
    go {
        for (int i = 1; i <= n; i++)
            c <- i;
        close(c);
    }
    return c;
}

int main(void)
{
    defer printf("%s\n", GREETING);
    chan int sq = make(chan int);
    go square(sq, SCALE);
    int total = 0;
    for (int v : produce(4))
        total += v;
    select {
    case int s = <-sq:
        printf("square %d total %d triple %d\n", s, total, util_triple(total));
    }
    return 0;
}
C
echo '#define SCALE 7' > proj/src/config.gh
echo 'int util_triple(int x);' > proj/src/util.h
printf '#include "util.h"\nint util_triple(int x) { return 3 * x; }\n' > proj/src/util.c
cat > proj/src/plain.c <<'C'
#include <goc.h>
#include <stdio.h>

static void worker(void *arg)
{
    goc_chan *c = arg;
    for (int i = 1; i <= 3; i++)
        goc_chan_send(c, &i);
    goc_chan_close(c);
}

static int real_main(int argc, char **argv)
{
    goc_chan *c = goc_chan_make(sizeof(int), 0);
    goc_go(worker, c);
    int v, sum = 0;
    while (goc_chan_recv(c, &v))
        sum += v;
    printf("plain sum %d\n", sum);
    return 0;
}

int main(int argc, char **argv) { return goc_main(real_main, argc, argv); }
C

expect_status 0 cmake -S proj -B proj/build -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
expect_status 0 cmake --build proj/build
[ "$(proj/build/app)" = "square 49 total 10 triple 30
hello from app" ] || fail "app printed: $(proj/build/app)"
[ "$(proj/build/plain)" = "plain sum 6" ] || fail "plain printed: $(proj/build/plain)"
[ "$(proj/build/app2)" = "gen_sum 55" ] || fail "app2 printed: $(proj/build/app2)"

# An edited .gh rebuilds the program (the .gc's dependency file names it).
sleep 1
echo '#define SCALE 9' > proj/src/config.gh
expect_status 0 cmake --build proj/build
[ "$(proj/build/app | head -n 1)" = "square 81 total 10 triple 30" ] ||
    fail "after editing config.gh app printed: $(proj/build/app)"

# A version the package does not offer is refused.
mkdir proj_new
printf 'cmake_minimum_required(VERSION 3.18)\nproject(n C)\nfind_package(goc 9.0 REQUIRED)\n' \
    > proj_new/CMakeLists.txt
expect_status 1 cmake -S proj_new -B proj_new/build -DCMAKE_PREFIX_PATH="$prefix"
expect_in "$err" "requested version \"9.0\""

# --- pkg-config: plain C against the installed runtime.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
[ "$(pkg-config --modversion goc)" = "$version" ] ||
    fail "goc.pc version $(pkg-config --modversion goc), goc version $version"
expect_in <(pkg-config --cflags goc) "-pthread"
expect_in <(pkg-config --cflags goc) "-I$prefix/"
# shellcheck disable=SC2046
expect_status 0 cc -o pc_plain proj/src/plain.c $(pkg-config --cflags --libs goc)
[ "$(LD_LIBRARY_PATH=$prefix/lib ./pc_plain)" = "plain sum 6" ] ||
    fail "pc_plain printed: $(LD_LIBRARY_PATH=$prefix/lib ./pc_plain)"
# shellcheck disable=SC2046
expect_status 0 cc -o pc_static proj/src/plain.c $(pkg-config --cflags goc) \
    -L"$prefix/lib" -l:libgoc.a -pthread
[ "$(./pc_static)" = "plain sum 6" ] || fail "pc_static printed: $(./pc_static)"

# --- the installed tree moved elsewhere: goc and goc.pc follow it.
moved=$scratch/moved
mv "$prefix" "$moved"
printf '#include <stdio.h>\nint main(void) { chan int c = make(chan int, 1); c <- 5; printf("%%d\\n", <-c); return 0; }\n' > moved_prog.gc
expect_status 0 "$moved/bin/goc" build -o moved_prog moved_prog.gc
[ "$(./moved_prog)" = "5" ] || fail "moved_prog printed: $(./moved_prog)"
[ "$("$moved/bin/goc" env GOC_LIB)" = "$moved/lib" ] ||
    fail "moved goc uses lib dir $("$moved/bin/goc" env GOC_LIB)"
export PKG_CONFIG_PATH=$moved/lib/pkgconfig
expect_in <(pkg-config --cflags goc) "-I$moved/"

no_temporaries
echo PASS
