#!/bin/sh
# ccidlab-cards(7)'s EXAMPLES, run as written: each ".B card=SPEC"
# example becomes a reader with that card, scriptor(1) (pcsc-tools) sends
# the APDUs shown after ">", and every "<" line must be what scriptor
# prints.  script: and files: examples use the files the SCRIPT and FILES
# sections show.
. "$top_srcdir/tests/integration/lib.sh"
MAN=$top_srcdir/doc/ccidlab-cards.7
command -v scriptor > /dev/null || { echo "1..0 # SKIP scriptor (pcsc-tools) is not installed"; exit 0; }
# nf_after SECTION: the first .nf/.fi block after ".SH SECTION", unescaped.
nf_after() {
	awk -v sec=".SH $1" '$0 == sec { f = 1; next } f && /^\.nf/ { p = 1; next }
		p && /^\.fi/ { exit } p { print }' "$MAN" | sed 's/\\-/-/g'
}
nf_after SCRIPT > "$WORK/example.script"
nf_after FILES > "$WORK/example.files"
printf '0123456789' > "$WORK/cert.der"
# The examples: "N SPEC" lines in $WORK/list, APDUs and answers per N.
awk -v w="$WORK" '
	/^\.SH EXAMPLES/ { f = 1; next } f && /^\.SH / { exit }
	f && /^\.B card=/ { n++; sub(/^\.B card=/, ""); print n, $0 > (w "/list"); next }
	f && /^> / { sub(/^> /, ""); print > (w "/" n ".apdu"); next }
	f && /^< / { sub(/[ \t]+$/, ""); print > (w "/" n ".want"); next }
' "$MAN"
n=$(wc -l < "$WORK/list")
plan $((n + 1))
check "the page has examples of the four cards" [ "$n" -ge 4 ]
mkdir -p "$WORK/conf"
while read -r i spec; do
	spec=$(printf '%s' "$spec" | sed "s#script:example.script#script:$WORK/example.script#; s#files:example.files#files:$WORK/example.files#")
	reader_conf "$WORK/conf/$i" "Card$i" "emu:generic-t1-irq:card=$spec:name=c$i"
done < "$WORK/list"
cat > "$WORK/run.sh" <<'EOC'
w=$1 c=$2
"$c" list > "$w/names"
while read -r i spec; do
	name=$(sed -n "s/.*pcscd: \"\(Card$i [0-9A-F]* 00\)\"$/\1/p" "$w/names")
	scriptor -r "$name" "$w/$i.apdu" 2>/dev/null | grep '^< ' | sed 's/[[:space:]]*$//' > "$w/$i.got"
done < "$w/list"
EOC
lab examples --conf "$WORK/conf" -- sh "$WORK/run.sh" "$WORK" "$CCIDLAB"
while read -r i spec; do
	if cmp -s "$WORK/$i.want" "$WORK/$i.got"; then
		ok "card=$spec: scriptor prints what the page shows"
	else
		not_ok "card=$spec: scriptor prints what the page shows"
		diag "$(diff "$WORK/$i.want" "$WORK/$i.got" 2>&1)"; diag "scriptor printed:"; diag "$(cat "$WORK/$i.got")"
	fi
done < "$WORK/list"
finish
