# make bench: reader open times from a pcscd debug log (--keep-log).
# pcscd stamps each line with the µs since its previous line (every
# thread's lines in one sequence), so their running sum is the time since
# pcscd's first line.  pcscd starts the reader.conf.d readers one after
# the other in its main thread: a reader's open time is from
# "Attempting startup of NAME" to the next "Using the reader polling
# thread" (the driver's IFDHCreateChannelByName and first
# IFDHGetCapabilities done, the reader's thread started: it is listed);
# its card's power-up follows in that thread and is not counted.
{
	t += $1 + 0
}
/RFInitializeReader\(\) Attempting startup of / {
	s = $0
	sub(/.*Attempting startup of /, "", s)
	sub(/ [0-9A-F][0-9A-F] [0-9A-F][0-9A-F] using .*/, "", s)
	name = s
	start = t
	drv = $0
	sub(/.*\//, "", drv)
}
/RFAddReader\(\) Using the reader polling thread/ && name != "" {
	printf "    %-16s %-14s open %8.0f µs   ready %8.0f µs after pcscd's first line\n", name, drv, t - start, t
	name = ""
}
