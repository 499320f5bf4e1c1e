/* ccidlab — `ccidlab trace --pcap FILE`: the trace stream's frames
 * written as a USB capture (pcap_usb.h) as they come. */
#ifndef CCIDLAB_CLI_TRACE_PCAP_H
#define CCIDLAB_CLI_TRACE_PCAP_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "ctl/stream.h"

typedef struct trace_pcap trace_pcap;

/* Creates (truncates) `path`, "-" for stdout, and writes the file header.
 * NULL with a message in *error when it cannot. */
trace_pcap *trace_pcap_open(const char *path, GError **error);

/* Appends one frame of the stream (its CLOCK_MONOTONIC time becomes
 * wall-clock time).  False with *error when the frame's hex is not the
 * len bytes it announces, or the file cannot be written. */
bool trace_pcap_frame(trace_pcap *t, const ctl_frame_rec *f, GError **error);

/* Frames written so far. */
uint64_t trace_pcap_count(const trace_pcap *t);

/* Closes the file (stdout stays open); false with *error when the last
 * bytes could not be written. */
bool trace_pcap_close(trace_pcap *t, GError **error);

#endif
