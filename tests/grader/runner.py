"""Running a lab's tests with ctest, one test at a time, under a watchdog.

ctest runs each GoogleTest test in its own process (gtest_discover_tests) and
writes every result to a JUnit file (--output-junit). Its word is only the
test process's exit status, and that process holds the student's code: a
static initializer that calls _exit(0) makes every test "pass". So every test
process also writes GoogleTest's own JSON report (GTEST_OUTPUT) into a folder
of a random name made for this run, and a test counts as passed only if
ctest says so AND a report lists it as run, completed and without failures
(read_reports, prove). The tests carry a
300 s ctest TIMEOUT property, longer than we want to wait for a deadlock, so
a watchdog thread of ours enforces the grader's own per-test timeout: when a
test process has run too long, it first dumps the stacks of the processes
under it (diagnose.hang_report) and then kills them all; ctest then reports
the test as killed, and we report it as timed out, with the stacks' summary.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Callable

from . import diagnose, util
from .build import TREE, TREES


@dataclasses.dataclass
class TestRun:
    """One test's outcome (the last repetition when repeated)."""

    name: str            # ctest's name: submission.lab2.Suite.Test[  # GetParam() = 2]
    short: str           # lab2.Suite.Test
    passed: bool
    reason: str = ""     # ctest's word for a failure: Failed, SEGFAULT, Subprocess killed ...
    output: str = ""     # what the test printed (stdout and stderr)
    seconds: float = 0.0
    hang: str = ""       # the watchdog's diagnosis, when it killed the test
    budget: bool = False  # the watchdog stopped it because the time budget ran out
    unproven: str = ""   # why a test its process called passed was not counted (prove)


def short_name(ctest_name: str) -> str:
    """submission.lab2.Stages/X.Y/stage2  # GetParam() = 2  ->  lab2.Stages/X.Y/stage2
    (the same for the starter tree's starter.lab2...)"""
    name = ctest_name.split("  #", 1)[0].strip()
    tree, _dot, rest = name.partition(".")
    return rest if tree in TREES and rest else name


def cmake_regex_escape(text: str) -> str:
    """Escapes the characters special to CMake's regular expressions."""
    return re.sub(r"([\^$.\[\]()*+?|\\])", r"\\\1", text)


def names_regex(shorts: list[str], tree: str = TREE) -> str:
    """A ctest -R/-E regex matching exactly these tests (by short name) of @p tree."""
    body = "|".join(cmake_regex_escape(short) for short in shorts)
    return f"^{tree}\\.({body})( |$)"


def list_tests(build_dir: Path, lab: int, tree: str = TREE) -> list[str]:
    """The ctest names of lab @p lab's tests in @p tree (the submission tree,
    or the kit's starter tree: own_tree.py)."""
    done = subprocess.run(["ctest", "--test-dir", str(build_dir), "-N", "-L", f"^lab{lab}$",
                           "-R", f"^{tree}\\."], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    return [match.group(1).rstrip() for match in re.finditer(r"Test\s+#\d+: (.*)", done.stdout)]


def end_to_end_tests(build_dir: Path, lab: int, tree: str = TREE) -> set[str]:
    """Short names of lab @p lab's tests whose executable is an end-to-end
    one (labN_e2e_tests_TREE: it links no lab file; tests/CMakeLists.txt)."""
    done = subprocess.run(["ctest", "--test-dir", str(build_dir), "--show-only=json-v1", "-L", f"^lab{lab}$",
                           "-R", f"^{tree}\\."], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        tests = json.loads(done.stdout).get("tests", [])
    except ValueError:
        return set()
    return {short_name(test["name"]) for test in tests
            if test.get("command") and re.match(r"lab\d+_e2e_tests_", os.path.basename(test["command"][0]))}


# ---------------------------------------------------------------------------
# The watchdog
# ---------------------------------------------------------------------------

class Watchdog(threading.Thread):
    """Kills test processes of @p ctest_pid that run longer than their hang
    timeout, after recording why they hang. Diagnoses are kept by gtest filter.

    The hang timeout is @p timeout, unless the run must end by @p stop_at
    (monotonic; the time budget): then a test may take at most a third of
    what is left when it starts (at least 10 s), and once two tests of the
    run have hung, at most 15 s (code that deadlocks once deadlocks again).
    At stop_at every test still running is stopped, and counted as such."""

    def __init__(self, ctest_pid: int, timeout: float, dump_dir: Path, log: Callable[[str], None],
                 stop_at: float = float("inf")):
        super().__init__(daemon=True)
        self.ctest_pid = ctest_pid
        self.dump_dir = dump_dir
        self.timeout = timeout
        self.stop_at = stop_at
        self.log = log
        self.stopped = threading.Event()
        self.kill_at: dict[int, float] = {}
        self.hangs = 0
        self.diagnoses: dict[str, str] = {}   # "lab2_tests_submission --gtest_filter" -> text
        self.out_of_budget: set[str] = set()  # keys of the tests stopped at stop_at

    def hang_timeout(self, now: float) -> float:
        limit = self.timeout
        if self.stop_at != float("inf"):
            limit = min(limit, max(10.0, (self.stop_at - now) / 3))
            if self.hangs >= 2:
                limit = min(limit, 15.0)
        return limit

    def run(self) -> None:
        while not self.stopped.wait(0.5 if time.monotonic() < self.stop_at else 0.1):
            table = util.process_table()
            now = time.monotonic()
            for pid, (_comm, _state, parent) in table.items():
                if parent != self.ctest_pid:
                    continue
                kill_at = self.kill_at.setdefault(pid, min(now + self.hang_timeout(now), self.stop_at))
                if now >= kill_at:
                    self.kill_hung(pid, table, budget=now >= self.stop_at)
                    self.kill_at[pid] = float("inf")  # once is enough

    def kill_hung(self, pid: int, table, budget: bool = False) -> None:
        key = test_key(util.cmdline_of(pid))
        if budget:
            self.out_of_budget.add(key)
            self.log(f"  {key or pid}: the time budget ran out: stopping it")
        else:
            self.hangs += 1
            self.log(f"  {key or pid}: still running after its {self.hang_timeout(time.monotonic()):.0f} s: "
                     "dumping stacks, then killing it")
        below = util.descendants(pid, table)
        if not budget:
            self.diagnoses[key] = diagnose.hang_report(pid, below, self.timeout, self.dump_dir)
        for victim in [pid] + below:  # stop them all first, so nobody reacts to the others dying
            util.kill(victim, signal.SIGSTOP)
        for victim in below + [pid]:
            util.kill(victim, signal.SIGKILL)


def test_key(argv: list[str]) -> str:
    """'lab2.Suite.Test' from a test process's command line, '' if unknown."""
    binary = os.path.basename(argv[0]) if argv else ""
    match = re.match(r"(lab\d+)_(?:extra_|e2e_)?tests_", binary)
    flt = next((arg.split("=", 1)[1] for arg in argv if arg.startswith("--gtest_filter=")), "")
    return f"{match.group(1)}.{flt}" if match and flt else ""


# ---------------------------------------------------------------------------
# One ctest run
# ---------------------------------------------------------------------------

_PROGRESS = re.compile(r"^\s*(\d+)/(\d+) Test\s+#\d+: (.*?) \.{3,}.*?(Passed|\*\*\*|Subprocess|Exception|Not Run|Failed)")
_FAILED = re.compile(r"^\s*\d+ - (.*) \((.*)\)\s*$")


def stop_time_argument(stop_at: float) -> list[str]:
    """ctest's --stop-time for monotonic() @p stop_at: no test starts after
    it. (A wall-clock time of day: none when it would fall past midnight,
    which ctest would read as this morning; the watchdog still stops them.)"""
    if stop_at == float("inf"):
        return []
    when = time.time() + (stop_at - time.monotonic())
    if time.localtime(when).tm_mday != time.localtime().tm_mday:
        return []
    return ["--stop-time", time.strftime("%H:%M:%S", time.localtime(when))]


def run_ctest(build_dir: Path, select: list[str], exclude: list[str], lab: int, *, repeat: int,
              env: dict[str, str], timeout: float, workdir: Path,
              progress: Callable[[int, int, str], None], log: Callable[[str], None],
              stop_at: float = float("inf"), tree: str = TREE) -> list[TestRun]:
    """Runs the tests of lab @p lab of @p tree named in @p select (short
    names; all of the lab's if empty) minus @p exclude, each up to @p repeat
    times until it fails, and none after @p stop_at (monotonic: the time
    budget). Returns one TestRun per test that ran."""
    workdir.mkdir(parents=True, exist_ok=True)
    junit = workdir / "junit.xml"
    junit.unlink(missing_ok=True)
    for old in workdir.glob("reports-*"):
        shutil.rmtree(old, ignore_errors=True)
    reports = workdir / f"reports-{secrets.token_hex(8)}"  # named only now: no build could know it
    reports.mkdir()
    env = dict(env, GTEST_OUTPUT=f"json:{reports}/")
    command = ["ctest", "--test-dir", str(build_dir), "-L", f"^lab{lab}$",
               "-R", names_regex(select, tree) if select else f"^{tree}\\.",
               "--output-junit", str(junit), "--no-tests=ignore"]
    if exclude:
        command += ["-E", names_regex(exclude, tree)]
    if repeat > 1:
        command += ["--repeat", f"until-fail:{repeat}"]
    command += stop_time_argument(stop_at)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=env, cwd=workdir, start_new_session=True)
    watchdog = Watchdog(process.pid, timeout, workdir, log, stop_at)
    watchdog.start()
    reasons: dict[str, str] = {}
    transcript = []
    try:
        for line in process.stdout:
            transcript.append(line)
            if match := _PROGRESS.match(line):
                progress(int(match.group(1)), int(match.group(2)), match.group(3).strip())
            elif match := _FAILED.match(line):
                reasons[match.group(1).strip()] = match.group(2)
        process.wait()
    finally:
        watchdog.stopped.set()
        watchdog.join()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    (workdir / "ctest.log").write_text("".join(transcript))
    return prove(read_junit(junit, reasons, watchdog.diagnoses, watchdog.out_of_budget), read_reports(reports))


def read_junit(junit: Path, reasons: dict[str, str], hangs: dict[str, str],
               out_of_budget: set[str] = frozenset()) -> list[TestRun]:
    if not junit.is_file():
        return []
    runs = []
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        name = case.get("name", "")
        out = case.find("system-out")
        passed = case.get("status") == "run" and case.find("failure") is None
        short = short_name(name)
        key = short.split("  #")[0]
        runs.append(TestRun(name=name, short=short, passed=passed,
                            reason="" if passed else reasons.get(name.strip(), "Failed"),
                            output=(out.text or "") if out is not None else "",
                            seconds=float(case.get("time", "0") or 0),
                            hang=hangs.get(key, ""), budget=key in out_of_budget))
        if runs[-1].hang or runs[-1].budget:
            runs[-1].passed = False
    return runs


@dataclasses.dataclass
class Reported:
    """What the GoogleTest reports of one run say about one test."""
    passed: int = 0   # reports that list it run, completed, no failure
    failed: int = 0   # reports that list it with a failure, or not completed


def read_reports(folder: Path) -> dict[str, Reported]:
    """Every test the JSON reports in @p folder list, by 'Suite.Test'
    (parameterised: 'Stages/Suite.Test/stage2'). A report that does not
    parse proves nothing."""
    found: dict[str, Reported] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            document = json.loads(path.read_text(errors="replace"))
            suites = document.get("testsuites", [])
        except (ValueError, AttributeError):
            continue
        for suite in suites if isinstance(suites, list) else []:
            for case in suite.get("testsuite", []) if isinstance(suite, dict) else []:
                if not isinstance(case, dict):
                    continue
                key = f"{suite.get('name', '')}.{case.get('name', '')}"
                entry = found.setdefault(key, Reported())
                ok = case.get("status") == "RUN" and case.get("result") == "COMPLETED" and not case.get("failures")
                if ok:
                    entry.passed += 1
                else:
                    entry.failed += 1
    return found


def prove(runs: list[TestRun], reported: dict[str, Reported]) -> list[TestRun]:
    """Keeps a test passed only if a report shows it passed. ctest's "passed"
    is the process's exit status 0; without a report saying so too, the
    process ended (or was ended) before GoogleTest could report."""
    for run in runs:
        if not run.passed:
            continue
        key = run.short.split("  #")[0].split(".", 1)[1]
        entry = reported.get(key, Reported())
        if entry.passed and not entry.failed:
            continue
        run.passed = False
        if entry.failed:
            run.unproven = ("the test process exited with status 0, but GoogleTest's report says "
                            "the test failed")
        else:
            run.unproven = ("the test process exited with status 0 before reporting: 0 of 1 tests "
                            "reported by GoogleTest")
    return runs


# ---------------------------------------------------------------------------
# ThreadSanitizer
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class RaceReport:
    test: str      # short name of the test that ran
    kind: str      # "data race", "lock-order-inversion (potential deadlock)", ...
    text: str      # the report's first lines


def run_tsan(build_dir: Path, lab: int, shorts: list[str], *, env: dict[str, str], timeout: float,
             workdir: Path, progress: Callable[[int, int, str], None],
             log: Callable[[str], None], stop_at: float = float("inf"),
             tree: str = TREE) -> list[RaceReport]:
    """Runs each of @p shorts once against the ThreadSanitizer build, with
    reports going to files (log_path), so a race is seen even when the test
    passes or the server's log is thrown away."""
    reports: list[RaceReport] = []
    for index, short in enumerate(shorts, 1):
        if time.monotonic() >= stop_at:
            break
        progress(index, len(shorts), short)
        folder = workdir / f"tsan-{index}"
        shutil.rmtree(folder, ignore_errors=True)  # a previous grade's logs and reports
        folder.mkdir(parents=True, exist_ok=True)
        tsan_env = dict(env)
        tsan_env["TSAN_OPTIONS"] = f"log_path={folder}/tsan:halt_on_error=0:second_deadlock_stack=1"
        run_ctest(build_dir, [short], [], lab, repeat=1, env=tsan_env, timeout=timeout,
                  workdir=folder, progress=lambda *_: None, log=log, stop_at=stop_at, tree=tree)
        for report_file in sorted(folder.glob("tsan.*")):
            for kind, text in diagnose.tsan_reports(report_file.read_text(errors="replace")):
                reports.append(RaceReport(short, kind, text))
    return reports
