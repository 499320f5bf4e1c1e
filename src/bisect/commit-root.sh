#!/bin/sh
# ccidlab mkroot [DIR] --pcsc-lite REF [--src REPO] [--suite SUITE] [--timeout S]
#                [--retry] [--force] [--jobs N] [--cache DIR]
#
# Builds pcsc-lite at any commit or tag (1.8.16 to master) and installs it,
# pcscd and libpcsclite both, into a root of its own for `ccidlab lab
# --root`.  The root is a copy of a cached build base (`ccidlab mkroot
# --build-base`: Debian with the tools and -dev packages the builds need,
# no pcsc-lite), hard-linked file by file, so that one more commit costs
# its build and a few MB, not another Debian.  Roots are cached by commit
# id in $CACHE/pcsc-lite/ID; a commit that did not build leaves ID.failed
# (its reason) and ID.log (the whole build log) and is reported as such
# (exit 3) until --retry.  The build runs under nice, bounded by --timeout,
# one at a time on the machine (a lock), never as part of the lab.
#
# Build system per tree: meson where the tree has meson.build, autotools
# (autoreconf, configure) otherwise, and autotools again when a meson build
# of a tree that still has configure.ac fails (2.1-2.4 carry both; the
# first meson files were incomplete).  Both install to /usr with Debian's
# multiarch libdir, so the root's libpcsclite.so.1 is the one built.
# Disabled: polkit and libsystemd (a lab starts pcscd itself with no
# polkit daemon and no socket activation: neither is on the path under
# test), and the documentation.
set -u
me="ccidlab mkroot --pcsc-lite"
CACHE=${CCIDLAB_ROOT_CACHE:-/var/cache/ccidlab/roots}
MARKER=.ccidlab-root

die() { echo "$me: $*" >&2; exit 1; }
# A usage error exits 2, as ccidlab(1) says for every subcommand.
misuse() { echo "$me: $* (ccidlab help mkroot)" >&2; exit 2; }
say() { echo "$me: $*" >&2; }
usage() {
	cat <<EOU
usage: ccidlab mkroot [DIR] --pcsc-lite REF [--src REPO] [--suite SUITE] [--timeout S]
               [--retry] [--force] [--jobs N] [--cache DIR]
Builds pcsc-lite at REF (a tag, a branch or a commit of REPO) into a root of its
own for ccidlab lab --root, cached by commit id; prints its path ("root DIR").
  --src REPO      pcsc-lite's git history: a git directory (bare or not), or a
                  .tar, .tar.gz or .tar.xz holding one, unpacked once into the
                  cache (default: \$CCIDLAB_PCSC_LITE_SRC, else CACHE/src/pcsc-lite.git,
                  else the history last unpacked into the cache)
  --suite SUITE   Debian suite of the build base (default bookworm)
  --timeout S     bound of the build (default 1800 s)
  --retry         build a commit again although it failed before
  --force         rebuild even a commit whose root is cached
  --jobs N        parallel compile jobs (default: the number of cores)
  --cache DIR     the cache (default \$CCIDLAB_ROOT_CACHE or /var/cache/ccidlab/roots)
  --print-src     print the history's git directory ("src DIR") and REF's commit
                  ("commit ID"), and stop
  DIR             also make DIR a symbolic link to the root
Exit: 0 built or reused, 3 the commit does not build (see its log), 2 a usage error,
1 other errors (among them the --timeout bound reached: no verdict on the commit,
nothing cached).
EOU
}

dir="" ref="" src="${CCIDLAB_PCSC_LITE_SRC:-}" suite=bookworm tmo=1800 retry=0 force=0 print_src=0
jobs=$(nproc 2>/dev/null || echo 2)
while [ $# -gt 0 ]; do
	case "$1" in
	--pcsc-lite) [ $# -ge 2 ] || misuse "--pcsc-lite needs a ref"; ref=$2; shift ;;
	--pcsc-lite=*) ref=${1#--pcsc-lite=} ;;
	--src) [ $# -ge 2 ] || misuse "--src needs a path"; src=$2; shift ;;
	--src=*) src=${1#--src=} ;;
	--suite) [ $# -ge 2 ] || misuse "--suite needs a value"; suite=$2; shift ;;
	--suite=*) suite=${1#--suite=} ;;
	--timeout) [ $# -ge 2 ] || misuse "--timeout needs a value"; tmo=$2; shift ;;
	--timeout=*) tmo=${1#--timeout=} ;;
	--jobs) [ $# -ge 2 ] || misuse "--jobs needs a value"; jobs=$2; shift ;;
	--jobs=*) jobs=${1#--jobs=} ;;
	--cache) [ $# -ge 2 ] || misuse "--cache needs a value"; CACHE=$2; shift ;;
	--cache=*) CACHE=${1#--cache=} ;;
	--retry) retry=1 ;;
	--print-src) print_src=1 ;;
	--force) force=1 retry=1 ;;
	-h|--help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) [ -z "$dir" ] || { usage >&2; exit 2; }; dir=$1 ;;
	esac
	shift
done
[ -n "$ref" ] || [ "$print_src" -eq 1 ] || { usage >&2; exit 2; }
case "$suite" in *[!a-z0-9.-]*|"") misuse "bad suite '$suite'" ;; esac
case "$tmo" in *[!0-9]*|"") misuse "--timeout must be seconds" ;; esac
case "$jobs" in *[!0-9]*|""|0) misuse "--jobs must be a positive number" ;; esac
case "$ref" in -*|*..*) misuse "bad ref '$ref'" ;; esac
[ "$(id -u)" -eq 0 ] || die "needs root (chroot, and the cache is root's)"
for tool in git tar chroot unshare timeout flock nice cp; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (./bootstrap deps)"
done
mkdir -p -- "$CACHE/pcsc-lite" "$CACHE/src" || die "cannot create $CACHE"
CACHE=$(cd -- "$CACHE" && pwd)

# ---- the history ----------------------------------------------------------
# A tarball is unpacked once into CACHE/src/NAME.d (again when it changes:
# its size and time are kept beside it); the git directory inside it is
# the repository.
unpack() { # TARBALL -> prints the git directory
	tb=$1
	name=$(basename -- "$tb")
	to=$CACHE/src/$name.d
	stamp=$(stat -c '%s %Y' -- "$tb") || return 1
	if [ ! -f "$to/.from" ] || [ "$(cat "$to/.from")" != "$stamp" ]; then
		say "unpacking $tb into $to"
		rm -rf -- "$to" && mkdir -p -- "$to" || return 1
		timeout 600 tar -xf "$tb" -C "$to" || { rm -rf -- "$to"; return 1; }
		echo "$stamp" > "$to/.from"
	fi
	for g in "$to"/*.git "$to"/*/.git "$to"/*; do
		[ -d "$g" ] && git --git-dir="$g" rev-parse --git-dir >/dev/null 2>&1 &&
			{ echo "$g"; return 0; }
	done
	say "$tb holds no git repository"
	return 1
}
if [ -z "$src" ]; then
	# CACHE/src/pcsc-lite.git, else a history unpacked there before.
	for g in "$CACHE/src/pcsc-lite.git" "$CACHE"/src/*.d/*.git; do
		[ -d "$g" ] && { src=$g; break; }
	done
	[ -n "$src" ] || die "no pcsc-lite history: pass --src REPO (a git directory or its tarball)"
fi
case "$src" in
*.tar|*.tar.gz|*.tgz|*.tar.xz|*.txz)
	[ -f "$src" ] || die "--src $src: no such file"
	src=$(unpack "$(cd -- "$(dirname -- "$src")" && pwd)/$(basename -- "$src")") ||
		die "cannot unpack the history" ;;
esac
[ -d "$src" ] || die "--src $src: no such directory"
gitdir=$( (cd -- "$src" && git rev-parse --absolute-git-dir) 2>/dev/null) ||
	die "--src $src: not a git repository"
G() { git --git-dir="$gitdir" "$@"; }
if [ -z "$ref" ]; then
	echo "src $gitdir"
	exit 0
fi
commit=$(G rev-parse --verify --quiet "$ref^{commit}") ||
	die "'$ref' is no commit of $src (tags: $(G tag | tr '\n' ' ' | cut -c1-300))"
short=$(echo "$commit" | cut -c1-12)
subject=$(G log -1 --format=%s "$commit")
describe=$(G describe --tags --always "$commit" 2>/dev/null || echo "$short")
if [ "$print_src" -eq 1 ]; then
	echo "src $gitdir"
	echo "commit $commit"
	exit 0
fi

root=$CACHE/pcsc-lite/$commit
log=$CACHE/pcsc-lite/$commit.log
failed=$CACHE/pcsc-lite/$commit.failed

marker_get() { sed -n "s/^$1=//p" "$root/$MARKER" 2>/dev/null | head -n 1; }
link_dir() {
	[ -n "$dir" ] || return 0
	if [ -L "$dir" ] || [ ! -e "$dir" ]; then
		ln -sfn -- "$root" "$dir" || die "cannot link $dir"
	else
		die "$dir exists and is not a symbolic link: not replacing it (the root is $root)"
	fi
}
report() { # the lines a caller reads
	echo "pcsc-lite $(marker_get pcsc_lite) (commit $commit, $describe, $(marker_get build_system)," \
		"built in $(marker_get build_seconds) s)"
	echo "root $root"
	link_dir
	exit 0
}
report_failed() {
	say "$short ($describe, \"$subject\") does not build: $(cat "$failed")"
	say "its log: $log (--retry builds it again); the log ends:"
	tail -n 15 "$log" >&2
	exit 3
}
reuse() {
	if [ -f "$root/$MARKER" ] && [ "$force" -eq 0 ]; then
		say "reusing $root ($describe)"
		report
	fi
	[ -f "$failed" ] && [ "$retry" -eq 0 ] && report_failed
	return 0
}
reuse

# One build at a time on this machine (they are CPU-heavy), waited for
# within the build bound.
exec 8>"$CACHE/pcsc-lite/.build.lock" || die "cannot create the build lock"
flock -x -w "$tmo" 8 || die "another build held the lock for $tmo s"
reuse

# ---- the base ---------------------------------------------------------------
base=$CACHE/base-$suite
if [ ! -f "$base/$MARKER" ] || ! grep -q '^build_base=1' "$base/$MARKER"; then
	mkroot=${CCIDLAB_MKROOT:-$(dirname -- "$0")/ccidlab-mkroot}
	[ -f "$mkroot" ] || die "cannot find ccidlab-mkroot beside $0 (set CCIDLAB_MKROOT)"
	say "making the build base $base (Debian $suite, once)"
	sh "$mkroot" "$base" --suite "$suite" --no-fallback --build-base >/dev/null ||
		die "no build base"
fi

# ---- the build --------------------------------------------------------------
tmp=$root.tmp
cleanup() { [ -n "${tmp:-}" ] && [ -d "$tmp" ] && rm -rf -- "$tmp"; }
trap 'cleanup; exit 130' INT TERM HUP
rm -rf -- "$tmp" "$root" "$failed"
: > "$log"
fail() { # REASON: the commit does not build
	if [ "$bounded" -eq 1 ]; then
		# Out of time is no verdict on the commit (a loaded machine
		# builds 1.8.x in over 15 minutes): not cached as failing.
		cleanup
		say "$short ($describe): the build bound of $tmo s was reached ($1);" \
			"not a verdict on the commit, nothing cached: run again, or with a larger --timeout"
		say "its log: $log; the log ends:"
		tail -n 5 "$log" >&2
		exit 1
	fi
	echo "$1" > "$failed"
	cleanup
	report_failed
}
# The base's lock, shared: no mkroot --force remakes it under the copy.
exec 9>"$base.lock" && flock -s -w 600 9 || die "the build base $base is being remade"
say "building $short ($describe, \"$subject\") in $tmp (log: $log)"
cp -al -- "$base" "$tmp" || { cleanup; die "cannot copy the build base"; }
rm -f -- "$tmp/$MARKER"
exec 9>&-
mkdir -p "$tmp/build/src" "$tmp/build/stage" || { cleanup; die "cannot lay out $tmp/build"; }
G archive --format=tar "$commit" | tar -x -C "$tmp/build/src" ||
	{ cleanup; die "git archive $commit failed"; }

# in_root CMD...: in the copy, /proc mounted in a private mount namespace,
# under nice, bounded by what is left of the build's time.
# bounded: 1 once the bound cut a step (timeout's 124, or 137 after its
# KILL).
start=$(date +%s)
bounded=0
in_root() {
	left=$((tmo - ($(date +%s) - start)))
	[ "$left" -gt 0 ] || { echo "build bound of $tmo s reached" >> "$log"; bounded=1; return 124; }
	timeout --kill-after=10 "$left" nice -n 10 unshare --mount --propagation private \
		sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$tmp" \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME=/build \
		"$@" >>"$log" 2>&1
	rc=$?
	case $rc in 124|137)
		echo "=== the build bound of $tmo s was reached" >> "$log"
		bounded=1 ;;
	esac
	return $rc
}
multiarch=$(chroot "$tmp" gcc -print-multiarch 2>/dev/null)
[ -n "$multiarch" ] || multiarch=x86_64-linux-gnu
libdir=/usr/lib/$multiarch

# meson options exist only from the version that added them: pass those
# the tree declares.
meson_opts() {
	f=$tmp/build/src/meson.options
	[ -f "$f" ] || f=$tmp/build/src/meson_options.txt
	for kv in libsystemd=false polkit=false serial=true usb=true libudev=true \
		serialconfdir=/etc/reader.conf.d usbdropdir=/usr/lib/pcsc/drivers ipcdir=/run/pcscd; do
		grep -q "^option('${kv%%=*}'" "$f" 2>/dev/null && printf ' -D%s' "$kv"
	done
}
build_meson() {
	echo "=== meson $(chroot "$tmp" meson --version 2>/dev/null)" >> "$log"
	in_root sh -c "cd /build && rm -rf b stage && mkdir stage &&
		meson setup b src --prefix=/usr --libdir=lib/$multiarch --sysconfdir=/etc \
			--buildtype=debugoptimized $(meson_opts) &&
		ninja -C b -j $jobs && DESTDIR=/build/stage ninja -C b install"
}
build_autotools() {
	echo "=== autotools" >> "$log"
	in_root sh -c "cd /build/src && rm -rf ../stage && mkdir ../stage &&
		autoreconf --verbose --install --force &&
		./configure --prefix=/usr --libdir=$libdir --sysconfdir=/etc \
			--enable-usbdropdir=/usr/lib/pcsc/drivers --enable-ipcdir=/run/pcscd \
			--enable-confdir=/etc/reader.conf.d --disable-libsystemd --disable-polkit \
			--disable-documentation CFLAGS='-g -O2' &&
		make -j $jobs && make install DESTDIR=/build/stage"
}
system=""
if [ -f "$tmp/build/src/meson.build" ]; then
	system=meson
	if ! build_meson; then
		[ -f "$tmp/build/src/configure.ac" ] && [ "$bounded" -eq 0 ] ||
			fail "the meson build failed"
		echo "=== meson failed: autotools (the tree has both)" >> "$log"
		system=autotools
		build_autotools || fail "both the meson and the autotools builds failed"
	fi
elif [ -f "$tmp/build/src/configure.ac" ]; then
	system=autotools
	build_autotools || fail "the autotools build failed"
else
	fail "the tree has neither meson.build nor configure.ac"
fi
[ -x "$tmp/build/stage/usr/sbin/pcscd" ] || fail "the build installed no /usr/sbin/pcscd"
ls "$tmp/build/stage$libdir"/libpcsclite.so.1* >/dev/null 2>&1 ||
	fail "the build installed no $libdir/libpcsclite.so.1"
# Into the copy.  The base has no pcsc-lite file, and GNU tar unlinks an
# existing file before it writes one: the base's files, shared by hard
# links, are never written through.
(cd "$tmp/build/stage" && tar -cf - .) |
	tar -x -C "$tmp" || { cleanup; die "cannot install the build into $tmp"; }
secs=$(( $(date +%s) - start ))
rm -rf -- "$tmp/build"
chroot "$tmp" ldconfig >> "$log" 2>&1 || { cleanup; die "ldconfig failed in $tmp"; }
ver=$(chroot "$tmp" /usr/sbin/pcscd --version 2>>"$log" |
	sed -n 's/^pcsc-lite version \([^ ]*[0-9]\)\.*$/\1/p' | head -n 1)
[ -n "$ver" ] || fail "the built pcscd does not say its version (pcscd --version)"
got=$(chroot "$tmp" sh -c 'ldconfig -p' 2>/dev/null | sed -n 's/.*libpcsclite.so.1 .*=> //p' | head -n 1)
# ("pcsc-lite version 1.8.23." before 2.0, no period after; /lib is
# /usr/lib in a merged root: compare where both lead)
[ -n "$got" ] && [ "$(chroot "$tmp" readlink -f "$got")" = \
	"$(chroot "$tmp" readlink -f "$libdir/libpcsclite.so.1")" ] ||
	fail "the root's loader finds libpcsclite.so.1 at '$got', not the build's $libdir"
{
	echo "requested=pcsc-lite:$commit"
	echo "suite=$suite"
	echo "pcsc_lite=$ver"
	echo "pcscd=$ver"
	echo "commit=$commit"
	echo "describe=$describe"
	echo "subject=$subject"
	echo "build_system=$system"
	echo "build_seconds=$secs"
	echo "jobs=$jobs"
	echo "made=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$tmp/$MARKER" || fail "cannot write the marker"
mv -- "$tmp" "$root" || fail "cannot move the root in place"
tmp=""
say "made $root: pcsc-lite $ver ($describe, $system, $secs s)"
report
