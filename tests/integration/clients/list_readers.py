#!/usr/bin/env python3
"""ccidlab — SCardListReaders through pcscd: prints one reader name a line."""
import pcsc

ctx = pcsc.context()
for name in pcsc.readers(ctx):
    print(name)
