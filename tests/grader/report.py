"""Writing a grade down: the score table on the terminal, Gradescope's
results.json, and one CSV row per student in batch mode."""
from __future__ import annotations

import csv
import json
import re
import textwrap
from pathlib import Path

from .scoring import LabResult

NAME_WIDTH = 74


def fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def table(title: str, labs: list[LabResult], header_notes: list[str]) -> str:
    """The score table: lab, test, points, verdict; details under failures."""
    lines = [title, *header_notes, ""]
    lines.append(f"{'lab':<5} {'promise':<{NAME_WIDTH}} {'points':>11}  verdict")
    for lab in labs:
        for item in lab.items:
            # A promise is a sentence: wrapped, with points and verdict on its first line.
            name, *more = textwrap.wrap(item.name, NAME_WIDTH) or [""]
            points = f"{fmt(item.score)}/{fmt(item.max_score)}" if item.max_score else fmt(item.score)
            lines.append(f"lab{item.lab:<2} {name:<{NAME_WIDTH}} {points:>11}  {item.verdict}")
            lines += [f"{'':<5} {line}" for line in more]
            if item.detail and item.verdict != "passed":
                lines += ["        " + line for line in item.detail.splitlines()]
        for note in lab.notes:
            lines.append(f"lab{lab.lab:<2}   note: {note}")
        lines.append(f"lab{lab.lab:<2} {'TOTAL lab ' + str(lab.lab) + ' (' + lab.title + ')':<{NAME_WIDTH}} "
                     f"{fmt(lab.score) + '/' + fmt(lab.max_score):>11}")
        lines.append("")
    total = sum(lab.score for lab in labs)
    maximum = sum(lab.max_score for lab in labs)
    lines.append("  ".join(f"lab{lab.lab} {fmt(lab.score)}/{fmt(lab.max_score)}" for lab in labs))
    lines.append(f"TOTAL {fmt(round(total, 2))}/{fmt(maximum)}")
    return "\n".join(lines)


def scrub(text: str, hide: list[str]) -> str:
    """@p text without the absolute folders in @p hide: a staged lab file
    reads lab/server.cpp:42, a build path build/..., a temporary path tmp/...
    (most specific first: the list's order)."""
    for folder in hide:
        folder = folder.rstrip("/")
        if not folder:
            continue
        short = "lab/" if folder.endswith("lab-src") or folder.endswith("/lab") else ""
        text = text.replace(folder + "/", short)
    return text


def results_json(labs: list[LabResult], header_notes: list[str], seconds: float,
                 hide: list[str] | None = None) -> dict:
    """Gradescope's format: score, max_score, one entry per promise (its
    status, its points, why it was broken) and one per deduction."""
    hide = hide or []
    tests = []
    for lab in labs:
        for item in lab.items:
            output = item.verdict + ("\n" + item.detail if item.detail else "")
            tests.append({"name": f"Lab {item.lab}: {item.name}",
                          "status": "passed" if item.score >= item.max_score and item.score >= 0 else "failed",
                          "score": round(item.score, 4), "max_score": round(item.max_score, 4),
                          "output": scrub(output, hide), "visibility": "visible"})
    maximum = round(sum(lab.max_score for lab in labs), 2)
    return {"score": round(sum(lab.score for lab in labs), 2),
            "execution_time": round(seconds),
            # Gradescope takes the maximum from the assignment; ours is kept for batch tools.
            "extra_data": {"max_score": maximum,
                           "labs": {f"lab{lab.lab}": [round(lab.score, 2), lab.max_score] for lab in labs}},
            "output": scrub("\n".join(header_notes + [f"lab {lab.lab}: {note}" for lab in labs
                                                      for note in lab.notes]), hide),
            "visibility": "visible", "stdout_visibility": "hidden",
            "tests": tests}


# Gradescope's results.json fields (gradescope-autograders.readthedocs.io, "Autograder
# Specifications"): what each may hold. Anything else is a mistake of ours.
_TOP_FIELDS = {"score": (int, float), "execution_time": (int, float),
               "output": str, "output_format": str, "test_output_format": str, "test_name_format": str,
               "visibility": str, "stdout_visibility": str, "extra_data": dict, "tests": list,
               "leaderboard": list}
_TEST_FIELDS = {"score": (int, float), "max_score": (int, float), "status": str, "name": str,
                "name_format": str, "number": str, "output": str, "output_format": str, "tags": list,
                "visibility": str, "extra_data": dict}
_VISIBILITY = {"visible", "hidden", "after_due_date", "after_published"}
_FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def validate_results(data: dict) -> list[str]:
    """Problems with a results.json (empty when it is valid for Gradescope):
    known fields of the right types, statuses and visibilities Gradescope
    knows, tests that add up to max_score, a score in range, and no
    absolute path for a student to puzzle over."""
    problems = []
    for key, value in data.items():
        if key not in _TOP_FIELDS:
            problems.append(f"unknown field '{key}'")
        elif not isinstance(value, _TOP_FIELDS[key]):
            problems.append(f"'{key}' is not a {_TOP_FIELDS[key]}")
    for key in ("score", "tests"):
        if key not in data:
            problems.append(f"'{key}' missing")
    for key in ("visibility", "stdout_visibility"):
        if key in data and data[key] not in _VISIBILITY:
            problems.append(f"'{key}': {data[key]!r} is not a visibility")
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in data and data[key] not in _FORMATS:
            problems.append(f"'{key}': {data[key]!r} is not a format")
    tests = data.get("tests") if isinstance(data.get("tests"), list) else []
    for index, test in enumerate(tests):
        if not isinstance(test, dict):
            problems.append(f"tests[{index}] is not an object")
            continue
        for key, value in test.items():
            if key not in _TEST_FIELDS:
                problems.append(f"tests[{index}]: unknown field '{key}'")
            elif not isinstance(value, _TEST_FIELDS[key]):
                problems.append(f"tests[{index}]: '{key}' is not a {_TEST_FIELDS[key]}")
        for key in ("name", "output"):
            if not isinstance(test.get(key), str):
                problems.append(f"tests[{index}]: '{key}' missing")
        if test.get("status", "passed") not in ("passed", "failed"):
            problems.append(f"tests[{index}]: status {test.get('status')!r}")
        if test.get("visibility", "visible") not in _VISIBILITY:
            problems.append(f"tests[{index}]: bad visibility")
        for key in ("output", "name"):
            if re.search(r"(^|\s)/(tmp|work|home|autograder/build)/", str(test.get(key, ""))):
                problems.append(f"tests[{index}]: '{key}' shows an absolute path")
    maximum = data.get("extra_data", {}).get("max_score") if isinstance(data.get("extra_data"), dict) else None
    if not problems and isinstance(maximum, (int, float)):
        tests_max = sum(test.get("max_score", 0) for test in tests)
        if abs(tests_max - maximum) > 0.05:
            problems.append(f"tests add up to max {tests_max}, not {maximum}")
        if not 0 <= data["score"] <= maximum + 1e-6:
            problems.append("score out of range")
    return problems


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def write_csv(path: Path, rows: list[dict], lab_numbers: list[int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = ["name"] + [f"lab{lab}" for lab in lab_numbers] + ["total", "max", "status"]
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
