#!/usr/bin/python3
"""Seconds from T0 to the first log line after T0 that contains TEXT.

usage: first-after.py T0 TEXT < LOG-LINES   (prints "-" when none)
Understands PostgreSQL's %m prefix ("2026-12-06 06:15:35.123 UTC ...") and
corosync's/Pacemaker's ("Dec 06 06:15:33.380 ..."); times are UTC, as on the
test machine. Licence: GPL-2.0-or-later.
"""
import datetime
import sys


def stamp(line):
    f = line.split()
    utc = datetime.timezone.utc
    try:
        t = datetime.datetime.strptime(" ".join(f[:2]), "%Y-%m-%d %H:%M:%S.%f")
        return t.replace(tzinfo=utc).timestamp()
    except (ValueError, IndexError):
        pass
    try:
        year = datetime.datetime.now(utc).year
        t = datetime.datetime.strptime("%d %s" % (year, " ".join(f[:3])), "%Y %b %d %H:%M:%S.%f")
        return t.replace(tzinfo=utc).timestamp()
    except (ValueError, IndexError):
        return None


def main():
    t0, text = float(sys.argv[1]), sys.argv[2]
    best = None
    for line in sys.stdin:
        if text not in line:
            continue
        t = stamp(line)
        if t is not None and t > t0 and (best is None or t < best):
            best = t
    print("-" if best is None else "%.2f" % (best - t0))


if __name__ == "__main__":
    main()
