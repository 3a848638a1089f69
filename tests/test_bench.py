"""``nudeguard bench``: the report's schema and its numbers' consistency, never their speed."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import nudeguard
from nudeguard import bench, cli
from nudeguard.guard import tile_offsets

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample.jpg"


def assert_valid_stages(stages: dict) -> None:
    assert list(stages) == ["decode", "preprocess", "inference", "veil", "hash", "end_to_end"]
    for name, timing in stages.items():
        assert set(timing) == {"p50_ms", "p90_ms", "p99_ms", "samples"}, name
        assert isinstance(timing["samples"], int) and timing["samples"] >= bench.MIN_SAMPLES, name
        for key in ("p50_ms", "p90_ms", "p99_ms"):
            assert math.isfinite(timing[key]) and timing[key] > 0, (name, key)
        assert timing["p50_ms"] <= timing["p90_ms"] <= timing["p99_ms"], name


def test_bench_json_has_every_stage_and_the_machine_facts(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bench", "--json", "--seconds", "0.3"]) == cli.EXIT_OK
    report = json.loads(capsys.readouterr().out)  # nothing but the JSON on stdout
    assert_valid_stages(report["stages"])
    machine = report["machine"]
    assert machine["nudeguard"] == nudeguard.__version__
    assert machine["isa"] == nudeguard.isa()
    assert machine["runtime"] in ("litert", "tflite-runtime") and machine["runtime_version"]
    assert machine["cores"] >= 1 and machine["interpreter_threads"] >= 1 and machine["cpu"]
    image = report["image"]
    assert (image["width"], image["height"]) == bench.DEFAULT_SIZE and image["generated"] is True
    assert image["decoded"] == "500x375"  # the 1/8 DCT scale still covers the 256 px resize
    assert image["end_to_end_action"] == "SHOW"  # the generated photo is not sensitive
    assert image["end_to_end_views"] == 1 + len(tile_offsets(500, 375))
    assert report["seconds"] == 0.3 and report["date"].endswith("+00:00")


def test_bench_text_report_on_a_given_image(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bench", "--seconds", "0.1", "--threads", "1", "--image", str(SAMPLE)]) == cli.EXIT_OK
    out = capsys.readouterr().out
    # examples/sample.jpg, not the generated photo
    assert "(1 threads)" in out and f"image 451x300, {SAMPLE.stat().st_size} bytes" in out
    for stage in ("decode", "preprocess", "inference", "veil", "hash", "end_to_end"):
        assert f"\n{stage} " in out


def test_bench_names_an_image_it_cannot_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.jpg"
    assert cli.main(["bench", "--seconds", "0.1", "--image", str(missing)]) == cli.EXIT_BAD_INPUT
    assert f"{missing}: no such file" in capsys.readouterr().err
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture")
    assert cli.main(["bench", "--seconds", "0.1", "--image", str(text)]) == cli.EXIT_BAD_INPUT
    assert f"{text}: not a decodable image" in capsys.readouterr().err


@pytest.mark.parametrize("seconds", ["0", "-1", "nan", "inf"])
def test_bench_refuses_a_budget_that_is_not_a_positive_number(seconds: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bench", "--seconds", seconds]) == cli.EXIT_BAD_INPUT
    assert "seconds must be a positive number" in capsys.readouterr().err


def test_generated_photo_is_deterministic_and_photo_like() -> None:
    first = bench.photo_jpeg(400, 300, seed=3)
    assert first == bench.photo_jpeg(400, 300, seed=3)
    assert first != bench.photo_jpeg(400, 300, seed=4)
    pixels = bench.photo_like(400, 300, seed=3)
    assert pixels.shape == (300, 400, 3) and pixels.dtype == np.uint8
    # Grain: neighbouring pixels differ, as in a camera photo, and the picture uses most levels.
    assert np.abs(np.diff(pixels.astype(np.int16), axis=1)).mean() > 2
    assert len(np.unique(pixels)) > 200
    with nudeguard.Guard() as guard:
        assert not guard.classify(first).sensitive
