"""Checking an image opens no socket and writes no file besides the output the caller asked
for. Python-level activity is audited with sys.addaudithook; native code (OpenCV, the
interpreter, nudeguard's core) is covered by watching the process's file descriptors, by
fresh HOME/TMPDIR folders that must stay empty, by strace where it is installed, and by
running the CLI in a network namespace without interfaces."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO

SENSITIVE = FIXTURES / "synthetic_sensitive.png"
BENIGN = FIXTURES / "benign" / "chelsea.jpg"

# Runs in a fresh interpreter: every check a client makes, then prints what it saw as JSON.
AUDITED_CHECKS = r"""
import asyncio, json, os, sys

seen = {"sockets": [], "writes": [], "files": [], "processes": []}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

def audit(event, args):
    if event.startswith("socket."):
        seen["sockets"].append(event + " " + repr(args[1] if event == "socket.__new__" else args[1:])[:100])
    elif event == "open":
        path, mode, flags = args
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags or 0) & WRITE_FLAGS:
            seen["writes"].append(str(path))
    elif event in ("os.remove", "os.rename", "os.mkdir", "os.symlink", "os.link", "os.truncate",
                   "shutil.copyfile", "shutil.move", "tempfile.mkstemp", "tempfile.mkdtemp"):
        seen["files"].append(event + " " + str(args[0]))
    elif event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.fork"):
        seen["processes"].append(event)

def descriptors():
    found = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            found[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            pass
    return found

sensitive, benign, output = sys.argv[1], sys.argv[2], sys.argv[3]
before = descriptors()
sys.addaudithook(audit)

import nudeguard
from nudeguard import Person
from nudeguard.cli import main as cli

with nudeguard.Guard(nudeguard.GuardOptions(workers=2)) as guard:
    teen = Person(age=15)
    data = open(sensitive, "rb").read()
    assert guard.check_outgoing(sensitive, sender=teen).sensitive
    assert guard.check_incoming(data, recipient=teen, preview_size=120).veiled is not None
    assert not guard.check_incoming(benign, recipient=teen).sensitive
    async def both():
        return await asyncio.gather(guard.check_outgoing_async(data, sender=teen),
                                    guard.check_incoming_async(benign, recipient=teen))
    asyncio.run(both())
    guard.scan(benign)
    nudeguard.fingerprint(sensitive)
    nudeguard.pdq_dihedral(data)
    nudeguard.veil(guard.check_incoming(data, recipient=teen).veiled, 64)
    nudeguard.report_bundle([sensitive, benign], note="privacy test")
assert cli(["check", sensitive, benign]) == 1
assert cli(["hash", "--json", sensitive]) == 0
assert cli(["veil", sensitive, output]) == 0  # the one file the caller asked for

after = descriptors()
opened = sorted(target for fd, target in after.items() if before.get(fd) != target)
print(json.dumps({**seen, "descriptors": opened}))
"""


def run_checks(tmp_path: Path, prefix=()) -> tuple:
    home, temp, work = tmp_path / "home", tmp_path / "tmp", tmp_path / "work"
    for folder in (home, temp, work):
        folder.mkdir()
    output = work / "veiled.png"
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(temp), "PYTHONDONTWRITEBYTECODE": "1",
           "XDG_CACHE_HOME": str(home / ".cache")}
    done = subprocess.run([*prefix, sys.executable, "-c", AUDITED_CHECKS, str(SENSITIVE), str(BENIGN), str(output)],
                          capture_output=True, text=True, cwd=work, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), home, temp, work, output


def test_checks_open_no_socket_and_write_only_the_requested_output(tmp_path):
    seen, home, temp, work, output = run_checks(tmp_path)
    # asyncio.run's event loop wakes itself through a local socket pair (AF_UNIX); that is the
    # only socket allowed: no internet socket, no name lookup, no connection.
    assert seen["sockets"] and all(event == "socket.__new__ 1" for event in seen["sockets"]), seen["sockets"]
    # /dev/null: the CLI silences the interpreter's start-up banner on stderr.
    assert [path for path in seen["writes"] if path != os.devnull] == [str(output)]
    assert seen["files"] == [] and seen["processes"] == []
    # Native code cannot hide behind the audit hook: no socket or file is left open...
    assert not [target for target in seen["descriptors"] if target.startswith("socket:")], seen["descriptors"]
    assert not [target for target in seen["descriptors"] if target.startswith("/") and not target.startswith("/dev/")
                and not target.endswith((".so", ".tflite"))], seen["descriptors"]
    # ...and nothing appeared in the home, temporary or working folder except the output.
    assert list(home.rglob("*")) == [] and list(temp.rglob("*")) == []
    assert list(work.rglob("*")) == [output] and output.stat().st_size > 0


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_no_native_socket_or_file_write_under_strace(tmp_path):
    """System calls from every thread, native libraries included."""
    log = tmp_path / "strace.log"
    seen, home, temp, work, output = run_checks(
        tmp_path, prefix=("strace", "-f", "-qq", "-o", str(log), "-e", "trace=socket,connect,openat,creat,rename"))
    calls = log.read_text().splitlines()
    assert not [c for c in calls if " socket(" in c or " connect(" in c], calls[:5]
    writes = [c for c in calls if " openat(" in c and any(f in c for f in ("O_WRONLY", "O_RDWR", "O_CREAT"))
              and "= -1" not in c]
    assert all(str(output) in c or "/dev/" in c for c in writes), writes


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0,
                    reason="needs unshare and root for a private network namespace")
def test_cli_works_without_any_network(tmp_path):
    """In a network namespace with no usable interface, checking still works: nothing it does
    depends on the network."""
    done = subprocess.run(["unshare", "--net", sys.executable, "-m", "nudeguard", "check", "--age", "15",
                           str(SENSITIVE), str(BENIGN)], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].endswith("SENSITIVE\tCONFIRM\t-") and lines[1].endswith("ok\tALLOW\t-")
