/* ccidlab — fuzz target: the control server's request handling, not only
 * its parser (src/ctl/server.c, handlers.c; issue 20).
 *
 * Each input is what one client sends: lines, each a request or not.  A
 * server over fake readers starts for the input (so
 * that no state leaks from one input into the next), the lines go over a
 * real Unix socket, and a line that mentions "fd" carries a descriptor
 * (SCM_RIGHTS): a regular file open for writing, a pipe, or a file open
 * for reading only, chosen by the line's length.  Then a last "hello",
 * whose reply must come within 10 s (the server never hangs on a client,
 * a file or a storm); every line the server sends must be one JSON
 * object.  The server stops with the input (its storms and scenarios
 * with it) and ASan sees what it leaves.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/client.h"
#include "ctl/server.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SENTINEL_ID 424242
#define SENTINEL "{\"v\":1,\"id\":424242,\"req\":\"hello\"}\n"
#define WAIT_MS 10000u

static char *sock_path, *reg_path;

/* The readers: 0 "lab-0" (generic-apdu-irq), 1 "lab-multi"
 * (generic-ext-multi), both emulated, and 3 "real-reader". */
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

/* Makes the emulated devices, afresh for each input. */
static ctl_directory fake_dir_open(void)
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

static void fake_dir_close(void)
{
	for (int i = 0; i < 2; i++)
		g_clear_pointer(&devs[i], emu_device_unref);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char *dir = g_dir_make_tmp("ccidlab-fuzz-ctlsrv-XXXXXX", NULL);
	if (dir == NULL)
		abort();
	sock_path = g_build_filename(dir, "ctl.sock", NULL);
	reg_path = g_build_filename(dir, "trace.jsonl", NULL);
	g_free(dir);
	return 0;
}

/* The descriptor a line with "fd" carries: by the line's length, a
 * regular file for writing, a pipe's write end, or a file for reading. */
static int fd_for(size_t len, int pipe_w)
{
	switch (len % 3) {
	case 0:
		return open(reg_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	case 1:
		return dup(pipe_w);
	default:
		return open(reg_path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	}
}

/* Every line back is one JSON object, until the sentinel's reply or the
 * server's close (a line too long, an output queue full); no answer in
 * time is a hung server. */
static void drain(ctl_client *c)
{
	for (;;) {
		g_autoptr(GError) err = NULL;
		g_autofree char *line = ctl_client_read_line(c, WAIT_MS, &err);
		if (line == NULL) {
			if (g_error_matches(err, CTL_ERROR, CTL_ERROR_IO))
				return;
			abort();
		}
		g_autoptr(JsonParser) p = json_parser_new_immutable();
		if (!json_parser_load_from_data(p, line, -1, NULL) ||
		    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
			abort();
		JsonObject *o = json_node_get_object(json_parser_get_root(p));
		if (json_object_get_int_member_with_default(o, "id", -1) == SENTINEL_ID)
			return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ctl_directory d = fake_dir_open();
	ctl_server *srv = ctl_server_start(sock_path, &d, NULL, NULL);
	ctl_client *c = srv != NULL ? ctl_client_connect(sock_path, WAIT_MS, NULL) : NULL;
	int p[2];
	if (c == NULL || pipe2(p, O_CLOEXEC) != 0)
		abort();
	bool sent = true;
	for (size_t at = 0; at < size && sent;) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t len = nl != NULL ? (size_t)(nl - (data + at)) + 1 : size - at;
		const char *line = (const char *)data + at;
		int fd = g_strstr_len(line, (gssize)len, "\"fd\"") != NULL ? fd_for(len, p[1]) : -1;
		/* A server that stopped reading closed the connection: the
		 * send fails and drain() reads what it said. */
		sent = ctl_client_send_raw_fd(c, line, len, fd, WAIT_MS, NULL);
		if (fd >= 0)
			close(fd);
		at += len;
	}
	if (sent && size > 0 && data[size - 1] != '\n')
		sent = ctl_client_send_raw(c, "\n", 1, WAIT_MS, NULL);
	if (sent)
		ctl_client_send_raw(c, SENTINEL, strlen(SENTINEL), WAIT_MS, NULL);
	drain(c);
	ctl_client_free(c);
	close(p[0]);
	close(p[1]);
	ctl_server_stop(srv);
	fake_dir_close();
	return 0;
}
