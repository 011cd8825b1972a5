"""What a lab's test run left behind on the machine.

Checked after each lab's run and charged to that lab (points.json "hygiene"):
  leaked_process     a process of this build (cabinetd, a test binary) still alive
  port_bound         a TCP port still listened on by such a process
  zombie             a cabinetd that exited and that its (leaked) parent never reaped
  shm_leftover       a /dev/shm object (named semaphore, shared memory) created
                     during the run and never unlinked
  fork_with_threads  cabinetd called fork() while it already ran threads (the
                     perturb library reports it, see tools/perturb/perturb.c)
Everything found is cleaned up afterwards (killed, unlinked), so the next lab
and the next student start clean.
"""
from __future__ import annotations

import dataclasses
import os
import signal
import time
from pathlib import Path

from . import util

SHM = Path("/dev/shm")


@dataclasses.dataclass
class Finding:
    kind: str    # a key of points.json "hygiene"
    what: str    # for the report


@dataclasses.dataclass
class Snapshot:
    started: float
    shm: set[str]
    zombies: set[int]
    running: set[tuple[int, int]]  # (pid, start time) of every process before the run


def snapshot() -> Snapshot:
    return Snapshot(time.time(), set(os.listdir(SHM)) if SHM.is_dir() else set(), cabinetd_zombies(),
                    {(pid, start_time(pid)) for pid in util.pids()})


def start_time(pid: int) -> int:
    """When @p pid started (clock ticks after boot; -1 if it is gone): with
    the pid, it names one process even if the pid is later reused."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
        return int(text[text.rfind(")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return -1


def cabinetd_zombies() -> set[int]:
    return {pid for pid, (comm, state, _ppid) in util.process_table().items()
            if comm == "cabinetd" and state == "Z"}


def listening_ports(pid: int) -> list[int]:
    """TCP ports @p pid listens on (its sockets matched against /proc/net/tcp*)."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return []
    ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 9 and fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.append(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def audit(before: Snapshot, bin_dir: Path, fork_reports: Path, timed_out: bool) -> list[Finding]:
    """Findings since @p before, for programs under @p bin_dir. Cleans up.

    A process left behind by a test the watchdog killed is the hang's fault,
    already charged as a timeout: it is cleaned up but not charged again.
    A process that ran before the run is not the run's: in a student's kit,
    the cabinetd they started by hand from the same build/bin is left alone."""
    findings: list[Finding] = []
    time.sleep(0.3)  # a harness that just killed a server: let it be reaped
    table = util.process_table()
    leaked = [pid for pid in table if pid != os.getpid() and util.exe_of(pid).startswith(str(bin_dir) + "/")
              and (pid, start_time(pid)) not in before.running]
    for pid in leaked:
        comm = table[pid][0]
        ports = listening_ports(pid)
        if not timed_out:
            findings.append(Finding("leaked_process", f"{comm} (pid {pid}) still running after its test"))
            for port in ports:
                findings.append(Finding("port_bound", f"port {port} still bound by {comm} (pid {pid})"))
    # A zombie whose parent is still one of ours: nobody waited for it. (One
    # whose parent is init was orphaned first; reaping it is init's job.)
    for pid in sorted(cabinetd_zombies() - before.zombies):
        parent = table.get(pid, ("", "", 0))[2]
        if parent in leaked and not timed_out:
            findings.append(Finding("zombie", f"cabinetd pid {pid} exited but its parent "
                                              f"({table[parent][0]} pid {parent}) never reaped it"))
    for pid in leaked:
        util.kill(pid, signal.SIGKILL)

    if SHM.is_dir():
        for name in sorted(set(os.listdir(SHM)) - before.shm):
            path = SHM / name
            try:
                if path.stat().st_mtime < before.started - 1:
                    continue  # older than this run: not ours to judge
                path.unlink()
            except OSError:
                continue
            findings.append(Finding("shm_leftover", f"/dev/shm/{name} left behind (created but never unlinked)"))

    if fork_reports.is_dir():
        reports = sorted(fork_reports.glob("fork-*"))
        if reports:
            first = reports[0].read_text(errors="replace").strip()
            findings.append(Finding("fork_with_threads",
                                    f"{first} ({len(reports)} such fork{'s' if len(reports) > 1 else ''}): "
                                    "a child forked from a threaded process may inherit a locked mutex"))
        for report in reports:
            report.unlink()
    return findings
