/* ccidlab — a control server over fake emulated readers, for testing the
 * ccidlab command without pcscd: ctl_fake_server SOCKET runs until its
 * stdin closes.  Readers: those of ctl_fake_dir.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl_fake_dir.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ctl_fake_server SOCKET\n");
		return 2;
	}
	ctl_directory dir = ctl_fake_dir_open();
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
	ctl_fake_dir_close();
	return 0;
}
