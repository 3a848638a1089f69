"""The ``nudeguard`` command: output format and exit status."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO, benign_photos, synthetic_sensitive


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nudeguard.cli", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_check_prints_one_line_per_file_and_exits_one_when_any_is_sensitive():
    paths = [str(benign_photos()[0]), str(synthetic_sensitive()[0])]
    result = run_cli("check", *paths)
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""  # no progress counter when stderr is not a terminal
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(paths[0]) and lines[0].endswith("\tok")
    assert lines[1].startswith(paths[1]) and lines[1].endswith("\tSENSITIVE")


def test_check_json_matches_the_python_api(guard):
    photo = benign_photos()[0]
    result = run_cli("check", "--json", str(photo))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    expected = guard.classify(photo)
    assert record["path"] == str(photo)
    assert abs(record["score"] - expected.score) < 1e-6
    assert record["label"] == expected.label
    assert record["sensitive"] is expected.sensitive


def test_check_exits_two_naming_the_bad_file_and_still_checks_the_rest(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    good = str(benign_photos()[0])
    result = run_cli("check", str(bad), good)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"nudeguard: error: {bad}: not a decodable image "
                                                  "(supported: JPEG, PNG, WebP, BMP, TIFF, GIF)"]
    assert result.stdout.startswith(good)


def test_check_exits_two_on_missing_file(tmp_path):
    result = run_cli("check", str(tmp_path / "gone.png"))
    assert result.returncode == 2
    assert "gone.png: no such file" in result.stderr


def test_readme_sample_image_is_benign():
    result = run_cli("check", str(REPO / "examples" / "sample.jpg"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("\tok")


def test_build_report_names_version_isa_runtime_and_model():
    import nudeguard

    result = subprocess.run([sys.executable, "-m", "nudeguard"], capture_output=True, text=True, timeout=60, check=True)
    assert f"nudeguard {nudeguard.__version__}" in result.stdout
    assert f"isa        {nudeguard.isa()}" in result.stdout
    assert "runtime    " in result.stdout and "unavailable" not in result.stdout
    assert "model      " in result.stdout


def test_check_exits_zero_when_nothing_is_sensitive():
    result = run_cli("check", *map(str, benign_photos()[:3]))
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3


def test_check_error_status_wins_over_sensitive(tmp_path):
    result = run_cli("check", str(synthetic_sensitive()[0]), str(tmp_path / "gone.png"))
    assert result.returncode == 2
    assert result.stdout.rstrip().endswith("\tSENSITIVE")


def test_check_with_age_gives_the_outgoing_action(tmp_path):
    benign, sensitive = str(benign_photos()[0]), str(synthetic_sensitive()[0])
    result = run_cli("check", "--age", "15", benign, sensitive)
    assert result.returncode == 1, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [(line[0], line[3], line[4]) for line in lines] == [(benign, "ok", "ALLOW"), (sensitive, "SENSITIVE", "CONFIRM")]
    adult = run_cli("check", "--age", "30", "--json", sensitive)
    assert json.loads(adult.stdout)["action"] == "ALLOW" and adult.returncode == 1
    opted_in = run_cli("check", "--age", "30", "--opted-in", "--json", sensitive)
    assert json.loads(opted_in.stdout)["action"] == "CONFIRM"


def test_check_with_age_fails_closed_on_unreadable_files(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not an image")
    result = run_cli("check", "--age", "13", str(bad))
    assert result.returncode == 2
    assert result.stdout.splitlines() == [f"{bad}\t-\t-\terror\tCONFIRM"]
    assert "broken.jpg: not a decodable image" in result.stderr


def test_check_refuses_an_impossible_age():
    result = run_cli("check", "--age", "300", str(benign_photos()[0]))
    assert result.returncode == 2 and "Person.age must lie in 0..130" in result.stderr


def test_check_shows_progress_on_a_terminal_stderr():
    import os
    import pty

    leader, follower = pty.openpty()
    try:
        paths = [str(p) for p in benign_photos()[:3]]
        result = subprocess.run([sys.executable, "-m", "nudeguard.cli", "check", *paths], stdout=subprocess.PIPE,
                                stderr=follower, text=True, timeout=120, check=False)
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    progress = b"".join(chunks).decode()
    assert result.returncode == 0
    assert "\rnudeguard: checked 1/3" in progress and "checked 2/3" in progress
    assert len(result.stdout.splitlines()) == 3


def test_veil_writes_a_veiled_copy(tmp_path):
    import cv2
    import numpy as np

    import nudeguard

    source = synthetic_sensitive()[0]
    out = tmp_path / "veiled.png"
    result = run_cli("veil", str(source), str(out))
    assert result.returncode == 0, result.stderr
    original = cv2.imread(str(source))
    assert np.array_equal(cv2.imread(str(out)), nudeguard.veil(original))
    small = tmp_path / "small.jpg"
    assert run_cli("veil", str(source), str(small), "--size", "64").returncode == 0
    assert cv2.imread(str(small)).shape == (64, 64, 3)
    assert run_cli("veil", str(tmp_path / "gone.png"), str(out)).returncode == 2
