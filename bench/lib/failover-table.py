#!/usr/bin/python3
"""bench/failover's table: one row per scenario, layout and stack, medians of the runs.

usage: failover-table.py RESULTS
RESULTS lines: KEY scenario run recovery outage rows files destroyed manual
after-fencing [fenced promoted lost]; KEY is STACK@LAYOUT[/tokenN] (a bare STACK is
the 2node layout, "ours-qdevice" the ours stack in 2node-qdevice: earlier files).
Licence: GPL-2.0-or-later.
"""
import statistics
import sys

SCENARIOS = {"1": "1. power-off of the active node", "2": "2. network cut of the active node",
             "3": "3. PostgreSQL killed on the active node", "6": "6. planned switchover"}
LAYOUTS = ["2node", "2node-ping", "2node-qdevice", "3node"]
STACKS = ["ours", "ours-async", "peers"]


def key(k):
    if k == "ours-qdevice":
        return "ours", "2node-qdevice"
    st, _, lay = k.partition("@")
    return st, lay or "2node"


def num(v):
    try:
        return float(v)
    except ValueError:
        return None


def med(vals):
    vals = [v for v in vals if v is not None]
    return "%.2f s" % statistics.median(vals) if vals else "-"


def main():
    runs = {}
    for line in open(sys.argv[1]):
        f = line.split()
        if len(f) < 10 or f[3] == "skip":
            continue
        f += ["-"] * (13 - len(f))
        runs.setdefault((f[1],) + key(f[0]), []).append(f)
    print("| scenario | layout | stack | recovery median (min-max) | node lost | fenced | promoted "
          "| after fencing | rows lost | files lost (destroyed) | manual rebuilds | runs |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    def lay_order(lay):
        base, _, tok = lay.partition("/token")
        return (LAYOUTS.index(base) if base in LAYOUTS else len(LAYOUTS), int(tok or 1000), lay)

    layouts = sorted({k[2] for k in runs}, key=lay_order)
    for s in ["1", "2", "3", "6"]:
        for lay in layouts:
            for st in STACKS:
                rs = runs.get((s, st, lay))
                if not rs:
                    continue
                rec = sorted(v for v in (num(r[3]) for r in rs) if v is not None)
                never = sum(1 for r in rs if r[3] == "none")
                text = "%.2f s (%.2f-%.2f)" % (statistics.median(rec), rec[0], rec[-1]) if rec else "never"
                if never and rec:
                    text += ", %d never" % never
                tot = [sum(int(r[i]) for r in rs) for i in (5, 6, 7, 8)]
                print("| %s | %s | %s | %s | %s | %s | %s | %s | %d | %d (%d) | %d | %d |" % (
                    SCENARIOS[s], lay, st, text, med(num(r[12]) for r in rs), med(num(r[10]) for r in rs),
                    med(num(r[11]) for r in rs), med(num(r[9]) for r in rs), tot[0], tot[1], tot[2], tot[3],
                    len(rs)))


if __name__ == "__main__":
    main()
