"""Grading a student's kit in the trees the student builds: build/ and
build-starter-tsan/.

Runs in: tests/grade, in a student's kit (no solution/ at the root), when
it grades the kit's own starter/lab (--impl starter, the default).

In the repository, tests/grade builds the lab files it grades as a tree of
its own, `submission`, in build-grade/ (build.py). In the kit those files
are starter/lab, which the student already builds as the `starter` tree:
the same provided code, tests and compiler flags. So there a grade builds
only the targets it needs (build.targets_for) in build/ (the `starter`
preset) and, for ThreadSanitizer, in build-starter-tsan/ (the
`starter-tsan` preset), configuring a tree with its preset when it is not
configured yet. make rebuilds only what changed since the student's last
build, and a second grade with nothing changed starts its tests within
seconds. The tests run as starter.labN.*; points, repeats, perturbation,
ThreadSanitizer, hygiene and GoogleTest's proofs are those of a submission
tree. One difference: a lab file that does not compile cannot be swapped
for the starter's (the kit has no other copy), so the build fails and the
report shows the compiler's errors.

A tree configured otherwise (for another folder, another build type, a
sanitizer) is the student's choice, not ours to change behind their back:
then the grade builds in build-grade/ as in the repository, and says why.
"""
from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

from . import build, util

TREE = "starter"
BUILD_TYPE = "RelWithDebInfo"  # the presets', and build.configure's


@dataclasses.dataclass(frozen=True)
class Preset:
    """One of the kit's configure presets (CMakePresets.json)."""

    name: str       # cmake --preset NAME
    folder: str     # its binaryDir, relative to the kit's root
    sanitize: str   # its MC_SANITIZE


PLAIN = Preset("starter", "build", "")
TSAN = Preset("starter-tsan", "build-starter-tsan", "thread")


def wanted(root: Path, impl: str, build_dir: Path | None, extra_tests: Path | None) -> bool:
    """True when this grade is a student's of their own kit: no solution/,
    the kit's starter/lab, and no build folder or extra tests asked for
    (those need the grader's own `submission` tree)."""
    return impl == "starter" and not (root / "solution").is_dir() and build_dir is None and extra_tests is None


def read_cache(build_dir: Path) -> dict[str, str]:
    """NAME -> value of a CMakeCache.txt ({} when there is none)."""
    entries = {}
    try:
        lines = (build_dir / "CMakeCache.txt").read_text(errors="replace").splitlines()
    except OSError:
        return {}
    for line in lines:
        if line and not line.startswith(("#", "//")) and ":" in line and "=" in line:
            key, _, value = line.partition("=")
            entries[key.split(":", 1)[0]] = value
    return entries


def unfit(root: Path, preset: Preset) -> str | None:
    """Why @p preset's folder cannot be graded in (None: it can, or it is
    not configured yet and will be)."""
    cache = read_cache(root / preset.folder)
    if not cache:
        return None
    home = cache.get("CMAKE_HOME_DIRECTORY", "")
    if not home or Path(home).resolve() != root.resolve():
        return f"{preset.folder}/ was configured for another folder ({home or '?'})"
    if cache.get("CMAKE_BUILD_TYPE", "") != BUILD_TYPE:
        return f"{preset.folder}/ is configured as {cache.get('CMAKE_BUILD_TYPE') or 'no build type'}, not {BUILD_TYPE}"
    if cache.get("MC_SANITIZE", "") != preset.sanitize:
        return f"{preset.folder}/ is configured with MC_SANITIZE={cache.get('MC_SANITIZE', '')!r}"
    if cache.get("MC_BUILD_STARTER", "ON").upper() in ("OFF", "0", "FALSE", "NO", "N"):
        return f"{preset.folder}/ is configured with MC_BUILD_STARTER=OFF"
    return None


def place(root: Path, with_tsan: bool) -> tuple[build.Place | None, str]:
    """The student's trees for this grade, or None and why not."""
    for preset in [PLAIN] + ([TSAN] if with_tsan else []):
        why = unfit(root, preset)
        if why:
            return None, (f"{why}: graded in build-grade/ instead (to grade in {preset.folder}/: "
                          f"rm -rf {preset.folder} && cmake --preset {preset.name})")
    return build.Place(TREE, root / PLAIN.folder, root / TSAN.folder, own=True), ""


def configure(root: Path, preset: Preset) -> tuple[bool, str]:
    """cmake --preset, with ccache when it is installed (as build.configure)."""
    done = subprocess.run(["cmake", "--preset", preset.name, *build.ccache_launcher()], cwd=root,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return done.returncode == 0, done.stdout


def build_tree(root: Path, preset: Preset, labs: list[int], jobs: int | None = None,
               deadline: float = float("inf")) -> build.BuildResult:
    """Configures @p preset's folder if it is not yet, then builds what a
    grade of @p labs runs there (make decides what is out of date)."""
    timer = util.Timer()
    build_dir = root / preset.folder
    configured = ""
    if not (build_dir / "CMakeCache.txt").is_file():
        ok, output = configure(root, preset)
        if not ok:
            return build.BuildResult(False, build_dir, f"cmake --preset {preset.name} failed:\n"
                                     + util.tail(output, 40), seconds=timer.seconds())
        configured = f"configured: cmake --preset {preset.name}"
    build.share_ccache(root)
    command = ["cmake", "--build", str(build_dir), "-j", str(jobs or util.usable_cpus()), "--target",
               *build.targets_for(labs, preset.sanitize, None, tree=TREE)]
    returncode, output = build.run_until(command, deadline)
    (build_dir / "grade-runs").mkdir(exist_ok=True)
    (build_dir / "grade-runs" / "build.log").write_text(output)
    compiled, linked = build.count_work(output)
    if returncode is None:
        return build.BuildResult(False, build_dir, "the build did not finish within the time budget:\n"
                                 + util.tail(output, 10), seconds=timer.seconds())
    if returncode != 0:
        _failing, lines = build.compile_errors(output, root / "starter" / "lab", root)
        return build.BuildResult(False, build_dir, "\n".join(lines[:40]) or util.tail(output, 40),
                                 seconds=timer.seconds(), compiled=compiled, linked=linked,
                                 configured=configured)
    return build.BuildResult(True, build_dir, "", seconds=timer.seconds(), compiled=compiled, linked=linked,
                             configured=configured)
