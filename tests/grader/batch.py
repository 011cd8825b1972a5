"""Grading a folder of submissions (tests/grade --batch), and merging the
results of grades made elsewhere (tests/grade --merge).

A batch folder holds one submission per student: a folder (a copy of
starter/, or of its lab/) or a hand-in tarball (handin.py), named as
discover() says. Each submission is graded by its own tests/grade process
in namespaces of its own (isolate.py), --parallel N at a time. Each of the N workers keeps one
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

from . import build, handin, isolate, report, util

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


def discover(folder: Path, lab_names: list[str], say=print) -> list[tuple[str, Path]]:
    """The submissions in a --batch folder, as (name, path), by name: each
    folder (not hidden) by its name, and each hand-in tarball (*.tar.gz,
    *.tgz) by its MANIFEST's user, else its file's name without 'handin-'.
    When tarballs claim the same name as each other or as a folder (every
    student's $USER was "student"), each of them is named by its whole
    file name instead, plus -2, -3 ... if that is taken too. A tarball
    handin.read refuses keeps its file's name: its grade says why."""
    folders = {entry.name: entry for entry in folder.iterdir()
               if entry.is_dir() and not entry.name.startswith(".")}
    tarballs: list[tuple[str, Path]] = []
    for entry in sorted(folder.iterdir()):
        if entry.is_file() and handin.is_tarball(entry) and not entry.name.startswith("."):
            try:
                tarballs.append((handin.read(entry, lab_names).name(), entry))
            except util.GradeError:
                tarballs.append((handin.stem(entry).removeprefix("handin-") or handin.stem(entry), entry))
    claimed: dict[str, int] = {}
    for name, _entry in tarballs:
        claimed[name] = claimed.get(name, 0) + 1
    named = dict(folders)
    for claim, entry in tarballs:
        name = handin.stem(entry) if claimed[claim] > 1 or claim in folders else claim
        unique, count = name, 1
        while unique in named:
            count += 1
            unique = f"{name}-{count}"
        if unique != claim:
            say(f"{entry.name}: graded as {unique} ({claim} is not unique in {folder})")
        named[unique] = entry
    return sorted(named.items())


def stage(path: Path, into: Path) -> Path:
    """A copy of the submission where the namespace can see it (a fresh
    /tmp hides the original when it lives there): a folder's lab files, or
    the hand-in tarball itself, once handin.read has checked it. Returns
    what the worker grades (--impl).
    @throws util.GradeError when the tarball is refused."""
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    if handin.is_tarball(path):
        handin.read(path, build.lab_files(ROOT))
        shutil.copyfile(path, into / path.name)
        return into / path.name
    source = path / "lab" if (path / "lab").is_dir() else path
    for lab_file in source.glob("*.cpp"):
        shutil.copy2(lab_file, into / lab_file.name)
    return into


def run_isolated(entries: list[tuple[str, Path]], args, out_dir: Path, build_root: Path,
                 say) -> dict[str, dict]:
    """Grades each (name, folder or tarball) of @p entries, --parallel at a
    time, each in new namespaces. Returns name -> results.json (or a
    failure note)."""
    workers = max(1, args.parallel)
    jobs = args.jobs or max(1, util.usable_cpus() // workers)
    private_tmp = isolate.tmp_is_private_safe([ROOT, build_root, out_dir, args.extra_tests])
    free = list(range(workers))
    lock = threading.Lock()
    results: dict[str, dict] = {}

    def grade_one(name: str, path: Path) -> None:
        with lock:
            worker = free.pop()
        try:
            work = build_root / f"w{worker}"
            try:
                staged = stage(path, build_root / "submissions" / name)
            except util.GradeError as error:  # a refused tarball: no grade, and why
                data = {"score": 0, "output": str(error), "tests": []}
                report.write_json(out_dir / f"{name}.results.json", data)
                (out_dir / f"{name}.txt").write_text(f"not graded: {error}\n")
                with lock:
                    results[name] = data
                    say(f"{name}: not graded: {error}")
                return
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
            with (out_dir / f"{name}.log").open("w") as log:
                done = subprocess.run(command, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
            (out_dir / f"{name}.txt").write_text(done.stdout)
            if result.is_file():
                data = json.loads(result.read_text())
                shutil.copyfile(result, out_dir / f"{name}.results.json")
            else:
                data = {"score": 0, "output": f"the grader failed (exit {done.returncode}); "
                                              f"see {name}.log", "tests": []}
                report.write_json(out_dir / f"{name}.results.json", data)
            with lock:
                results[name] = data
                say(f"{name}: {data.get('score', 0)}/"
                    f"{data.get('extra_data', {}).get('max_score', '?')} "
                    f"(worker {worker}, {timer.seconds():.0f} s)")
        finally:
            with lock:
                free.append(worker)

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(grade_one, name, path) for name, path in entries]:
            future.result()
    return results
