/* ccidlab — what pcscd's threads share inside the driver, for
 * ThreadSanitizer (--enable-tsan; issue 20).  The driver loaded without
 * pcscd, usbsim preloaded:
 *
 *   races DRIVER DEVICENAME CTL_SOCKET CTL_NAME
 *
 * The device floods its interrupt pipe from the start (usbsim's notify
 * fault), so the driver's interrupt thread reads messages, and traces
 * them, while the open sets the trace hook; a polling thread asks
 * IFDHICCPresence all along while the hotplug thread says the device is
 * removed (TAG_IFD_DEVICE_REMOVED) and the device vanishes (the
 * interrupt thread marks it gone).  Before, the hook, `removed` and `gone`
 * were read without lock or atomics: ThreadSanitizer reported each race.
 * Prints TAP; a sanitizer report fails the run.
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <ifdhandler.h>

static __typeof__(&IFDHICCPresence) presence;
static atomic_bool done;
static atomic_uint polls;

static void *poller(void *arg)
{
	(void)arg;
	while (!atomic_load(&done)) {
		presence(0);
		atomic_fetch_add(&polls, 1);
		usleep(1000);
	}
	return NULL;
}

/* One request to the shim's control socket. */
static void ctl(const char *sock, const char *req)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[512];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    write(fd, req, strlen(req)) == (ssize_t)strlen(req))
		(void)read(fd, buf, sizeof buf);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s DRIVER DEVICENAME CTL_SOCKET CTL_NAME\n", argv[0]);
		return 2;
	}
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		printf("not ok 1 - dlopen: %s\n1..1\n", dlerror());
		return 1;
	}
	__typeof__(&IFDHCreateChannelByName) create;
	__typeof__(&IFDHCloseChannel) close_channel;
	__typeof__(&IFDHSetCapabilities) set_caps;
	*(void **)&create = dlsym(h, "IFDHCreateChannelByName");
	*(void **)&close_channel = dlsym(h, "IFDHCloseChannel");
	*(void **)&set_caps = dlsym(h, "IFDHSetCapabilities");
	*(void **)&presence = dlsym(h, "IFDHICCPresence");

	int opened = create(0, argv[2]) == IFD_SUCCESS;
	printf("%sok 1 - the flooding reader opens\n", opened ? "" : "not ");
	if (!opened) {
		printf("1..1\n");
		return 1;
	}
	pthread_t t;
	pthread_create(&t, NULL, poller, NULL);
	usleep(300 * 1000);
	UCHAR one = 1;
	set_caps(0, TAG_IFD_DEVICE_REMOVED, 1, &one);
	char req[256];
	snprintf(req, sizeof req,
		 "{\"v\":1,\"req\":\"fault-set\",\"reader\":\"%s\",\"fault\":\"disconnect/interrupt:1\"}\n",
		 argv[4]);
	ctl(argv[3], req);
	usleep(500 * 1000);
	atomic_store(&done, true);
	pthread_join(t, NULL);
	close_channel(0);
	printf("ok 2 - %u presence polls while the device flooded, was removed and went\n",
	       atomic_load(&polls));
	printf("1..2\n");
	return 0;
}
