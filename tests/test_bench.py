"""``nudeguard bench`` measuring: the report's contents and consistency, never its speed."""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

import nudeguard
import nudeguard.cli as cli
from nudeguard.bench import run as bench
from nudeguard.cli import contract
from nudeguard.bench.calibration import calibration_network
from nudeguard.bench.report import validate_report

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample.jpg"

STAGE_FIELDS = {"stage", "shape", "cpu_ms", "p50_ms", "p90_ms", "p99_ms", "samples", "round_cpu_ms"}


def assert_valid_stages(report: dict, shapes: list) -> None:
    expected = ["inference" if stage == "inference" else f"{shape}/{stage}"
                for shape in shapes for stage in bench.STAGES]
    assert list(report["stages"]) == list(dict.fromkeys(expected))
    rounds = report["rounds"]
    assert rounds >= bench.MIN_ROUNDS
    for key, timing in report["stages"].items():
        assert set(timing) == STAGE_FIELDS, key
        assert timing["stage"] == key.rpartition("/")[2]
        assert timing["shape"] == (None if key == "inference" else key.partition("/")[0])
        assert isinstance(timing["samples"], int) and timing["samples"] >= rounds, key
        for field in ("p50_ms", "p90_ms", "p99_ms", "cpu_ms"):
            assert math.isfinite(timing[field]) and timing[field] > 0, (key, field)
        assert timing["p50_ms"] <= timing["p90_ms"] <= timing["p99_ms"], key
        assert len(timing["round_cpu_ms"]) == rounds and min(timing["round_cpu_ms"]) > 0, key
        assert timing["cpu_ms"] == pytest.approx(float(np.median(timing["round_cpu_ms"])), rel=1e-3), key


def test_bench_json_has_every_stage_the_options_and_the_machine_facts(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bench", "--json", "--seconds", "0.3"]) == contract.EXIT_OK
    report = json.loads(capsys.readouterr().out)  # nothing but the JSON on stdout
    validate_report(report)
    assert_valid_stages(report, ["12mp-4x3"])
    machine, options = report["machine"], report["options"]
    assert machine["nudeguard"] == nudeguard.__version__
    assert machine["isa"] == options["isa"] == nudeguard.isa()
    assert machine["available_isas"] == nudeguard.available_isas()
    assert options["runtime"] in ("litert", "tflite-runtime") and options["runtime_version"]
    assert machine["cores"] >= machine["usable_cpus"] >= 1 and options["threads"] >= 1 and machine["cpu"]
    assert options["model"]["sha256"] == nudeguard.Guard().model_card.sha256
    assert options["shapes"] == ["12mp-4x3"] and options["slowdown"] == {} and options["image_given"] is False
    facts = report["shapes"]["12mp-4x3"]
    assert (facts["width"], facts["height"], facts["encoding"]) == (4000, 3000, "jpeg")
    assert facts["decoded"] == "500x375"  # the 1/8 DCT scale still covers the 256 px resize
    assert facts["end_to_end_action"] == "SHOW"  # the generated photo is not sensitive
    assert facts["views"] == 1  # the window model: one inference over the whole frame
    assert report["seconds"] == 0.3 and report["date"].endswith("+00:00")


def test_calibration_is_the_geometric_mean_of_its_parts_round_by_round() -> None:
    report = bench.run(0.2, shapes=["camera"])
    calibration = report["calibration"]
    expected_parts = ["memory", "simd", "jpeg"] + (["interpreter"] if calibration_network() is not None else [])
    assert list(calibration["parts"]) == expected_parts
    parts = np.array([part["round_cpu_ms"] for part in calibration["parts"].values()])
    geometric_mean = np.exp(np.log(parts).mean(axis=0))
    np.testing.assert_allclose(calibration["round_cpu_ms"], geometric_mean, rtol=2e-3)
    assert calibration["cpu_ms"] == pytest.approx(float(np.median(calibration["round_cpu_ms"])), rel=1e-3)


def test_calibration_network_runs_on_the_interpreter() -> None:
    network = calibration_network()
    if network is None:
        pytest.skip("LiteRT's flatbuffer schema is not installed (tflite-runtime only)")
    with nudeguard.Guard() as guard:
        interpreter = guard.runtime.interpreter_class(model_content=network, num_threads=1)
    interpreter.allocate_tensors()
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    assert tuple(inp["shape"]) == tuple(out["shape"]) == (1, 56, 56, 32) and out["dtype"] == np.int8
    interpreter.set_tensor(inp["index"], np.random.default_rng(0).integers(-128, 128, inp["shape"], dtype=np.int8))
    interpreter.invoke()
    result = interpreter.get_tensor(out["index"])
    # Real convolutions with ReLU: a spread of non-negative activations, not a constant.
    assert result.min() >= 0 and len(np.unique(result)) > 50
    assert network == calibration_network()  # the same bytes on every run


def test_every_shape_is_generated_as_its_file_type(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    for name, shape in bench.SHAPES.items():
        data = bench.shape_image(name)
        assert data[:4] == (b"\x89PNG" if shape.encoding == "png" else b"\xff\xd8\xff\xe0"), name
        decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        assert decoded.shape == (shape.height, shape.width, 3), name
    # The help lists the same names as the code (on one line: argparse wraps at hyphens).
    monkeypatch.setenv("COLUMNS", "1000")
    with pytest.raises(SystemExit):
        cli.main(["bench", "--help"])
    help_text = capsys.readouterr().out
    assert all(name in help_text for name in bench.SHAPES)


def test_screenshot_is_flat_like_a_screen_and_compresses_like_one() -> None:
    shot = bench.screenshot_like(390, 844)
    # Mostly flat background and bubbles: far fewer distinct colours per row than a photo.
    flat = np.mean(np.all(shot[:, 1:] == shot[:, :-1], axis=2))
    assert flat > 0.6
    png_bytes = [len(cv2.imencode(".png", image)[1]) for image in (shot, bench.photo_like(390, 844))]
    assert png_bytes[0] < png_bytes[1] / 2


def test_bench_text_report_on_a_given_image(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bench", "--seconds", "0.1", "--threads", "1", "--image", str(SAMPLE)]) == contract.EXIT_OK
    out = capsys.readouterr().out
    # examples/sample.jpg, not the generated photo
    assert "(1 threads)" in out and f"image: 451x300 jpeg, {SAMPLE.stat().st_size} bytes" in out
    for stage in bench.STAGES:
        assert f"\n{'inference' if stage == 'inference' else 'image/' + stage} " in out


def test_bench_names_an_image_it_cannot_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.jpg"
    assert cli.main(["bench", "--seconds", "0.1", "--image", str(missing)]) == contract.EXIT_BAD_INPUT
    assert f"{missing}: no such file" in capsys.readouterr().err
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture")
    assert cli.main(["bench", "--seconds", "0.1", "--image", str(text)]) == contract.EXIT_BAD_INPUT
    assert f"{text}: not a decodable image" in capsys.readouterr().err


def test_bench_names_a_model_it_cannot_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "broken.tflite"
    model.write_bytes(b"not a model")
    assert cli.main(["bench", "--seconds", "0.1", "--model", str(model)]) == contract.EXIT_BAD_INPUT
    assert f"{tmp_path / 'broken.json'}: model card not found" in capsys.readouterr().err


@pytest.mark.parametrize("seconds", ["0", "-1", "nan", "inf"])
def test_bench_refuses_a_budget_that_is_not_a_positive_number(seconds: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bench", "--seconds", seconds]) == contract.EXIT_BAD_INPUT
    assert "seconds must be a positive number" in capsys.readouterr().err


def test_bench_refuses_an_unknown_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bench", "--seconds", "0.1", "--shape", "camera,8k"]) == contract.EXIT_BAD_INPUT
    assert "unknown shape '8k'; choose from 12mp-4x3, 12mp-16x9" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["decode", "decode=0.5", "decode=fast", "=1.2"])
def test_bench_refuses_a_malformed_self_test_slowdown(value: str, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(bench.SLOWDOWN_ENV, value)
    assert cli.main(["bench", "--seconds", "0.1"]) == contract.EXIT_BAD_INPUT
    assert f"{bench.SLOWDOWN_ENV}: expected STAGE=FACTOR" in capsys.readouterr().err


def test_forced_isa_is_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel set is chosen once per process, so only the record can be checked here; CI
    # runs the kernels per ISA in their own processes.
    monkeypatch.setenv("NUDEGUARD_FORCE_ISA", nudeguard.isa())
    report = bench.run(0.1, shapes=["camera"])
    assert report["options"]["forced_isa"] == report["options"]["isa"] == nudeguard.isa()


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
        assert not guard.scan(bench.shape_image("screenshot")).sensitive
