/* ccidlab — bounded reads of regular files (file.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/file.h"
#include "emu/profile.h"

GBytes *emu_file_read(const char *path, size_t max, GError **error)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		g_set_error(error, EMU_ERROR, e == ENOENT ? EMU_ERROR_NOT_FOUND : EMU_ERROR_FAILED,
			    "%s: %s", path,
			    e == ELOOP ? "a symbolic link (not followed)" : g_strerror(e));
		return NULL;
	}
	GBytes *b = emu_file_read_fd(fd, path, max, error);
	close(fd);
	return b;
}

GBytes *emu_file_read_fd(int fd, const char *name, size_t max, GError **error)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "%s: %s", name, g_strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED,
			    "%s: not a regular file (only regular files are read)", name);
		return NULL;
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > max) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "%s: over %zu bytes", name, max);
		return NULL;
	}
	/* One byte more than the limit, to see a file that grew. */
	size_t cap = (size_t)st.st_size < max ? (size_t)st.st_size + 1 : max + 1;
	uint8_t *buf = g_malloc(cap);
	size_t got = 0;
	while (got < cap) {
		ssize_t n = pread(fd, buf + got, cap - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "%s: %s", name,
				    g_strerror(errno));
			g_free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > max) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "%s: over %zu bytes", name, max);
		g_free(buf);
		return NULL;
	}
	return g_bytes_new_take(buf, got);
}
