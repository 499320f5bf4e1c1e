/* ccidlab — `ccidlab bench apdu`: the APDU round trip through pcscd.
 *
 * One client thread, libpcsclite's SCardTransmit in a loop, every APDU
 * timed on its own and checked (length and 90 00).  The readers take
 * turns in batches, so that a drift of the machine's speed (another
 * process, the CPU clock) falls on every reader alike, and each reader's
 * median is divided by the null reader's: pcscd's own cost, measured in
 * the same rounds.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <winscard.h>

#include "bench/bench.h"

#define BATCH 50		/* APDUs of one reader and case per turn */
#define WARMUP 50		/* untimed APDUs per reader and case */
#define EXT_N 65535u		/* the largest extended Nc and Ne */

/* readertest's applet (src/emu/app_readertest.c); the null reader
 * answers 90 00 to any SELECT. */
static const uint8_t aid[] = { 0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF };

typedef struct bench_reader {
	const char *label;	/* what the figure line says */
	const char *friendly;	/* FRIENDLYNAME in the generated conf */
	double target;		/* ratio target, 0: none */
	char *name;		/* pcscd's name, NULL when absent */
	SCARDHANDLE card;
	const SCARD_IO_REQUEST *pci;
	bool ok;		/* connected, SELECT answered */
	unsigned errors;	/* wrong answers or SCard errors */
	int peer;		/* index of the reader this one is compared to, 0: none */
	double med;		/* the last case's median (µs) */
} bench_reader;

typedef struct apdu_case {
	const char *label;
	uint8_t *cmd;
	size_t cmd_len;
	size_t rsp_len;		/* data + SW */
	size_t payload;		/* data bytes both ways, for MB/s */
	double peer_target;	/* ratio target against a peer reader, 0: none */
} apdu_case;

static void case_free(apdu_case *c)
{
	g_free(c->cmd);
}

/* 80 36 P1P2 Lc data Le: readertest checks data byte i == i mod 256 and
 * answers P1P2 bytes 00 01 02...; short when n <= 255, else extended. */
static void make_case4(apdu_case *c, const char *label, size_t n)
{
	bool ext = n > 255;
	size_t lc = ext ? 3 : 1, le = ext ? 2 : 1;

	c->label = label;
	c->cmd_len = 4 + lc + n + le;
	c->cmd = g_malloc(c->cmd_len);
	uint8_t *p = c->cmd;
	*p++ = 0x80;
	*p++ = 0x36;
	*p++ = (uint8_t)(n >> 8);
	*p++ = (uint8_t)n;
	if (ext) {
		*p++ = 0x00;
		*p++ = (uint8_t)(n >> 8);
		*p++ = (uint8_t)n;
	} else {
		*p++ = (uint8_t)n;
	}
	for (size_t i = 0; i < n; i++)
		*p++ = (uint8_t)i;
	if (ext)
		*p++ = (uint8_t)(n >> 8);
	*p++ = (uint8_t)n;
	c->rsp_len = n + 2;
	c->payload = 2 * n;
	c->peer_target = 0.0;
}

static void make_case1(apdu_case *c)
{
	static const uint8_t case1[] = { 0x80, 0x30, 0x00, 0x00 };

	c->label = "case 1 (80 30 00 00, no data)";
	c->cmd = g_malloc(sizeof case1);
	memcpy(c->cmd, case1, sizeof case1);
	c->cmd_len = sizeof case1;
	c->rsp_len = 2;
	c->payload = 0;
	c->peer_target = 0.85;	/* issue 9: ccidlab <= 0.85x libccid */
}

static char *find_reader(const char *list, DWORD len, const char *friendly)
{
	size_t fl = strlen(friendly);

	for (const char *p = list; p < list + len && *p != '\0'; p += strlen(p) + 1)
		if (strncmp(p, friendly, fl) == 0 && p[fl] == ' ')
			return g_strdup(p);
	return NULL;
}

/* One APDU; true when the answer has the expected length and ends 90 00. */
static bool transmit(bench_reader *r, const apdu_case *c, uint8_t *rsp, DWORD cap)
{
	DWORD got = cap;
	LONG rv = SCardTransmit(r->card, r->pci, c->cmd, (DWORD)c->cmd_len, NULL, rsp, &got);

	if (rv != SCARD_S_SUCCESS || got != c->rsp_len || rsp[got - 2] != 0x90 ||
	    rsp[got - 1] != 0x00) {
		if (r->errors++ == 0)
			fprintf(stderr, "ccidlab bench: %s: %s: %s, %lu bytes\n", r->label, c->label,
				pcsc_stringify_error(rv), (unsigned long)got);
		return false;
	}
	return true;
}

static void connect_reader(SCARDCONTEXT ctx, bench_reader *r)
{
	DWORD proto = 0;
	uint8_t rsp[258];
	DWORD got = sizeof rsp;
	uint8_t select[5 + sizeof aid] = { 0x00, 0xA4, 0x04, 0x00, sizeof aid };

	memcpy(select + 5, aid, sizeof aid);
	LONG rv = SCardConnect(ctx, r->name, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
			       &r->card, &proto);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "ccidlab bench: %s: SCardConnect: %s\n", r->name, pcsc_stringify_error(rv));
		return;
	}
	r->pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	rv = SCardTransmit(r->card, r->pci, select, sizeof select, NULL, rsp, &got);
	if (rv != SCARD_S_SUCCESS || got != 2 || rsp[0] != 0x90 || rsp[1] != 0x00) {
		fprintf(stderr, "ccidlab bench: %s: SELECT readertest failed (%s)\n", r->name,
			pcsc_stringify_error(rv));
		return;
	}
	r->ok = true;
}

/* Times rounds x BATCH APDUs of case c on every reader, in turns.
 * us[i] gets reader i's samples (µs). */
static void time_case(bench_reader *rs, size_t n, const apdu_case *c, int iterations, int batch,
		      GArray **us, uint8_t *rsp, DWORD cap)
{
	int rounds = (iterations + batch - 1) / batch;

	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < WARMUP && rs[i].ok; k++)
			transmit(&rs[i], c, rsp, cap);
	for (int round = 0; round < rounds; round++)
		for (size_t j = 0; j < n; j++) {
			/* Every other round backwards: no reader always follows
			 * the same one. */
			size_t i = round % 2 ? n - 1 - j : j;
			if (!rs[i].ok)
				continue;
			for (int k = 0; k < batch; k++) {
				uint64_t t0 = bench_now_ns();
				bool good = transmit(&rs[i], c, rsp, cap);
				double dt = (double)(bench_now_ns() - t0) / 1000.0;
				if (good)
					g_array_append_val(us[i], dt);
			}
		}
}

static void print_case(bench_reader *rs, size_t n, const apdu_case *c, GArray **us, bool mbs)
{
	double floor_med = 0.0;

	printf("  %s\n", c->label);
	for (size_t i = 0; i < n; i++) {
		double *v = (double *)(void *)us[i]->data;
		size_t m = us[i]->len;
		rs[i].med = 0.0;
		if (!rs[i].ok || m == 0) {
			printf("    %-24s (no figure: %s)\n", rs[i].label,
			       rs[i].name == NULL ? "reader not in this lab" : "no good APDU");
			continue;
		}
		bench_sort(v, m);
		double med = bench_quantile(v, m, 0.5), p90 = bench_quantile(v, m, 0.9);
		rs[i].med = med;
		if (i == 0)
			floor_med = med;
		double ratio = floor_med > 0.0 ? med / floor_med : 0.0;
		if (mbs) {
			double rate = (double)c->payload / med;	/* bytes/µs = MB/s */
			printf("    %-24s %9.1f MB/s  (median %8.1f µs/APDU, p90 %8.1f, n=%zu)  "
			       "%5.2fx the floor's time, %.2fx its MB/s\n",
			       rs[i].label, rate, med, p90, m, ratio, ratio > 0 ? 1.0 / ratio : 0.0);
		} else {
			printf("    %-24s %9.1f µs/APDU median  (p90 %8.1f, n=%zu)  %5.2fx floor",
			       rs[i].label, med, p90, m, ratio);
			if (rs[i].target > 0.0 && floor_med > 0.0)
				printf("   target <= %.2fx: %s", rs[i].target,
				       bench_verdict(ratio <= rs[i].target));
			printf("\n");
		}
	}
	for (size_t i = 0; i < n; i++) {
		const bench_reader *p = rs[i].peer > 0 ? &rs[rs[i].peer] : NULL;
		if (p == NULL || rs[i].med <= 0.0 || p->med <= 0.0)
			continue;
		double r = rs[i].med / p->med;
		printf("    %s / %s: %.3fx", rs[i].label, p->label, r);
		if (c->peer_target > 0.0)
			printf("   target <= %.2fx: %s", c->peer_target, bench_verdict(r <= c->peer_target));
		printf("\n");
	}
}

/* Case 1 and case 4 with 255 bytes, timed on every reader in turn and
 * printed against the first (the floor). */

/* The reader list of a new context (rv is SCardEstablishContext's);
 * false, said on stderr, with the context released, when there is none. */
static bool pcsc_readers(const char *suite, LONG rv, SCARDCONTEXT ctx, char **list, DWORD *len)
{
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "ccidlab bench %s: SCardEstablishContext: %s\n", suite,
			pcsc_stringify_error(rv));
		return false;
	}
	rv = SCardListReaders(ctx, NULL, (LPSTR)list, len);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "ccidlab bench %s: SCardListReaders: %s\n", suite,
			pcsc_stringify_error(rv));
		SCardReleaseContext(ctx);
		return false;
	}
	return true;
}

/* Each reader of the table found in pcscd's list by its friendly name
 * and connected (a missing one stays not ok and is left out). */
static void open_table(SCARDCONTEXT ctx, const char *list, DWORD len, bench_reader *rs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rs[i].name = find_reader(list, len, rs[i].friendly);
		if (rs[i].name != NULL)
			connect_reader(ctx, &rs[i]);
	}
}

static void close_table(bench_reader *rs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (rs[i].ok)
			SCardDisconnect(rs[i].card, SCARD_LEAVE_CARD);
		g_free(rs[i].name);
	}
}

static void short_cases(bench_reader *rs, size_t n, int iterations, uint8_t *rsp, DWORD cap)
{
	apdu_case cases[2];
	g_autofree GArray **us = g_new0(GArray *, n);

	make_case1(&cases[0]);
	make_case4(&cases[1], "case 4, 255 bytes each way (80 36 00 FF FF ... FF)", 255);
	for (size_t k = 0; k < G_N_ELEMENTS(cases); k++) {
		for (size_t i = 0; i < n; i++)
			us[i] = g_array_new(FALSE, FALSE, sizeof(double));
		time_case(rs, n, &cases[k], iterations, BATCH, us, rsp, cap);
		print_case(rs, n, &cases[k], us, false);
		for (size_t i = 0; i < n; i++)
			g_array_unref(us[i]);
		case_free(&cases[k]);
	}
}


/* Debian's libccid on usbsim (issue 8): the same emulated profiles and
 * cards as bench-apdu and bench-t1 (which run beside them), behind the
 * libusb API, in the same pcscd and the same rounds as ccidlab's null
 * reader (the floor).  ccidlab's driver on usbsim devices of the same
 * profiles (usb: DEVICENAMEs, issue 9) is compared with libccid's: the
 * same path for both, pcscd and the shim included. */
int bench_apdu_libccid_run(const bench_opts *o)
{
	bench_reader rs[] = {
		{ "null (floor)", "bench-null", 0.0 },
		{ "ccidlab emu: APDU-level", "bench-apdu", 0.0 },
		{ "ccidlab usb: APDU-level", "bench-cu-apdu", 0.0, .peer = 3 },
		{ "libccid APDU-level", "bench-lc-apdu", 0.0 },
		{ "ccidlab emu: T=1 TPDU", "bench-t1", 0.0 },
		{ "ccidlab usb: T=1 TPDU", "bench-cu-t1", 0.0, .peer = 6 },
		{ "libccid T=1 TPDU", "bench-lc-t1", 0.0 },
	};
	const size_t n = G_N_ELEMENTS(rs);
	SCARDCONTEXT ctx;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	int status = 1;
	g_autofree uint8_t *rsp = NULL;

	printf("\n== APDU round trip, libccid on usbsim (SCardTransmit, one client; "
	       "floor: ccidlab's emu:null in the same pcscd)\n");
	char *list = NULL;
	DWORD len = SCARD_AUTOALLOCATE;
	if (!pcsc_readers("apdu-libccid", rv, ctx, &list, &len))
		return 1;
	open_table(ctx, list, len, rs, n);
	SCardFreeMemory(ctx, list);
	if (!rs[0].ok) {
		fprintf(stderr, "ccidlab bench apdu-libccid: no null reader 'bench-null': no floor, "
			"no figures\n");
		goto out;
	}
	DWORD cap = MAX_BUFFER_SIZE;
	rsp = g_malloc(cap);
	short_cases(rs, n, o->apdu_iterations, rsp, cap);
	unsigned errors = 0;
	for (size_t i = 0; i < n; i++)
		errors += rs[i].errors;
	printf("  wrong answers or errors: %u (each is left out of the figures)\n", errors);
	status = 0;
out:
	close_table(rs, n);
	SCardReleaseContext(ctx);
	return status;
}

int bench_apdu_run(const bench_opts *o)
{
	bench_reader rs[] = {
		{ "null (floor)", "bench-null", 0.0 },
		{ "APDU-level", "bench-apdu", 1.15 },
		{ "T=1 TPDU", "bench-t1", 1.30 },
		{ "T=0 TPDU", "bench-t0", 0.0 },
	};
	bench_reader ext[] = {
		{ "null (floor)", "bench-null", 0.0 },
		{ "extended APDU-level", "bench-ext", 0.0 },
	};
	const size_t n = G_N_ELEMENTS(rs), n_ext = G_N_ELEMENTS(ext);
	SCARDCONTEXT ctx;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	int status = 1;
	g_autofree uint8_t *rsp = NULL;

	printf("\n== APDU round trip through pcscd (SCardTransmit, one client; floor: emu:null)\n");
	char *list = NULL;
	DWORD len = SCARD_AUTOALLOCATE;
	if (!pcsc_readers("apdu", rv, ctx, &list, &len))
		return 1;
	open_table(ctx, list, len, rs, n);
	/* The ext table's null is the same reader: a second handle on it. */
	open_table(ctx, list, len, ext, n_ext);
	SCardFreeMemory(ctx, list);
	if (!rs[0].ok || !ext[0].ok) {
		fprintf(stderr, "ccidlab bench apdu: no null reader 'bench-null': no floor, no figures\n");
		goto out;
	}

	DWORD cap = MAX_BUFFER_SIZE_EXTENDED;
	rsp = g_malloc(cap);
	short_cases(rs, n, o->apdu_iterations, rsp, cap);

	apdu_case big;
	make_case4(&big, "64 KiB extended, case 4: 65535 bytes each way (80 36 FF FF 00 FF FF ... FF FF)",
		   EXT_N);
	GArray *eus[G_N_ELEMENTS(ext)];
	for (size_t i = 0; i < n_ext; i++)
		eus[i] = g_array_new(FALSE, FALSE, sizeof(double));
	time_case(ext, n_ext, &big, o->ext_iterations, 10, eus, rsp, cap);
	print_case(ext, n_ext, &big, eus, true);
	for (size_t i = 0; i < n_ext; i++)
		g_array_unref(eus[i]);
	case_free(&big);

	unsigned errors = 0;
	for (size_t i = 0; i < n; i++)
		errors += rs[i].errors;
	for (size_t i = 0; i < n_ext; i++)
		errors += ext[i].errors;
	printf("  wrong answers or errors: %u (each is left out of the figures)\n", errors);
	status = 0;
out:
	close_table(rs, n);
	close_table(ext, n_ext);
	SCardReleaseContext(ctx);
	return status;
}
