# Cross-build goc for aarch64 Linux with Debian's cross compiler and run
# what CTest runs under qemu-user:
#
#   cmake -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake
#
# Needs gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, qemu-user and the
# arm64 build of cmocka from Debian's multiarch archive (libcmocka-dev:arm64,
# after `dpkg --add-architecture arm64`); .ci/aarch64 installs them all.
#
# Two C libraries end up on the machine: the cross toolchain's, under
# /usr/aarch64-linux-gnu (what we compile and link against), and the
# multiarch libc6:arm64 that cmocka depends on, under /lib/aarch64-linux-gnu.
# Both are glibc 2.36 but different Debian builds.  qemu's -L prefix makes
# the dynamic loader the toolchain's; LD_LIBRARY_PATH makes libc.so.6 the
# toolchain's too, since a loader and a libc from different builds share
# private, unversioned structures.  libcmocka.so.0 is found in the
# multiarch directory, on the loader's default path.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(GOC_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${GOC_CROSS_TRIPLE}-gcc)
set(CMAKE_ASM_COMPILER ${GOC_CROSS_TRIPLE}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${GOC_CROSS_TRIPLE})

# Headers and libraries come from the toolchain's root or, for multiarch
# packages such as cmocka, from /usr/lib/aarch64-linux-gnu: CMake searches
# <prefix>/lib/${CMAKE_LIBRARY_ARCHITECTURE} and never the host's
# x86_64-linux-gnu directories.  Programs (qemu, pkg-config) are the host's.
set(CMAKE_FIND_ROOT_PATH /usr/${GOC_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# pkg_check_modules(... cmocka) must see the arm64 .pc file, not the host's.
set(ENV{PKG_CONFIG_LIBDIR}
    /usr/lib/${GOC_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)

set(CMAKE_CROSSCOMPILING_EMULATOR
    qemu-aarch64 -L /usr/${GOC_CROSS_TRIPLE}
    -E LD_LIBRARY_PATH=/usr/${GOC_CROSS_TRIPLE}/lib)
