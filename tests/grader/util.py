"""Small helpers shared by the grader's modules: errors, timing, /proc."""
from __future__ import annotations

import os
import time
from pathlib import Path


class GradeError(Exception):
    """The grader itself could not do its job (not a student's failure)."""


class Timer:
    def __init__(self) -> None:
        self.start = time.monotonic()

    def seconds(self) -> float:
        return time.monotonic() - self.start


class Budget:
    """The time a grade may take (--time-budget), and how it is shared out.

    Everything is planned against one deadline: the build, each lab's tests,
    ThreadSanitizer, and a reserve at the end for writing the report, so a
    report is always written in time. Without a budget nothing is limited
    (the per-test hang timeout of points.json still applies)."""

    RESERVE = 20.0  # seconds kept for the report, and for killing what still runs

    def __init__(self, seconds: float | None) -> None:
        self.total = seconds
        self.start = time.monotonic()

    @property
    def limited(self) -> bool:
        return self.total is not None

    def deadline(self) -> float:
        """monotonic() by which the work must end (inf without a budget)."""
        return self.start + self.total - self.RESERVE if self.total is not None else float("inf")

    def left(self) -> float:
        return self.deadline() - time.monotonic()

    def share(self, parts_left: int, keep: float = 0.0) -> float:
        """A deadline for the next of @p parts_left equal parts of what is
        left after keeping @p keep seconds back; time a part does not use
        rolls on to the next."""
        if not self.limited:
            return float("inf")
        spare = max(0.0, self.left() - keep)
        return time.monotonic() + spare / max(1, parts_left)


def usable_cpus() -> int:
    """The CPUs this process may really use: its affinity (taskset), and
    the cgroup's CPU quota (a container's --cpus, Gradescope's 0.5 CPU), at
    least 1. os.cpu_count() counts the machine's, and a compile per CPU
    we cannot use only adds memory."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    for path, split in (("/sys/fs/cgroup/cpu.max", None),  # cgroup v2: "quota period" or "max period"
                        ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us")):
        try:
            if split is None:
                quota, period = Path(path).read_text().split()[:2]
            else:
                quota, period = Path(path).read_text().strip(), Path(split).read_text().strip()
            if quota not in ("max", "-1") and int(period) > 0:
                count = min(count, -(-int(quota) // int(period)))  # rounded up
        except (OSError, ValueError):
            continue
    return max(1, count)


def tail(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[-lines:])


def head(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[:lines])


# ---------------------------------------------------------------------------
# /proc
# ---------------------------------------------------------------------------

def pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def stat_of(pid: int) -> tuple[str, str, int] | None:
    """(comm, state, ppid) of @p pid, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    open_paren, close_paren = text.find("("), text.rfind(")")
    fields = text[close_paren + 2:].split()
    return text[open_paren + 1:close_paren], fields[0], int(fields[1])


def exe_of(pid: int) -> str:
    """The program @p pid runs ("" for zombies and processes we cannot see)."""
    try:
        return os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)")
    except OSError:
        return ""


def cmdline_of(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def process_table() -> dict[int, tuple[str, str, int]]:
    """pid -> (comm, state, ppid) for every process now."""
    table = {}
    for pid in pids():
        info = stat_of(pid)
        if info:
            table[pid] = info
    return table


def descendants(pid: int, table: dict[int, tuple[str, str, int]] | None = None) -> list[int]:
    """Every process below @p pid, children before grandchildren."""
    table = table if table is not None else process_table()
    children: dict[int, list[int]] = {}
    for child, (_comm, _state, parent) in table.items():
        children.setdefault(parent, []).append(child)
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(0), []):
            found.append(child)
            queue.append(child)
    return found


def kill(pid: int, signal_number: int) -> None:
    try:
        os.kill(pid, signal_number)
    except OSError:
        pass  # gone already
