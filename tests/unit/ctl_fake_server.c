/* ccidlab — a control server over fake emulated readers, for testing the
 * ccidlab command without pcscd: ctl_fake_server SOCKET runs until its
 * stdin closes.  Readers: 0 "lab-0" (generic-apdu-irq), 1 "lab-multi"
 * (generic-ext-multi), 3 "real-reader" (no emulation). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl/server.h"

static emu_device *devs[2];

static size_t fake_list(void *data, ctl_reader_info *out, size_t cap)
{
	static const struct { unsigned number; const char *name; int dev; } rd[] = {
		{ 0, "lab-0", 0 }, { 1, "lab-multi", 1 }, { 3, "real-reader", -1 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(rd) && i < cap; i++) {
		memset(&out[i], 0, sizeof out[i]);
		out[i].number = rd[i].number;
		emu_device *d = rd[i].dev >= 0 ? devs[rd[i].dev] : NULL;
		out[i].n_slots = d != NULL ? emu_device_slot_count(d) : 1;
		g_strlcpy(out[i].name, rd[i].name, sizeof out[i].name);
		g_snprintf(out[i].devname, sizeof out[i].devname, "emu:%s", rd[i].name);
		g_strlcpy(out[i].profile, d != NULL ? emu_device_profile(d)->name : "",
			  sizeof out[i].profile);
		g_strlcpy(out[i].mode, "event", sizeof out[i].mode);
		out[i].emu = d != NULL ? emu_device_ref(d) : NULL;
	}
	return G_N_ELEMENTS(rd);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ctl_fake_server SOCKET\n");
		return 2;
	}
	const char *profiles[2] = { "generic-apdu-irq", "generic-ext-multi" };
	const char *names[2] = { "lab-0", "lab-multi" };
	for (int i = 0; i < 2; i++) {
		g_autoptr(emu_profile) p = emu_profile_builtin(profiles[i]);
		devs[i] = emu_device_new(p, NULL);
		emu_device_set_name(devs[i], names[i]);
	}
	ctl_directory dir = { fake_list, NULL };
	g_autoptr(GError) err = NULL;
	ctl_server *s = ctl_server_start(argv[1], &dir, NULL, &err);
	if (s == NULL) {
		fprintf(stderr, "ctl_fake_server: %s\n", err->message);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	char buf[64];
	while (read(STDIN_FILENO, buf, sizeof buf) > 0)
		;
	ctl_server_stop(s);
	for (int i = 0; i < 2; i++)
		emu_device_unref(devs[i]);
	return 0;
}
