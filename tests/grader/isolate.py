"""Grading a submission in Linux namespaces of its own (tests/grade --batch).

Two graders at once on one machine would charge each other: the hygiene
audit diffs /dev/shm and the process table, the servers under test bind
loopback ports, and a student's stray process could outlive its grade. So
each submission of a batch is graded by a tests/grade started under
unshare(1) in new namespaces:

  PID    it sees only its own processes (/proc remounted), and everything in
         it dies when the grade ends (the kernel ends a namespace with its
         init);
  IPC    System V IPC of its own;
  mount  a private /dev/shm (named semaphores) and /tmp, both fresh tmpfs;
  net    a loopback of its own, brought up here.

Not root: a user namespace maps us to root inside, where the kernel allows
it. Where unshare is missing or refused, available() says why and the batch
grades one submission at a time, unisolated, as before.
"""
from __future__ import annotations

import fcntl
import os
import socket
import struct
import subprocess
import sys
from pathlib import Path

from . import util

_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1


def unshare_prefix() -> list[str]:
    """The unshare(1) command line that runs a program in new namespaces."""
    command = ["unshare", "--pid", "--fork", "--mount-proc", "--ipc", "--net", "--mount",
               "--propagation", "private"]
    if os.geteuid() != 0:
        command += ["--user", "--map-root-user"]
    return command


def available() -> str | None:
    """None when namespaces can be made here, else why not."""
    probe = unshare_prefix() + [sys.executable, "-c", "import os; print(os.getpid())"]
    try:
        done = subprocess.run(probe, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=20)
    except FileNotFoundError:
        return "unshare(1) is not installed (util-linux)"
    except subprocess.TimeoutExpired:
        return "unshare(1) did not answer"
    if done.returncode != 0 or done.stdout.strip() != "1":
        return "unshare(1) is not permitted here: " + util.head(done.stdout.strip(), 2)
    return None


def loopback_up() -> None:
    """Brings up `lo` in this (new, empty) network namespace."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))


def mount_tmpfs(where: str) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=1777,size=50%", "tmpfs", where], check=True)


def enter(private_tmp: bool) -> None:
    """Inside the new namespaces, before grading: fresh /dev/shm (and /tmp,
    unless the grade's own files live there), loopback up. Then, as the
    namespace's init, stay behind to reap every orphan until the grade (our
    forked child) ends, and exit with its status: when init exits, the kernel
    kills whatever of the submission is still running."""
    mount_tmpfs("/dev/shm")
    if private_tmp:
        mount_tmpfs("/tmp")
    loopback_up()
    if os.getpid() != 1:
        return
    child = os.fork()
    if child == 0:
        return  # the grade goes on in the child
    status = 0
    while True:
        try:
            pid, wait_status = os.wait()
        except ChildProcessError:
            break
        if pid == child:
            status = os.waitstatus_to_exitcode(wait_status)
            break
    os._exit(status if status >= 0 else 128 - status)


def tmp_is_private_safe(paths: list[Path]) -> bool:
    """A fresh /tmp would hide any of @p paths that lies under /tmp."""
    tmp = Path("/tmp").resolve()
    return not any(tmp == path.resolve() or tmp in path.resolve().parents for path in paths if path)
