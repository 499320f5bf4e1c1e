#!/bin/sh
# The soak of issue 20, short: 5 minutes, pcscd's resources sampled every
# 10 s (make soak runs it for 2 hours, every minute: tests/soak/soak.sh).
exec sh "$top_srcdir/tests/soak/soak.sh" "${SOAK_SHORT_SECONDS:-300}" "${SOAK_SHORT_INTERVAL:-10}"
