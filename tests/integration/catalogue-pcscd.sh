#!/bin/sh
# The catalogue through Debian's pcscd (issue 17): 41 reader profiles,
# every exchange level and every dwMaxCCIDMessageLength under 300 of the
# catalogue (one profile per pair of them), the readers the issue names,
# several slots and the quirk-table readers; on each, a T=0 card and a
# T=1 card as the reader offers them, readertest cases 1-4 at every short
# length (and the extended lengths where the level carries them) by
# pyscard, byte-exact, and what the reader cannot carry refused as its
# descriptor predicts (tests/unit/test_host_sweep.c does every profile in
# process).  pcscd takes 16 readers (slots) at most: the profiles go in
# batches, one lab each.
. "$top_srcdir/tests/integration/lib.sh"

# SOURCE@N LEVEL MSG PROTOCOLS SLOTS (MSG as used: the quirk table's for
# the SCM readers reporting 263; PROTOCOLS the dwProtocols bits).
set -- \
	Elatec_TWN4_SmartCard_NFC.txt@1 tpdu 64 3 6 \
	Elatec_TWN4_MULTITECH.txt@1 ext 64 3 1 \
	Winbond.txt@1 char 138 3 1 \
	Bluink_CCID.txt@1 short 240 3 1 \
	bit4id_minilector-AIR.txt@1 tpdu 250 2 1 \
	SCM_SCL010.txt@1 ext 262 3 1 \
	AxaltoV3.txt@1 tpdu 271 3 1 \
	Identiv_uTrust_3720_Contactless_Reader.txt@1 short 271 3 1 \
	IIT_E.Key_Almaz-1C.txt@1 short 264 2 1 \
	ReinerSCT_cyberJack_RFID_basis.txt@1 ext 266 2 1 \
	BIFIT_ANGARA.txt@1 tpdu 270 1 1 \
	Oz776S.txt@1 char 271 3 1 \
	ACR122U.txt@1 tpdu 271 3 1 \
	ACR122U_PICC.txt@1 short 271 2 1 \
	Aladdin_R.D._JCR-770.txt@1 ext 271 3 1 \
	sysmocom_sysmoOCTSIM.txt@1 tpdu 272 1 8 \
	Avtor_SecureToken.txt@1 short 272 3 1 \
	AU9540.txt@1 ext 272 3 1 \
	BLUTRONICS_TAURUS_NFC.txt@1 ext 273 3 1 \
	SafeNet_eToken_Fusion.txt@1 ext 275 3 1 \
	GemProxSU.txt@2 short 278 3 1 \
	Access_IS_ePassport_Reader.txt@1 ext 278 3 1 \
	Planeta_RC700-NFC_CCID.txt@1 short 280 3 1 \
	ACS_ACR1251_Dual_Reader.txt@2 short 288 3 1 \
	Infocrypt_Token++_lite.txt@1 ext 288 2 1 \
	SCR331-DI.txt@1 tpdu 271 3 2 \
	SCR3310_2.txt@1 tpdu 271 3 1 \
	SCR355.txt@1 tpdu 271 3 1 \
	HPUSBSmartCardReader.txt@1 tpdu 271 3 1 \
	Identiv_uTrust_FIDO2_Security_Key.txt@1 tpdu 64 2 1 \
	authenton_1-CTAP2.1.txt@1 tpdu 64 2 1 \
	SCR331-DI-NTTCom.txt@1 tpdu 271 3 2 \
	HPUSBSmartCardKeyboard.txt@1 tpdu 271 3 1 \
	IIT_E.Key_Crystal-1.txt@1 short 264 2 1 \
	SCM_SCL011.txt@1 ext 262 3 1 \
	Oz776_7772.txt@1 char 271 3 1 \
	GemCorePOSPro.txt@1 tpdu 271 3 5 \
	ReinerSCT.txt@1 tpdu 270 3 1 \
	Gemalto_SG.txt@1 tpdu 270 1 1 \
	Fsij_gnuk.txt@1 ext 64 2 1 \
	CherrySmartTerminalST2XXX.txt@1 tpdu 270 3 1

batch=0 used=0 n=0 done_tests=0 specs=
conf=
cd "$top_srcdir/tests/integration/clients" || exit 1

run_batch() {
	[ -n "$specs" ] || return 0
	# shellcheck disable=SC2086 # specs is a list of words
	lab "batch$batch" --conf "$conf" -- "$PYTHON3" catalogue_sweep.py --after "$done_tests" \
		$specs
	rc=$?
	[ "$rc" -eq 0 ] || echo "# batch $batch: the lab ended with status $rc; pcscd log: $(lab_log "batch$batch")"
	done_tests=$((done_tests + 2 * $(echo $specs | wc -w)))
	batch=$((batch + 1))
	used=0 specs=
}

new_conf() {
	conf="$WORK/conf$batch"
	mkdir -p "$conf"
}

# One plan for every batch: two tests per reader and protocol.
total=0
for i in $(seq 1 $(($# / 5))); do
	eval "protos=\${$((i * 5 - 1))}"
	[ $((protos & 1)) -eq 0 ] || total=$((total + 2))
	[ $((protos & 2)) -eq 0 ] || total=$((total + 2))
done
plan "$total"
new_conf
while [ $# -ge 5 ]; do
	source=$1 level=$2 msg=$3 protos=$4 slots=$5
	shift 5
	for t in 0 1; do
		[ $((protos & (1 << t))) -ne 0 ] || continue
		if [ $((used + slots)) -gt 16 ]; then
			run_batch
			new_conf
		fi
		n=$((n + 1))
		name=$(printf 'P%02dT%d' "$n" "$t")
		reader_conf "$conf/$name" "$name" "\"emu:$source:card=readertest@t$t\""
		ext=
		if [ "$level" = ext ] || { [ "$t" = 1 ] && [ "$level" != short ]; }; then
			ext=:ext
		fi
		specs="$specs $name:T$t:$level:$msg$ext"
		used=$((used + slots))
	done
done
run_batch
exit 0
