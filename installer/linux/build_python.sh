#!/bin/sh
# Builds the Python that the Linux bundle and the .deb carry: CPython 3.11 compiled here from Debian's
# source packages with `zig cc` aimed at glibc 2.28 (UOS 20, Kylin V10), its C libraries (zlib, bzip2,
# xz, libffi, SQLite, OpenSSL) linked in statically, so the tree runs from any folder and needs nothing
# from the PC but glibc >= 2.28 itself.  No download outside the ordinary registries: zig comes from
# PyPI's `ziglang` wheel, the sources from Debian's archive (`apt-get source`).
#
#   installer/linux/build_python.sh            # build into $OUT (default /work/cache/uos/python)
#   OUT=/some/dir SRC=/dir/with/tarballs installer/linux/build_python.sh
#   STEPS="openssl" ...; STEPS="zlib bzip2 xz libffi sqlite" ...   # parts at once (then STEPS="python check")
#
# Output: $OUT/python (the relocatable tree: bin/python3.11, lib/python3.11), checked by
# installer/linux/glibc_check.py; the bundle build (installer/build.py) copies it when it exists.
set -eu

CACHE=${CACHE:-${BIANMIN_BUILD_CACHE:-/work/cache/uos}}
SRC=${SRC:-$CACHE/src}
OUT=${OUT:-$CACHE/python}
WORK=${WORK:-$CACHE/build}
GLIBC=${GLIBC:-2.28}
JOBS=${JOBS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
HOSTPY=${HOSTPY:-python3}

log() { echo "== $*"; }

# --- sources: Debian's source packages (bookworm), fetched with apt into $SRC if absent -----------------
fetch_sources() {
    mkdir -p "$SRC" "$CACHE/apt/lists/partial"
    if ls "$SRC"/python3.11_*.orig.tar.* >/dev/null 2>&1 && ls "$SRC"/openssl_*.orig.tar.* >/dev/null 2>&1 \
        && ls "$SRC"/zlib_*.orig.tar.* "$SRC"/bzip2_*.orig.tar.* "$SRC"/xz-utils_*.orig.tar.* \
              "$SRC"/libffi_*.orig.tar.* "$SRC"/sqlite3_*.orig.tar.* >/dev/null 2>&1; then
        return
    fi
    log "fetching Debian source packages into $SRC"
    # the Debian mirror this machine's apt already uses, as a deb-src line of our own apt config
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n 1 | tr -d ' ')
    if [ -z "$mirror" ]; then echo "找不到本机 apt 的 Debian 源，无法取得源码包" >&2; exit 1; fi
    printf 'deb-src %s bookworm main\n' "$mirror" > "$CACHE/apt/sources.list"
    set -- -o Dir::Etc::SourceList="$CACHE/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State::Lists="$CACHE/apt/lists"
    apt-get "$@" update -qq
    (cd "$SRC" && apt-get "$@" source --download-only python3.11 zlib libffi openssl sqlite3 bzip2 xz-utils)
}

# --- zig from PyPI's ziglang wheel ----------------------------------------------------------------------
find_zig() {
    if [ -n "${ZIG:-}" ]; then return; fi
    ZIG=$("$HOSTPY" -c 'import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))' 2>/dev/null || true)
    if [ -z "$ZIG" ] || [ ! -x "$ZIG" ]; then
        mkdir -p "$CACHE/zig"
        if [ ! -x "$CACHE/zig/ziglang/zig" ]; then
            log "getting zig (PyPI: ziglang)"
            "$HOSTPY" -m pip download --quiet --only-binary=:all: -d "$CACHE/zig" 'ziglang==0.13.0'
            (cd "$CACHE/zig" && "$HOSTPY" -m zipfile -e ziglang-*.whl .)
            chmod +x "$CACHE/zig/ziglang/zig"
        fi
        ZIG=$CACHE/zig/ziglang/zig
    fi
}

# zig cc aimed at the old glibc; UBSan (zig's default without -O) off so configure tests behave like
# gcc's. Nothing shipped is C++: configure scripts that look for a C++ compiler get the host's g++
# (never used to build), which spares zig building its libc++.
# CPython's setup.py asks `cc -print-multiarch` and, without an answer, `dpkg-architecture`, then adds
# the build machine's /usr/include/<triplet> (glibc 2.36 headers) to every module: the cc wrapper
# answers with a folder that does not exist, so only zig's glibc 2.28 headers are used.
wrapper() {  # wrapper NAME COMMAND... : written whole, then moved in (parallel builds share them)
    name=$1; shift
    {
        printf '#!/bin/sh\n'
        if [ "$name" = cc ]; then
            printf 'if [ "$1" = -print-multiarch ]; then echo x86_64-linux-gnu-zig-glibc; exit 0; fi\n'
        fi
        printf 'exec %s "$@"\n' "$*"
    } > "$WORK/bin/$name.$$"
    chmod +x "$WORK/bin/$name.$$"
    mv "$WORK/bin/$name.$$" "$WORK/bin/$name"
}
make_wrappers() {
    mkdir -p "$WORK/bin"
    wrapper cc "\"$ZIG\"" cc -target "x86_64-linux-gnu.$GLIBC" -fno-sanitize=undefined
    wrapper ar "\"$ZIG\"" ar
    wrapper ranlib "\"$ZIG\"" ranlib
    CC=$WORK/bin/cc CXX=g++ AR=$WORK/bin/ar RANLIB=$WORK/bin/ranlib
    export CC CXX AR RANLIB
}

unpack() {  # unpack <tarball glob> -> prints the directory
    tarball=$(ls $1 | head -n 1)
    dir=$WORK/$(basename "$tarball" | sed 's/\.orig\.tar\..*//; s/_/-/')
    rm -rf "$dir"; mkdir -p "$dir"
    tar -xf "$tarball" -C "$dir" --strip-components=1
    echo "$dir"
}

DEPS=$WORK/deps
CF="-O2 -fPIC"

build_zlib() {
    [ -f "$DEPS/lib/libz.a" ] && return; log zlib
    d=$(unpack "$SRC/zlib_*.orig.tar.*")
    (cd "$d" && CFLAGS="$CF" ./configure --static --prefix="$DEPS" >/dev/null && make -j"$JOBS" >/dev/null && make install >/dev/null)
}

build_bzip2() {
    [ -f "$DEPS/lib/libbz2.a" ] && return; log bzip2
    d=$(unpack "$SRC/bzip2_*.orig.tar.*")
    (cd "$d" && make -j"$JOBS" libbz2.a CC="$CC" AR="$AR" RANLIB="$RANLIB" CFLAGS="$CF -D_FILE_OFFSET_BITS=64" >/dev/null \
        && mkdir -p "$DEPS/lib" "$DEPS/include" && cp libbz2.a "$DEPS/lib/" && cp bzlib.h "$DEPS/include/")
}

build_xz() {
    [ -f "$DEPS/lib/liblzma.a" ] && return; log xz
    d=$(unpack "$SRC/xz-utils_*.orig.tar.*")
    (cd "$d" && CFLAGS="$CF" ./configure --prefix="$DEPS" --disable-shared --enable-static --with-pic \
        --disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo --disable-lzma-links --disable-scripts \
        --disable-doc --disable-nls >/dev/null && make -j"$JOBS" -C src/liblzma >/dev/null && make -C src/liblzma install >/dev/null)
}

build_libffi() {
    [ -f "$DEPS/lib/libffi.a" ] && return; log libffi
    d=$(unpack "$SRC/libffi_*.orig.tar.*")
    (cd "$d" && CFLAGS="$CF" ./configure --prefix="$DEPS" --libdir="$DEPS/lib" --disable-shared --enable-static --with-pic \
        --disable-docs --disable-multi-os-directory --disable-exec-static-tramp >/dev/null && make -j"$JOBS" >/dev/null && make install >/dev/null)
}

build_sqlite() {
    [ -f "$DEPS/lib/libsqlite3.a" ] && return; log sqlite
    d=$(unpack "$SRC/sqlite3_*.orig.tar.x*")
    # the amalgamation is generated by host tools (gcc, tclsh); only the library is built with zig
    (cd "$d" && CC=gcc ./configure --disable-tcl --disable-readline >/dev/null && make sqlite3.c >/dev/null \
        && "$CC" $CF -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_JSON1 -DSQLITE_ENABLE_RTREE -DSQLITE_THREADSAFE=1 \
           -DSQLITE_ENABLE_MATH_FUNCTIONS -c sqlite3.c -o sqlite3.o \
        && mkdir -p "$DEPS/lib" "$DEPS/include" && "$AR" rcs "$DEPS/lib/libsqlite3.a" sqlite3.o \
        && cp sqlite3.h sqlite3ext.h "$DEPS/include/")
}

build_openssl() {
    [ -f "$DEPS/lib/libssl.a" ] && return; log openssl
    d=$(unpack "$SRC/openssl_*.orig.tar.gz")
    (cd "$d" && ./Configure linux-x86_64 no-shared no-tests no-asm no-engine no-module --prefix="$DEPS" --libdir=lib \
        --openssldir=/etc/ssl CFLAGS="$CF" >/dev/null \
        && make -j"$JOBS" build_libs >/dev/null && make install_dev >/dev/null)
}

build_python() {
    log "CPython"
    d=$(unpack "$SRC/python3.11_*.orig.tar.*")
    rm -rf "$OUT.new"
    (cd "$d" && ./configure --prefix=/opt/bianmin-python --without-ensurepip --disable-test-modules \
            --with-openssl="$DEPS" --with-system-ffi \
            CPPFLAGS="-I$DEPS/include" LDFLAGS="-L$DEPS/lib" \
            PKG_CONFIG_PATH="$DEPS/lib/pkgconfig" PKG_CONFIG_LIBDIR="$DEPS/lib/pkgconfig" \
            LIBSQLITE3_CFLAGS="-I$DEPS/include" LIBSQLITE3_LIBS="$DEPS/lib/libsqlite3.a -lm" \
            LIBFFI_CFLAGS="-I$DEPS/include" LIBFFI_LIBS="$DEPS/lib/libffi.a" \
            LIBLZMA_CFLAGS="-I$DEPS/include" LIBLZMA_LIBS="$DEPS/lib/liblzma.a" \
            BZIP2_CFLAGS="-I$DEPS/include" BZIP2_LIBS="$DEPS/lib/libbz2.a" \
            ZLIB_CFLAGS="-I$DEPS/include" ZLIB_LIBS="$DEPS/lib/libz.a" \
            OPENSSL_LDFLAGS="-L$DEPS/lib" OPENSSL_LIBS="$DEPS/lib/libssl.a $DEPS/lib/libcrypto.a -lpthread -ldl" \
            > "$WORK/python-configure.log" 2>&1 \
        && make -j"$JOBS" > "$WORK/python-make.log" 2>&1 \
        && make install DESTDIR="$OUT.new" > "$WORK/python-install.log" 2>&1)
    rm -rf "$OUT"; mkdir -p "$OUT"
    mv "$OUT.new/opt/bianmin-python" "$OUT/python"; rm -rf "$OUT.new"
    prune
}

# What a township PC does not need: tests, IDLE, tkinter, the static libpython (for embedding), the
# -O caches, debug information (zig cc adds it).
prune() {
    lib=$OUT/python/lib/python3.11
    rm -rf "$lib/test" "$lib/idlelib" "$lib/tkinter" "$lib/turtledemo" "$OUT/python/share" \
        "$lib"/config-3.11-*/libpython3.11.a "$OUT/python/bin/idle3"* "$OUT/python/bin/2to3"*
    find "$lib" -name '*.opt-[12].pyc' -delete
    for elf in "$OUT/python/bin/python3.11" "$lib"/lib-dynload/*.so; do
        if ! strip --strip-debug "$elf" 2>/dev/null; then
            "$ZIG" objcopy --strip-debug "$elf" "$elf.tmp" && mv "$elf.tmp" "$elf" || rm -f "$elf.tmp"
        fi
    done
}

check() {
    log "checking: every module the app needs, and no glibc symbol newer than $GLIBC"
    "$OUT/python/bin/python3.11" -c 'import ssl, sqlite3, ctypes, zlib, bz2, lzma, hashlib, venv, json, decimal; print(ssl.OPENSSL_VERSION, sqlite3.sqlite_version)'
    "$HOSTPY" "$HERE/glibc_check.py" --max "$GLIBC" "$OUT/python"
    # the pip that venv uses: the bundle's wheelhouse carries it; ensurepip is not built in
    echo "$GLIBC" > "$OUT/GLIBC"
    log "done: $OUT/python"
}

STEPS=${STEPS:-zlib bzip2 xz libffi sqlite openssl python check}
fetch_sources
find_zig
mkdir -p "$WORK"
make_wrappers
for step in $STEPS; do
    case $step in
        zlib | bzip2 | xz | libffi | sqlite | openssl | python) "build_$step" ;;
        prune) prune ;;
        check) check ;;
        *) echo "不认识的步骤：$step" >&2; exit 2 ;;
    esac
done
