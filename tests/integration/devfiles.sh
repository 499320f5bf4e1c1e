#!/bin/sh
# ccidlab.pc and the bash completion, as `make install DESTDIR=...` puts
# them: pkg-config (the system's) answers each variable with a path the
# install holds; bash, with the completion loaded the way bash-completion
# loads it, completes subcommands, options, option values and, inside a
# lab, the names of its readers from `ccidlab list`.
. "$top_srcdir/tests/integration/lib.sh"
N=11
plan $N

inst=$WORK/inst
${MAKE:-make} -C "$top_builddir" install DESTDIR="$inst" > "$WORK/install.log" 2>&1
rc=$?
[ $rc -eq 0 ] || diag "$(tail -n 15 "$WORK/install.log")"
pc=$(find "$inst" -name ccidlab.pc | head -n 1)
comp=$(find "$inst" -path '*/bash-completion/completions/ccidlab' | head -n 1)
check "make install puts ccidlab.pc and the completion in the tree (${pc#$inst}, ${comp#$inst})" \
	sh -c "[ $rc -eq 0 ] && [ -f '$pc' ] && [ -f '$comp' ]"
case $pc in */pkgconfig/ccidlab.pc) ;; *) diag "ccidlab.pc is not in a pkgconfig dir: $pc" ;; esac

export PKG_CONFIG_PATH="${pc%/ccidlab.pc}"
var() { pkg-config --variable="$1" ccidlab; }
version=$(sed -n 's/^AC_INIT(\[ccidlab\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
check "pkg-config --modversion ccidlab is configure.ac's ($(pkg-config --modversion ccidlab))" \
	[ "$(pkg-config --modversion ccidlab)" = "$version" ]
bad=""
for v in driver usbsim catalogue ccidlab; do
	p=$(var $v)
	diag "$v=$p"
	case $p in /*) [ -f "$inst$p" ] || bad="$bad $v=$p" ;; *) bad="$bad $v=$p" ;; esac
done
check "driver, usbsim, catalogue and ccidlab name installed files${bad:+ (not:$bad)}" [ -z "$bad" ]
check "bundle and usbdropdir hold the driver" \
	sh -c "[ '$(var bundle)/Contents/Linux/libccidlab.so' = '$(var driver)' ] &&
		[ -d '$inst$(var usbdropdir)/ifd-ccidlab.bundle' ] && [ -f '$inst$(var confdir)/ccidlab.conf' ]"
check "the installed command runs (ccidlab version)" \
	sh -c "'$inst$(var ccidlab)' version | grep -qF '$version'"

# complete WORDS...: what the completion offers for the last word, one a
# line, with the installed command first on PATH.  bash-completion's own
# loader is used when it is installed (as in an interactive shell).
bindir=$(dirname "$inst$(var ccidlab)")
complete_words() {
	PATH="$bindir:$PATH" bash -c '
		[ -r /usr/share/bash-completion/bash_completion ] &&
			. /usr/share/bash-completion/bash_completion
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_ccidlab ccidlab "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"' sh "$comp" "$@" 2>&1
}
subs=$(complete_words ccidlab '' | tr '\n' ' ')
diag "ccidlab <TAB>: $subs"
check "subcommands complete (lab, list, insert, trace, usb-ids, help...)" \
	sh -c "for s in lab list insert trace usb-ids check-events help; do
		echo ' $subs' | grep -q \" \$s \" || exit 1; done"
check "a prefix completes to its subcommand (tr -> trace)" \
	[ "$(complete_words ccidlab tr)" = trace ]
opts=$(complete_words ccidlab trace --p | tr '\n' ' ')
check "options complete from the subcommand's --help (trace --p -> $opts)" \
	[ "$opts" = "--pcap= " ]
mkdir -p "$WORK/dir.d"
check "an option's DIR value completes to directories (lab --conf $WORK/di -> dir.d)" \
	[ "$(complete_words ccidlab lab --conf "$WORK/di")" = "$WORK/dir.d" ]

mkdir -p "$WORK/conf"
reader_conf "$WORK/conf/a" "Alpha reader" "emu:generic-apdu-irq:name=alpha:card=none"
reader_conf "$WORK/conf/b" "Beta reader" "emu:generic-t1-irq:name=beta:card=none"
export comp bindir
lab main --conf "$WORK/conf" -- sh -c '
	PATH="$bindir:$PATH" bash -c "
		[ -r /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion
		. \"\$comp\"
		for w in \"\" b; do
			COMP_WORDS=(ccidlab insert \"\$w\"); COMP_CWORD=2
			COMP_LINE=\"ccidlab insert \$w\"; COMP_POINT=\${#COMP_LINE}
			_ccidlab ccidlab \"\$w\" insert
			echo \"[\$w] \${COMPREPLY[*]}\"
		done"' > "$WORK/readers.txt" 2>&1
diag "$(cat "$WORK/readers.txt")"
check "inside a lab, a READER completes to the readers ccidlab list shows" \
	sh -c "grep -q '^\[\] .*alpha' '$WORK/readers.txt' && grep -q '^\[\] .*beta' '$WORK/readers.txt' &&
		grep -qx '\[b\] beta' '$WORK/readers.txt'"
t0=$(date +%s)
none=$(CCIDLAB_CTL_SOCKET=$WORK/no.sock complete_words ccidlab insert '')
t1=$(date +%s)
# 30 s bounds a hang, it times nothing: loading bash-completion alone took
# 6 s with both cores busy (make check-loaded), where it takes under one.
check "with no socket answering, a READER completes to nothing, without hanging ($((t1 - t0)) s)" \
	sh -c "[ -z '$none' ] && [ $((t1 - t0)) -le 30 ]"
