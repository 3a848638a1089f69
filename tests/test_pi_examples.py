"""examples/pi: watch_folder.py and camera_check.py run as the user runs them, on real files."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np

import nudeguard
from conftest import FIXTURES, REPO

PI = REPO / "examples" / "pi"
SENSITIVE = FIXTURES / "synthetic_sensitive.png"
BENIGN = FIXTURES / "benign" / "coffee.jpg"
#: Generous, for a machine shared with other jobs; waits end as soon as the output is there.
TIMEOUT = 120


def run_example(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PI / script), *args], capture_output=True, text=True,
                          timeout=TIMEOUT, env=example_env())


def example_env() -> dict:
    # The tests may run against the source tree (PYTHONPATH=sdk): the scripts must see the same package.
    return dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))


def sharpness(image: np.ndarray) -> float:
    """Variance of the Laplacian: high for detail, near zero for a veiled image."""
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


def test_watch_folder_once_quarantines_the_sensitive_photo_with_a_veiled_preview(tmp_path: Path):
    inbox = tmp_path / "camera"
    inbox.mkdir()
    shutil.copy(SENSITIVE, inbox / "IMG_0001.png")
    shutil.copy(BENIGN, inbox / "IMG_0002.jpg")
    (inbox / "IMG_0003.jpg").write_bytes(b"\xff\xd8\xff\xe0 a cut-off download")
    (inbox / "notes.txt").write_text("not a photo")

    done = run_example("watch_folder.py", str(inbox), "--once")

    assert done.returncode == 0, done.stderr
    quarantine = inbox / "quarantine"
    assert sorted(p.name for p in inbox.iterdir()) == ["IMG_0002.jpg", "notes.txt", "quarantine"]
    assert sorted(p.name for p in quarantine.iterdir()) == ["IMG_0001.png", "IMG_0001.veiled.jpg", "IMG_0003.jpg"]
    assert (quarantine / "IMG_0001.png").read_bytes() == SENSITIVE.read_bytes()  # moved, untouched
    preview = cv2.imread(str(quarantine / "IMG_0001.veiled.jpg"))
    original = cv2.imread(str(SENSITIVE))
    expected = nudeguard.veil(original, 480)
    assert preview.shape == expected.shape == (480, 480, 3)
    assert np.abs(preview.astype(int) - expected).mean() < 2  # the SDK's veil, give or take JPEG
    assert sharpness(cv2.resize(preview, original.shape[1::-1], interpolation=cv2.INTER_AREA)) < sharpness(original) / 20
    lines = done.stdout.splitlines()
    assert any("SENSITIVE" in line and "IMG_0001.png" in line and "IMG_0001.veiled.jpg" in line for line in lines)
    assert any(line.split()[1] == "ok" and line.endswith("IMG_0002.jpg") for line in lines)
    assert any("UNREADABLE" in line and "IMG_0003.jpg" in line for line in lines)
    assert lines[-1] == f"2 photo(s) quarantined in {quarantine}"


def test_watch_folder_checks_photos_as_they_land_until_interrupted(tmp_path: Path):
    inbox = tmp_path / "camera"
    inbox.mkdir()
    with subprocess.Popen([sys.executable, str(PI / "watch_folder.py"), str(inbox), "--interval", "0.2"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=example_env()) as watcher:
        lines: "queue.Queue[str]" = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line.rstrip("\n")) for line in watcher.stdout], daemon=True).start()
        try:
            assert lines.get(timeout=TIMEOUT).startswith(f"watching {inbox} every 0.2 s")
            shutil.copy(SENSITIVE, inbox / "IMG_0100.png")
            shutil.copy(BENIGN, inbox / "IMG_0101.jpg")
            seen = [lines.get(timeout=TIMEOUT), lines.get(timeout=TIMEOUT)]
        finally:
            watcher.send_signal(signal.SIGINT)  # Ctrl+C
            watcher.wait(timeout=TIMEOUT)
        assert watcher.returncode == 0, watcher.stderr.read()
    assert any("SENSITIVE" in line and "IMG_0100.png" in line for line in seen), seen
    assert any(" ok " in line and line.endswith("IMG_0101.jpg") for line in seen), seen
    assert lines.get(timeout=TIMEOUT) == f"1 photo(s) quarantined in {inbox / 'quarantine'}"
    assert (inbox / "quarantine" / "IMG_0100.png").read_bytes() == SENSITIVE.read_bytes()
    assert (inbox / "IMG_0101.jpg").exists()


def test_watch_folder_waits_until_a_photo_stops_growing(tmp_path: Path, guard: nudeguard.Guard):
    sys.path.insert(0, str(PI))
    try:
        from watch_folder import FolderWatcher
    finally:
        sys.path.remove(str(PI))
    watcher = FolderWatcher(guard, tmp_path, tmp_path / "quarantine")
    data = SENSITIVE.read_bytes()
    photo = tmp_path / "IMG_0200.png"
    # A camera app writing progressively, one chunk per poll: a half-written PNG must not be
    # judged (it would be quarantined as unreadable).
    photo.write_bytes(data[: len(data) // 3])
    assert watcher.poll() == []  # new
    assert watcher.poll() == []  # unchanged for one poll but unreadable, and it is young ...
    with open(photo, "ab") as stream:  # ... the camera was only pausing
        stream.write(data[len(data) // 3:])
    assert watcher.poll() == []  # grew since the last poll: wait
    [line] = watcher.poll()
    assert line.startswith("SENSITIVE") and "IMG_0200.png" in line and "[" not in line
    assert watcher.quarantined == 1 and not photo.exists()
    benign = tmp_path / "IMG_0201.jpg"
    shutil.copy(BENIGN, benign)
    assert watcher.poll() == [] and watcher.poll()[0].startswith("ok")
    assert watcher.poll() == []  # checked once, not at every poll
    assert watcher.poll(settled=True) == []
    broken = tmp_path / "IMG_0202.jpg"
    broken.write_bytes(data[:100])
    an_hour_ago = time.time() - 3600
    os.utime(broken, (an_hour_ago, an_hour_ago))  # an old file that will not grow any more
    assert watcher.poll() == [] and watcher.poll()[0].startswith("UNREADABLE")


def make_video(path: Path, sensitive_frames: range, count: int = 40, fps: int = 10) -> None:
    """A 320x240 MJPEG clip of a benign photo with the sensitive fixture in ``sensitive_frames``."""
    benign = cv2.resize(cv2.imread(str(BENIGN)), (320, 240), interpolation=cv2.INTER_AREA)
    sensitive = cv2.resize(cv2.imread(str(SENSITIVE)), (320, 240), interpolation=cv2.INTER_AREA)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (320, 240))
    assert writer.isOpened(), "this OpenCV cannot write MJPEG .avi files"
    for index in range(count):
        frame = sensitive if index in sensitive_frames else benign
        # A moving bar, so consecutive frames differ as a camera's do.
        moving = frame.copy()
        moving[:, index * 8 % 320: index * 8 % 320 + 4] = 255
        writer.write(moving)
    writer.release()


def test_camera_check_reports_and_veils_the_sensitive_frames_of_a_video(tmp_path: Path):
    clip = tmp_path / "camera.avi"
    make_video(clip, sensitive_frames=range(15, 25))
    previews = tmp_path / "previews"

    done = run_example("camera_check.py", "--source", str(clip), "--fps", "2", "--no-window", "--json",
                       "--save-previews", str(previews))

    assert done.returncode == 0, done.stderr
    checks = [json.loads(line) for line in done.stdout.splitlines()]
    # 10 fps sampled at 2 per second: every 5th frame, timed by its position in the clip.
    assert [c["frame"] for c in checks] == list(range(0, 40, 5))
    assert [c["time_ms"] for c in checks] == list(range(0, 4000, 500))
    assert [c["frame"] for c in checks if c["sensitive"]] == [15, 20]
    assert all(c["score"] >= 0.9 for c in checks if c["sensitive"])
    assert all(c["score"] < 0.1 for c in checks if not c["sensitive"])
    assert sorted(p.name for p in previews.iterdir()) == sorted(
        f"frame-{c['frame']:06d}{'-veiled' if c['sensitive'] else ''}.jpg" for c in checks)
    veiled = cv2.imread(str(previews / "frame-000015-veiled.jpg"))
    clear = cv2.imread(str(previews / "frame-000010.jpg"))
    assert veiled.shape == clear.shape == (240, 320, 3)
    assert sharpness(veiled) < sharpness(clear) / 20


def test_camera_check_treats_a_real_time_file_as_a_live_camera(tmp_path: Path):
    clip = tmp_path / "camera.avi"
    make_video(clip, sensitive_frames=range(10, 30))  # seconds 1 to 3 of a 4-second clip

    done = run_example("camera_check.py", "--source", str(clip), "--real-time", "--fps", "2", "--no-window",
                       "--json")

    assert done.returncode == 0, done.stderr
    checks = [json.loads(line) for line in done.stdout.splitlines()]
    # LIVE_STREAM: which frames are checked depends on the clock (and a frame handed over
    # while the model is busy may be dropped), but every result belongs to its frame.
    assert len(checks) >= 3
    assert [c["time_ms"] for c in checks] == sorted({c["time_ms"] for c in checks})
    assert all(c["sensitive"] == (10 <= c["frame"] < 30) for c in checks), checks
    assert any(c["sensitive"] for c in checks) and not checks[0]["sensitive"]


def test_camera_check_prints_readable_lines_and_a_latency_summary(tmp_path: Path):
    clip = tmp_path / "camera.avi"
    make_video(clip, sensitive_frames=range(0, 2), count=12)

    done = run_example("camera_check.py", "--source", str(clip), "--fps", "5", "--no-window")

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "SENSITIVE (preview veiled)" in lines[0] and lines[0].split()[2:4] == ["frame", "0"]
    assert lines[1].rstrip().endswith("ok") and lines[1].split()[3] == "2"
    assert lines[-1].startswith("6 checks, median ")


def test_camera_check_fails_clearly_on_a_missing_source(tmp_path: Path):
    done = run_example("camera_check.py", "--source", str(tmp_path / "missing.mp4"), "--no-window")
    assert done.returncode == 1
    assert "cannot open" in done.stderr and "missing.mp4" in done.stderr
