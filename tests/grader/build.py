"""Building a submission: which lab files, which build directory, and what
the compiler said.

A submission is only ever its lab files (MC_LAB_FILES of the root
CMakeLists.txt). They are copied into a staging folder inside the build
directory and built as the `submission` tree (-DMC_SUBMISSION_LAB_DIR) against
this repository's provided code and tests, never the student's copies of those.
Files are copied only when their content changed, so grading again, or grading
a mutant that differs in one file, recompiles only that file.

A submission may also be a hand-in tarball (`--target handin`, handin.py):
it is checked, then unpacked into build-grade/handin/ and graded as a folder.
In a student's kit, the kit's own starter/lab is built where the student
builds it instead (own_tree.py).
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from . import handin, util

TREE = "submission"
TREES = ("submission", "starter", "solution")  # the first word of every test's ctest name


@dataclasses.dataclass
class Submission:
    """Where a submission's lab files come from."""

    label: str       # "solution", "starter", the folder's name, or a hand-in's user
    lab_dir: Path    # the folder holding server.cpp, robust_io.cpp, ...
    trusted: bool    # the reference: no fallback to starter files on errors
    notes: list[str] = dataclasses.field(default_factory=list)  # for the report (a hand-in's MANIFEST)


@dataclasses.dataclass
class BuildResult:
    """The outcome of building one tree."""

    ok: bool
    build_dir: Path
    log: str = ""                       # the compiler's complaint, trimmed
    replaced: list[str] = dataclasses.field(default_factory=list)  # files swapped for the starter's
    seconds: float = 0.0
    compiled: int = 0                   # source files the build compiled (0 and 0: nothing changed)
    linked: int = 0                     # libraries and programs it linked
    configured: str = ""                # the configure step, when this build ran one

    def describe(self) -> str:
        """'3.1 s (nothing changed)', '48 s (configured; 12 compiled, 5 linked)'."""
        work = (f"{self.compiled} compiled, {self.linked} linked" if self.compiled or self.linked
                else "nothing changed")
        return f"{self.seconds:.1f} s ({self.configured + '; ' if self.configured else ''}{work})"


@dataclasses.dataclass
class Place:
    """Where one grade builds and runs its tests."""

    tree: str          # what its tests are named after: submission, or starter (own_tree.py)
    build_dir: Path    # the plain build
    tsan_dir: Path     # the ThreadSanitizer build
    own: bool = False  # the student's own trees (own_tree.py): built in place, never staged


_COMPILED = re.compile(r"Building (?:CXX|C) object")
_LINKED = re.compile(r"Linking (?:CXX|C) ")


def count_work(output: str) -> tuple[int, int]:
    """(files compiled, targets linked) in a make or ninja build's output."""
    return len(_COMPILED.findall(output)), len(_LINKED.findall(output))


def resolve_submission(root: Path, impl: str, unpack_dir: Path | None = None) -> Submission:
    """Turns --impl (starter, solution, a folder or a hand-in tarball) into a
    Submission.

    A folder is a copy of starter/ as the student returned it: its lab/ folder
    is used. A folder that itself holds server.cpp is taken as the lab folder.
    A tarball (handin-USER.tar.gz) is checked and unpacked into a folder of
    @p unpack_dir (default build-grade/handin) named after it, the same on
    every run, so grading it again rebuilds only what changed.
    @throws util.GradeError when none of these, or a tarball is refused.
    """
    if impl == "starter":
        return Submission("starter", root / "starter" / "lab", trusted=False)
    if impl == "solution":
        if not (root / "solution").is_dir():
            raise util.GradeError("--impl solution: there is no solution/ here (a student's kit)")
        return Submission("solution", root / "solution", trusted=True)
    if handin.is_tarball(Path(impl)):
        tarball = Path(impl).resolve()
        digest = hashlib.sha1(str(tarball).encode()).hexdigest()[:10]
        into = (unpack_dir or root / "build-grade" / "handin") / f"{handin.stem(tarball)}-{digest}"
        handed_in = handin.read(tarball, lab_files(root))
        handed_in.unpack(into)
        return Submission(handed_in.name(), into / "lab", trusted=False, notes=handed_in.notes())
    folder = Path(impl).resolve()
    if (folder / "lab").is_dir():
        return Submission(folder.name, folder / "lab", trusted=False)
    if (folder / "server.cpp").is_file():
        return Submission(folder.name, folder, trusted=False)
    raise util.GradeError(f"{impl}: neither a copy of starter/ (no lab/ folder), a lab folder, "
                          "nor a hand-in tarball (.tar.gz)")


def lab_files(root: Path) -> list[str]:
    """The lab file names, read from MC_LAB_FILES in the root CMakeLists.txt."""
    # Comments go first: one of them, "# lab 6 (optional)", holds a ')'.
    text = re.sub(r"#[^\n]*", "", (root / "CMakeLists.txt").read_text())
    match = re.search(r"set\(MC_LAB_FILES(.*?)\)", text, re.S)
    if not match:
        raise util.GradeError("CMakeLists.txt has no MC_LAB_FILES list")
    return [name for name in match.group(1).split() if name.endswith(".cpp")]


def default_build_dir(root: Path, submission: Submission, sanitize: str = "") -> Path:
    """build-grade/<label>-<hash of the lab folder's path>[-tsan]: one per
    submission, reused between runs."""
    digest = hashlib.sha1(str(submission.lab_dir.resolve()).encode()).hexdigest()[:10]
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", submission.label)
    suffix = "-tsan" if sanitize == "thread" else ""
    return root / "build-grade" / f"{safe}-{digest}{suffix}"


def stage_lab_files(root: Path, submission: Submission, stage: Path) -> list[str]:
    """Copies the submission's lab folder into @p stage, touching only files
    whose content changed; removes files it no longer has. A missing lab file
    is taken from starter/lab (its tests then fail like an untouched starter).
    Returns notes for the report."""
    notes = []
    stage.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, Path] = {}
    for entry in sorted(submission.lab_dir.iterdir()):
        if entry.is_file():
            wanted[entry.name] = entry
    for name in lab_files(root):
        if name not in wanted:
            fallback = root / "starter" / "lab" / name
            if not fallback.is_file():
                raise util.GradeError(f"{name} is missing and starter/lab has none either")
            wanted[name] = fallback
            notes.append(f"{name} is missing from the submission: the starter's version was used")
    for name, source in wanted.items():
        copy_if_changed(source, stage / name)
    for entry in stage.iterdir():
        if entry.name not in wanted:
            entry.unlink()
    return notes


def copy_if_changed(source: Path, target: Path) -> bool:
    """Copies @p source to @p target unless they already hold the same bytes
    (so make sees no change). Returns True if it copied."""
    data = source.read_bytes()
    if target.is_file() and target.read_bytes() == data:
        return False
    target.write_bytes(data)
    return True


def ccache_launcher() -> list[str]:
    """cmake's -D options that compile through ccache, when it is installed
    and the caller has not chosen a launcher. With ccache, build directories
    share compiled objects: a batch's second worker, a fresh Gradescope image
    or a student's TSan tree compiles little more than what differs."""
    if not shutil.which("ccache") or os.environ.get("CMAKE_CXX_COMPILER_LAUNCHER"):
        return []
    return ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache", "-DCMAKE_C_COMPILER_LAUNCHER=ccache"]


def share_ccache(root: Path) -> None:
    """ccache keys on paths relative to @p root, so any build directory
    below it hits (unless the caller set these already)."""
    os.environ.setdefault("CCACHE_BASEDIR", str(root))
    os.environ.setdefault("CCACHE_NOHASHDIR", "1")


def configure(root: Path, build_dir: Path, stage: Path, sanitize: str,
              extra_tests: Path | None) -> tuple[bool, str]:
    """cmake configure, once per build directory and settings, and again
    when a CMakeLists.txt is newer than the cache (the build would re-run it
    by itself, but only after make has looked for targets that may be new)."""
    cache = build_dir / "CMakeCache.txt"
    extra = str(extra_tests.resolve()) if extra_tests else ""
    lists = [root / "CMakeLists.txt", root / "tests" / "CMakeLists.txt"]
    if cache.is_file() and all(not path.is_file() or path.stat().st_mtime <= cache.stat().st_mtime
                               for path in lists):
        text = cache.read_text()
        if f"MC_SUBMISSION_LAB_DIR:PATH={stage}\n" in text and f"MC_EXTRA_TESTS_DIR:PATH={extra}\n" in text:
            return True, ""
    build_dir.mkdir(parents=True, exist_ok=True)
    command = ["cmake", "-S", str(root), "-B", str(build_dir), *ccache_launcher(),
               "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
               f"-DMC_SUBMISSION_LAB_DIR={stage}",
               "-DMC_BUILD_STARTER=OFF",
               # Our own code (provided, tests) with -Werror where our compiler
               # builds it, in this repository; never in a student's kit, whose
               # compiler is theirs. A student's lab files never get -Werror
               # (CMakeLists.txt): a warning must not cost them the grade.
               f"-DMC_WERROR={'ON' if (root / 'solution').is_dir() else 'OFF'}",
               f"-DMC_SANITIZE={sanitize}",
               f"-DMC_EXTRA_TESTS_DIR={extra}"]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return done.returncode == 0, done.stdout


def targets_for(labs: list[int], sanitize: str, extra_tests: Path | None, tree: str = TREE) -> list[str]:
    """What a grade of @p labs builds in @p tree: the programs, each lab's
    two test executables, and (plain builds) the perturbation library."""
    targets = [f"cabinetd_{tree}", f"cabinet_{tree}"]
    targets += [f"lab{lab}_tests_{tree}" for lab in labs]       # unit: link the lab files
    targets += [f"lab{lab}_e2e_tests_{tree}" for lab in labs]   # end to end: the judge only
    if extra_tests:
        targets += [f"lab{lab}_extra_tests_{tree}" for lab in labs
                    if any((extra_tests / f"lab{lab}").glob("*.cpp"))]
    if not sanitize:
        targets.append("perturb")
    return targets


_PROBLEM = re.compile(r"error:|undefined reference|multiple definition|ld returned")
_LAB_FILE = re.compile(r"lab-src/(?P<name>[A-Za-z0-9_]+\.(?:cpp|hpp|h)):\d+")


def compile_errors(log: str, stage: Path, root: Path) -> tuple[list[str], list[str]]:
    """The staged lab files the compiler or linker complains about, and its
    complaints (with a line or two of the code it shows), paths shortened."""
    failing, lines = [], []
    log_lines = log.splitlines()
    for index, line in enumerate(log_lines):
        if not _PROBLEM.search(line) or line.startswith(("gmake", "make")):
            continue
        lines.append(line.replace(str(stage) + "/", "lab/").replace(str(root) + "/", ""))
        for following in log_lines[index + 1:index + 3]:
            if re.match(r"^\s+(\d+ )?\|", following):  # gcc's quote of the code and its caret
                lines.append(following)
        match = _LAB_FILE.search(line)
        if match and match.group("name").endswith(".cpp") and match.group("name") not in failing:
            failing.append(match.group("name"))
    return failing, lines


def run_until(command: list[str], deadline: float) -> tuple[int | None, str]:
    """Runs @p command, its output captured; kills it and everything it
    started if it is still running at @p deadline (monotonic). Returns
    (exit status or None when killed, output)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        left = None if deadline == float("inf") else max(1.0, deadline - time.monotonic())
        output, _ = process.communicate(timeout=left)
        return process.returncode, output
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return None, output


def build(root: Path, submission: Submission, build_dir: Path, labs: list[int],
          sanitize: str = "", jobs: int | None = None, log=print,
          extra_tests: Path | None = None, deadline: float = float("inf")) -> BuildResult:
    """Stages, configures and builds the targets for @p labs.

    When a lab file of an untrusted submission does not compile, it is
    replaced by starter/lab's version and the build retried, so the labs that
    do compile can still be graded; the report names the replaced files.
    """
    timer = util.Timer()
    stage = build_dir / "lab-src"
    notes = stage_lab_files(root, submission, stage)
    ok, output = configure(root, build_dir, stage, sanitize, extra_tests)
    if not ok:
        return BuildResult(False, build_dir, "cmake configure failed:\n" + util.tail(output, 40),
                           seconds=timer.seconds())
    configured = "configured" if output else ""  # configure() says nothing when it had nothing to do
    work = [0, 0]  # compiled, linked, over every attempt
    replaced: list[str] = []
    first_errors = ""
    jobs = jobs or util.usable_cpus()
    share_ccache(root)
    for _attempt in range(4):
        command = ["cmake", "--build", str(build_dir), "-j", str(jobs), "--target",
                   *targets_for(labs, sanitize, extra_tests)]
        returncode, output = run_until(command, deadline)
        done = subprocess.CompletedProcess(command, returncode, output)
        (build_dir / "build.log").write_text(done.stdout)
        work = [total + more for total, more in zip(work, count_work(done.stdout))]
        if returncode is None:
            return BuildResult(False, build_dir, "the build did not finish within the time budget:\n"
                               + util.tail(done.stdout, 10), replaced, timer.seconds())
        if done.returncode == 0:
            return BuildResult(True, build_dir, "\n".join(notes + ([first_errors] if first_errors else [])),
                               replaced, timer.seconds(), *work, configured)
        failing, lines = compile_errors(done.stdout, stage, root)
        if not first_errors:
            first_errors = "\n".join(lines[:40]) or util.tail(done.stdout, 40)
        fixable = [name for name in failing
                   if not submission.trusted and (root / "starter" / "lab" / name).is_file()
                   and name not in replaced]
        if not fixable:
            break
        for name in fixable:
            shutil.copyfile(root / "starter" / "lab" / name, stage / name)
            replaced.append(name)
            log(f"  {name} does not compile: grading with the starter's version of it")
    return BuildResult(False, build_dir, "\n".join(notes + [first_errors]), replaced, timer.seconds())
