#!/usr/bin/env python3
"""html_check.py PAGE PNG [EXPECT...]: opens a --html report in Debian's
headless Chromium and checks it as a reader would see it.

Prints one line per fact ("name ok|FAIL detail") and exits 1 when any
fails:
  self-contained  no <script>, no link or source outside the file (the
                  SVG namespace URI is a name, not a fetch)
  screenshot      a PNG that is not blank: over 1 % of its pixels are not
                  the background, in more than 8 colours
  console         Chromium logged no console message and no failed load
  expected        every EXPECT string is in the rendered DOM's text
"""
import os
import re
import subprocess
import sys
import tempfile

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


def chromium(page, *extra):
    with tempfile.TemporaryDirectory() as profile:
        p = subprocess.run([CHROMIUM, *FLAGS, "--user-data-dir=" + profile, *extra,
                            "file://" + os.path.abspath(page)],
                           capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def self_contained(text):
    if re.search(r"<script", text, re.I):
        return False, "a <script> element"
    for m in re.finditer(r"""(?:src|href)\s*=\s*["']([^"']*)""", text, re.I):
        if not m.group(1).startswith("#"):
            return False, "a reference out of the page: " + m.group(1)
    for m in re.finditer(r"url\(", text):
        return False, "a CSS url()"
    return True, "%d bytes" % len(text)


def not_blank(png):
    from PIL import Image
    im = Image.open(png).convert("RGB")
    w, h = im.size
    px = list(im.getdata())
    # The background is the commonest colour.
    bg = max(((c, n) for n, c in im.getcolors(w * h)), key=lambda cn: cn[1])[0]
    inked = sum(1 for p in px if p != bg)
    colours = len(set(px))
    ok = inked > 0.01 * len(px) and colours > 8
    return ok, "%dx%d, %.1f %% inked, %d colours" % (w, h, 100.0 * inked / len(px), colours)


CONSOLE = re.compile(r"CONSOLE[:(]|Uncaught|net::ERR_|Failed to load resource|Refused to")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    page, png, expect = sys.argv[1], sys.argv[2], sys.argv[3:]
    results = []
    text = open(page, encoding="utf-8").read()
    results.append(("self-contained",) + self_contained(text))
    rc, _, err1 = chromium(page, "--window-size=1280,2000", "--screenshot=" + png)
    if rc != 0 or not os.path.exists(png):
        results.append(("screenshot", False, "chromium exit %d: %s" % (rc, err1[-300:])))
    else:
        results.append(("screenshot",) + not_blank(png))
    rc, dom, err2 = chromium(page, "--dump-dom")
    bad = [l for l in (err1 + err2).splitlines() if CONSOLE.search(l)]
    results.append(("console", not bad, bad[0][:200] if bad else "no console message"))
    # The text a reader sees: the DOM without its tags, entities decoded.
    import html
    seen = html.unescape(re.sub(r"<[^>]*>", " ", dom))
    seen = re.sub(r"\s+", " ", seen)
    missing = [e for e in expect if e not in seen]
    results.append(("expected", rc == 0 and not missing,
                    "missing: " + ", ".join(missing) if missing else "%d strings" % len(expect)))
    failed = 0
    for name, ok, detail in results:
        print("%s %s %s" % (name, "ok" if ok else "FAIL", detail))
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
