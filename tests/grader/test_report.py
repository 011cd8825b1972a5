"""Unit tests of the grader's report: results.json as Gradescope documents
it, what a student sees in it, and the score table. Run by ctest (label
`grader`) and by scripts/check-grader.sh:

    python3 -m unittest discover -s tests/grader -t tests
"""
from __future__ import annotations

import json
import unittest

from grader import report
from grader.scoring import Item, LabResult


def sample() -> list[LabResult]:
    lab = LabResult(4, "semaphores", 25.0)
    lab.items.append(Item(4, "Every reply reaches its own thread", 9.0, 9.0, "kept (4 tests passed)"))
    lab.items.append(Item(4, "Semaphores work between processes", 0.0, 16.0, "broken: 1 of 18 tests failed",
                          "- Lab4Semaphores.CountsPostsAndWaits: timed out: probable deadlock\n"
                          "    full stacks in /work/course/build-grade/alice-1234/grade-runs/lab4\n"
                          "    at /work/course/build-grade/alice-1234/lab-src/shared_semaphore.cpp:41"))
    lab.items.append(Item(4, "hygiene: leaked process", -2.0, 0.0, "-2: cabinetd (pid 77) still running"))
    lab.notes.append("18 tests of the provided code ran (0 points): all passed")
    return [lab]


HIDE = ["/work/course/build-grade/alice-1234/lab-src", "/work/course/build-grade/alice-1234",
        "/work/course", "/tmp"]


class ResultsJson(unittest.TestCase):
    def test_valid_for_gradescope(self):
        data = report.results_json(sample(), ["submission: alice"], 61.4, HIDE)
        self.assertEqual(report.validate_results(json.loads(json.dumps(data))), [])

    def test_each_promise_has_a_status_and_adds_up(self):
        data = report.results_json(sample(), [], 1.0, HIDE)
        self.assertEqual([test["status"] for test in data["tests"]], ["passed", "failed", "failed"])
        self.assertEqual(data["score"], 7.0)  # 9 kept, 0 broken, 2 deducted
        self.assertEqual(data["extra_data"]["max_score"], 25.0)
        self.assertTrue(all(test["name"].startswith("Lab 4: ") for test in data["tests"]))

    def test_no_absolute_paths_reach_the_student(self):
        data = report.results_json(sample(), [], 1.0, HIDE)
        broken = data["tests"][1]["output"]
        self.assertIn("lab/shared_semaphore.cpp:41", broken)
        self.assertNotIn("/work/", broken)

    def test_the_validator_catches_what_gradescope_would_not_take(self):
        good = report.results_json(sample(), [], 1.0, HIDE)
        cases = {
            "unknown top-level field": dict(good, grade=3),
            "status outside passed/failed": dict(good, tests=[dict(good["tests"][0], status="ok")]),
            "bad visibility": dict(good, visibility="students"),
            "score is text": dict(good, score="7"),
            "an absolute path": dict(good, tests=[dict(good["tests"][0], output="see /tmp/x/y.log")]
                                     + good["tests"][1:]),
            "tests not adding up": dict(good, tests=good["tests"][:1]),
        }
        for what, data in cases.items():
            with self.subTest(what):
                self.assertNotEqual(report.validate_results(data), [], what)


class ScoreTable(unittest.TestCase):
    def test_a_promise_is_wrapped_not_cut(self):
        lab = LabResult(1, "sockets", 20.0)
        words = "A promise long enough to need a second line in the table " * 3
        lab.items.append(Item(1, words.strip(), 4.0, 4.0, "kept (3 tests passed)"))
        text = report.table("grade", [lab], [])
        self.assertIn("need a second line", text)
        self.assertNotIn("…", text)


if __name__ == "__main__":
    unittest.main()


class Merge(unittest.TestCase):
    """--merge: results.json files graded elsewhere -> one CSV row each."""

    def test_rows_from_results(self):
        import csv
        import tempfile
        from pathlib import Path

        from grader import batch
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            report.write_json(folder / "alice.results.json",
                              report.results_json(sample(), ["submission: alice"], 3.0, HIDE))
            (folder / "bob.results.json").write_text(json.dumps(
                {"score": 0, "output": "The autograder failed; please tell the course staff.", "tests": []}))
            (folder / "carol.results.json").write_text("{ not json")
            batch.merge(folder, folder / "grades.csv", [4], {4: 25.0}, say=lambda _text: None)
            rows = {row["name"]: row for row in csv.DictReader(open(folder / "grades.csv"))}
        self.assertEqual(rows["alice"]["lab4"], "7")
        self.assertEqual(rows["alice"]["status"], "graded")
        self.assertTrue(rows["bob"]["status"].startswith("not graded: The autograder failed"))
        self.assertTrue(rows["carol"]["status"].startswith("unreadable"))


class TimeBudget(unittest.TestCase):
    """How --time-budget shares time out, and how a hang is timed under it."""

    def test_unused_time_rolls_on_and_the_reserve_is_kept(self):
        import time
        from grader import util
        budget = util.Budget(220.0)  # 200 s of work after the 20 s reserve
        first = budget.share(4) - time.monotonic()
        self.assertAlmostEqual(first, 50.0, delta=1.0)
        budget.start -= 10.0  # the first part took 10 s of its 50
        self.assertAlmostEqual(budget.share(3) - time.monotonic(), 190.0 / 3, delta=1.0)
        self.assertEqual(util.Budget(None).share(2), float("inf"))

    def test_hang_timeout_shrinks_with_the_budget_and_after_two_hangs(self):
        import time
        from pathlib import Path
        from grader import runner
        now = time.monotonic()
        unlimited = runner.Watchdog(0, 90.0, Path("."), print)
        self.assertEqual(unlimited.hang_timeout(now), 90.0)
        planned = runner.Watchdog(0, 90.0, Path("."), print, stop_at=now + 60.0)
        self.assertAlmostEqual(planned.hang_timeout(now), 20.0, delta=0.1)
        self.assertEqual(planned.hang_timeout(now + 55.0), 10.0)  # never below 10 s
        planned.hangs = 2
        self.assertEqual(runner.Watchdog(0, 90.0, Path("."), print, stop_at=now + 600.0).hang_timeout(now), 90.0)
        planned.stop_at = now + 600.0
        self.assertEqual(planned.hang_timeout(now), 15.0)
