/* ccidlab — what a device's descriptor may make the host engine allocate
 * (issue 20): dwMaxCCIDMessageLength is clamped to what CCID allows, and
 * the per-slot answer buffers are made only for the slots in use. */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ccid/bytes.h"
#include "host/reader_priv.h"
#include "host_emu_fixture.h"

/* The process's address space (VmSize), in kB. */
static long vm_size_kb(void)
{
	g_autofree char *status = NULL;
	g_assert_true(g_file_get_contents("/proc/self/status", &status, NULL, NULL));
	const char *v = strstr(status, "VmSize:");
	g_assert_nonnull(v);
	return strtol(v + 7, NULL, 10);
}

/* Powers the slot's card on and SELECTs the readertest applet. */
static int use_slot(host_reader *h, unsigned slot)
{
	uint8_t atr[CCID_ATR_MAX];
	size_t n = 0;
	int rc = host_slot_power_on(h, slot, atr, sizeof atr, &n);
	return rc != CCID_OK ? rc : select_readertest(h, slot);
}

/* generic-apdu-irq with bMaxSlotIndex and dwMaxCCIDMessageLength set. */
static emu_profile *hostile_profile(uint8_t max_slot_index, uint32_t dwMax, uint8_t busy)
{
	emu_profile *p = emu_profile_builtin("generic-apdu-irq");
	g_assert_nonnull(p);
	p->class_desc[4] = max_slot_index;
	ccid_put_le32(p->class_desc + 44, dwMax);
	p->class_desc[53] = busy;
	return p;
}

/* issue 20: bMaxSlotIndex 255 and dwMaxCCIDMessageLength 0xFFFFFFF0 made
 * the engine allocate (256 + 2) buffers of 4 GiB at open (VmSize 1 TB;
 * GLib aborted under a 4 GiB address-space limit and took pcscd down). */
static void test_huge_dwmax_is_clamped(void)
{
	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		return;
	}
	g_autoptr(emu_profile) p = hostile_profile(255, 0xFFFFFFF0u, 1);
	host_emu he;
	long before = vm_size_kb();
	host_emu_open(&he, p, "readertest");
	/* The emulator's 256 slots and a few message buffers, not 4 GiB ones. */
	g_assert_cmpint(vm_size_kb() - before, <, 256 * 1024);
	const ccid_interface *ci = host_reader_interface(he.host);
	g_assert_cmpuint(ci->desc.dwMaxCCIDMessageLength, ==, 0xFFFFFFF0u);
	g_assert_cmpuint(ci->facts.message_length, ==, 65544 + 10);
	g_assert_true(ci->facts.message_length_clamped);
	g_assert_cmpuint(ci->facts.max_block_payload, ==, 65544);
	g_assert_cmpuint(host_reader_slots(he.host), ==, 256);
	/* The reader still works, on its last slot too. */
	g_assert_cmpint(use_slot(he.host, 255), ==, CCID_OK);
	g_assert_cmpint(use_slot(he.host, 0), ==, CCID_OK);
	host_emu_close(&he);
}

/* With bMaxCCIDBusySlots > 1 each slot has its own gate: a gate's
 * answer buffer exists once a command went through it, not before. */
static void test_answer_buffers_follow_use(void)
{
	g_autoptr(emu_profile) p = hostile_profile(255, 65544 + 10, 8);
	host_emu he;
	host_emu_open(&he, p, "readertest");
	host_reader *r = he.host;
	unsigned made = 0;
	for (unsigned i = 0; i < r->n_gates; i++)
		made += r->gates[i].answer != NULL;
	g_assert_cmpuint(made, ==, 0);
	g_assert_cmpint(use_slot(r, 3), ==, CCID_OK);
	g_assert_cmpint(use_slot(r, 200), ==, CCID_OK);
	made = 0;
	for (unsigned i = 0; i < r->n_gates; i++)
		made += r->gates[i].answer != NULL;
	g_assert_cmpuint(made, ==, 2);
	host_emu_close(&he);
}

/* A dwMaxCCIDMessageLength within CCID's range is taken as it is. */
static void test_lawful_dwmax_is_kept(void)
{
	g_autoptr(emu_profile) p = hostile_profile(0, 65544 + 10, 1);
	host_emu he;
	host_emu_open(&he, p, "readertest");
	const ccid_interface *ci = host_reader_interface(he.host);
	g_assert_cmpuint(ci->facts.message_length, ==, 65554);
	g_assert_false(ci->facts.message_length_clamped);
	host_emu_close(&he);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/host/limits/a-huge-dwMaxCCIDMessageLength-is-clamped-to-65554",
			test_huge_dwmax_is_clamped);
	g_test_add_func("/host/limits/answer-buffers-are-made-for-the-slots-in-use",
			test_answer_buffers_follow_use);
	g_test_add_func("/host/limits/a-lawful-dwMaxCCIDMessageLength-is-kept",
			test_lawful_dwmax_is_kept);
	return g_test_run();
}
