"""points.json: what each test is worth, and a lab's score.

A lab's points are shared equally by its tests, except those an override
pattern gives a fixed number of points, and tests of the provided code only
(they pass on the untouched starter), which are worth 0. Deductions (a ThreadSanitizer report,
hygiene findings) come off the lab's score, which never goes below 0.
"""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from . import util


@dataclasses.dataclass
class Points:
    labs: dict[str, dict]            # "lab1" -> {"points": 20, "title": "sockets"}
    overrides: list[tuple[re.Pattern, float]]
    provided: list[re.Pattern]       # tests of the provided code only: 0 points
    concurrency: list[re.Pattern]
    tsan: dict[str, float]           # lab -> deduction for any race report
    hygiene: dict[str, float]        # finding kind -> deduction
    timeouts: dict[str, float]

    def lab_points(self, lab: int) -> float:
        return float(self.labs[f"lab{lab}"]["points"])

    def title(self, lab: int) -> str:
        return self.labs[f"lab{lab}"].get("title", "")

    def is_provided(self, short: str) -> bool:
        return any(pattern.search(short) for pattern in self.provided)

    def is_concurrency(self, short: str) -> bool:
        return any(pattern.search(short) for pattern in self.concurrency)

    def share(self, lab: int, shorts: list[str]) -> dict[str, float]:
        """Each test's points; they add up to the lab's points."""
        fixed: dict[str, float] = {}
        for short in shorts:
            if self.is_provided(short):
                fixed[short] = 0.0
                continue
            for pattern, points in self.overrides:
                if pattern.search(short):
                    fixed[short] = points
                    break
        rest = [short for short in shorts if short not in fixed]
        left = self.lab_points(lab) - sum(fixed.values())
        if left < 0 or (left > 0 and not rest):
            # Overrides that do not fit: scale everything to the lab's total.
            total = sum(fixed.values()) + (1.0 * len(rest))
            return {short: self.lab_points(lab) * fixed.get(short, 1.0) / total for short in shorts}
        each = left / len(rest) if rest else 0.0
        return {short: fixed.get(short, each) for short in shorts}


def load(path: Path) -> Points:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise util.GradeError(f"{path}: {error}") from error
    return Points(
        labs=data["labs"],
        overrides=[(re.compile(key), float(value)) for key, value in data.get("overrides", {}).items()],
        provided=[re.compile(pattern) for pattern in data.get("provided", [])],
        concurrency=[re.compile(pattern) for pattern in data.get("concurrency", [])],
        tsan={key: float(value) for key, value in data.get("tsan", {}).items()},
        hygiene={key: float(value) for key, value in data.get("hygiene", {}).items()},
        timeouts={key: float(value) for key, value in data.get("timeouts", {}).items()},
    )


@dataclasses.dataclass
class Item:
    """One line of the score table (a test, or a deduction)."""

    lab: int
    name: str
    score: float
    max_score: float
    verdict: str
    detail: str = ""


@dataclasses.dataclass
class LabResult:
    lab: int
    title: str
    max_score: float
    items: list[Item] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def score(self) -> float:
        return max(0.0, sum(item.score for item in self.items))
