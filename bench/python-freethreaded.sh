#!/usr/bin/env bash
# Builds a free-threaded CPython (PEP 703, `--disable-gil`) for
# `pingpong python`, from Debian's source package, and prints the path of
# its interpreter on stdout (everything else goes to stderr).
#
#   bench/python-freethreaded.sh            # build once, then print the path
#   PATH="$(dirname "$(bench/python-freethreaded.sh)"):$PATH" pingpong python
#
# Why from source: no free-threaded CPython is packaged for this Debian
# release. Debian's stable suite (trixie) has CPython 3.13 (3.13.5), whose
# source downloads; 3.14 is taken only where its files download.
#
# How:
# - The source comes through `apt-get source --download-only` with a private
#   apt configuration (its own sources list holding one deb-src entry, its own
#   lists, cache and state directories; the system's sources and caches are
#   neither read nor changed). apt checks every file against the suite's
#   signed index with Debian's archive keyring. Only the upstream tarball
#   (`*.orig.tar.xz`) is built: Debian's patches adapt CPython to Debian's
#   own file layout, which a private prefix does not use.
# - Configured with `--disable-gil`, no PGO or LTO, no test modules, no
#   ensurepip; `make -j$(nproc)`; `make altinstall` into a prefix in the
#   cache (${XDG_CACHE_HOME:-$HOME/.cache}/pingpong/), outside any clone.
# - The printed path is in `…/pingpong/bin`, a directory holding only the
#   `python3.NNt` link, so it can go on PATH without shadowing `python3`
#   (the prefix's own bin also holds `python3.13`, which is free-threaded).
# - A finished build leaves a stamp; a second run finds it and returns at
#   once, with no network. A lock serialises concurrent runs.
# - Build dependencies are installed with apt-get --no-install-recommends
#   only when missing (as root, or through `sudo -n`).
#
# Environment: PP_FT_SUITE (default trixie), PP_FT_MIRROR (default
# http://deb.debian.org/debian), PP_FT_VERSIONS (default "3.14 3.13").
set -euo pipefail

say() { echo "python-freethreaded: $*" >&2; }
die() { say "$*"; exit 1; }

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/pingpong
FT=$CACHE/python-ft
BIN=$CACHE/bin
SUITE=${PP_FT_SUITE:-trixie}
MIRROR=${PP_FT_MIRROR:-http://deb.debian.org/debian}
VERSIONS=${PP_FT_VERSIONS:-3.14 3.13}

# The interpreter answers, and it really runs without the GIL.
works() {
    env -u PYTHON_GIL "$1" -c 'import sys, sysconfig; sys.exit(0 if sysconfig.get_config_var("Py_GIL_DISABLED") and not sys._is_gil_enabled() else 1)' 2>/dev/null
}

# A finished build: print its link and stop.
cached() {
    local v
    for v in $VERSIONS; do
        if [ -f "$FT/$v.done" ] && works "$BIN/python${v}t"; then
            echo "$BIN/python${v}t"
            return 0
        fi
    done
    return 1
}

cached && exit 0

mkdir -p "$FT" "$BIN"
exec 9>"$FT/lock"
if ! flock -w 3600 9; then
    die "another build holds $FT/lock for over an hour"
fi
cached && exit 0 # built by the run we waited for

# ---- build dependencies, installed only when missing ------------------------
# build-essential (gcc, make, libc headers); pkg-config (configure finds
# libffi with it); xz-utils (the tarball); libffi-dev (ctypes, which the
# programs use for sched_getcpu, PyThreadState_SetAsyncExc and the
# segfault); zlib1g-dev (zlib, which zipimport and gzip need). hashlib's
# sha256 is CPython's own, so OpenSSL is not needed.
need=()
for pkg in build-essential pkg-config xz-utils libffi-dev zlib1g-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
    say "installing build dependencies: ${need[*]}"
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=()
    elif sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        die "missing ${need[*]}; run: sudo apt-get install --no-install-recommends ${need[*]}"
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq >&2
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# ---- the source, through a private apt configuration -----------------------
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$KEYRING" ] || die "$KEYRING is missing: install debian-archive-keyring (apt checks Debian's signatures with it)"
APT=$FT/apt
rm -rf "$APT"
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/etc/preferences.d" "$APT/src"
echo "deb-src [signed-by=$KEYRING] $MIRROR $SUITE main" >"$APT/etc/sources.list"
: >"$APT/status"
aptopts=(
    -o "Dir::Etc::SourceList=$APT/etc/sources.list"
    -o "Dir::Etc::SourceParts=$APT/etc/sources.list.d"
    -o "Dir::Etc::Preferences=$APT/etc/preferences"
    -o "Dir::Etc::PreferencesParts=$APT/etc/preferences.d"
    -o "Dir::State=$APT"
    -o "Dir::State::Lists=$APT/lists"
    -o "Dir::State::status=$APT/status"
    -o "Dir::Cache=$APT/cache"
    -o "APT::Sandbox::User=$(id -un)"
    -q
)
mkdir -p "$APT/etc/sources.list.d"
say "fetching the $SUITE source index from $MIRROR"
apt-get "${aptopts[@]}" update >&2

version=""
for v in $VERSIONS; do
    say "trying python$v"
    if (cd "$APT/src" && apt-get "${aptopts[@]}" source --download-only "python$v" >&2); then
        version=$v
        break
    fi
    rm -rf "${APT:?}/src"/*
done
[ -n "$version" ] || die "no python source among [$VERSIONS] downloaded from $SUITE"
orig=$(find "$APT/src" -maxdepth 1 -name "python${version}_*.orig.tar.xz" | head -1)
[ -n "$orig" ] || die "python$version's source package has no .orig.tar.xz"
upstream=$(basename "$orig" .orig.tar.xz)
upstream=${upstream#python${version}_}
say "building CPython $upstream ($(basename "$orig")), free-threaded"

# ---- configure, build, install ----------------------------------------------
SRC=$FT/src
PREFIX=$FT/$upstream
rm -rf "$SRC" "$PREFIX"
mkdir -p "$SRC"
tar -xJf "$orig" -C "$SRC" --strip-components=1
start=$(date +%s)
(
    cd "$SRC"
    ./configure --prefix="$PREFIX" --disable-gil --disable-test-modules \
        --with-ensurepip=no >"$FT/configure.log" 2>&1 ||
        { tail -30 "$FT/configure.log" >&2; exit 1; }
    say "configured (log: $FT/configure.log); make -j$(nproc)"
    make -j"$(nproc)" >"$FT/make.log" 2>&1 || { tail -40 "$FT/make.log" >&2; exit 1; }
    # Modules the build could not make (a missing -dev package) are listed here.
    grep -A3 -E 'necessary bits to build|Failed to build these modules|could not be built' "$FT/make.log" >&2 || true
    make altinstall >"$FT/install.log" 2>&1 || { tail -40 "$FT/install.log" >&2; exit 1; }
)
py=$PREFIX/bin/python${version}t
works "$py" || die "$py does not run free-threaded"
"$py" -c 'import ctypes, multiprocessing, hashlib, zlib' || die "$py lacks a module pingpong needs"
ln -sfn "$py" "$BIN/python${version}t"
rm -rf "$SRC" "$APT"
touch "$FT/$version.done"
say "built in $(($(date +%s) - start)) s: $("$py" -VV)"
echo "$BIN/python${version}t"
