"""Grading a folder of submissions (tests/grade --batch), and merging the
results of grades made elsewhere (tests/grade --merge).

Each submission is graded by its own tests/grade process in namespaces of
its own (isolate.py), --parallel N at a time. Each of the N workers keeps one
build directory for every submission it grades (build-grade/batch/wK), so
only the lab files that differ from its previous student's are compiled;
when ccache is installed the workers share one compiler cache, so a worker's
first build costs little more than linking. Where namespaces cannot be made,
the batch says why and grades one submission at a time, unisolated.
"""
from __future__ import annotations

import concurrent.futures
import csv
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import isolate, report, util

ROOT = Path(__file__).resolve().parents[2]


def row_from_results(name: str, data: dict, labs: list[int], max_by_lab: dict[int, float]) -> dict:
    """One CSV row from a NAME.results.json (ours, or the grader's failure note)."""
    row = {"name": name}
    extra = data.get("extra_data") if isinstance(data.get("extra_data"), dict) else {}
    scores = extra.get("labs", {})
    if not scores:
        row.update({"total": 0, "max": report.fmt(sum(max_by_lab[lab] for lab in labs)),
                    "status": "not graded: " + util.head(str(data.get("output", "no result")), 1)})
        return row
    for lab in labs:
        if f"lab{lab}" in scores:
            row[f"lab{lab}"] = report.fmt(round(scores[f"lab{lab}"][0], 2))
    row["total"] = report.fmt(round(float(data.get("score", 0)), 2))
    row["max"] = report.fmt(extra.get("max_score", sum(max_by_lab[lab] for lab in labs)))
    output = str(data.get("output", ""))
    names = " ".join(test.get("name", "") + " " + test.get("output", "") for test in data.get("tests", []))
    if "build failed: the submission does not compile" in names:
        row["status"] = "graded: does not compile"
    elif "did not compile, graded with the starter's version instead" in output:
        line = next(line for line in output.splitlines() if line.startswith("did not compile"))
        row["status"] = "graded; " + line
    else:
        row["status"] = "graded"
    return row


def merge(folder: Path, csv_path: Path, labs: list[int], max_by_lab: dict[int, float],
          say=print) -> int:
    """--merge: every NAME.results.json in @p folder (from a batch split
    over several machines) into one CSV."""
    files = sorted(folder.glob("*.results.json"))
    if not files:
        raise util.GradeError(f"{folder}: no NAME.results.json files")
    rows = []
    for path in files:
        name = path.name[:-len(".results.json")]
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            rows.append({"name": name, "total": 0, "max": "", "status": f"unreadable: {error}"})
            continue
        problems = report.validate_results(data)
        row = row_from_results(name, data, labs, max_by_lab)
        if problems:
            row["status"] += f" (results.json: {problems[0]})"
        rows.append(row)
    report.write_csv(csv_path, rows, labs)
    say(f"wrote {csv_path} ({len(rows)} students from {folder})")
    return 0


def passthrough(args) -> list[str]:
    """The options of this tests/grade run that each submission's grade gets too."""
    out = []
    for flag, value in (("--lab", args.lab), ("--repeat", args.repeat), ("--seed", args.seed),
                        ("--time-budget", args.time_budget), ("--extra-tests", args.extra_tests),
                        ("--points", args.points)):
        if value is not None:
            out += [flag, str(value)]
    for flag, on in (("--no-perturb", args.no_perturb), ("--no-tsan", args.no_tsan)):
        if on:
            out.append(flag)
    return out


def stage(folder: Path, into: Path) -> Path:
    """A copy of the submission's lab folder where the namespace can see it
    (a fresh /tmp hides the original when it lives there)."""
    source = folder / "lab" if (folder / "lab").is_dir() else folder
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    for path in source.glob("*.cpp"):
        shutil.copy2(path, into / path.name)
    return into


def run_isolated(folders: list[Path], args, out_dir: Path, build_root: Path, say) -> dict[str, dict]:
    """Grades @p folders, --parallel at a time, each in new namespaces.
    Returns name -> results.json (or a failure note)."""
    workers = max(1, args.parallel)
    jobs = args.jobs or max(1, util.usable_cpus() // workers)
    private_tmp = isolate.tmp_is_private_safe([ROOT, build_root, out_dir, args.extra_tests])
    free = list(range(workers))
    lock = threading.Lock()
    results: dict[str, dict] = {}

    def grade_one(folder: Path) -> None:
        with lock:
            worker = free.pop()
        try:
            work = build_root / f"w{worker}"
            staged = stage(folder, build_root / "submissions" / folder.name)
            result = work / "result.json"
            result.unlink(missing_ok=True)
            command = isolate.unshare_prefix() + [
                sys.executable, str(ROOT / "tests" / "grade"),
                "--in-namespace", "private-tmp" if private_tmp else "shared-tmp",
                "--impl", str(staged), "--build-dir", str(work), "--json", str(result),
                "--jobs", str(jobs), *passthrough(args)]
            env = dict(os.environ)
            if not private_tmp:
                (work / "tmp").mkdir(parents=True, exist_ok=True)
                env["TMPDIR"] = str(work / "tmp")
            timer = util.Timer()
            with (out_dir / f"{folder.name}.log").open("w") as log:
                done = subprocess.run(command, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
            (out_dir / f"{folder.name}.txt").write_text(done.stdout)
            if result.is_file():
                data = json.loads(result.read_text())
                shutil.copyfile(result, out_dir / f"{folder.name}.results.json")
            else:
                data = {"score": 0, "output": f"the grader failed (exit {done.returncode}); "
                                              f"see {folder.name}.log", "tests": []}
                report.write_json(out_dir / f"{folder.name}.results.json", data)
            with lock:
                results[folder.name] = data
                say(f"{folder.name}: {data.get('score', 0)}/"
                    f"{data.get('extra_data', {}).get('max_score', '?')} "
                    f"(worker {worker}, {timer.seconds():.0f} s)")
        finally:
            with lock:
                free.append(worker)

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(grade_one, folder) for folder in folders]:
            future.result()
    return results
