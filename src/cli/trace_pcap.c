/* ccidlab — the pcap sink of `ccidlab trace` (trace_pcap.h).  The file
 * is the user's, opened by the command (never by the driver); each frame
 * is flushed as it comes, so that a trace stopped by a signal leaves a
 * file that ends on a whole record. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/pcap_usb.h"
#include "cli/trace_pcap.h"

struct trace_pcap {
	FILE *file;
	bool is_stdout;
	char *path;
	GByteArray *buf;
	pcap_usb *writer;
	int64_t mono_to_real_us;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
	uint64_t frames;
};

static bool flush_buf(trace_pcap *t, GError **error)
{
	if (t->buf->len > 0 && fwrite(t->buf->data, 1, t->buf->len, t->file) != t->buf->len) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot write %s: %s", t->path, g_strerror(errno));
		return false;
	}
	g_byte_array_set_size(t->buf, 0);
	if (fflush(t->file) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot write %s: %s", t->path, g_strerror(errno));
		return false;
	}
	return true;
}

static void trace_pcap_free(trace_pcap *t)
{
	pcap_usb_free(t->writer);
	g_byte_array_unref(t->buf);
	g_free(t->path);
	g_free(t);
}

trace_pcap *trace_pcap_open(const char *path, GError **error)
{
	trace_pcap *t = g_new0(trace_pcap, 1);
	t->is_stdout = strcmp(path, "-") == 0;
	t->path = g_strdup(t->is_stdout ? "standard output" : path);
	t->file = t->is_stdout ? stdout : fopen(path, "wbe");
	if (t->file == NULL) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot create %s: %s", path, g_strerror(errno));
		g_free(t->path);
		g_free(t);
		return NULL;
	}
	t->buf = g_byte_array_new();
	t->writer = pcap_usb_new(t->buf);
	t->mono_to_real_us = g_get_real_time() - g_get_monotonic_time();
	if (!flush_buf(t, error)) {
		if (!t->is_stdout)
			fclose(t->file);
		trace_pcap_free(t);
		return NULL;
	}
	return t;
}

/* The frame's bytes from its hex, which must be exactly len bytes. */
static bool unhex(const ctl_frame_rec *f, GByteArray *out, GError **error)
{
	size_t n = strlen(f->hex);
	if (n != 2 * f->len) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "a frame announces %zu bytes and carries %zu hex digits", f->len, n);
		return false;
	}
	for (size_t i = 0; i < n; i += 2) {
		int hi = g_ascii_xdigit_value(f->hex[i]);
		int lo = g_ascii_xdigit_value(f->hex[i + 1]);
		if (hi < 0 || lo < 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "a frame's hex has a non-hex digit at %zu", i);
			return false;
		}
		uint8_t b = (uint8_t)(hi << 4 | lo);
		g_byte_array_append(out, &b, 1);
	}
	return true;
}

bool trace_pcap_frame(trace_pcap *t, const ctl_frame_rec *f, GError **error)
{
	g_autoptr(GByteArray) bytes = g_byte_array_sized_new((guint)MIN(f->len, 65536u));
	if (!unhex(f, bytes, error))
		return false;
	pcap_usb_frame(t->writer, f->reader, f->dir == CTL_TRACE_IN, f->ts_us + t->mono_to_real_us,
		       bytes->data, bytes->len);
	t->frames++;
	return flush_buf(t, error);
}

uint64_t trace_pcap_count(const trace_pcap *t)
{
	return t->frames;
}

bool trace_pcap_close(trace_pcap *t, GError **error)
{
	bool ok = flush_buf(t, error);
	if (!t->is_stdout && fclose(t->file) != 0 && ok) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot write %s: %s", t->path, g_strerror(errno));
		ok = false;
	}
	trace_pcap_free(t);
	return ok;
}
