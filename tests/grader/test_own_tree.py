"""Unit tests of grading a student's kit in its own build trees
(tests/grader/own_tree.py): when it applies, and which configured trees it
refuses to build in. Run by ctest (label `grader`):

    python3 -m unittest discover -s tests/grader -t tests
"""
from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from grader import build, own_tree


def configure(root: Path, folder: str, **entries: str) -> None:
    """A CMakeCache.txt in root/folder holding @p entries (NAME=value)."""
    (root / folder).mkdir(parents=True, exist_ok=True)
    lines = ["# This is the CMakeCache file.", "//Build type", *[f"{key}:STRING={value}"
                                                               for key, value in entries.items()]]
    (root / folder / "CMakeCache.txt").write_text("\n".join(lines) + "\n")


class OwnTree(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.root = Path(self.folder.name)

    def tearDown(self):
        self.folder.cleanup()

    def test_only_a_kit_grading_its_own_starter(self):
        self.assertTrue(own_tree.wanted(self.root, "starter", None, None))
        self.assertFalse(own_tree.wanted(self.root, "alice/starter", None, None))
        self.assertFalse(own_tree.wanted(self.root, "starter", Path("elsewhere"), None))
        self.assertFalse(own_tree.wanted(self.root, "starter", None, Path("extra")))
        (self.root / "solution").mkdir()
        self.assertFalse(own_tree.wanted(self.root, "starter", None, None))  # the repository

    def test_unconfigured_trees_are_taken_and_configured_later(self):
        place, why = own_tree.place(self.root, with_tsan=True)
        self.assertEqual(why, "")
        self.assertEqual(place, build.Place("starter", self.root / "build", self.root / "build-starter-tsan",
                                            own=True))

    def test_trees_configured_by_the_presets_are_taken(self):
        home = str(self.root)
        configure(self.root, "build", CMAKE_HOME_DIRECTORY=home, CMAKE_BUILD_TYPE="RelWithDebInfo",
                  MC_SANITIZE="", MC_BUILD_STARTER="ON")
        configure(self.root, "build-starter-tsan", CMAKE_HOME_DIRECTORY=home, CMAKE_BUILD_TYPE="RelWithDebInfo",
                  MC_SANITIZE="thread")
        self.assertIsNotNone(own_tree.place(self.root, with_tsan=True)[0])

    def test_trees_configured_otherwise_are_left_alone(self):
        home = str(self.root)
        cases = {
            "another folder": ("build", dict(CMAKE_HOME_DIRECTORY="/elsewhere", CMAKE_BUILD_TYPE="RelWithDebInfo")),
            "as Debug": ("build", dict(CMAKE_HOME_DIRECTORY=home, CMAKE_BUILD_TYPE="Debug")),
            "MC_SANITIZE": ("build", dict(CMAKE_HOME_DIRECTORY=home, CMAKE_BUILD_TYPE="RelWithDebInfo",
                                          MC_SANITIZE="address,undefined")),
            "MC_BUILD_STARTER=OFF": ("build", dict(CMAKE_HOME_DIRECTORY=home, CMAKE_BUILD_TYPE="RelWithDebInfo",
                                                   MC_BUILD_STARTER="OFF")),
            "MC_SANITIZE=''": ("build-starter-tsan", dict(CMAKE_HOME_DIRECTORY=home,
                                                          CMAKE_BUILD_TYPE="RelWithDebInfo")),
        }
        for what, (folder, entries) in cases.items():
            with self.subTest(what):
                for old in ("build", "build-starter-tsan"):
                    (self.root / old / "CMakeCache.txt").unlink(missing_ok=True)
                configure(self.root, folder, **entries)
                place, why = own_tree.place(self.root, with_tsan=True)
                self.assertIsNone(place)
                self.assertIn(what, why)
                self.assertIn("graded in build-grade/ instead", why)

    def test_tsan_tree_only_matters_when_tsan_runs(self):
        configure(self.root, "build-starter-tsan", CMAKE_HOME_DIRECTORY="/elsewhere")
        self.assertIsNone(own_tree.place(self.root, with_tsan=True)[0])
        self.assertIsNotNone(own_tree.place(self.root, with_tsan=False)[0])


class BuildSummary(unittest.TestCase):
    def test_what_a_build_did(self):
        make = ("[ 10%] Building CXX object CMakeFiles/mc_starter.dir/starter/lab/robust_io.cpp.o\n"
                "[ 20%] Building C object CMakeFiles/perturb.dir/tools/perturb/perturb.c.o\n"
                "[ 30%] Linking CXX static library libmc_starter.a\n[100%] Built target lab1\n")
        self.assertEqual(build.count_work(make), (2, 1))
        self.assertEqual(build.count_work("ninja: no work to do.\n"), (0, 0))
        result = build.BuildResult(True, Path("build"), seconds=3.14)
        self.assertEqual(result.describe(), "3.1 s (nothing changed)")
        result.compiled, result.linked, result.configured = 2, 1, "configured: cmake --preset starter"
        self.assertEqual(result.describe(), "3.1 s (configured: cmake --preset starter; 2 compiled, 1 linked)")


if __name__ == "__main__":
    unittest.main()
