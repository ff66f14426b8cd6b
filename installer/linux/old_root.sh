#!/bin/sh
# A clean root filesystem of an older Debian for tests/installer/test_old_glibc_pc.py: Debian 11
# "bullseye" (glibc 2.31, the oldest Debian the reachable archive serves; UOS 20 and Kylin V10 have
# 2.28), minbase: no python3, no curl, only what every Debian has. Needs root and Debian's
# debootstrap (apt-get install debootstrap); made once, then used with no network.
#   installer/linux/old_root.sh [DIR]     (default $BIANMIN_BUILD_CACHE/bullseye-root, cache /work/cache/uos)
set -eu
DIR=${1:-${BIANMIN_OLD_ROOT:-${BIANMIN_BUILD_CACHE:-/work/cache/uos}/bullseye-root}}
if [ -x "$DIR/bin/bash" ]; then echo "已有：$DIR"; exit 0; fi
command -v debootstrap >/dev/null || { echo "需要 debootstrap：apt-get install debootstrap" >&2; exit 1; }
# the mirror is debootstrap's default (the Debian archive)
debootstrap --variant=minbase bullseye "$DIR.new"
mv "$DIR.new" "$DIR"
echo "已建好：$DIR（$(chroot "$DIR" /lib/x86_64-linux-gnu/libc.so.6 | head -n 1)）"
