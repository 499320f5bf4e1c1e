#!/bin/sh
# ccidlab mkroot DIR [--suite SUITE] [--mirror URL] [--force] [--no-fallback]
#                    [--build-base]
#
# Makes a Debian root filesystem for `ccidlab lab --root DIR`: debootstrap
# --variant=minbase from the Debian mirror of this machine's apt sources,
# then pcscd, libpcsclite1, pcsc-tools and the run-time libraries of
# ccidlab's tools, with no service started.  Sid falls back to trixie when
# it cannot be had.  A finished root carries DIR/.ccidlab-root (suite and
# versions) and is reused unless --force.  Every network step is bounded.
set -u
me="ccidlab mkroot"
MARKER=.ccidlab-root
# pcscd and the clients under test, then what the copied ccidlab tools and
# driver load (the root's own: they follow its glibc).
PKGS="pcscd libpcsclite1 pcsc-tools libjson-glib-1.0-0 libusb-1.0-0"
# --build-base: no pcsc-lite at all, but what building it at any commit
# needs (1.8.x: autotools and flex; 2.x: meson and ninja; both: libudev;
# pod2man from perl), beside the same run-time libraries.  `ccidlab mkroot
# --pcsc-lite REF` copies such a root and installs the build into the copy.
BUILD_PKGS="build-essential autoconf automake libtool autoconf-archive pkg-config flex
 meson ninja-build python3 perl libudev-dev libglib2.0-0 libjson-glib-1.0-0 libusb-1.0-0"

die() { echo "$me: $*" >&2; exit 1; }
# A usage error exits 2, as ccidlab(1) says for every subcommand.
misuse() { echo "$me: $* (ccidlab help mkroot)" >&2; exit 2; }
say() { echo "$me: $*" >&2; }
usage() {
	cat <<EOU
usage: ccidlab mkroot DIR [--suite SUITE] [--mirror URL] [--force] [--no-fallback]
               [--timeout S]
Makes (or reuses) a Debian root with pcscd for ccidlab lab --root DIR.
  --suite SUITE   Debian suite (default sid; falls back to trixie)
  --mirror URL    Debian mirror (default: the one in this machine's apt sources,
                  or \$CCIDLAB_MIRROR)
  --force         remake DIR even when it holds a finished root
  --no-fallback   fail rather than fall back to trixie
  --timeout S     bound of each network step (default 1200 s)
  --print-mirror  print the mirror it would use, and stop
  --build-base    no pcsc-lite: the tools to build it (for mkroot --pcsc-lite)
EOU
}

dir="" suite=sid mirror="${CCIDLAB_MIRROR:-}" force=0 fallback=1 tmo=1200 print_mirror=0
base=0
while [ $# -gt 0 ]; do
	case "$1" in
	--suite) [ $# -ge 2 ] || misuse "--suite needs a value"; suite=$2; shift ;;
	--suite=*) suite=${1#--suite=} ;;
	--mirror) [ $# -ge 2 ] || misuse "--mirror needs a value"; mirror=$2; shift ;;
	--mirror=*) mirror=${1#--mirror=} ;;
	--timeout) [ $# -ge 2 ] || misuse "--timeout needs a value"; tmo=$2; shift ;;
	--timeout=*) tmo=${1#--timeout=} ;;
	--force) force=1 ;;
	--no-fallback) fallback=0 ;;
	--print-mirror) print_mirror=1 ;;
	--build-base) base=1 PKGS=$BUILD_PKGS ;;
	-h|--help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) [ -z "$dir" ] || { usage >&2; exit 2; }; dir=$1 ;;
	esac
	shift
done
[ -n "$dir" ] || [ "$print_mirror" -eq 1 ] || { usage >&2; exit 2; }
case "$suite" in *[!a-z0-9.-]*|"") misuse "bad suite '$suite'" ;; esac
case "$tmo" in *[!0-9]*|"") misuse "--timeout must be seconds" ;; esac

# The Debian archive among this machine's apt sources: the first "deb"
# entry of a Debian suite that is not the security archive.  One-line
# lists and deb822 .sources files both.
debian_suite() {
	case "$1" in
	*-security|*/updates) return 1 ;;
	buster*|bullseye*|bookworm*|trixie*|forky*|duke*|sid|stable*|testing*|oldstable*|unstable*)
		return 0 ;;
	esac
	return 1
}
apt_mirror() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# deb [opts] URI SUITE COMPONENTS...
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | while read -r type uri s rest; do
			[ "$type" = deb ] && debian_suite "$s" && { echo "$uri"; break; }
		done
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# Stanzas separated by blank lines: Types, URIs, Suites, Enabled.
		awk 'BEGIN { RS = ""; FS = "\n" }
		{
			t = u = s = ""; en = 1
			for (i = 1; i <= NF; i++) {
				l = $i; sub(/#.*/, "", l)
				if (l ~ /^Types:/) t = l
				else if (l ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", l); split(l, a, /[ \t]+/); u = a[1] }
				else if (l ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", l); s = l }
				else if (l ~ /^Enabled:[ \t]*no/) en = 0
			}
			if (en && t ~ /(^|[ \t:])deb([ \t]|$)/ && u != "") print u, s
		}' "$f" | while read -r uri suites; do
			for s in $suites; do
				debian_suite "$s" && { echo "$uri"; break 2; }
			done
		done
	done
}
if [ -z "$mirror" ]; then
	mirror=$(apt_mirror | head -n 1)
	[ -n "$mirror" ] ||
		die "no Debian mirror in /etc/apt/sources.list{,.d/*.list,.d/*.sources}: pass --mirror URL"
fi
case "$mirror" in http://*|https://*|file:/*) ;; *) die "bad mirror '$mirror'" ;; esac
mirror=${mirror%/}
[ "$print_mirror" -eq 0 ] || { echo "$mirror"; exit 0; }

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap and chroot)"
for tool in debootstrap chroot unshare timeout flock dpkg-query; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool is missing (Debian: apt-get install debootstrap util-linux coreutils; ./bootstrap deps)"
done

parent=$(dirname -- "$dir")
mkdir -p -- "$parent" || die "cannot create $parent"
dir=$(cd -- "$parent" && pwd)/$(basename -- "$dir")
[ "$dir" != / ] || die "refusing to make a root over /"

marker_get() { sed -n "s/^$1=//p" "$dir/$MARKER" 2>/dev/null | head -n 1; }
want_base() { [ "$base" -eq 1 ] && echo 1; }
reuse() {
	[ -f "$dir/$MARKER" ] && [ "$force" -eq 0 ] && [ "$(marker_get requested)" = "$suite" ] &&
		[ "$(marker_get build_base)" = "$(want_base)" ] || return 0
	echo "$me: reusing $dir: Debian $(marker_get suite), pcsc-lite $(marker_get pcsc_lite)" \
		"(--force remakes it)" >&2
	echo "pcsc-lite $(marker_get pcsc_lite)"
	exit 0
}

# DIR.lock: labs running in the root hold it shared, a mkroot that
# (re)makes the root exclusive; reusing needs it shared only.
exec 9>"$dir.lock" || die "cannot create $dir.lock"
flock -s -w "$tmo" 9 || die "$dir is being made by another mkroot (waited $tmo s)"
reuse
flock -x -w "$tmo" 9 || die "$dir is in use by a lab or another mkroot (waited $tmo s)"
reuse
if [ -e "$dir" ] && [ -n "$(ls -A -- "$dir" 2>/dev/null)" ] && [ "$force" -eq 0 ]; then
	if [ -f "$dir/$MARKER" ]; then
		die "$dir holds a root of suite $(marker_get requested), not $suite: pass --force to remake it"
	fi
	die "$dir is not empty and holds no finished root (a partial one?): pass --force to remake it"
fi
# --force removes DIR: only a root (made or half made), never a directory
# given by mistake.
if [ -e "$dir" ] && [ -n "$(ls -A -- "$dir" 2>/dev/null)" ] && [ ! -f "$dir/$MARKER" ] &&
	[ ! -d "$dir/debootstrap" ] && [ ! -d "$dir/var/lib/dpkg" ]; then
	die "$dir is not empty and does not look like a Debian root: not removing it"
fi
# Never delete through a mount (a lab or a crashed mkroot could leave one).
if awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' \
	/proc/self/mountinfo; then
	die "something is mounted under $dir: unmount it first"
fi

log=$(mktemp "${TMPDIR:-/tmp}/ccidlab-mkroot.XXXXXX") || die "cannot create a log file"
run() { # run SECONDS CMD...: bounded, output to the log
	timeout --kill-after=10 "$@" >>"$log" 2>&1
}
# in_root CMD...: CMD chrooted in DIR with /proc mounted, in a private
# mount namespace (nothing stays mounted), no service started.
in_root() {
	timeout --kill-after=10 "$tmo" unshare --mount --propagation private \
		sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$dir" \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C DEBIAN_FRONTEND=noninteractive \
		"$@" >>"$log" 2>&1
}
APT="apt-get -q -y -o Acquire::Check-Valid-Until=false -o Acquire::http::Timeout=30 \
 -o Acquire::Retries=2 -o APT::Install-Recommends=false"

attempt() { # attempt SUITE
	s=$1
	rm -rf -- "$dir" || return 1
	say "debootstrap --variant=minbase $s $dir $mirror (log: $log)"
	run "$tmo" debootstrap --variant=minbase "$s" "$dir" "$mirror" ||
		{ say "debootstrap of $s failed; its log ends:"; tail -n 5 "$log" >&2; return 1; }
	# Services stay down: invoke-rc.d and deb-systemd-invoke ask this.
	printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d" &&
		chmod 755 "$dir/usr/sbin/policy-rc.d" || return 1
	say "apt-get install $PKGS"
	in_root $APT update && in_root $APT install $PKGS ||
		{ say "installing pcscd in $s failed; the log ends:"; tail -n 5 "$log" >&2; return 1; }
	[ "$base" -eq 1 ] || [ -x "$dir/usr/sbin/pcscd" ] ||
		{ say "$s: no /usr/sbin/pcscd after install"; return 1; }
	in_root apt-get clean
	return 0
}

suites=$suite
[ "$fallback" -eq 1 ] && [ "$suite" = sid ] && suites="sid trixie"
got=""
for s in $suites; do
	if attempt "$s"; then got=$s; break; fi
	[ "$s" = "$suite" ] && [ "$suites" != "$suite" ] && say "$s is unavailable: falling back"
done
if [ -z "$got" ]; then
	[ -e "$dir" ] && say "a partial root is left in $dir (rerun with --force, or remove it)"
	die "no root made (log: $log)"
fi
q() { chroot "$dir" dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }
lite=$(q libpcsclite1)
{
	echo "requested=$suite"
	[ "$base" -eq 0 ] || echo "build_base=1"
	echo "suite=$got"
	echo "mirror=$mirror"
	echo "pcsc_lite=$lite"
	echo "pcscd=$(q pcscd)"
	echo "made=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$dir/$MARKER.tmp" && mv "$dir/$MARKER.tmp" "$dir/$MARKER" || die "cannot write $dir/$MARKER"
rm -f -- "$log"
say "made $dir: Debian $got, pcsc-lite $lite"
echo "pcsc-lite $lite"
