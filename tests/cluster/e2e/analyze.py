#!/usr/bin/python3
# tests/cluster/e2e/analyze.py: reads the client's /isalive log and the nodes' watch logs of the end-to-end
# scenarios: time until service is back, and whether two primaries or two instances ever overlapped.
# Licence: GPL-2.0-or-later.
#
#   analyze.py recovery CLIENT_LOG T0 T1
#       -> "<seconds from T0 until /isalive answered 200 again, 0 if it never
#          failed> <seconds without a 200 answer> <failed polls>"
#          ("none" instead of the first number if it never came back before T1)
#   analyze.py overlap T0 T1 WATCH_LOG...
#       -> "<max writable primaries at once> <max CTFreak instances at once>
#          <samples>"
# A watch log line: "<epoch> node<K> pg=<t|f|-> ctf=<count>" (pg=f: a
# primary, not in recovery). A state counts between two consecutive samples
# of a node that both show it (at most 1.5 s apart), so overlaps are proven,
# not guessed from a single sample.
import sys


def recovery(path, t0, t1):
    polls = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 2:
                t = float(p[0])
                if t0 <= t <= t1:
                    polls.append((t, p[1] == "200"))
    first_fail = next((t for t, ok in polls if not ok), None)
    if first_fail is None:
        print("0.00 0.00 0")
        return
    back = next((t for t, ok in polls if ok and t > first_fail), None)
    last_ok = max((t for t, ok in polls if ok and t < first_fail), default=t0)
    fails = sum(1 for t, ok in polls if not ok)
    if back is None:
        print("none %.2f %d" % (t1 - last_ok, fails))
    else:
        print("%.2f %.2f %d" % (back - t0, back - last_ok, fails))


def intervals(samples, pred):
    out = []
    for (ta, a), (tb, b) in zip(samples, samples[1:]):
        if pred(a) and pred(b) and tb - ta <= 1.5:
            out.append((ta, tb, min(weight(a, pred), weight(b, pred))))
    return out


def weight(s, pred):
    return s["ctf"] if pred is is_ctf else 1


def is_primary(s):
    return s["pg"] == "f"


def is_ctf(s):
    return s["ctf"] > 0


def max_overlap(per_node, pred):
    events = []
    for samples in per_node.values():
        for ta, tb, n in intervals(samples, pred):
            events.append((ta, n))
            events.append((tb, -n))
    events.sort(key=lambda e: (e[0], e[1]))
    cur = best = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


def overlap(t0, t1, paths):
    per_node = {}
    n = 0
    for path in paths:
        try:
            f = open(path)
        except OSError:
            continue
        with f:
            for line in f:
                p = line.split()
                if len(p) < 4:
                    continue
                t = float(p[0])
                if not t0 <= t <= t1:
                    continue
                s = {"pg": p[2].split("=", 1)[1], "ctf": int(p[3].split("=", 1)[1] or 0)}
                per_node.setdefault(p[1], []).append((t, s))
                n += 1
    for samples in per_node.values():
        samples.sort(key=lambda x: x[0])
    # Two instances on one node count too: ctf is a per-node process count.
    ctf = max_overlap(per_node, is_ctf)
    print("%d %d %d" % (max_overlap(per_node, is_primary), ctf, n))


def main(argv):
    if argv[1] == "recovery":
        recovery(argv[2], float(argv[3]), float(argv[4]))
    elif argv[1] == "overlap":
        overlap(float(argv[2]), float(argv[3]), argv[4:])
    else:
        sys.exit("usage: analyze.py recovery|overlap ...")


if __name__ == "__main__":
    main(sys.argv)
