"""Turning what a test printed into a verdict a student can act on, and
summarising where a hung process waits.

Verdicts: passed; not implemented (a starter TODO ran); timed out (probable
deadlock); crashed (with the signal); failed (with the first assertion).
"""
from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

from . import util

# A gtest failure starts "path/file.cpp:123: Failure" (or "unknown file: Failure"
# for an exception) and runs until a blank line or gtest's next marker.
_FAILURE = re.compile(r"^(?P<where>.*?):(?:(?P<line>\d+):)? Failure\s*$")
_NOT_IMPLEMENTED = re.compile(r"not implemented: lab (\d+): (.*)")
_SERVER_LOG = re.compile(r"--- cabinetd \(pid (\d+), stage (\d+), (.*?)\) log ---")
_KILLED_BY = re.compile(r"killed by signal (\d+)")

# Signals that mean the program crashed (not SIGKILL/SIGTERM sent by the harness).
_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGFPE, signal.SIGILL,
                  signal.SIGPIPE, signal.SIGSYS}


def short_path(path: str) -> str:
    """/work/main/tests/e2e/test_x.cpp -> tests/e2e/test_x.cpp"""
    index = path.find("tests/")
    return path[index:] if index >= 0 else path


def first_assertion(output: str, max_lines: int = 6) -> str:
    """The first gtest failure of @p output: where, and what it expected."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        match = _FAILURE.match(line)
        if not match:
            continue
        where = short_path(match.group("where"))
        if match.group("line"):
            where += ":" + match.group("line")
        body = []
        for following in lines[index + 1:]:
            if not following.strip() or following.startswith("[  ") or following.startswith("---") \
                    or _FAILURE.match(following):
                break
            if following.startswith("[cabinetd "):
                continue  # a server log line that slipped in between
            body.append(following.rstrip())
            if len(body) >= max_lines:
                break
        return where + ": " + "\n  ".join(body)
    return ""


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def verdict(run) -> tuple[str, str]:
    """(one-line verdict, detail) for a runner.TestRun."""
    if run.passed:
        return "passed", ""
    if run.unproven:
        return "not counted: " + run.unproven, util.tail(run.output, 6)
    assertion = first_assertion(run.output)
    if getattr(run, "budget", False):
        return "not finished: the time budget ran out while it ran", assertion
    if run.hang:
        return "timed out: probable deadlock", run.hang
    if match := _NOT_IMPLEMENTED.search(run.output):
        return f"not implemented: lab {match.group(1)}: {match.group(2).strip()}", ""
    for match in _SERVER_LOG.finditer(run.output):
        killed = _KILLED_BY.search(match.group(3))
        if killed and int(killed.group(1)) in _CRASH_SIGNALS:
            name = signal_name(int(killed.group(1)))
            return (f"crashed: cabinetd (stage {match.group(2)}) killed by {name}",
                    assertion or server_log_tail(run.output, match.end()))
    reason = run.reason.lower()
    if "segfault" in reason or "exception" in reason or "aborted" in reason or "killed" in reason \
            or "bus error" in reason or "illegal" in reason:
        crash = {"segfault": "SIGSEGV", "aborted": "SIGABRT", "killed": "SIGKILL",
                 "bus error": "SIGBUS", "illegal": "SIGILL"}
        name = next((value for key, value in crash.items() if key in reason), run.reason)
        return f"crashed: the test process died ({name})", assertion or util.tail(run.output, 6)
    if "timeout" in reason:
        return "timed out (ctest)", assertion
    if assertion:
        first, _, rest = assertion.partition("\n")
        return "failed: " + first, "\n".join(line.strip() for line in rest.splitlines())
    return "failed", util.tail(run.output, 8)


def server_log_tail(output: str, start: int) -> str:
    log = output[start:].split("--- end of log ---", 1)[0]
    return util.tail(log.strip(), 6)


# ---------------------------------------------------------------------------
# Hung processes
# ---------------------------------------------------------------------------

# What a thread waits for: the first of these (in this order of priority) that
# matches a frame of its stack. Frames are compared without glibc's internal
# prefixes (__GI___poll -> poll, __libc_read -> read).
_WAITS = [
    (re.compile(r"sem_(timed|clock)?wait|sem_wait_slow"), "waits on a semaphore"),
    (re.compile(r"^(pthread_mutex_(timed|clock)?lock|lll_lock_wait)|std::mutex::lock"), "waits on a mutex"),
    (re.compile(r"^pthread_cond_(timed|clock)?wait|condition_variable::wait"), "waits on a condition variable"),
    (re.compile(r"^(pthread_(timed|clock)?join|pthread_clockjoin_ex)|std::thread::join"), "waits to join a thread"),
    (re.compile(r"^accept4?$"), "waits for a connection (accept)"),
    (re.compile(r"^(read|recv|recvfrom|recvmsg|readv)$"), "waits on pipe/socket read"),
    (re.compile(r"^(write|send|sendto|sendmsg|writev)$"), "blocked writing to a pipe/socket (full?)"),
    (re.compile(r"^(poll|ppoll|epoll_wait|select|pselect6?)$"), "waits in poll()"),
    (re.compile(r"^(waitpid|wait4|waitid)$"), "waits for a child (waitpid)"),
    (re.compile(r"nanosleep|sleep_for|^sleep$|^usleep$"), "sleeps"),
    (re.compile(r"futex"), "waits on a futex"),
]
_THREAD = re.compile(r"^Thread (\d+) \(.*?LWP (\d+)\)")
_FRAME = re.compile(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(.+?) \(")


def base_name(frame: str) -> str:
    """A frame's function without glibc's internal prefixes and namespaces noise."""
    frame = frame.replace("(anonymous namespace)::", "")
    return re.sub(r"^(__GI_)?_*(libc_)?", "", frame)


def summarize_stacks(gdb_output: str) -> list[str]:
    """One line per kind of wait: 'N threads: waits on a semaphore in mc::X::y'."""
    threads: list[list[str]] = []
    for line in gdb_output.splitlines():
        if _THREAD.match(line):
            threads.append([])
        elif threads and (match := _FRAME.match(line)):
            threads[-1].append(base_name(match.group(1)))
    groups: dict[str, int] = {}
    for frames in threads:
        what = next((label for pattern, label in _WAITS if any(pattern.search(frame) for frame in frames)),
                    "runs")
        ours: list[str] = []  # our two innermost functions: the wait, and who waits
        for frame in frames:
            if frame.startswith("mc::") and "mc::test" not in frame and frame not in ours:
                ours.append(frame)
            if len(ours) == 2:
                break
        key = what + (f" in {' < '.join(ours)}" if ours else "")
        groups[key] = groups.get(key, 0) + 1
    return [f"{count} thread{'s' if count > 1 else ''}: {key}"
            for key, count in sorted(groups.items(), key=lambda item: -item[1])]


def dump_stacks(pid: int) -> str:
    """gdb's 'thread apply all bt' of @p pid (best effort: '' if gdb fails)."""
    try:
        done = subprocess.run(["gdb", "-batch", "-nx", "-p", str(pid), "-ex", "set pagination off",
                               "-ex", "thread apply all bt 30"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        return done.stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


def hang_report(test_pid: int, below: list[int], timeout: float, dump_dir: Path) -> str:
    """Dumps and summarises the stacks of the cabinetd processes under the hung
    test (or of the test process itself when it runs no server)."""
    table = util.process_table()
    servers = [pid for pid in below if table.get(pid, ("",))[0] == "cabinetd"]
    targets = servers or [test_pid]
    lines = [f"no answer after {timeout:.0f} s; where the processes wait:"]
    for pid in targets:
        comm, _state, parent = table.get(pid, ("?", "?", 0))
        role = ("server" if parent == test_pid else "service child") if comm == "cabinetd" else "test process"
        stacks = dump_stacks(pid)
        if stacks:
            (dump_dir / f"stacks-{pid}.txt").write_text(stacks)
        summary = summarize_stacks(stacks)
        lines.append(f"  {comm} {pid} ({role}):" + ("" if summary else " (no stacks: gdb failed)"))
        lines += [f"    {entry}" for entry in summary[:6]]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# ThreadSanitizer
# ---------------------------------------------------------------------------

_TSAN = re.compile(r"WARNING: ThreadSanitizer: (.*?) \(pid=\d+\)")


def tsan_reports(text: str, max_lines: int = 12) -> list[tuple[str, str]]:
    """(kind, first lines) of each ThreadSanitizer warning in @p text."""
    reports = []
    for block in text.split("==================")[1:]:
        match = _TSAN.search(block)
        if not match:
            continue
        lines = [re.sub(r" \(.*?\+0x[0-9a-f]+\)", "", line).rstrip()
                 for line in block.strip().splitlines() if line.strip()]
        reports.append((match.group(1), "\n".join(lines[:max_lines])))
    return reports
