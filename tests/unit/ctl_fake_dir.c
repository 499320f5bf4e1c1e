/* ccidlab — fake readers for a control server without pcscd
 * (ctl_fake_dir.h). */
#include "config.h"

#include "ctl_fake_dir.h"

#include <stdlib.h>
#include <string.h>

static emu_device *devs[2];

static size_t fake_list(void *data, ctl_reader_info *out, size_t cap)
{
	static const struct { unsigned number; const char *name; int dev; } rd[] = {
		{ 0, "lab-0", 0 }, { 1, "lab-multi", 1 }, { 3, "real-reader", -1 },
	};
	(void)data;
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

ctl_directory ctl_fake_dir_open(void)
{
	static const char *const profiles[2] = { "generic-apdu-irq", "generic-ext-multi" };
	static const char *const names[2] = { "lab-0", "lab-multi" };
	for (int i = 0; i < 2; i++) {
		g_autoptr(emu_profile) p = emu_profile_builtin(profiles[i]);
		devs[i] = emu_device_new(p, NULL);
		if (devs[i] == NULL)
			abort();
		emu_device_set_name(devs[i], names[i]);
	}
	return (ctl_directory){ fake_list, NULL };
}

void ctl_fake_dir_close(void)
{
	for (int i = 0; i < 2; i++)
		g_clear_pointer(&devs[i], emu_device_unref);
}
