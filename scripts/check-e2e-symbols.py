#!/usr/bin/env python3
"""check-e2e-symbols.py BUILD_DIR: no end-to-end test executable contains
code of a lab file.

The e2e executables (labN_e2e_tests_TREE) judge a student's cabinetd from a
separate process; their verdicts can be trusted only if nothing the student
wrote runs inside them. CMake links them with the provided archive and the
harness only (tests/CMakeLists.txt), so a lab function they called would fail
the link; this check states the same thing after the fact, from the symbols:
no e2e executable defines a strong symbol that a lab file's object defines
(read from each tree's library, libmc_TREE.a: its members named like the lab
files). As a control, each tree's lab 1 unit test executable must contain
some, or the check could not see them. Run by scripts/check-grader.sh (CI).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STRONG = set("TDBR")  # code, data, bss, read-only: one definition per program


def lab_files() -> set[str]:
    """The lab files' names, from the root CMakeLists.txt (MC_LAB_FILES)."""
    text = (ROOT / "CMakeLists.txt").read_text()
    block = re.search(r"set\(MC_LAB_FILES(.*?)\)", text, re.S).group(1)
    return set(re.findall(r"(\w+\.cpp)", re.sub(r"#.*", "", block)))


def nm(path: Path) -> str:
    return subprocess.run(["nm", "--defined-only", "-g", str(path)], check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout


def strong_symbols(listing: str, members: set[str] | None = None) -> set[str]:
    """Strong global symbols in an nm listing; of archive @p members only if given."""
    found, member = set(), None
    for line in listing.splitlines():
        if line.endswith(":"):
            member = line[:-1]
            continue
        parts = line.split()
        if len(parts) == 3 and parts[1] in STRONG and (members is None or member in members):
            found.add(parts[2])
    return found


def main() -> int:
    build = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build")
    members = {name + ".o" for name in lab_files()}
    failures, checked = [], 0
    for archive in sorted(build.glob("libmc_*.a")):
        tree = archive.name[len("libmc_"):-len(".a")]
        if tree.startswith("provided"):
            continue
        lab_symbols = strong_symbols(nm(archive), members)
        if not lab_symbols:
            failures.append(f"{archive}: no lab-file symbols found: the check cannot see them")
            continue
        control = build / "bin" / f"lab1_tests_{tree}"
        if control.is_file() and not strong_symbols(nm(control)) & lab_symbols:
            failures.append(f"{control}: links the lab files but shows none of their symbols")
        for program in sorted((build / "bin").glob(f"lab*_e2e_tests_{tree}")):
            shared = sorted(strong_symbols(nm(program)) & lab_symbols)
            checked += 1
            if shared:
                demangled = subprocess.run(["c++filt"], input="\n".join(shared[:5]), text=True,
                                           stdout=subprocess.PIPE).stdout.split("\n")
                failures.append(f"{program.name}: contains {len(shared)} lab-file symbol(s): "
                                + ", ".join(filter(None, demangled)))
    if checked == 0:
        failures.append(f"no e2e test executables in {build}/bin (build them first)")
    for failure in failures:
        print("check-e2e-symbols: " + failure)
    if not failures:
        print(f"check-e2e-symbols: {checked} e2e executables, none holds a lab file's symbol")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
