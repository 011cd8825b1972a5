"""Unit tests of hand-in tarballs: the MANIFEST cmake/handin.cmake writes
and tests/grader/handin.py reads, the tarballs a grader must refuse, and a
--batch folder of tarballs and folders. Run by ctest (label `grader`):

    python3 -m unittest discover -s tests/grader -t tests
"""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import unittest
from pathlib import Path

from grader import batch, build, handin, util

ROOT = Path(__file__).resolve().parents[2]
LAB = ["robust_io.cpp", "wire_codec.cpp", "server.cpp"]


def manifest_text(user: str, files: dict[str, bytes], lie_about: str = "") -> str:
    """A MANIFEST as handin.cmake writes it; @p lie_about gets a wrong sha256."""
    lines = [f"user: {user}", "date: 2026-12-08T10:11:12Z", "commit: none"]
    for name, data in files.items():
        sha = hashlib.sha256(b"other" if name == lie_about else data).hexdigest()
        lines.append(f"{sha}  {len(data)}  {name}")
    return "\n".join(lines) + "\n"


def write_tarball(path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]]) -> Path:
    """A .tar.gz of @p members: (name, bytes) for a file, or a ready TarInfo."""
    with tarfile.open(path, "w:gz") as tar:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tar.addfile(member)
            else:
                info = tarfile.TarInfo(member[0])
                info.size = len(member[1])
                tar.addfile(info, io.BytesIO(member[1]))
    return path


def good_members(user: str, lie_about: str = "") -> list[tuple[str, bytes]]:
    files = {f"lab/{name}": f"// {name} by {user}\n".encode() for name in LAB}
    top = f"handin-{user}"
    return [(f"{top}/MANIFEST", manifest_text(user, files, lie_about).encode())] + \
        [(f"{top}/{name}", data) for name, data in files.items()]


class Manifest(unittest.TestCase):
    """What handin.cmake writes, handin.py reads back."""

    @unittest.skipUnless(shutil.which("cmake"), "needs cmake")
    def test_the_cmake_script_writes_what_the_grader_reads(self):
        with tempfile.TemporaryDirectory() as folder:
            kit = Path(folder) / "kit"
            (kit / "starter" / "lab").mkdir(parents=True)
            for name in LAB[:2]:
                (kit / "starter" / "lab" / name).write_text(f"// {name}\n")
            (kit / "starter" / "lab" / "notes.txt").write_text("not a lab file\n")
            env = dict(os.environ, USER="Ann Lee/../x")
            done = subprocess.run(["cmake", f"-DSOURCE_DIR={kit}", f"-DLAB_FILES={','.join(LAB)}",
                                   f"-DWORK_DIR={folder}/work", "-P", str(ROOT / "cmake" / "handin.cmake")],
                                  env=env, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            self.assertEqual(done.returncode, 0, done.stdout)
            self.assertIn("not handed in: server.cpp", done.stdout)  # missing: said, not fatal
            tarball = kit / "handin-Ann_Lee_.._x.tar.gz"
            self.assertTrue(tarball.is_file(), done.stdout)
            with tarfile.open(tarball) as tar:
                names = sorted(member.name for member in tar if member.isfile())
            self.assertEqual(names, ["handin-Ann_Lee_.._x/MANIFEST", "handin-Ann_Lee_.._x/lab/robust_io.cpp",
                                     "handin-Ann_Lee_.._x/lab/wire_codec.cpp"])
            handed_in = handin.read(tarball, LAB)
        made = handed_in.manifest
        self.assertEqual(made.user, "Ann_Lee_.._x")
        self.assertRegex(made.date, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertTrue(made.commit)
        self.assertEqual(made.files["lab/robust_io.cpp"],
                         (hashlib.sha256(b"// robust_io.cpp\n").hexdigest(), len(b"// robust_io.cpp\n")))
        self.assertEqual(sorted(handed_in.lab), ["robust_io.cpp", "wire_codec.cpp"])
        self.assertEqual(handed_in.name(), "Ann_Lee_.._x")
        self.assertEqual(handed_in.ignored, [])
        notes = handed_in.notes()
        self.assertEqual(len(notes), 1, notes)  # only who and when: every sha256 matches
        self.assertIn("user Ann_Lee_.._x", notes[0])

    def test_parse_skips_what_it_does_not_know(self):
        sha = "ab" * 32
        made = handin.parse_manifest(f"# comment\nuser: bob\nflavour: mint\n{sha}  12  lab/server.cpp\nnoise\n")
        self.assertEqual((made.user, made.date, made.commit), ("bob", "", ""))
        self.assertEqual(made.files, {"lab/server.cpp": (sha, 12)})

    def test_a_changed_or_unlisted_file_is_a_note_not_a_refusal(self):
        with tempfile.TemporaryDirectory() as folder:
            members = good_members("carol", lie_about="lab/server.cpp")
            members.append(("handin-carol/lab/notes.txt", b"my notes"))
            members.append(("handin-carol/lab/worker_pool.cpp", b"// not in the MANIFEST"))
            tarball = write_tarball(Path(folder) / "handin-carol.tar.gz", members)
            handed_in = handin.read(tarball, LAB + ["worker_pool.cpp"])
            handed_in.unpack(Path(folder) / "out")
            unpacked = sorted(path.name for path in (Path(folder) / "out" / "lab").iterdir())
        notes = "\n".join(handed_in.notes())
        self.assertIn("lab/server.cpp differs from the MANIFEST", notes)
        self.assertIn("lab/worker_pool.cpp is not in the MANIFEST", notes)
        self.assertIn("ignored, not lab files (1): lab/notes.txt", notes)
        self.assertNotIn("robust_io.cpp differs", notes)
        self.assertEqual(unpacked, sorted(LAB + ["worker_pool.cpp"]))  # the lab files only

    def test_without_a_manifest_it_is_named_by_its_file(self):
        with tempfile.TemporaryDirectory() as folder:
            tarball = write_tarball(Path(folder) / "handin-dave.tar.gz",
                                    [("lab/server.cpp", b"//"), ("lab/robust_io.cpp", b"//")])
            handed_in = handin.read(tarball, LAB)
        self.assertIsNone(handed_in.manifest)
        self.assertEqual(handed_in.name(), "dave")
        self.assertEqual(sorted(handed_in.lab), ["robust_io.cpp", "server.cpp"])
        self.assertIn("no MANIFEST", handed_in.notes()[0])


class Refused(unittest.TestCase):
    """A student's tarball is untrusted: these are refused whole, saying why."""

    def refused(self, members, why: str, raw: bytes | None = None) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "handin-mallory.tar.gz"
            if raw is not None:
                path.write_bytes(raw)
            else:
                write_tarball(path, members)
            with self.assertRaises(util.GradeError) as caught:
                handin.read(path, LAB)
            self.assertEqual(sorted(os.listdir(folder)), ["handin-mallory.tar.gz"])  # nothing written
        self.assertRegex(str(caught.exception), why)

    @staticmethod
    def link(name: str, target: str, kind: bytes) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = kind, target
        return info

    def test_absolute_path(self):
        self.refused([("/etc/cron.d/evil", b"x")], r"refused: '/etc/cron.d/evil' is an absolute path")

    def test_dot_dot(self):
        self.refused([("handin-m/lab/../../../.bashrc", b"x")], r"refused: .*leads out of the hand-in")

    def test_symlink(self):
        self.refused([self.link("handin-m/lab/server.cpp", "/etc/passwd", tarfile.SYMTYPE)],
                     r"refused: .*is a link \(to '/etc/passwd'\)")

    def test_hard_link(self):
        self.refused([("handin-m/lab/a", b"x"), self.link("handin-m/lab/server.cpp", "handin-m/lab/a",
                                                          tarfile.LNKTYPE)], r"refused: .*is a link")

    def test_device(self):
        device = tarfile.TarInfo("handin-m/lab/server.cpp")
        device.type = tarfile.CHRTYPE
        self.refused([device], r"refused: .*not a plain file")

    def test_too_big_uncompressed(self):
        self.refused([("handin-m/lab/server.cpp", b"\0" * (handin.LIMIT_BYTES + 1))],
                     r"refused: more than 2 MB uncompressed")

    def test_a_bomb_is_never_inflated_whole(self):
        raw = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MB of zeros, 64 KB on disk
        self.refused(None, r"refused: more than 2 MB uncompressed", raw=raw)

    def test_too_many_files(self):
        self.refused([(f"handin-m/f{index}", b"") for index in range(handin.LIMIT_MEMBERS + 1)],
                     r"refused: more than \d+ files")

    def test_twice_the_same_file(self):
        self.refused([("handin-m/lab/server.cpp", b"a"), ("handin-m/./lab/server.cpp", b"b")],
                     r"refused: .*appears twice")

    def test_not_a_tarball(self):
        self.refused(None, r"not a readable \.tar\.gz", raw=b"PK\x03\x04 a zip, say")


class Resolve(unittest.TestCase):
    def test_impl_a_tarball_unpacks_it_where_asked(self):
        with tempfile.TemporaryDirectory() as folder:
            tarball = write_tarball(Path(folder) / "handin-erin.tar.gz", good_members("erin"))
            submission = build.resolve_submission(ROOT, str(tarball), Path(folder) / "unpacked")
            self.assertEqual(submission.label, "erin")
            self.assertFalse(submission.trusted)
            self.assertTrue(submission.lab_dir.is_relative_to(Path(folder) / "unpacked"))
            self.assertEqual(sorted(path.name for path in submission.lab_dir.iterdir()), sorted(LAB))
            again = build.resolve_submission(ROOT, str(tarball), Path(folder) / "unpacked")
            self.assertEqual(again.lab_dir, submission.lab_dir)  # the same folder: the same build dir
        self.assertIn("user erin", submission.notes[0])

    def test_lab_files_holds_every_one(self):
        self.assertIn("worker_pool.cpp", build.lab_files(ROOT))  # after "# lab 6 (optional)"


class BatchDiscovery(unittest.TestCase):
    def test_folders_and_tarballs_one_name_each(self):
        with tempfile.TemporaryDirectory() as folder:
            returned = Path(folder)
            (returned / "alice" / "lab").mkdir(parents=True)
            (returned / ".hidden").mkdir()
            (returned / "readme.txt").write_text("not a submission")
            write_tarball(returned / "handin-bob.tar.gz", good_members("bob"))
            write_tarball(returned / "moodle_1234_handin-student.tar.gz", good_members("student"))
            write_tarball(returned / "moodle_5678_handin-student.tgz", good_members("student"))
            write_tarball(returned / "handin-alice.tar.gz", good_members("alice"))  # clashes with the folder
            write_tarball(returned / "evil.tar.gz", [("/etc/passwd", b"x")])
            said = []
            found = batch.discover(returned, LAB, said.append)
        names = {name: path.name for name, path in found}
        self.assertEqual(names, {
            "alice": "alice",
            "handin-alice": "handin-alice.tar.gz",
            "bob": "handin-bob.tar.gz",
            "moodle_1234_handin-student": "moodle_1234_handin-student.tar.gz",
            "moodle_5678_handin-student": "moodle_5678_handin-student.tgz",
            "evil": "evil.tar.gz",
        })
        self.assertEqual([name for name, _path in found], sorted(names))
        self.assertTrue(any(re.search(r"graded as moodle_1234_handin-student", line) for line in said), said)

    def test_stage_refuses_a_hostile_tarball_and_copies_a_good_one(self):
        with tempfile.TemporaryDirectory() as folder:
            good = write_tarball(Path(folder) / "handin-bob.tar.gz", good_members("bob"))
            bad = write_tarball(Path(folder) / "evil.tar.gz", [("../x", b"x")])
            staged = batch.stage(good, Path(folder) / "staged" / "bob")
            self.assertEqual(staged.read_bytes(), good.read_bytes())
            with self.assertRaises(util.GradeError):
                batch.stage(bad, Path(folder) / "staged" / "evil")


if __name__ == "__main__":
    unittest.main()
