"""The regression gate of ``nudeguard bench``: its logic on real measured reports, the report
schema it reads, and the CLI's exit codes. Nothing here asserts how fast anything is."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Dict

import pytest

import nudeguard.cli as cli
from nudeguard.bench import run as bench
from nudeguard.cli import contract
from nudeguard.bench.report import (DEFAULT_MAX_SLOWDOWN, SCHEMA_VERSION, benchmark_action, compare,
                                    format_comparison, load_report, validate_report)

# The cheapest shape. Three seconds give the rounds a comparison needs also on tflite-runtime
# 2.14, whose int8 inference is ~3x slower than LiteRT's (fewer rounds) and whose thread pool
# spins on after each invoke (CPU time of the next stage varies 2-3x): with one second the
# doubled decode stage was called noise in 2 runs of 3 there.
SHAPE = "camera"
SECONDS = 3.0


@pytest.fixture(scope="module")
def baseline() -> Dict:
    return bench.run(SECONDS, shapes=[SHAPE])


@pytest.fixture(scope="module")
def slowed() -> Dict:
    """A real measurement with one stage made twice as costly by the gate's self-test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(bench.SLOWDOWN_ENV, f"{SHAPE}/decode=2")
        return bench.run(SECONDS, shapes=[SHAPE])


def scaled(report: Dict, key: str, factor: float) -> Dict:
    """``report`` with one stage's (or the calibration's) per-round CPU times multiplied."""
    result = copy.deepcopy(report)
    entry = result["calibration"] if key == "calibration" else result["stages"][key]
    entry["round_cpu_ms"] = [value * factor for value in entry["round_cpu_ms"]]
    return result


def saved(tmp_path: Path, name: str, report: Dict) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(report))
    return str(path)


def test_measured_report_follows_the_schema(baseline: Dict) -> None:
    assert validate_report(baseline) is baseline
    assert baseline["schema_version"] == SCHEMA_VERSION and baseline["tool"] == "nudeguard bench"
    assert baseline["rounds"] >= bench.MIN_ROUNDS
    assert set(baseline) == {"schema_version", "tool", "date", "seconds", "elapsed_seconds", "rounds", "machine",
                             "options", "calibration", "shapes", "stages"}
    assert set(baseline["options"]) == {"runtime", "runtime_version", "threads", "isa", "forced_isa", "model",
                                        "shapes", "image_given", "slowdown"}
    assert set(baseline["calibration"]) == {"version", "cpu_ms", "round_cpu_ms", "parts"}
    json.loads(json.dumps(baseline))  # plain JSON types only


def test_a_report_compared_with_itself_passes(baseline: Dict) -> None:
    comparison = compare(baseline, baseline)
    assert comparison.regressions == () and comparison.notes == ()
    assert {stage.verdict for stage in comparison.stages} == {"ok"}
    assert all(stage.ratio == 1 and stage.interval[0] <= 1 <= stage.interval[1] for stage in comparison.stages)


@pytest.mark.parametrize("calibrated", [True, False])
def test_a_stage_scaled_past_the_limit_fails_alone(baseline: Dict, calibrated: bool) -> None:
    key = f"{SHAPE}/hash"
    # Twice the rounds' times: far outside their spread, whatever the load while measuring.
    comparison = compare(baseline, scaled(baseline, key, 2.0), calibrated=calibrated)
    assert [stage.key for stage in comparison.regressions] == [key]
    assert comparison.regressions[0].ratio == pytest.approx(2.0)
    assert {stage.verdict for stage in comparison.stages if stage.key != key} == {"ok"}
    # Within the limit: a pass, however certain the slowdown is.
    assert compare(baseline, scaled(baseline, key, 1.10), calibrated=calibrated).regressions == ()
    assert compare(baseline, scaled(baseline, key, 2.0), max_slowdown=2.5, calibrated=calibrated).regressions == ()


def test_a_faster_stage_is_reported_and_passes(baseline: Dict) -> None:
    comparison = compare(baseline, scaled(baseline, "inference", 0.5))
    verdicts = {stage.key: stage.verdict for stage in comparison.stages}
    assert verdicts["inference"] == "faster" and comparison.regressions == ()


def test_calibration_makes_a_slower_machine_comparable(baseline: Dict) -> None:
    # A machine 3 times slower in everything, calibration included (far outside the rounds' spread).
    slower_machine = scaled(baseline, "calibration", 3.0)
    for key in baseline["stages"]:
        slower_machine = scaled(slower_machine, key, 3.0)
    calibrated = compare(baseline, slower_machine)
    assert calibrated.regressions == () and calibrated.calibration_ratio == pytest.approx(3.0, rel=1e-3)
    absolute = compare(baseline, slower_machine, calibrated=False, min_change_ms=0)
    assert {stage.key for stage in absolute.regressions} == set(baseline["stages"])


def test_a_change_under_the_floor_does_not_fail(baseline: Dict) -> None:
    # A steady 0.4 ms stage growing to 0.6 ms: 1.5 times, certain, yet under the 0.5 ms floor.
    key = f"{SHAPE}/preprocess"
    before, after = copy.deepcopy(baseline), copy.deepcopy(baseline)
    before["stages"][key]["round_cpu_ms"] = [0.4] * baseline["rounds"]
    after["stages"][key]["round_cpu_ms"] = [0.6] * baseline["rounds"]
    stage = next(s for s in compare(before, after, calibrated=False).stages if s.key == key)
    assert stage.ratio == pytest.approx(1.5) and stage.interval[0] > 1 and stage.verdict == "noise"
    assert [s.key for s in compare(before, after, calibrated=False, min_change_ms=0).regressions] == [key]


def test_injected_slowdown_is_measured_and_fails_the_gate(baseline: Dict, slowed: Dict) -> None:
    assert slowed["options"]["slowdown"] == {f"{SHAPE}/decode": 2.0}
    for calibrated in (True, False):
        comparison = compare(baseline, slowed, calibrated=calibrated)
        assert f"{SHAPE}/decode" in [stage.key for stage in comparison.regressions]
        assert any("self-test slowdown" in note for note in comparison.notes)
        text = format_comparison(comparison)
        assert "FAIL: " in text and f"{SHAPE}/decode (" in text


def test_reports_of_different_shapes_list_new_and_missing_stages(baseline: Dict) -> None:
    other = copy.deepcopy(baseline)
    other["stages"] = {key.replace(SHAPE, "panorama"): stage for key, stage in other["stages"].items()}
    comparison = compare(baseline, other)
    verdicts = {stage.key: stage.verdict for stage in comparison.stages}
    assert verdicts["inference"] == "ok" and verdicts["panorama/decode"] == "new"
    assert verdicts[f"{SHAPE}/decode"] == "missing" and comparison.regressions == ()
    del other["stages"]["inference"]
    with pytest.raises(ValueError, match="no stage in common"):
        compare(baseline, other)


def test_calibrations_of_other_parts_are_not_compared(baseline: Dict) -> None:
    other = copy.deepcopy(baseline)
    other["calibration"]["version"] += 1
    with pytest.raises(ValueError, match="calibrations differ"):
        compare(baseline, other)
    assert compare(baseline, other, calibrated=False).regressions == ()


def test_differences_in_what_was_measured_are_noted(baseline: Dict) -> None:
    other = copy.deepcopy(baseline)
    other["options"]["threads"] += 1
    other["options"]["model"]["sha256"] = "0" * 64
    notes = compare(baseline, other).notes
    assert f"options.threads: {baseline['options']['threads']} → {baseline['options']['threads'] + 1}" in notes
    assert any(note.startswith("options.model.sha256: ") for note in notes)


@pytest.mark.parametrize("damage, message", [
    (lambda r: r.pop("schema_version"), "schema version None; this nudeguard reads version 1"),
    (lambda r: r.update(schema_version=2), "schema version 2"),
    (lambda r: r.update(tool="something else"), "not a nudeguard bench report"),
    (lambda r: r["stages"]["inference"]["round_cpu_ms"].pop(), "stage 'inference' needs round_cpu_ms"),
    (lambda r: r["calibration"]["round_cpu_ms"].__setitem__(0, -1.0), "calibration needs round_cpu_ms"),
    (lambda r: r.update(rounds="many"), "rounds must be a positive integer"),
    (lambda r: r.pop("stages"), "stages is missing"),
])
def test_a_damaged_report_is_refused_with_its_problem(baseline: Dict, damage, message: str) -> None:
    report = copy.deepcopy(baseline)
    damage(report)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        validate_report(report, "old.json")


def test_too_few_rounds_cannot_be_compared(baseline: Dict) -> None:
    short = copy.deepcopy(baseline)
    short["rounds"] = 4
    for entry in [short["calibration"], *short["stages"].values()]:
        entry["round_cpu_ms"] = entry["round_cpu_ms"][:4]
    with pytest.raises(ValueError, match="has 4 rounds; a comparison needs at least 5"):
        compare(short, baseline)


def test_benchmark_action_entries_are_name_unit_value(baseline: Dict) -> None:
    for calibrated, unit in ((True, "x calibration"), (False, "ms CPU")):
        entries = benchmark_action(baseline, calibrated=calibrated)
        assert [entry["name"] for entry in entries] == list(baseline["stages"])
        for entry in entries:
            assert entry["unit"] == unit and isinstance(entry["value"], float) and entry["value"] > 0
            assert set(entry) == {"name", "unit", "value", "extra"}
    assert benchmark_action(baseline, calibrated=False)[0]["value"] == baseline["stages"][f"{SHAPE}/decode"]["cpu_ms"]


# -- the command line ----------------------------------------------------------------------

def test_cli_passes_an_unchanged_report_and_fails_a_slowed_one(baseline: Dict, slowed: Dict, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    old, new = saved(tmp_path, "old.json", baseline), saved(tmp_path, "new.json", slowed)
    assert cli.main(["bench", "--current", old, "--baseline", old]) == contract.EXIT_OK
    out = capsys.readouterr().out
    assert f"PASS: no stage slower than {DEFAULT_MAX_SLOWDOWN:g}x the baseline" in out
    assert "stage" in out and "baseline" in out and "ratio" in out and "verdict" in out
    assert cli.main(["bench", "--current", new, "--baseline", old]) == 1
    out = capsys.readouterr().out
    assert "FAIL: " in out and f"{SHAPE}/decode (" in out
    assert cli.main(["bench", "--current", new, "--baseline", old, "--absolute", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert f"{SHAPE}/decode" in result["comparison"]["regressions"] and result["comparison"]["calibrated"] is False
    # A lenient enough limit lets the same measurement through.
    assert cli.main(["bench", "--current", new, "--baseline", old, "--max-slowdown", "50"]) == contract.EXIT_OK


def test_cli_measures_writes_the_report_and_compares(baseline: Dict, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    old, written = saved(tmp_path, "old.json", baseline), tmp_path / "new.json"
    status = cli.main(["bench", "--shape", SHAPE, "--seconds", str(SECONDS), "--output", str(written),
                       "--baseline", old, "--max-slowdown", "50", "--json"])
    assert status == contract.EXIT_OK
    printed = json.loads(capsys.readouterr().out)
    report = load_report(written)
    assert printed.pop("comparison")["regressions"] == [] and printed == report


@pytest.mark.parametrize("make_baseline, message", [
    (lambda path: None, "no such file"),
    (lambda path: path.write_text("{not json"), "not JSON"),
    (lambda path: path.write_text(json.dumps({"tool": "nudeguard bench", "stages": {}})),
     "report schema version None"),
])
def test_cli_exits_2_on_a_baseline_it_cannot_use(make_baseline, message: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "old.json"
    make_baseline(path)
    # Refused before any measuring: a broken pipeline fails in a second, not after the budget.
    assert cli.main(["bench", "--seconds", "600", "--baseline", str(path)]) == contract.EXIT_BAD_INPUT
    assert f"{path}: {message}" in capsys.readouterr().err


@pytest.mark.parametrize("arguments, message", [
    (["--max-slowdown", "0.9"], "--max-slowdown must be a number above 1"),
    (["--max-slowdown", "nan"], "--max-slowdown must be a number above 1"),
    (["--min-change-ms", "-1"], "--min-change-ms must be a number of milliseconds >= 0"),
    (["--seconds", "5"], "--current uses a saved report; --seconds would measure"),
    (["--shape", "camera"], "--current uses a saved report; --shape would measure"),
])
def test_cli_exits_2_on_bad_usage(arguments: list, message: str, baseline: Dict, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    old = saved(tmp_path, "old.json", baseline)
    assert cli.main(["bench", "--current", old, "--baseline", old, *arguments]) == contract.EXIT_BAD_INPUT
    assert message in capsys.readouterr().err


def test_cli_reformats_a_saved_report_for_benchmark_charts(baseline: Dict, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    old = saved(tmp_path, "old.json", baseline)
    assert cli.main(["bench", "--current", old, "--format", "benchmark-action"]) == contract.EXIT_OK
    assert json.loads(capsys.readouterr().out) == benchmark_action(baseline, calibrated=True)
