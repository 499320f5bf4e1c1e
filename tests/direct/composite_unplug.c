/* ccidlab — a composite USB device's readers going away one at a time
 * (issue 20): was the interrupt transfer of a closed reader reaped into
 * freed memory?  The driver loaded without pcscd, usbsim preloaded:
 *
 *   composite_unplug DRIVER CTL_SOCKET CYCLES
 *
 * CCIDLAB_USBSIM holds "dual" (composite=ccid: reader A on interface 0,
 * reader B on interface 1, one libusb handle in the driver) and "other"
 * (a device of its own, whose interrupt thread keeps running libusb's
 * events, as any other reader's would).  Each cycle opens A and B in
 * event mode, makes B's bulk pipe answer LIBUSB_ERROR_NO_DEVICE (the
 * emulator's device-gone on B's function: the driver marks the device
 * gone, while A's interrupt transfer is in flight), closes A while B is
 * still open and used, then B, and clears the fault.  Under ASan a
 * transfer completed into a freed reader is a heap-use-after-free report
 * and the program dies; it prints TAP.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <ifdhandler.h>

#define LUN_A (0ul << 16)
#define LUN_B (1ul << 16)
#define LUN_OTHER (2ul << 16)
#define DEV_A "usb:1209/0002:libusb-1.0:1:2:0"
#define DEV_B "usb:1209/0002:libusb-1.0:1:2:1"
#define DEV_OTHER "usb:1209/0002:libusb-1.0:1:3:0"

static __typeof__(&IFDHCreateChannelByName) create;
static __typeof__(&IFDHCloseChannel) close_channel;
static __typeof__(&IFDHPowerICC) power;

/* One request line to the shim's control socket; true when it says ok. */
static int ctl(const char *sock, const char *req)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[4096];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), ok = 0;

	snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
		goto out;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto out;
	size_t n = 0;
	while (n < sizeof buf - 1 && memchr(buf, '\n', n) == NULL) {
		ssize_t k = read(fd, buf + n, sizeof buf - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	ok = strstr(buf, "\"ok\":true") != NULL;
out:
	if (fd >= 0)
		close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s DRIVER CTL_SOCKET CYCLES\n", argv[0]);
		return 2;
	}
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		printf("not ok 1 - dlopen: %s\n1..1\n", dlerror());
		return 1;
	}
	*(void **)&create = dlsym(h, "IFDHCreateChannelByName");
	*(void **)&close_channel = dlsym(h, "IFDHCloseChannel");
	*(void **)&power = dlsym(h, "IFDHPowerICC");
	const char *sock = argv[2];
	unsigned cycles = (unsigned)strtoul(argv[3], NULL, 10), done = 0, refused = 0;

	int other = create(LUN_OTHER, DEV_OTHER) == IFD_SUCCESS;
	printf("%sok 1 - the other device's reader opens (its interrupt thread runs libusb's "
	       "events)\n", other ? "" : "not ");
	for (unsigned i = 0; i < cycles; i++) {
		if (create(LUN_A, DEV_A) != IFD_SUCCESS) {
			refused++;
			continue;
		}
		if (create(LUN_B, DEV_B) != IFD_SUCCESS) {
			close_channel(LUN_A);
			refused++;
			continue;
		}
		/* B's bulk pipe: LIBUSB_ERROR_NO_DEVICE from now on. */
		ctl(sock, "{\"v\":1,\"req\":\"fault-set\",\"reader\":\"dual-if1\","
			  "\"fault\":\"device-gone\"}\n");
		UCHAR atr[64];
		DWORD len = sizeof atr;
		power(LUN_B, IFD_POWER_UP, atr, &len);	/* the driver sees it */
		/* A's interrupt thread sees the device gone within its 100 ms
		 * slice and ends, its transfer left in flight. */
		usleep(150 * 1000);
		close_channel(LUN_A);			/* while B is open */
		len = sizeof atr;
		power(LUN_B, IFD_POWER_UP, atr, &len);	/* B still used */
		usleep(20 * 1000);	/* the other reader's events reap A's transfer */
		close_channel(LUN_B);
		ctl(sock, "{\"v\":1,\"req\":\"fault-clear\",\"reader\":\"dual-if1\"}\n");
		done++;
	}
	printf("%sok 2 - %u of %u cycles ran (%u opens refused)\n", done == cycles ? "" : "not ",
	       done, cycles, refused);
	close_channel(LUN_OTHER);
	printf("ok 3 - no memory error (ASan would have ended the program)\n1..3\n");
	return done == cycles && other ? 0 : 1;
}
