"""Writing a grade down: the score table on the terminal, Gradescope's
results.json, and one CSV row per student in batch mode."""
from __future__ import annotations

import csv
import json
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


def results_json(labs: list[LabResult], header_notes: list[str], seconds: float) -> dict:
    """Gradescope's format: score, max_score, one entry per test and deduction."""
    tests = []
    for lab in labs:
        for item in lab.items:
            output = item.verdict + ("\n" + item.detail if item.detail else "")
            tests.append({"name": f"lab{item.lab} {item.name}", "score": round(item.score, 4),
                          "max_score": round(item.max_score, 4), "output": output,
                          "visibility": "visible"})
    return {"score": round(sum(lab.score for lab in labs), 2),
            "max_score": round(sum(lab.max_score for lab in labs), 2),
            "execution_time": round(seconds),
            "output": "\n".join(header_notes + [note for lab in labs for note in lab.notes]),
            "visibility": "visible", "stdout_visibility": "visible",
            "tests": tests}


def validate_results(data: dict) -> list[str]:
    """Problems with a results.json (empty when it is valid for Gradescope)."""
    problems = []
    for key, kind in (("score", (int, float)), ("max_score", (int, float)), ("tests", list)):
        if not isinstance(data.get(key), kind):
            problems.append(f"'{key}' missing or not a {kind}")
    for index, test in enumerate(data.get("tests", []) if isinstance(data.get("tests"), list) else []):
        for key, kind in (("name", str), ("score", (int, float)), ("max_score", (int, float)),
                          ("output", str)):
            if not isinstance(test.get(key), kind):
                problems.append(f"tests[{index}]: '{key}' missing or wrong type")
        if test.get("visibility", "visible") not in ("visible", "hidden", "after_due_date", "after_published"):
            problems.append(f"tests[{index}]: bad visibility")
    if not problems:
        tests_max = sum(test["max_score"] for test in data["tests"])
        if abs(tests_max - data["max_score"]) > 0.05:
            problems.append(f"tests add up to max {tests_max}, not {data['max_score']}")
        if not 0 <= data["score"] <= data["max_score"] + 1e-6:
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
