"""Hand-in tarballs: what `cmake --build --preset starter --target handin`
writes (cmake/handin.cmake), and how tests/grade reads one.

A hand-in is handin-USER.tar.gz, one folder:

    handin-USER/MANIFEST                 who, when, from which commit; each file's sha256 and size
    handin-USER/lab/robust_io.cpp ...    the lab files (MC_LAB_FILES), nothing else

The MANIFEST, line by line ('#' starts a comment):

    user: alice
    date: 2026-12-08T10:11:12Z
    commit: 0123abcd...              (or "none": the kit is no git checkout)
    <sha256>  <size>  lab/robust_io.cpp

A tarball is a student's file, so it is untrusted. read() refuses it whole
(util.GradeError, saying why) when a member has an absolute path or a '..',
is anything but a regular file or a folder (a symlink, a hard link, a
device), appears twice, or when the tarball holds more than LIMIT_BYTES
uncompressed or LIMIT_MEMBERS members; it inflates at most LIMIT_STREAM
bytes, so a compressed bomb never fills memory. Nothing is extracted by
tarfile: the lab files' bytes are read into memory, and unpack() writes
them under names of our own. What is only odd becomes a note for the
report, never a refusal: no MANIFEST, a file it does not list or whose
sha256 differs (edited after `handin`), a file that is no lab file
(ignored).
"""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import re
import shutil
import tarfile
import zlib
from pathlib import Path, PurePosixPath

from . import util

LIMIT_BYTES = 2 * 1024 * 1024   # the files, uncompressed; the lab files are about 100 KB
LIMIT_MEMBERS = 200
LIMIT_STREAM = LIMIT_BYTES + 512 * 1024  # the whole tar stream: the files plus headers and padding
SUFFIXES = (".tar.gz", ".tgz")

_FILE_LINE = re.compile(r"^([0-9a-fA-F]{64})\s+(\d+)\s+(\S.*?)\s*$")
_KEY_LINE = re.compile(r"^([a-z ]+):\s*(.*?)\s*$")


def is_tarball(path: Path) -> bool:
    """True when @p path is named like a hand-in (.tar.gz, .tgz)."""
    return path.name.endswith(SUFFIXES)


def safe_name(text: str) -> str:
    """@p text as a file name: [A-Za-z0-9_.-] only, no leading '.' or '-',
    at most 64 characters ("" if nothing is left). cmake/handin.cmake
    cleans $USER the same way."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text).lstrip(".-")[:64]


def stem(path: Path) -> str:
    """handin-alice.tar.gz -> handin-alice (made safe as a file name)."""
    name = path.name
    for suffix in SUFFIXES:
        name = name.removesuffix(suffix)
    return safe_name(name) or "handin"


@dataclasses.dataclass
class Manifest:
    """What a MANIFEST says."""

    user: str = ""
    date: str = ""
    commit: str = ""
    files: dict[str, tuple[str, int]] = dataclasses.field(default_factory=dict)  # lab/x.cpp -> (sha256, size)
    text: str = ""       # as written


def parse_manifest(text: str) -> Manifest:
    """Reads a MANIFEST; lines it does not understand are skipped."""
    manifest = Manifest(text=text)
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if match := _FILE_LINE.match(line):
            manifest.files[match.group(3)] = (match.group(1).lower(), int(match.group(2)))
        elif match := _KEY_LINE.match(line):
            key, value = match.group(1), match.group(2)
            if key in ("user", "date", "commit"):
                setattr(manifest, key, value)
    return manifest


@dataclasses.dataclass
class Handin:
    """A hand-in tarball that passed read()'s checks, held in memory."""

    path: Path
    manifest: Manifest | None
    lab: dict[str, bytes]        # lab file name -> its bytes
    ignored: list[str]           # files that are no lab file (paths inside the hand-in)

    def name(self) -> str:
        """Whose it is: the MANIFEST's user, else the file's name without
        'handin-' (both made safe as file names)."""
        user = safe_name(self.manifest.user) if self.manifest else ""
        if user:
            return user
        return stem(self.path).removeprefix("handin-") or stem(self.path)

    def notes(self) -> list[str]:
        """What the report says about the hand-in itself."""
        if self.manifest is None:
            notes = [f"hand-in {self.path.name}: no MANIFEST (not made by `--target handin`?): "
                     f"graded as found, {len(self.lab)} lab files"]
        else:
            made = self.manifest
            notes = [f"hand-in {self.path.name}: user {made.user or '?'}, made {made.date or '?'}, "
                     f"kit commit {made.commit[:12] or '?'}, {len(self.lab)} lab files"]
            for name, data in sorted(self.lab.items()):
                listed = made.files.get(f"lab/{name}")
                if listed is None:
                    notes.append(f"lab/{name} is not in the MANIFEST")
                elif listed != (hashlib.sha256(data).hexdigest(), len(data)):
                    notes.append(f"lab/{name} differs from the MANIFEST's sha256 and size "
                                 "(changed after `handin`?): graded as found")
            missing = sorted(path for path in made.files
                             if path.startswith("lab/") and path[4:] not in self.lab)
            if missing:
                notes.append("in the MANIFEST but not in the tarball: " + ", ".join(missing[:5]))
        if self.ignored:
            notes.append(f"ignored, not lab files ({len(self.ignored)}): " + ", ".join(self.ignored[:5])
                         + (" ..." if len(self.ignored) > 5 else ""))
        return notes

    def unpack(self, into: Path) -> None:
        """Writes the lab files to @p into/lab (and the MANIFEST next to it),
        replacing whatever @p into held."""
        if into.exists():
            shutil.rmtree(into)
        (into / "lab").mkdir(parents=True)
        for name, data in self.lab.items():
            (into / "lab" / name).write_bytes(data)
        if self.manifest is not None:
            (into / "MANIFEST").write_text(self.manifest.text)


def refuse(path: Path, why: str) -> util.GradeError:
    """The error that refuses the tarball at @p path, saying @p why."""
    return util.GradeError(f"{path.name}: refused: {why}")


def read(path: Path, lab_names: list[str]) -> Handin:
    """Checks the tarball at @p path and reads its MANIFEST and lab files
    (the names in @p lab_names under lab/).
    @throws util.GradeError when it cannot be read or is refused (module comment)."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise util.GradeError(f"{path}: {error.strerror}") from error
    if size > LIMIT_BYTES:
        raise refuse(path, f"{size} bytes compressed, more than the {LIMIT_BYTES // (1024 * 1024)} MB allowed")
    members: list[tuple[str, bytes | None]] = []  # (path in the tarball, bytes of a file we want)
    seen: set[str] = set()
    total = 0
    try:
        # Inflated by us, at most LIMIT_STREAM bytes: tarfile itself would read a
        # huge extended header into memory before we saw its member.
        with gzip.open(path, "rb") as stream:
            raw = stream.read(LIMIT_STREAM + 1)
        if len(raw) > LIMIT_STREAM:
            raise refuse(path, f"more than {LIMIT_BYTES // (1024 * 1024)} MB uncompressed")
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
            for member in tar:
                name = member.name
                parts = PurePosixPath(name).parts
                if name.startswith("/"):
                    raise refuse(path, f"{name!r} is an absolute path")
                if ".." in parts:
                    raise refuse(path, f"{name!r} leads out of the hand-in ('..')")
                if member.issym() or member.islnk():
                    raise refuse(path, f"{name!r} is a link (to {member.linkname!r}): only plain files")
                if not (member.isfile() or member.isdir()):
                    raise refuse(path, f"{name!r} is not a plain file or folder")
                clean = "/".join(part for part in parts if part != ".")
                if clean in seen:
                    raise refuse(path, f"{name!r} appears twice")
                seen.add(clean)
                total += member.size
                if total > LIMIT_BYTES:
                    raise refuse(path, f"more than {LIMIT_BYTES // (1024 * 1024)} MB uncompressed")
                if len(seen) > LIMIT_MEMBERS:
                    raise refuse(path, f"more than {LIMIT_MEMBERS} files and folders")
                if member.isfile():
                    wanted = PurePosixPath(clean).name in lab_names or PurePosixPath(clean).name == "MANIFEST"
                    data = tar.extractfile(member).read(member.size) if wanted else None
                    members.append((clean, data))
    except util.GradeError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise util.GradeError(f"{path.name}: not a readable .tar.gz ({error})") from error
    return assemble(path, members, lab_names)


def assemble(path: Path, members: list[tuple[str, bytes | None]], lab_names: list[str]) -> Handin:
    """Sorts the files read from the tarball: the MANIFEST and lab/NAME
    below the one top folder (handin-USER/) the tarball may have; the rest
    is ignored."""
    tops = {name.split("/", 1)[0] for name, _data in members if "/" in name}
    loose = [name for name, _data in members if "/" not in name]
    top = next(iter(tops)) if len(tops) == 1 and not loose and tops != {"lab"} else ""
    manifest, lab, ignored = None, {}, []
    for name, data in members:
        inside = name[len(top) + 1:] if top else name
        if inside == "MANIFEST" and data is not None:
            manifest = parse_manifest(data.decode("utf-8", errors="replace"))
        elif inside.startswith("lab/") and inside[4:] in lab_names and data is not None:
            lab[inside[4:]] = data
        else:
            ignored.append(inside)
    return Handin(path, manifest, lab, ignored)
