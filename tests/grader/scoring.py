"""points.json: the promises each lab's points are shared among, and a lab's score.

A lab's points are shared among its promises (the handout's points to get
right). A promise scores its points when every test it names passed, and
nothing when any of them failed, did not run or was not proven by
GoogleTest's report: a mistake costs what it breaks, however many tests
catch it. Tests of the provided code only (they pass on the untouched
starter) belong to no promise and are worth 0. Deductions (a ThreadSanitizer
report, hygiene findings) come off the lab's score, which never goes below 0.
"""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from . import util


@dataclasses.dataclass
class Promise:
    """One point to get right: its words, its points and the tests that judge it."""
    name: str
    points: float
    tests: list[re.Pattern]
    handout: str = ""

    def judges(self, short: str) -> bool:
        return any(pattern.search(short) for pattern in self.tests)


@dataclasses.dataclass
class Points:
    labs: dict[str, dict]            # "lab1" -> {"points": 20, "title": "sockets"}
    promises: dict[str, list[Promise]]
    provided: list[re.Pattern]       # tests of the provided code only: 0 points
    concurrency: list[re.Pattern]
    tsan: dict[str, float]           # lab -> deduction for any race report
    hygiene: dict[str, float]        # finding kind -> deduction
    timeouts: dict[str, float]

    def lab_points(self, lab: int) -> float:
        return float(self.labs[f"lab{lab}"]["points"])

    def title(self, lab: int) -> str:
        return self.labs[f"lab{lab}"].get("title", "")

    def promises_of(self, lab: int) -> list[Promise]:
        return self.promises.get(f"lab{lab}", [])

    def is_provided(self, short: str) -> bool:
        return any(pattern.search(short) for pattern in self.provided)

    def is_concurrency(self, short: str) -> bool:
        return any(pattern.search(short) for pattern in self.concurrency)

    def problems(self, lab: int, shorts: list[str], e2e: set[str]) -> list[str]:
        """What is wrong with lab @p lab's promises for these tests (@p e2e:
        those judged from outside the student's code). Empty when: every
        test not of the provided code is in a promise, every promise judges
        a test, each is worth at least 10% of the lab, they add up to it, and
        at least half the points sit in promises with an end-to-end test."""
        found, total = [], self.lab_points(lab)
        promises = self.promises_of(lab)
        for short in shorts:
            judged_by = [p for p in promises if p.judges(short)]
            if self.is_provided(short) and judged_by:
                found.append(f"{short}: a provided-code test, yet in a promise")
            elif not self.is_provided(short) and not judged_by:
                found.append(f"{short}: in no promise")
        for promise in promises:
            if not any(promise.judges(short) for short in shorts):
                found.append(f"promise '{promise.name[:60]}': judges no test")
            if promise.points < 0.1 * total - 1e-9:
                found.append(f"promise '{promise.name[:60]}': {promise.points} points, under 10% of {total}")
        if abs(sum(p.points for p in promises) - total) > 1e-9:
            found.append(f"the promises add up to {sum(p.points for p in promises)}, not {total}")
        outside = self.points_judged_outside(lab, shorts, e2e)
        if outside < 0.5 * total:
            found.append(f"only {outside} of {total} points in promises with an end-to-end test")
        return found

    def points_judged_outside(self, lab: int, shorts: list[str], e2e: set[str]) -> float:
        """Points of the promises that name at least one end-to-end test:
        forging an in-process verdict cannot win them."""
        return sum(promise.points for promise in self.promises_of(lab)
                   if any(promise.judges(short) for short in shorts if short in e2e))


def load(path: Path) -> Points:
    try:
        data = json.loads(path.read_text())
        promises = {lab: [Promise(entry["name"], float(entry["points"]),
                                  [re.compile(pattern) for pattern in entry["tests"]],
                                  entry.get("handout", ""))
                          for entry in entries]
                    for lab, entries in data.get("promises", {}).items()}
    except (OSError, ValueError, KeyError, TypeError, re.error) as error:
        raise util.GradeError(f"{path}: {error}") from error
    return Points(
        labs=data["labs"],
        promises=promises,
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
