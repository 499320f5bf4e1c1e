/* ccidlab — the files the emulator and the driver read: scenarios, card
 * scripts and file-system descriptions, the reader catalogue, ccidlab.conf
 * and conf= files (issue 20).
 *
 * Inside pcscd the driver runs as root, so a read must neither block nor
 * grow without bound, whatever the path names: only a regular file is
 * read (a FIFO would block the open, /dev/zero would never end), the
 * open is O_NONBLOCK and does not follow a symbolic link in the last
 * component, and the size is checked against the caller's limit before
 * anything is read (and the read stops there, should the file grow).
 * These paths are root's (reader.conf.d, ccidlab.conf, the catalogue):
 * the control socket never gives a path to read, only contents or a file
 * descriptor (emu_file_read_fd), which meet the same rules.
 */
#ifndef CCIDLAB_EMU_FILE_H
#define CCIDLAB_EMU_FILE_H

#include <stddef.h>

#include <glib.h>

/* The whole file, at most max bytes; NULL with an EMU_ERROR naming the
 * path and the reason (EMU_ERROR_NOT_FOUND for a missing file,
 * EMU_ERROR_FAILED for anything else: not a regular file, a symbolic
 * link, over max bytes, a read error). */
GBytes *emu_file_read(const char *path, size_t max, GError **error);
/* The same from an open descriptor (not closed), `name` for messages. */
GBytes *emu_file_read_fd(int fd, const char *name, size_t max, GError **error);

#endif
