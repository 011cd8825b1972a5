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
