# ccidlab — starting a `ccidlab usbip` server for the usbip-*.sh tests
# (sourced after lib.sh).  usbip_start SPEC...: the server on a free
# port of 127.0.0.1 with its control socket in $WORK; sets PORT, CTL and
# SERVER (its pid), stops it when the test exits, and skips the test
# when it does not start.
usbip_start() {
	CTL="$WORK/ctl.sock"
	"$CCIDLAB" usbip --listen 127.0.0.1:0 --socket "$CTL" "$@" \
		> "$WORK/server.out" 2> "$WORK/server.err" &
	SERVER=$!
	trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
	if ! wait_for grep -qs "listening on" "$WORK/server.out"; then
		echo "1..0 # SKIP ccidlab usbip did not start: $(cat "$WORK/server.err")"
		exit 1
	fi
	PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$WORK/server.out")
}
