#!/bin/sh
# 便民（乡镇版）离线安装：只用本文件夹里的 wheel 包，不连网。
# Usage: ./install.sh [PREFIX]     (default: $HOME/.local/opt/bianmin; as root e.g. /opt/bianmin)
# The bundle's own Python (python/, built for glibc >= 2.28) is copied to PREFIX/python and used,
# so the PC needs no python3 of its own; without it (or with PYTHON=...) the PC's python3 is used.
# Environment: PYTHON (default: the bundle's Python, else python3 >= 3.11 with venv),
#   BIANMIN_SYSTEM_SITE=0 for a venv without the system's packages (the desktop window on Linux
#   needs the system's python3-gi, so the default is 1),
#   BIANMIN_DESKTOP_ENTRY=0 to write no menu entry.
set -eu
HERE=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
PREFIX=${1:-${BIANMIN_PREFIX:-$HOME/.local/opt/bianmin}}
APPID=cn.bianmin.township
BUNDLED=""
if [ -z "${PYTHON:-}" ] && [ -x "$HERE/python/bin/python3.11" ]; then
    BUNDLED=1
    # Tried where it lies first: a PC whose glibc is too old says so before anything changes.
    if ! "$HERE/python/bin/python3.11" -c 'import venv, ssl, sqlite3' 2>/dev/null; then
        echo "本安装包自带的 Python 在这台电脑上无法运行（需要 glibc 2.28 或更新，即统信 UOS 20、麒麟 V10 或更新的系统）。什么都没有改动。" >&2
        exit 1
    fi
fi
PYTHON=${PYTHON:-python3}

if [ -z "$BUNDLED" ] && ! "$PYTHON" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "需要 Python 3.11 或更新版本（含 venv 模块）：请先安装 python3 和 python3-venv。" >&2
    exit 1
fi
VENV_OPTS=""
if [ "${BIANMIN_SYSTEM_SITE:-1}" = 1 ]; then
    VENV_OPTS="--system-site-packages"
fi

# The copies of the program running from this folder (windows, `serve`) are stopped first: pages
# of a running old copy break against new files. Nothing of the data is lost (SQLite commits).
stop_running() {
    stopped=""
    for proc in /proc/[0-9]*; do
        pid=${proc#/proc/}
        if [ "$pid" = "$$" ]; then continue; fi
        command=$(tr '\0' ' ' <"$proc/cmdline" 2>/dev/null) || continue
        case "$command" in
            *"$PREFIX/venv/"* | *"$PREFIX/python/"*) kill -TERM "$pid" 2>/dev/null && stopped="$stopped $pid" ;;
        esac
    done
    if [ -z "$stopped" ]; then return 0; fi
    tries=0
    while [ $tries -lt 20 ]; do
        alive=""
        for pid in $stopped; do
            if [ -d "/proc/$pid" ]; then alive="$alive $pid"; fi
        done
        if [ -z "$alive" ]; then break; fi
        sleep 0.5
        tries=$((tries + 1))
    done
    echo "已关闭正在运行的便民程序（进程$stopped），安装完成后请重新打开。"
}
if [ -d "$PREFIX/venv" ]; then stop_running; fi

mkdir -p "$PREFIX/bin"
# A venv cannot be moved once made: keep the old one (and the old Python) aside and put them back
# if this one fails.
for old in venv python; do
    if [ -d "$PREFIX/$old" ]; then
        rm -rf "$PREFIX/$old.old"
        mv "$PREFIX/$old" "$PREFIX/$old.old"
    fi
done
restore() {
    for old in venv python; do
        rm -rf "${PREFIX:?}/$old"
        if [ -d "$PREFIX/$old.old" ]; then mv "$PREFIX/$old.old" "$PREFIX/$old"; fi
    done
}
if [ -n "$BUNDLED" ]; then
    if ! cp -a "$HERE/python" "$PREFIX/python"; then
        restore
        echo "复制自带的 Python 失败（磁盘空间不够或没有写权限？），原有安装未改动。" >&2
        exit 1
    fi
    PYTHON=$PREFIX/python/bin/python3.11
fi
if ! { "$PYTHON" -m venv $VENV_OPTS "$PREFIX/venv" &&
    PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 \
        "$PREFIX/venv/bin/python" -m pip install --quiet --no-index --no-cache-dir \
        --find-links "$HERE/wheels" -r "$HERE/requirements.lock" "$HERE"/wheels/bianmin-*.whl; }; then
    restore
    echo "安装失败，原有安装未改动。" >&2
    exit 1
fi
rm -rf "$PREFIX/venv.old" "$PREFIX/python.old"

cat > "$PREFIX/bin/bianmin-township" <<LAUNCHER
#!/bin/sh
exec "$PREFIX/venv/bin/bianmin-township" "\$@"
LAUNCHER
# The desktop window (pywebview); without it, the local server in the system browser.
cat > "$PREFIX/bin/bianmin-desktop" <<LAUNCHER
#!/bin/sh
if [ -x "$PREFIX/venv/bin/bianmin-desktop" ]; then
    exec "$PREFIX/venv/bin/bianmin-desktop" "\$@"
fi
exec "$PREFIX/venv/bin/bianmin-township" serve "\$@"
LAUNCHER
chmod 755 "$PREFIX/bin/bianmin-township" "$PREFIX/bin/bianmin-desktop"
cp "$HERE/$APPID.svg" "$PREFIX/$APPID.svg"

OWNER_UID=$(id -u)
OWNER=$(id -un 2>/dev/null || echo "$OWNER_UID")
cat > "$PREFIX/uninstall.sh" <<UNINSTALL
#!/bin/sh
# 卸载程序；数据目录（办件、扫描件、密钥、备份）保留不动。
# Only the user who installed it removes it (its menu entry is in that user's home folder).
if [ "\$(id -u)" != "$OWNER_UID" ]; then
    echo "请用安装时的用户（$OWNER）运行卸载程序；当前用户是 \$(id -un 2>/dev/null || id -u)。什么都没有删除。" >&2
    exit 1
fi
for proc in /proc/[0-9]*; do
    case "\$(tr '\\0' ' ' <"\$proc/cmdline" 2>/dev/null)" in
        *"$PREFIX/venv/"* | *"$PREFIX/python/"*) kill -TERM "\${proc#/proc/}" 2>/dev/null && echo "已关闭正在运行的便民程序（进程 \${proc#/proc/}）。" ;;
    esac
done
rm -rf "$PREFIX/venv" "$PREFIX/python" "$PREFIX/bin" "$PREFIX/$APPID.svg"
rm -f "\${XDG_DATA_HOME:-\$HOME/.local/share}/applications/$APPID.desktop"
rm -f "$PREFIX/uninstall.sh"
echo "已卸载。数据目录未删除。"
UNINSTALL
chmod 755 "$PREFIX/uninstall.sh"

if [ "${BIANMIN_DESKTOP_ENTRY:-1}" = 1 ]; then
    APPS="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
    mkdir -p "$APPS"
    sed -e "s|^Exec=.*|Exec=$PREFIX/bin/bianmin-desktop|" -e "s|^Icon=.*|Icon=$PREFIX/$APPID.svg|" \
        "$HERE/$APPID.desktop" > "$APPS/$APPID.desktop"
fi
echo "便民已安装到 $PREFIX"
echo "  命令行：$PREFIX/bin/bianmin-township --help"
echo "  窗口：  $PREFIX/bin/bianmin-desktop"
echo "  版本：  $("$PREFIX/bin/bianmin-township" --version)"
