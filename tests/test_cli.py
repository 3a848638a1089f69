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


def test_check_prints_one_line_per_file_and_exits_zero():
    paths = [str(benign_photos()[0]), str(synthetic_sensitive()[0])]
    result = run_cli("check", *paths)
    assert result.returncode == 0, result.stderr
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
