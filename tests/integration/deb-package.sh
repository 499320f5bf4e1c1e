#!/bin/sh
# The Debian package (debian/), built and installed the way a user gets
# it, on a throwaway root: the source as git sees it (tracked files and
# new ones not ignored) is copied to a scratch dir, where
# `dpkg-buildpackage -us -uc -b` makes a plain (non-sanitizer) build;
# lintian must report no error; then the package is installed with dpkg
# into an overlay of this machine's root (the overlay's upper layer is a
# tmpfs of a private mount namespace: the machine's root is not touched),
# where the installed `ccidlab lab` runs the autopkgtest (debian/tests,
# with autopkgtest's null runner inside the root when it is installed,
# else the same script by hand), README's examples run as written with the
# installed copy (readme.sh, README_INSTALLED=yes), and an upgrade and a purge keep and
# remove what they must.
. "$top_srcdir/tests/integration/lib.sh"
N=12
plan $N
skip_all() { i=0; while [ $i -lt $N ]; do skip "$1"; i=$((i + 1)); done; exit 0; }

[ "$(id -u)" -eq 0 ] || skip_all "needs root (mounts, chroot, dpkg)"
for c in dpkg-buildpackage dh lintian unshare chroot; do
	command -v $c >/dev/null 2>&1 || skip_all "$c is not installed (bootstrap's DEBS has it)"
done
git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1 ||
	skip_all "$top_srcdir is not a git checkout (the export copies git's files)"

version=$(sed -n 's/^AC_INIT(\[ccidlab\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
changelog=$(sed -n '1s/^ccidlab (\([^)]*\)).*/\1/p' "$top_srcdir/debian/changelog")
check "debian/changelog's version is configure.ac's ($changelog, $version)" \
	[ -n "$version" ] && [ "$changelog" = "$version" ]

# The export: no build output of the tree (build/, generated files) goes in.
mkdir -p "$WORK/src"
(cd "$top_srcdir" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) |
	tar -C "$WORK/src" -xf -
t0=$(date +%s)
(cd "$WORK/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
	> "$WORK/build.log" 2>&1
rc=$?
t1=$(date +%s)
deb=$(ls "$WORK"/ccidlab_"$version"_*.deb 2>/dev/null | head -n 1)
[ $rc -eq 0 ] || diag "$(tail -n 30 "$WORK/build.log")"
check "dpkg-buildpackage -us -uc -b builds the package ($((t1 - t0)) s)" \
	sh -c "[ $rc -eq 0 ] && [ -f '$deb' ]"

t0=$(date +%s)
lintian --no-tag-display-limit "$deb" > "$WORK/lintian.txt" 2>&1
t1=$(date +%s)
diag "lintian ($((t1 - t0)) s): $(grep -c '^W:' "$WORK/lintian.txt") warnings"
diag "$(sed -n 's/^\([EW]\): [^ ]* [^ ]* \([^ ]*\).*/\1 \2/p' "$WORK/lintian.txt" | sort | uniq -c)"
check "lintian reports no error" sh -c "! grep -q '^E:' '$WORK/lintian.txt'"

# The package's files, before any maintainer script runs.
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' > "$WORK/files"
missing=""
for f in /usr/lib/pcsc/drivers/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so \
	/usr/lib/pcsc/drivers/ifd-ccidlab.bundle/Contents/Info.plist /usr/bin/ccidlab \
	/usr/share/man/man1/ccidlab.1.gz /usr/share/man/man5/ccidlab.conf.5.gz \
	/usr/share/man/man7/ccidlab-ctl.7.gz /usr/share/ccidlab/readers.tsv \
	/etc/ccidlab/ccidlab.conf /usr/share/bash-completion/completions/ccidlab; do
	grep -qx "$f" "$WORK/files" || missing="$missing $f"
done
grep -q '/pkgconfig/ccidlab.pc$' "$WORK/files" || missing="$missing ccidlab.pc"
grep -q '/ccidlab/libccidlab-usbsim.so$' "$WORK/files" || missing="$missing usbsim"
check "the package holds the bundle, command, man pages, catalogue, usbsim, ccidlab.pc, completion and ccidlab.conf${missing:+ (missing:$missing)}" \
	[ -z "$missing" ]
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles > "$WORK/conffiles" 2>/dev/null
check "/etc/ccidlab/ccidlab.conf is a conffile" grep -qx /etc/ccidlab/ccidlab.conf "$WORK/conffiles"
dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/lib/pcsc/drivers/ifd-ccidlab.bundle/Contents/Info.plist \
	> "$WORK/Info.plist"
check "the packaged Info.plist lists no USB id (libccid keeps the readers)" \
	"$PYTHON3" -c 'import plistlib, sys
d = plistlib.load(open(sys.argv[1], "rb"))
sys.exit(0 if d["ifdVendorID"] == d["ifdProductID"] == d["ifdFriendlyName"] == [] else 1)' "$WORK/Info.plist"

# The throwaway root needs an overlay of / (not in every container).
if ! probe=$(unshare -m --propagation private sh -c '
	mount -t tmpfs ccidlab-probe "$1" && mkdir "$1/u" "$1/w" "$1/r" &&
	mount -t overlay overlay -o "lowerdir=/,upperdir=$1/u,workdir=$1/w" "$1/r"' sh "$(mkdir -p "$WORK/probe" && echo "$WORK/probe")" 2>&1); then
	i=0
	while [ $i -lt 6 ]; do
		skip "no overlay of / in a private mount namespace here: $probe"
		i=$((i + 1))
	done
	exit 0
fi
host_before=$(dpkg-query -W -f '${Status} ${Version}' ccidlab 2>/dev/null)
bundle_before=$(ls -A /usr/lib/pcsc/drivers/ifd-ccidlab.bundle 2>/dev/null | tr '\n' ' ')
# The throwaway root: the machine's root under a tmpfs upper layer, in a
# private mount namespace that takes every mount with it when it ends.
cp "$deb" "$WORK/ccidlab.deb"
cp -a "$WORK/src/debian/tests" "$WORK/tests-src"
cat > "$WORK/inroot.sh" <<'EOS'
# Runs in the root as root: install, autopkgtest, upgrade, purge.
set -u
out=/results
echo "== install"
dpkg -i /pkg/ccidlab.deb > $out/install.txt 2>&1; echo "rc $?" >> $out/install.txt
dpkg-query -W -f '${Status}\n' ccidlab >> $out/install.txt 2>&1
echo "== autopkgtest"
if command -v autopkgtest >/dev/null 2>&1; then
	echo runner null > $out/autopkgtest.txt
	mkdir -p /pkg/srcpkg/debian
	cp -a /pkg/tests /pkg/srcpkg/debian/tests
	cp /pkg/control /pkg/changelog /pkg/srcpkg/debian/
	autopkgtest --no-built-binaries /pkg/srcpkg -- null >> $out/autopkgtest.txt 2>&1
else
	echo runner by-hand > $out/autopkgtest.txt
	sh /pkg/tests/lab-smoke >> $out/autopkgtest.txt 2>&1
fi
echo "rc $?" >> $out/autopkgtest.txt
echo "== README's examples, with the installed ccidlab"
top_srcdir=/pkg/readme top_builddir=/pkg/readme README_INSTALLED=yes \
	sh /pkg/readme/tests/integration/readme.sh > $out/readme.tap 2>&1
echo "rc $?" >> $out/readme.tap
echo "== upgrade keeps the USB ids chosen"
ccidlab usb-ids -q none 072F:90CC 1209:0002 > $out/upgrade.txt 2>&1
dpkg -i /pkg/ccidlab.deb >> $out/upgrade.txt 2>&1
echo "rc $?" >> $out/upgrade.txt
ccidlab usb-ids --list > $out/upgrade-list.txt 2>&1
echo "== purge"
dpkg --purge ccidlab > $out/purge.txt 2>&1; echo "rc $?" >> $out/purge.txt
for p in /etc/ccidlab /usr/lib/pcsc/drivers/ifd-ccidlab.bundle /usr/bin/ccidlab /var/lib/ccidlab; do
	[ -e "$p" ] && echo "left: $p" >> $out/purge.txt
done
exit 0
EOS
cp "$WORK/src/debian/control" "$WORK/src/debian/changelog" "$WORK/"
# README and its test (readme.sh in README_INSTALLED mode), from the export.
mkdir -p "$WORK/readme/tests/integration"
cp "$WORK/src/README" "$WORK/readme/"
cp "$WORK/src/tests/integration/readme.sh" "$WORK/src/tests/integration/lib.sh" \
	"$WORK/readme/tests/integration/"
mkdir -p "$WORK/results"
t0=$(date +%s)
unshare -m --propagation private sh -c '
	set -e
	w=$1
	mkdir -p "$w/ov"
	mount -t tmpfs ccidlab-deb "$w/ov"
	mkdir "$w/ov/upper" "$w/ov/work" "$w/ov/root"
	mount -t overlay overlay -o "lowerdir=/,upperdir=$w/ov/upper,workdir=$w/ov/work" "$w/ov/root"
	r=$w/ov/root
	mount -t proc proc "$r/proc"
	mount --rbind /dev "$r/dev"
	mount -t sysfs sys "$r/sys"
	mount -t tmpfs tmp "$r/tmp"
	mount -t tmpfs run "$r/run"
	mkdir -p "$r/pkg" "$r/results"
	mount --bind "$w/results" "$r/results"
	cp "$w/ccidlab.deb" "$w/control" "$w/changelog" "$w/inroot.sh" "$r/pkg/"
	cp -a "$w/tests-src" "$r/pkg/tests"
	cp -a "$w/readme" "$r/pkg/readme"
	exec chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		DEBIAN_FRONTEND=noninteractive sh /pkg/inroot.sh
' sh "$WORK" > "$WORK/root.log" 2>&1
rc=$?
t1=$(date +%s)
diag "the root: exit $rc, $((t1 - t0)) s"
[ $rc -eq 0 ] || diag "$(tail -n 20 "$WORK/root.log")"

check "dpkg -i installs it in the throwaway root and says the USB list is empty" \
	sh -c "grep -qx 'rc 0' '$WORK/results/install.txt' && grep -q 'install ok installed' '$WORK/results/install.txt' &&
		grep -q 'gives no USB reader to ccidlab' '$WORK/results/install.txt'"
diag "$(grep '^ccidlab:' "$WORK/results/install.txt")"
diag "autopkgtest: $(sed -n '1p;$p' "$WORK/results/autopkgtest.txt" | tr '\n' ' ')"
grep -q 'lab-smoke: ok' "$WORK/results/autopkgtest.txt" && diag "$(grep 'lab-smoke: ok' "$WORK/results/autopkgtest.txt")"
check "the autopkgtest (the installed ccidlab lab smoke test) passes" \
	sh -c "grep -qx 'rc 0' '$WORK/results/autopkgtest.txt' && grep -q 'scriptor: SELECT 9000' '$WORK/results/autopkgtest.txt' &&
		! grep -q 'lab-smoke: FAIL' '$WORK/results/autopkgtest.txt'"
[ -s "$WORK/results/autopkgtest.txt" ] && ! grep -qx 'rc 0' "$WORK/results/autopkgtest.txt" &&
	diag "$(tail -n 30 "$WORK/results/autopkgtest.txt")"
# readme.sh's TAP, run in the root: every example of README, as written,
# with the installed command, driver, catalogue and /etc.
readme_plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$WORK/results/readme.tap")
readme_ok=$(grep -c '^ok ' "$WORK/results/readme.tap")
readme_bad=$(grep '^not ok ' "$WORK/results/readme.tap")
diag "$(grep '^# the installed copy' "$WORK/results/readme.tap")"
check "README's examples run as written with the installed ccidlab (readme.sh: $readme_ok of ${readme_plan:-?} ok)" \
	sh -c "grep -qx 'rc 0' '$WORK/results/readme.tap' && [ -n '$readme_plan' ] &&
		[ '$readme_ok' = '$readme_plan' ] && ! grep -q '# SKIP' '$WORK/results/readme.tap'"
[ -z "$readme_bad" ] || diag "$readme_bad" "$(grep '^# ' "$WORK/results/readme.tap" | tail -n 40)"
check "an upgrade keeps the USB ids chosen ($(cut -d ' ' -f 1 "$WORK/results/upgrade-list.txt" | tr '\n' ' '))" \
	sh -c "grep -qx 'rc 0' '$WORK/results/upgrade.txt' &&
		[ \"\$(cut -d ' ' -f 1 '$WORK/results/upgrade-list.txt' | tr '\n' ' ')\" = '072F:90CC 1209:0002 ' ]"
check "dpkg --purge removes the package and its settings" \
	sh -c "grep -qx 'rc 0' '$WORK/results/purge.txt' && ! grep -q '^left:' '$WORK/results/purge.txt'"
check "the machine's root is untouched (ccidlab package: ${host_before:-not installed}; bundle: $bundle_before)" \
	sh -c "[ \"\$(dpkg-query -W -f '\${Status} \${Version}' ccidlab 2>/dev/null)\" = '$host_before' ] &&
		[ \"\$(ls -A /usr/lib/pcsc/drivers/ifd-ccidlab.bundle 2>/dev/null | tr '\n' ' ')\" = '$bundle_before' ]"
