#!/usr/bin/env python3
"""run-readme.py KIT_DIR --expect untouched|finished: runs every command of the
kit's README.md, block by block, in KIT_DIR, as a student would type them.

Each ```sh block runs as one bash script (bash -eo pipefail), in order, in
the kit's folder. What must happen:
  finished   (the lab files done): every block exits 0;
  untouched  (the kit as handed out): a block followed by the line
             `<!-- untouched: fails -->` must exit non-zero (a lab's tests fail
             until its TODOs are done), every other block must exit 0.
Prints each block's outcome and time; exits 1 if any expectation failed.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

BLOCK = re.compile(r"```sh\n(?P<body>.*?)```\n(?P<after>(?:<!--[^\n]*-->\n)?)", re.S)


def blocks(readme: str) -> list[tuple[str, bool]]:
    """The README's sh blocks, each with whether it is marked to fail on an untouched kit."""
    found = []
    for match in BLOCK.finditer(readme):
        found.append((match.group("body"), "untouched: fails" in match.group("after")))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kit", type=Path)
    parser.add_argument("--expect", choices=["untouched", "finished"], required=True)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per block")
    parser.add_argument("--log", type=Path, help="append every block's output here")
    args = parser.parse_args()

    found = blocks((args.kit / "README.md").read_text())
    if not found:
        print("run-readme: the README has no ```sh block")
        return 1
    failures = 0
    for number, (body, fails_untouched) in enumerate(found, 1):
        must_fail = args.expect == "untouched" and fails_untouched
        first = next(line for line in body.splitlines() if line.strip())
        started = time.monotonic()
        try:
            done = subprocess.run(["bash", "-eo", "pipefail", "-c", body], cwd=args.kit, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=args.timeout,
                                  stdin=subprocess.DEVNULL)
            status, output = done.returncode, done.stdout
        except subprocess.TimeoutExpired as timeout:
            status, output = None, (timeout.stdout or b"").decode(errors="replace")
        seconds = time.monotonic() - started
        if args.log:
            with args.log.open("a") as log:
                log.write(f"=== block {number} ({args.expect}): exit {status}, {seconds:.0f} s\n{body}---\n{output}\n")
        ok = status is not None and ((status != 0) if must_fail else (status == 0))
        wanted = "fails" if must_fail else "exit 0"
        verdict = "ok" if ok else "FAIL"
        print(f"  {verdict:4} block {number}: {first.split('#')[0].strip()!s:52} "
              f"exit {status}, {seconds:5.1f} s (wanted: {wanted})")
        if not ok:
            failures += 1
            print("\n".join("      " + line for line in output.splitlines()[-25:]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
