#!/bin/sh
# ccidlab — the guest side of the VM tests: runs one vm_checks.py check
# list with each driver in turn, ccidlab's then libccid's, each under a
# fresh pcscd (`ccidlab vm pcscd --drivers ...`).
#   drivers.sh CHECK[:ARG] ...
for drv in ccidlab libccid; do
	if ! "$CCIDLAB" vm pcscd --drivers "$drv"; then
		echo "not ok - $drv: pcscd starts with the $drv driver"
		continue
	fi
	for c in "$@"; do
		# shellcheck disable=SC2086
		"$PYTHON3" "$top_srcdir/tests/vm/clients/vm_checks.py" "$drv" $(echo "$c" | tr ':' ' ')
	done
	if grep -q "ifd-$( [ "$drv" = ccidlab ] && echo ccidlab || echo ccid ).bundle" \
		"$CCIDLAB_VM_RESULTS/pcscd-$drv.log"; then
		echo "ok - $drv: pcscd served QEMU's reader with the $drv bundle"
	else
		echo "not ok - $drv: pcscd served QEMU's reader with the $drv bundle"
	fi
done
"$CCIDLAB" vm pcscd --stop
