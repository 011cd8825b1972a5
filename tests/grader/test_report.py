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
