#!/usr/bin/env python3
"""measure.py [--json FILE] -- COMMAND...: runs COMMAND and reports what it
cost, the whole process tree included: wall time, CPU time (user + system of
every process it waited for, from wait4), and peak memory, the largest sum
of the tree's proportional set sizes (PSS: shared pages counted once, split
among their users) seen by sampling /proc every 0.25 s. Used by
scripts/check-gradescope.sh to check a grade against Gradescope's limits.
Exits with COMMAND's status.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path


def children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rfind(")") + 2:].split()[1])
        tree.setdefault(parent, []).append(int(name))
    return tree


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_pss_kib(root: int) -> int:
    tree, total, queue = children_of(), 0, [root]
    while queue:
        pid = queue.pop()
        total += pss_kib(pid)
        queue += tree.get(pid, [])
    return total


def main() -> int:
    args = sys.argv[1:]
    out = None
    if args[:1] == ["--json"]:
        out, args = Path(args[1]), args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        sys.exit("usage: measure.py [--json FILE] -- COMMAND...")
    start = time.monotonic()
    process = subprocess.Popen(args)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            peak[0] = max(peak[0], tree_pss_kib(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _pid, status, usage = os.wait4(process.pid, 0)
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    figures = {"wall_s": round(time.monotonic() - start, 1),
               "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
               "peak_mib": round(peak[0] / 1024),
               "largest_process_mib": round(usage.ru_maxrss / 1024),
               "status": process.returncode}
    print(f"measure: wall {figures['wall_s']} s, CPU {figures['cpu_s']} s (user + system, whole tree), "
          f"peak memory {figures['peak_mib']} MiB (tree PSS), largest process {figures['largest_process_mib']} MiB",
          file=sys.stderr)
    if out:
        out.write_text(json.dumps(figures) + "\n")
    return process.returncode if process.returncode >= 0 else 128 - process.returncode


if __name__ == "__main__":
    sys.exit(main())
