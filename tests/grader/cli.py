"""The command line, and the order a grade goes in:

  build the submission -> per lab: run its tests (concurrency tests repeated,
  the server's schedule perturbed), audit what the run left behind ->
  ThreadSanitizer build and runs of the concurrency tests -> points -> report.

Exit status: 0 when a grade was produced (a submission that does not build is
graded 0, with the compiler's errors in the report); 1 when the grader itself
could not run (bad arguments, cmake missing, ...).
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import batch, build, diagnose, hygiene, isolate, own_tree, report, runner, scoring, util
from .scoring import Item, LabResult

ROOT = Path(__file__).resolve().parents[2]
ALL_LABS = [1, 2, 3, 4, 5]
TSAN_LABS = {2, 3, 4, 5}  # the labs whose code runs in threads or signal handlers


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tests/grade", description="Grade a MultiCabinet submission lab by lab.",
        epilog="Examples: tests/grade --lab 1 (in the kit: your build/);  "
               "tests/grade --impl solution --lab 2;  "
               "tests/grade --impl ~/alice/starter --json alice.json;  "
               "tests/grade --impl handin-alice.tar.gz --lab 1;  "
               "tests/grade --batch returned/ --csv grades.csv")
    parser.add_argument("--impl", default="starter",
                        help="starter (default: starter/lab; in a student's kit it is built in the kit's "
                             "build/ and build-starter-tsan/, only what changed), solution, a student's "
                             "copy of starter/ (its lab/ is graded), or a hand-in tarball "
                             "handin-USER.tar.gz (cmake --build --preset starter --target handin)")
    parser.add_argument("--lab", type=int, choices=ALL_LABS, help="grade only this lab")
    parser.add_argument("--json", type=Path, help="write Gradescope's results.json here")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each concurrency test; it passes only if all pass (default 3)")
    parser.add_argument("--seed", type=int,
                        help="schedule perturbation seed (default: random, printed); replays a failure")
    parser.add_argument("--no-perturb", action="store_true", help="do not perturb the server's schedule")
    parser.add_argument("--no-tsan", action="store_true", help="skip the ThreadSanitizer runs (faster)")
    parser.add_argument("--extra-tests", type=Path,
                        help="folder with more GoogleTest files per lab (DIR/lab2/*.cpp ...) to grade too")
    parser.add_argument("--build-dir", type=Path,
                        help="build here (reused between runs) instead of build-grade/<name>-<hash> "
                             "(or, in a student's kit, the kit's build/)")
    parser.add_argument("--jobs", type=int,
                        help="parallel compile jobs (default: the CPUs this process may use: affinity, cgroup quota)")
    parser.add_argument("--time-budget", type=float, metavar="SECONDS",
                        help="finish within this many seconds, report included: the per-test hang timeout "
                             "shrinks as the budget runs low, tests not reached score 0 as 'not run' "
                             "(default: no limit)")
    parser.add_argument("--batch", type=Path,
                        help="grade every submission in this folder: each folder (a copy of starter/) "
                             "and each hand-in tarball (*.tar.gz, named by its MANIFEST's user)")
    parser.add_argument("--csv", type=Path, help="with --batch: one row per student here; "
                        "NAME.results.json and NAME.txt are written next to it")
    parser.add_argument("--parallel", type=int, default=1, metavar="N",
                        help="with --batch: grade N submissions at a time, each in Linux namespaces of "
                             "its own (PID, IPC, mount, network); default 1")
    parser.add_argument("--merge", type=Path, metavar="DIR",
                        help="merge the NAME.results.json files in DIR (grades made elsewhere) into --csv")
    parser.add_argument("--in-namespace", choices=["private-tmp", "shared-tmp"], help=argparse.SUPPRESS)
    parser.add_argument("--build-per-student", action="store_true",
                        help="with --batch: a build directory per student (a re-run then recompiles "
                             "nothing, at ~200 MB a student); default: one for the whole batch, "
                             "where each student recompiles only the lab files that differ")
    parser.add_argument("--prebuild", action="store_true",
                        help="build everything that does not depend on a submission (plain and TSan) "
                             "into --build-dir, then exit; Gradescope's setup.sh runs it")
    parser.add_argument("--check-points", action="store_true",
                        help="check points.json against the tests a grade built in --build-dir, and exit")
    parser.add_argument("--points", type=Path, default=ROOT / "tests" / "points.json",
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if bool(args.batch or args.merge) != bool(args.csv):
        parser.error("--csv goes with --batch or --merge, and they need it")
    if args.batch and args.merge:
        parser.error("--batch or --merge, not both")
    if args.parallel < 1:
        parser.error("--parallel must be at least 1")
    if args.build_per_student and not args.batch:
        parser.error("--build-per-student goes with --batch")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


class Progress:
    """One line that keeps being rewritten on a terminal; plain lines otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.width = shutil.get_terminal_size((100, 20)).columns - 1

    def update(self, text: str) -> None:
        if self.tty:
            sys.stderr.write("\r" + text[:self.width].ljust(self.width))
            sys.stderr.flush()

    def say(self, text: str) -> None:
        if self.tty:
            sys.stderr.write("\r" + " " * self.width + "\r")
        sys.stderr.write(text + "\n")
        sys.stderr.flush()


def test_env(build_dir: Path, seed: int | None, fork_reports: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TSAN_OPTIONS", None)
    env["GTEST_COLOR"] = "no"
    perturb = build_dir / "lib" / "libperturb.so"
    if perturb.is_file():
        env["LD_PRELOAD"] = str(perturb) + (":" + env["LD_PRELOAD"] if env.get("LD_PRELOAD") else "")
        env["MC_PERTURB_REPORT"] = str(fork_reports)
        if seed is not None:
            env["MC_PERTURB_SEED"] = str(seed)
    return env


def failed_build(labs: list[int], points: scoring.Points, result: build.BuildResult) -> list[LabResult]:
    results = []
    for lab in labs:
        lab_result = LabResult(lab, points.title(lab), points.lab_points(lab))
        verdict = ("not graded: the build did not finish within the time budget"
                   if result.log.startswith("the build did not finish") else
                   "build failed: the submission does not compile")
        lab_result.items.append(Item(lab, "build", 0.0, points.lab_points(lab), verdict, result.log))
        results.append(lab_result)
    return results


def grade_lab(lab: int, build_dir: Path, points: scoring.Points, args, seed, progress: Progress,
              stop_at: float = float("inf"), tree: str = build.TREE) -> tuple[LabResult, list[str]]:
    """Runs one lab's tests of @p tree and audits, none after @p stop_at
    (monotonic: the lab's share of the time budget); returns its result and
    the short names of its concurrency tests (for ThreadSanitizer)."""
    result = LabResult(lab, points.title(lab), points.lab_points(lab))
    names = runner.list_tests(build_dir, lab, tree)
    shorts = [runner.short_name(name) for name in names]
    if not shorts:
        result.items.append(Item(lab, "tests", 0.0, result.max_score, "no tests found for this lab"))
        return result, []
    concurrent = [short for short in shorts if points.is_concurrency(short)]
    workdir = build_dir / "grade-runs" / f"lab{lab}"
    fork_reports = workdir / "forks"
    fork_reports.mkdir(parents=True, exist_ok=True)
    for old in fork_reports.iterdir():
        old.unlink()
    env = test_env(build_dir, seed, fork_reports)
    timeout = points.timeouts.get("test", 90)

    total = len(shorts)
    done_before = [0]

    def show(done: int, _of: int, name: str) -> None:
        progress.update(f"[lab{lab}] {done_before[0] + done}/{total} {runner.short_name(name)}")

    def say(text: str) -> None:
        progress.say(text)

    before = hygiene.snapshot()
    runs = runner.run_ctest(build_dir, [], concurrent, lab, repeat=1, env=env, timeout=timeout,
                            workdir=workdir / "plain", progress=show, log=say, stop_at=stop_at, tree=tree)
    done_before[0] = len(runs)
    if concurrent and time.monotonic() < stop_at:
        runs += runner.run_ctest(build_dir, concurrent, [], lab, repeat=args.repeat, env=env,
                                 timeout=timeout, workdir=workdir / "concurrency", progress=show, log=say,
                                 stop_at=stop_at, tree=tree)
    out_of_time = time.monotonic() >= stop_at - 1
    by_short = {run.short: run for run in runs}
    outcomes: dict[str, tuple[bool, str, str]] = {}  # short -> (passed, verdict, detail)
    for short in shorts:
        run = by_short.get(short)
        if run is None:
            outcomes[short] = (False, "not run: the time budget ran out before it" if out_of_time
                               else "did not run", "")
            continue
        if out_of_time and not run.passed and "timeout" in run.reason.lower() and not run.hang:
            run.budget = True  # ctest's --stop-time ended it
        verdict, detail = diagnose.verdict(run)
        if not run.passed and short in concurrent and args.repeat > 1:
            detail = (detail + "\n" if detail else "") + f"(failed within {args.repeat} runs)"
        outcomes[short] = (run.passed, verdict, detail)
    failures = sum(not passed for passed, _verdict, _detail in outcomes.values())
    # Only a test that ran and failed may owe its failure to the schedule.
    perturbed = sum(not passed and not verdict.startswith(("not implemented", "not run", "not finished"))
                    for passed, verdict, _detail in outcomes.values())
    result.items += promise_items(lab, points, shorts, outcomes)
    result.notes += test_notes(lab, points, shorts, outcomes, runner.end_to_end_tests(build_dir, lab, tree))
    timed_out = any(run.hang for run in runs)
    for kind, findings in group(hygiene.audit(before, build_dir / "bin", fork_reports, timed_out)).items():
        cost = points.hygiene.get(kind, 0.0)
        result.items.append(Item(lab, f"hygiene: {kind.replace('_', ' ')}", -cost, 0.0,
                                 f"-{report.fmt(cost)}: {findings[0]}",
                                 "\n".join(findings[1:6])))
    if perturbed and seed is not None:
        result.notes.append(f"{perturbed} test(s) failed under perturbation seed {seed}: "
                            f"replay with --seed {seed}")
    if out_of_time:
        result.notes.append("the time budget ran out during this lab: tests not reached score 0")
    progress.say(f"[lab{lab}] {report.fmt(result.score)}/{report.fmt(result.max_score)} "
                 f"({len(shorts) - failures}/{len(shorts)} tests passed)")
    return result, concurrent


def promise_items(lab: int, points: scoring.Points, shorts: list[str],
                  outcomes: dict[str, tuple[bool, str, str]]) -> list[Item]:
    """One line per promise: kept (every test it names passed) or broken,
    with the failing tests and why each failed."""
    items = []
    for promise in points.promises_of(lab):
        judged = [short for short in shorts if promise.judges(short)]
        failed = [short for short in judged if not outcomes[short][0]]
        if not judged:
            items.append(Item(lab, promise.name, 0.0, promise.points, "no test found for this promise"))
            continue
        if not failed:
            items.append(Item(lab, promise.name, promise.points, promise.points,
                              f"kept ({len(judged)} test{'s' * (len(judged) > 1)} passed)"))
            continue
        lines = []
        for short in failed[:6]:
            _passed, verdict, detail = outcomes[short]
            lines.append(f"- {short.split('.', 1)[1]}: {verdict}")
            lines += ["    " + line for line in detail.splitlines()[:12]]
        if len(failed) > 6:
            lines.append(f"- ... and {len(failed) - 6} more")
        if promise.handout:
            lines.append(f"(handout: {promise.handout})")
        items.append(Item(lab, promise.name, 0.0, promise.points,
                          f"broken: {len(failed)} of {len(judged)} tests failed", "\n".join(lines)))
    return items


def test_notes(lab: int, points: scoring.Points, shorts: list[str],
               outcomes: dict[str, tuple[bool, str, str]], e2e: set[str]) -> list[str]:
    """The tests that scored nothing on their own: provided code's, and any
    in no promise (a points.json mistake, which --check-points catches)."""
    notes = []
    provided = [short for short in shorts if points.is_provided(short)]
    if provided:
        broken = [short.split(".", 1)[1] for short in provided if not outcomes[short][0]]
        notes.append(f"{len(provided)} tests of the provided code ran (0 points): "
                     + (f"{len(broken)} failed: {', '.join(broken[:4])}" if broken else "all passed"))
    loose = [short for short in shorts if not points.is_provided(short)
             and not any(promise.judges(short) for promise in points.promises_of(lab))]
    if loose:
        notes.append(f"{len(loose)} tests are in no promise (0 points): {', '.join(loose[:4])}")
    outside = points.points_judged_outside(lab, shorts, e2e)
    notes.append(f"{report.fmt(outside)} of {report.fmt(points.lab_points(lab))} points are judged from "
                 f"outside your code too (promises with an end-to-end test)")
    return notes


def prebuild(root: Path, args, progress: Progress) -> int:
    """--prebuild: everything a grade builds that does not depend on the
    submission (provided code, harness, tests; the plain and the
    ThreadSanitizer trees), built with the starter's lab files into
    --build-dir, so that a submission graded there compiles only its own lab
    files. Gradescope's setup.sh runs it once. Fails loudly (exit 1)."""
    if not args.build_dir:
        raise util.GradeError("--prebuild needs --build-dir")
    labs = [args.lab] if args.lab else ALL_LABS
    starter = build.resolve_submission(root, "starter")
    trees = [(args.build_dir.resolve(), "", labs)]
    tsan_labs = [lab for lab in labs if lab in TSAN_LABS]
    if tsan_labs and not args.no_tsan:
        trees.append((Path(str(args.build_dir.resolve()) + "-tsan"), "thread", tsan_labs))
    for build_dir, sanitize, tree_labs in trees:
        progress.say(f"prebuild: {build_dir} ({'ThreadSanitizer' if sanitize else 'plain'}, "
                     f"labs {', '.join(map(str, tree_labs))})")
        built = build.build(root, starter, build_dir, tree_labs, sanitize=sanitize, jobs=args.jobs,
                            log=progress.say, extra_tests=args.extra_tests)
        if not built.ok or built.replaced:
            progress.say(f"prebuild FAILED in {build_dir}:\n{built.log}")
            return 1
        progress.say(f"prebuild: done in {built.seconds:.0f} s")
    return 0


def check_points(root: Path, args, points: scoring.Points, progress: Progress) -> int:
    """--check-points: points.json against the tests a build holds."""
    if not args.build_dir:
        raise util.GradeError("--check-points needs --build-dir: a folder tests/grade has built in")
    build_dir = args.build_dir.resolve()
    bad = 0
    for lab in ([args.lab] if args.lab else ALL_LABS):
        shorts = [runner.short_name(name) for name in runner.list_tests(build_dir, lab)]
        e2e = runner.end_to_end_tests(build_dir, lab)
        problems = points.problems(lab, shorts, e2e) if shorts else [f"no tests in {build_dir}"]
        outside = points.points_judged_outside(lab, shorts, e2e)
        print(f"lab{lab}: {len(points.promises_of(lab))} promises, {len(shorts)} tests "
              f"({len(e2e)} end to end), {report.fmt(outside)}/{report.fmt(points.lab_points(lab))} "
              f"points with an end-to-end test: " + ("ok" if not problems else f"{len(problems)} problem(s)"))
        for promise in points.promises_of(lab):
            judged = [short for short in shorts if promise.judges(short)]
            print(f"  {report.fmt(promise.points):>3}  {len(judged):>3} tests "
                  f"({sum(short in e2e for short in judged)} e2e)  {promise.name[:90]}")
        for problem in problems:
            print("  PROBLEM: " + problem)
        bad += bool(problems)
    return 1 if bad else 0


def group(findings: list[hygiene.Finding]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for finding in findings:
        grouped.setdefault(finding.kind, []).append(finding.what)
    return grouped


def run_tsan(root: Path, submission, labs: list[LabResult], concurrent: dict[int, list[str]],
             points: scoring.Points, args, place: build.Place, progress: Progress,
             budget: util.Budget) -> list[str]:
    """Builds the ThreadSanitizer tree and charges each lab with a race report."""
    wanted = [lab.lab for lab in labs if lab.lab in TSAN_LABS and concurrent.get(lab.lab) and lab.score > 0]
    if not wanted:
        return []
    if budget.limited and budget.left() < 45:
        return ["ThreadSanitizer: skipped, the time budget ran out (nothing charged)"]
    tsan_dir = place.tsan_dir
    progress.say(f"ThreadSanitizer: building labs {', '.join(map(str, wanted))} in {tsan_dir}"
                 + ("" if (tsan_dir / "CMakeCache.txt").is_file() else " (its first build: minutes)"))
    if place.own:
        built = own_tree.build_tree(root, own_tree.TSAN, wanted, jobs=args.jobs, deadline=budget.deadline())
    else:
        built = build.build(root, submission, tsan_dir, wanted, sanitize="thread", jobs=args.jobs,
                            log=progress.say, extra_tests=args.extra_tests, deadline=budget.deadline())
    progress.say(f"ThreadSanitizer build: {built.describe()}")
    if not built.ok:
        return ["ThreadSanitizer build failed (not charged):\n" + util.head(built.log, 10)]
    env = test_env(tsan_dir, None, tsan_dir / "unused")
    env.pop("LD_PRELOAD", None)
    notes = []
    for index, lab in enumerate([lab for lab in labs if lab.lab in wanted]):
        stop_at = budget.share(len(wanted) - index)
        races = runner.run_tsan(
            tsan_dir, lab.lab, concurrent[lab.lab], env=env, timeout=points.timeouts.get("tsan_test", 300),
            workdir=tsan_dir / "grade-runs" / f"lab{lab.lab}",
            progress=lambda done, of, name, n=lab.lab: progress.update(f"[lab{n} TSan] {done}/{of} {name}"),
            log=progress.say, stop_at=stop_at, tree=place.tree)
        if time.monotonic() >= stop_at - 1:
            notes.append(f"lab {lab.lab}: ThreadSanitizer cut short by the time budget "
                         "(reports found so far are charged)")
        if races:
            cost = points.tsan.get(f"lab{lab.lab}", 0.0)
            kinds = sorted({race.kind for race in races})
            tests = sorted({race.test.split(".", 1)[1] for race in races})
            first = races[0].text.replace(str(tsan_dir / "lab-src") + "/", "lab/") \
                .replace(str(submission.lab_dir) + "/", "lab/").replace(str(root) + "/", "")
            detail = f"{len(races)} report(s) in {', '.join(tests)}\n{first}"
            lab.items.append(Item(lab.lab, "ThreadSanitizer: " + ", ".join(kinds), -cost, 0.0,
                                  f"-{report.fmt(cost)}: ThreadSanitizer: {kinds[0]}", detail))
        progress.say(f"[lab{lab.lab} TSan] {len(races)} report(s)")
    return notes


def grade(root: Path, impl: str, args, points: scoring.Points, progress: Progress,
          build_dir: Path | None = None) -> tuple[list[LabResult], list[str], float, list[str]]:
    """Grades one submission. Returns the labs, the report's header notes,
    the time taken, and the folders whose paths a report must not show."""
    timer = util.Timer()
    budget = util.Budget(args.time_budget)
    build_dir = build_dir or args.build_dir
    submission = build.resolve_submission(root, impl, (build_dir.resolve() / "handin") if build_dir else None)
    labs = [args.lab] if args.lab else ALL_LABS
    seed = None if args.no_perturb else (args.seed if args.seed is not None else random.randrange(1, 2**31))
    # The report names the submission, never a path: on Gradescope it is a temporary folder.
    notes = [f"submission: {submission.label}", *submission.notes,
             f"schedule perturbation: " + (f"seed {seed} (replay: --seed {seed})" if seed is not None else "off"),
             f"concurrency tests run {args.repeat} time(s); ThreadSanitizer: "
             + ("off (--no-tsan)" if args.no_tsan else "on")]
    place = choose_place(root, impl, submission, build_dir, args, labs, notes, progress)
    progress.say(f"grading {submission.label}: building in {place.build_dir}")
    if budget.limited:
        notes.append(f"time budget: {budget.total:.0f} s")
    if place.own:
        built = own_tree.build_tree(root, own_tree.PLAIN, labs, jobs=args.jobs, deadline=budget.deadline())
    else:
        built = build.build(root, submission, place.build_dir, labs, jobs=args.jobs, log=progress.say,
                            extra_tests=args.extra_tests, deadline=budget.deadline())
    progress.say(f"build: {built.describe()}")
    if built.replaced:
        notes.append("did not compile, graded with the starter's version instead: " + ", ".join(built.replaced))
    if not built.ok:
        progress.say("build failed: every lab is graded 0")
        return failed_build(labs, points, built), notes, timer.seconds(), hidden_paths(root, place, submission)
    if built.log:
        notes += ["build: " + line for line in built.log.splitlines()[:20]]
    # ThreadSanitizer goes last; with a budget, about a quarter of it is kept for it.
    tsan_keep = 0.25 * budget.total if budget.limited and not args.no_tsan \
        and any(lab in TSAN_LABS for lab in labs) else 0.0
    results, concurrent = [], {}
    for index, lab in enumerate(labs):
        stop_at = budget.share(len(labs) - index, keep=tsan_keep)
        lab_result, concurrent[lab] = grade_lab(lab, place.build_dir, points, args, seed, progress, stop_at,
                                                place.tree)
        results.append(lab_result)
    if not args.no_tsan:
        notes += run_tsan(root, submission, results, concurrent, points, args, place, progress, budget)
    return results, notes, timer.seconds(), hidden_paths(root, place, submission)


def choose_place(root: Path, impl: str, submission, build_dir: Path | None, args, labs: list[int],
                 notes: list[str], progress: Progress) -> build.Place:
    """Where this grade builds: in a student's kit, their own trees
    (own_tree.py); otherwise the `submission` tree in @p build_dir, by
    default build-grade/<name>-<hash>. Adds a note saying which."""
    if own_tree.wanted(root, impl, build_dir, args.extra_tests):
        with_tsan = not args.no_tsan and any(lab in TSAN_LABS for lab in labs)
        place, why_not = own_tree.place(root, with_tsan)
        if place:
            notes.append(f"built where you build: {own_tree.PLAIN.folder}/ (cmake --preset {own_tree.PLAIN.name})"
                         + (f" and {own_tree.TSAN.folder}/ (--preset {own_tree.TSAN.name})" if with_tsan else ""))
            return place
        notes.append(why_not)
        progress.say(why_not)
    build_dir = (build_dir or build.default_build_dir(root, submission)).resolve()
    return build.Place(build.TREE, build_dir, Path(str(build_dir) + "-tsan"))


def hidden_paths(root: Path, place: build.Place, submission) -> list[str]:
    """Folders a student's report names only relative to (build and staging
    folders, the temporary copy Gradescope's submission is graded in)."""
    return [str(place.build_dir / "lab-src"), str(place.tsan_dir / "lab-src"), str(submission.lab_dir),
            str(place.tsan_dir), str(place.build_dir), str(root), tempfile.gettempdir()]


def grade_batch(root: Path, args, points: scoring.Points, progress: Progress) -> int:
    """--batch: every submission (folder or hand-in tarball) of a folder,
    one CSV row each."""
    entries = batch.discover(args.batch, build.lab_files(root), progress.say)
    if not entries:
        raise util.GradeError(f"{args.batch}: no submission folders or hand-in tarballs (*.tar.gz)")
    labs = [args.lab] if args.lab else ALL_LABS
    rows = []
    out_dir = args.csv.resolve().parent
    out_dir.mkdir(parents=True, exist_ok=True)
    why_not = "--build-per-student asked for" if args.build_per_student else isolate.available()
    if why_not is None:
        timer = util.Timer()
        progress.say(f"grading {len(entries)} submissions, {args.parallel} at a time, each in Linux "
                     f"namespaces of its own")
        build_root = (args.build_dir or root / "build-grade" / "batch").resolve()
        results = batch.run_isolated(entries, args, out_dir, build_root, progress.say)
        maxes = {lab: points.lab_points(lab) for lab in ALL_LABS}
        rows = [batch.row_from_results(name, results[name], labs, maxes) for name, _path in entries]
        report.write_csv(args.csv, rows, labs)
        progress.say(f"wrote {args.csv} ({len(rows)} students, {timer.seconds():.0f} s) and "
                     f"NAME.results.json, NAME.txt, NAME.log next to it")
        return 0
    progress.say(f"namespaces: not used ({why_not}): grading one submission at a time, unisolated")
    # One build directory serves the whole batch, as /autograder/build does on
    # Gradescope: the provided code and the tests are compiled once, and each
    # student only their lab files that differ from the previous student's
    # (build.stage_lab_files). A build directory per student costs a full build
    # and ~200 MB each, and pays off only when the same batch is graded again.
    shared = None if args.build_per_student else (args.build_dir or root / "build-grade" / "batch")
    for name, path in entries:
        progress.say(f"=== {name} ===")
        row = {"name": name}
        try:
            per_student = (args.build_dir / name) if args.build_dir else None  # None: the default
            build_dir = shared or per_student
            results, notes, seconds, hide = grade(root, str(path), args, points, progress, build_dir)
        except util.GradeError as error:
            progress.say(f"{name}: not graded: {error}")
            row.update({"total": 0, "max": report.fmt(sum(points.lab_points(lab) for lab in labs)),
                        "status": f"not graded: {error}"})
            rows.append(row)
            continue
        text = report.table(f"MultiCabinet grade: {name}", results, notes)
        (out_dir / f"{name}.txt").write_text(text + "\n")
        report.write_json(out_dir / f"{name}.results.json",
                          report.results_json(results, notes, seconds, hide))
        built = not any(item.name == "build" for lab in results for item in lab.items)
        for lab in results:
            row[f"lab{lab.lab}"] = report.fmt(round(lab.score, 2))
        row.update({"total": report.fmt(round(sum(lab.score for lab in results), 2)),
                    "max": report.fmt(sum(lab.max_score for lab in results)),
                    "status": "graded" if built else "graded: does not compile"})
        replaced = [note for note in notes if note.startswith("did not compile")]
        if built and replaced:
            row["status"] = "graded; " + replaced[0]
        rows.append(row)
        progress.say(f"{name}: {row['total']}/{row['max']}")
    report.write_csv(args.csv, rows, labs)
    progress.say(f"wrote {args.csv} ({len(rows)} students) and NAME.results.json next to it")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.in_namespace:  # a batch's worker: first make the namespaces ours
        isolate.enter(private_tmp=args.in_namespace == "private-tmp")
    progress = Progress()
    try:
        for tool in ("cmake", "ctest"):
            if not shutil.which(tool):
                raise util.GradeError(f"{tool} is not installed")
        points = scoring.load(args.points)
        if args.check_points:
            return check_points(ROOT, args, points, progress)
        if args.prebuild:
            return prebuild(ROOT, args, progress)
        if args.merge:
            return batch.merge(args.merge, args.csv, [args.lab] if args.lab else ALL_LABS,
                               {lab: points.lab_points(lab) for lab in ALL_LABS}, progress.say)
        if args.batch:
            return grade_batch(ROOT, args, points, progress)
        results, notes, seconds, hide = grade(ROOT, args.impl, args, points, progress)
    except util.GradeError as error:
        progress.say(f"grade: {error}")
        return 1
    print(report.table(f"MultiCabinet grade: {args.impl}", results, notes))
    if args.json:
        report.write_json(args.json, report.results_json(results, notes, seconds, hide))
        progress.say(f"wrote {args.json}")
    return 0
