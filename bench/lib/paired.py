"""Shared helpers for the bench/ scripts (Debian's python3, stdlib only).

Paired, interleaved timing of whole commands:

    from paired import Variant, run_paired, summarize, count_forks, machine_info

- run_once() spawns one command (posix_spawn, stdout/stderr to /dev/null) and
  reaps it with wait4(): wall time from spawn to reap, CPU time = user + sys of
  the child *and every descendant it reaped* (the kernel folds waited-for
  grandchildren into the child's rusage), i.e. the whole process tree of a
  shell-script agent.
- run_paired() runs all variants once per iteration, rotating the order each
  iteration so no variant always goes first (or always follows the same one),
  after a warm-up; every sample keeps its iteration index so ratios can be
  paired.
- count_forks() runs a command once under `strace -f` and counts the processes
  (clone/clone3/fork/vfork without CLONE_THREAD) and threads it created.

Not part of the test suite.
"""

import os
import platform
import re
import shutil
import statistics
import subprocess
import tempfile
import time


class Variant:
    def __init__(self, key, label, argv, env, expect_rc=0):
        self.key = key
        self.label = label
        self.argv = list(argv)
        self.env = dict(env)
        self.expect_rc = expect_rc
        self.wall = []   # seconds, index = iteration
        self.cpu = []    # seconds


def run_once(argv, env):
    """Returns (wall_s, cpu_s, exit_code); exit_code is -signal if killed."""
    devnull = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=devnull)
    _, status, ru = os.wait4(pid, 0)
    t1 = time.perf_counter_ns()
    rc = os.waitstatus_to_exitcode(status)
    return (t1 - t0) / 1e9, ru.ru_utime + ru.ru_stime, rc


def check(v):
    """Runs a variant once with output visible; raises if the exit code is wrong."""
    r = subprocess.run(v.argv, env=v.env, capture_output=True, text=True)
    if r.returncode != v.expect_rc:
        raise RuntimeError("%s: exit %d, expected %d\nstdout: %s\nstderr: %s" % (
            v.label, r.returncode, v.expect_rc, r.stdout.strip(), r.stderr.strip()))
    return r


def run_paired(variants, iterations, warmup, progress=None):
    k = len(variants)
    for i in range(warmup):
        for v in variants:
            run_once(v.argv, v.env)
    for i in range(iterations):
        order = [variants[(i + j) % k] for j in range(k)]
        for v in order:
            wall, cpu, rc = run_once(v.argv, v.env)
            if rc != v.expect_rc:
                raise RuntimeError("%s: exit %d in iteration %d" % (v.label, rc, i))
            v.wall.append(wall)
            v.cpu.append(cpu)
        if progress:
            progress(i + 1, iterations)


def pctl(xs, p):
    """Nearest-rank percentile (p in 0..100)."""
    s = sorted(xs)
    if not s:
        return float("nan")
    rank = max(1, -(-len(s) * p // 100))  # ceil
    return s[int(rank) - 1]


def summarize(v):
    return {
        "wall_med": statistics.median(v.wall),
        "wall_p90": pctl(v.wall, 90),
        "cpu_med": statistics.median(v.cpu),
    }


def paired_ratios(num, den):
    """Per-iteration wall-time ratios num/den (same iteration = one pair)."""
    return [a / b for a, b in zip(num.wall, den.wall)]


_CLONE_RE = re.compile(r"^(\d+)\s+(clone3?|fork|vfork)\((.*)$")
_RESUMED_RE = re.compile(r"^(\d+)\s+<\.\.\. (clone3?|fork|vfork) resumed>(.*)$")
_RESULT_RE = re.compile(r"=\s+(-?\d+)")


def count_forks(argv, env, strace="strace"):
    """Runs argv once under strace -f; returns (processes, threads, execs) created."""
    fd, out = tempfile.mkstemp(prefix="bench-strace.")
    os.close(fd)
    try:
        subprocess.run([strace, "-f", "-qq", "-o", out, "-e", "signal=none",
                        "-e", "trace=clone,clone3,fork,vfork,execve", "--"] + argv,
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        with open(out) as f:
            lines = f.read().splitlines()
    finally:
        os.unlink(out)
    pending = {}
    procs = threads = execs = 0
    for line in lines:
        m = _RESUMED_RE.match(line)
        if m:
            text = pending.pop((m.group(1), m.group(2)), "") + m.group(3)
        else:
            m = _CLONE_RE.match(line)
            if not m:
                if re.match(r"^\d+\s+execve\(", line) and re.search(r"=\s+0\s*$", line):
                    execs += 1
                continue
            text = m.group(3)
            if text.endswith("<unfinished ...>"):
                pending[(m.group(1), m.group(2))] = text
                continue
        r = _RESULT_RE.findall(text)
        if not r or int(r[-1]) <= 0:
            continue
        if "CLONE_THREAD" in text:
            threads += 1
        else:
            procs += 1
    return procs, threads, execs


def _cmd(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return ""


def machine_info():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    distro = ""
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    distro = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "nproc": os.cpu_count(),
        "kernel": platform.release(),
        "cpu": model,
        "distro": distro,
        "loadavg": " ".join("%.2f" % x for x in os.getloadavg()),
        "python": platform.python_version(),
    }


def dpkg_version(pkg):
    return _cmd(["dpkg-query", "-W", "-f", "${Version}", pkg]) or "not installed"


def have(prog):
    return shutil.which(prog) is not None
