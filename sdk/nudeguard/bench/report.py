"""Reports of ``nudeguard bench``: their schema, the regression gate that compares two of
them, and the formats they are printed in.

The gate compares CPU time, not wall time. On a machine shared with other jobs, a call that
spans several scheduler time slices waits while other processes run, so its wall time grows
with their load (twice as long was common on the project's shared 2-core machine), while the
CPU time it consumes stays within a few percent. For each stage and round the report keeps
the median CPU time of the round's block of calls (all threads of the process); a stage's
figure is the median over rounds. A comparison takes the ratio of the current figure to the
baseline's, with a 95 % bootstrap interval from resampling the rounds of both reports, and
calls a stage slower only when the ratio exceeds the allowed slowdown, the interval lies above
1 (slower beyond the rounds' own spread) *and* the stage grew by at least a floor of CPU time
(0.5 ms by default: below it, run-to-run noise of the smallest stages on a shared machine).

With ``calibrated=True`` each round's stage time is first divided by the same round's
calibration time (:mod:`nudeguard.bench.calibration`), so a baseline from a faster or slower
machine can be used. Wall-clock percentiles stay in the report for latency.

What CPU time cannot see: a stage that loses its parallelism (two threads become one) uses
the same CPU time and takes longer; the wall-clock percentiles show it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ["Comparison", "DEFAULT_MAX_SLOWDOWN", "DEFAULT_MIN_CHANGE_MS", "SCHEMA_VERSION", "StageComparison", "benchmark_action", "compare", "format_comparison",
           "format_report", "load_report", "validate_report"]

#: Version of the report's JSON layout; bumped when a field changes meaning or goes away.
SCHEMA_VERSION = 1

#: Default largest allowed ratio of current to baseline time.
DEFAULT_MAX_SLOWDOWN = 1.15

#: Default smallest growth, in CPU milliseconds, that fails a stage: on the shared 2-core
#: machine, stages under about 2 ms (preprocess, veil) moved by up to 0.4 ms between runs of
#: one build as other jobs' cache and memory traffic came and went, and no user notices 0.5 ms.
DEFAULT_MIN_CHANGE_MS = 0.5

#: Fewest rounds in each report for a comparison (the bootstrap needs some spread to judge).
MIN_ROUNDS_TO_COMPARE = 5

_RESAMPLES = 2000
_BOOTSTRAP_SEED = 24

#: Options and facts that make two reports measure different things, shown when they differ.
_CONTEXT = (("options", "runtime"), ("options", "runtime_version"), ("options", "threads"), ("options", "isa"),
            ("options", "model", "sha256"), ("machine", "cpu"), ("machine", "usable_cpus"), ("machine", "numpy"),
            ("machine", "opencv"), ("machine", "nudeguard"))


def rounded(value: float) -> float:
    """Four significant digits: the report's precision, far below the noise."""
    return float(f"{value:.4g}")


def timing_summary(wall_calls: Sequence[float], cpu_rounds: Sequence[float]) -> Dict[str, Any]:
    """A stage's or a calibration part's entry: wall-clock percentiles of every call, and the
    per-round median CPU times (seconds in, milliseconds out)."""
    p50, p90, p99 = np.percentile(np.asarray(wall_calls) * 1e3, [50, 90, 99])
    return {
        "cpu_ms": rounded(float(np.median(cpu_rounds)) * 1e3),
        "p50_ms": rounded(p50), "p90_ms": rounded(p90), "p99_ms": rounded(p99),
        "samples": len(wall_calls),
        "round_cpu_ms": [rounded(seconds * 1e3) for seconds in cpu_rounds],
    }


def _positive_list(value: object, length: int) -> bool:
    return (isinstance(value, list) and len(value) == length
            and all(isinstance(v, (int, float)) and math.isfinite(v) and v > 0 for v in value))


def validate_report(report: object, source: str = "report") -> Dict[str, Any]:
    """Return ``report`` if it is a bench report of this schema version; raise ``ValueError``
    naming ``source`` and the first problem otherwise."""
    if not isinstance(report, dict) or report.get("tool") != "nudeguard bench":
        raise ValueError(f"{source}: not a nudeguard bench report")
    version = report.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValueError(f"{source}: report schema version {version!r}; this nudeguard reads version "
                         f"{SCHEMA_VERSION} (make a new baseline with this version)")
    rounds = report.get("rounds")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"{source}: rounds must be a positive integer")
    for key in ("machine", "options", "calibration", "shapes", "stages"):
        if not isinstance(report.get(key), dict):
            raise ValueError(f"{source}: {key} is missing or not an object")
    calibration = report["calibration"]
    if not _positive_list(calibration.get("round_cpu_ms"), rounds) or not isinstance(calibration.get("parts"), dict):
        raise ValueError(f"{source}: calibration needs round_cpu_ms (one positive number per round) and parts")
    if not report["stages"]:
        raise ValueError(f"{source}: no stages")
    for key, stage in report["stages"].items():
        if not isinstance(stage, dict) or not _positive_list(stage.get("round_cpu_ms"), rounds):
            raise ValueError(f"{source}: stage {key!r} needs round_cpu_ms (one positive number per round)")
    return report


def load_report(path: Union[str, "Path"]) -> Dict[str, Any]:
    """Read and validate a saved report; ``ValueError`` naming the file if it cannot be used."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the report: {exc}") from None
    try:
        report = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{path}: not JSON: {exc}") from None
    return validate_report(report, str(path))


def _round_values(report: Mapping[str, Any], key: str, calibrated: bool) -> np.ndarray:
    values = np.asarray(report["stages"][key]["round_cpu_ms"], dtype=np.float64)
    return values / np.asarray(report["calibration"]["round_cpu_ms"], dtype=np.float64) if calibrated else values


def calibrated_figure(report: Mapping[str, Any], key: str) -> float:
    """A stage's CPU time in units of the calibration: median over rounds of the ratio."""
    return float(np.median(_round_values(report, key, calibrated=True)))


@dataclass(frozen=True)
class StageComparison:
    """One stage of a comparison. Figures are CPU milliseconds, or multiples of the calibration
    when the comparison is calibrated."""

    key: str
    baseline: Optional[float]
    current: Optional[float]
    ratio: Optional[float]
    """current / baseline."""
    interval: Optional[Tuple[float, float]]
    """95 % bootstrap interval of ``ratio``."""
    verdict: str
    """``slower`` (fails the gate), ``ok``, ``noise`` (over the limit but within the rounds'
    spread or by less than the floor), ``faster``, ``new`` (not in the baseline) or ``missing``
    (not measured now)."""


@dataclass(frozen=True)
class Comparison:
    """The gate's answer for a whole report."""

    stages: Tuple[StageComparison, ...]
    max_slowdown: float
    min_change_ms: float
    calibrated: bool
    calibration_ratio: float
    """The current machine's calibration time / the baseline's (> 1: slower machine or load)."""
    notes: Tuple[str, ...]
    baseline_date: str

    @property
    def regressions(self) -> Tuple[StageComparison, ...]:
        return tuple(stage for stage in self.stages if stage.verdict == "slower")

    def as_dict(self) -> Dict[str, Any]:
        result = asdict(self)
        result["regressions"] = [stage.key for stage in self.regressions]
        return result


def _bootstrap_interval(baseline: np.ndarray, current: np.ndarray, rng: np.random.Generator) -> Tuple[float, float]:
    base = np.median(baseline[rng.integers(0, len(baseline), (_RESAMPLES, len(baseline)))], axis=1)
    now = np.median(current[rng.integers(0, len(current), (_RESAMPLES, len(current)))], axis=1)
    low, high = np.percentile(now / base, [2.5, 97.5])
    return float(low), float(high)


def _lookup(report: Mapping[str, Any], path: Sequence[str]) -> object:
    value: object = report
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def compare(baseline: Mapping[str, Any], current: Mapping[str, Any], *, max_slowdown: float = DEFAULT_MAX_SLOWDOWN,
            min_change_ms: float = DEFAULT_MIN_CHANGE_MS, calibrated: bool = True) -> Comparison:
    """Compare two validated reports stage by stage. Raises ``ValueError`` when they cannot be
    compared: a ``max_slowdown`` that is not a number above 1, a negative ``min_change_ms``,
    too few rounds, no stage in common, or (calibrated) calibrations of different versions or
    parts."""
    if not (isinstance(max_slowdown, (int, float)) and math.isfinite(max_slowdown) and max_slowdown > 1):
        raise ValueError(f"max slowdown must be a number above 1 (1.15 allows 15 %), got {max_slowdown}")
    if not (isinstance(min_change_ms, (int, float)) and math.isfinite(min_change_ms) and min_change_ms >= 0):
        raise ValueError(f"the smallest change that fails must be a number of milliseconds >= 0, got {min_change_ms}")
    for name, report in (("baseline", baseline), ("current report", current)):
        if report["rounds"] < MIN_ROUNDS_TO_COMPARE:
            raise ValueError(f"the {name} has {report['rounds']} rounds; a comparison needs at least "
                             f"{MIN_ROUNDS_TO_COMPARE}: measure with a larger --seconds")
    if calibrated:
        base_cal, now_cal = baseline["calibration"], current["calibration"]
        if base_cal.get("version") != now_cal.get("version") or set(base_cal["parts"]) != set(now_cal["parts"]):
            raise ValueError(
                f"the calibrations differ (version {base_cal.get('version')} with {', '.join(base_cal['parts'])} "
                f"against version {now_cal.get('version')} with {', '.join(now_cal['parts'])}): calibrated ratios "
                "are not comparable; make a new baseline, or compare --absolute on one machine")
    common = [key for key in current["stages"] if key in baseline["stages"]]
    if not common:
        raise ValueError("the baseline and the current report have no stage in common (different --shape?)")
    rng = np.random.default_rng(_BOOTSTRAP_SEED)
    # Calibrated figures are in units of the calibration; this run's calibration turns them into ms.
    milliseconds = float(np.median(current["calibration"]["round_cpu_ms"])) if calibrated else 1.0
    stages = []
    for key in dict.fromkeys([*current["stages"], *baseline["stages"]]):
        if key not in common:
            stages.append(StageComparison(key, None, None, None, None, "new" if key in current["stages"] else "missing"))
            continue
        base = _round_values(baseline, key, calibrated)
        now = _round_values(current, key, calibrated)
        ratio = float(np.median(now) / np.median(base))
        low, high = _bootstrap_interval(base, now, rng)
        if ratio > max_slowdown:
            grown = (np.median(now) - np.median(base)) * milliseconds
            verdict = "slower" if low > 1 and grown >= min_change_ms else "noise"
        elif ratio < 1 / max_slowdown and high < 1:
            verdict = "faster"
        else:
            verdict = "ok"
        stages.append(StageComparison(key, float(np.median(base)), float(np.median(now)), ratio, (low, high), verdict))
    notes = []
    for path in _CONTEXT:
        before, after = _lookup(baseline, path), _lookup(current, path)
        if before != after:
            notes.append(f"{'.'.join(path)}: {before} → {after}")
    for name, report in (("baseline", baseline), ("current report", current)):
        slowdown = report["options"].get("slowdown")
        if slowdown:
            notes.append(f"the {name} was measured with the gate's self-test slowdown {slowdown}")
    calibration_ratio = (float(np.median(current["calibration"]["round_cpu_ms"]))
                         / float(np.median(baseline["calibration"]["round_cpu_ms"])))
    return Comparison(tuple(stages), float(max_slowdown), float(min_change_ms), calibrated, calibration_ratio, tuple(notes),
                      str(baseline.get("date", "")))


def _number(value: Optional[float], calibrated: bool) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" if calibrated and value < 1 else f"{value:.3f}" if calibrated else f"{value:.2f}"


def format_comparison(comparison: Comparison) -> str:
    """The comparison as a table (stage, baseline, now, ratio, interval, verdict) and a summary."""
    unit = "× calibration" if comparison.calibrated else "CPU ms"
    width = max(len(stage.key) for stage in comparison.stages)
    lines = [
        f"compared with the baseline of {comparison.baseline_date or 'unknown date'} on "
        f"{'calibrated ratios (stage CPU time / calibration CPU time)' if comparison.calibrated else 'CPU time'}; "
        f"allowed slowdown {comparison.max_slowdown:g}x and {comparison.min_change_ms:g} ms CPU; "
        f"calibration now / baseline {comparison.calibration_ratio:.3f}",
        *(f"note: {note}" for note in comparison.notes),
        "",
        f"{'stage':{width}} {'baseline':>10} {'now':>10} {'ratio':>6} {'95% interval':>13}  verdict   ({unit})",
    ]
    for stage in comparison.stages:
        ratio = f"{stage.ratio:.3f}" if stage.ratio is not None else "-"
        interval = f"{stage.interval[0]:.3f}–{stage.interval[1]:.3f}" if stage.interval is not None else "-"
        lines.append(f"{stage.key:{width}} {_number(stage.baseline, comparison.calibrated):>10} "
                     f"{_number(stage.current, comparison.calibrated):>10} {ratio:>6} {interval:>13}  {stage.verdict}")
    regressions = comparison.regressions
    lines.append("")
    if regressions:
        lines.append(f"FAIL: {len(regressions)} stage{'s' if len(regressions) > 1 else ''} slower than allowed: "
                     + ", ".join(f"{stage.key} ({stage.ratio:.2f}x)" for stage in regressions))
    else:
        lines.append(f"PASS: no stage slower than {comparison.max_slowdown:g}x the baseline")
    return "\n".join(lines)


def format_report(report: Mapping[str, Any]) -> str:
    """The report as a short human-readable table."""
    machine, options, calibration = report["machine"], report["options"], report["calibration"]
    forced = " (forced by NUDEGUARD_FORCE_ISA)" if options.get("forced_isa") else ""
    lines = [
        f"nudeguard {machine['nudeguard']} · {machine['cpu']} · {machine['cores']} cores "
        f"({machine['usable_cpus']} usable) · ISA {options['isa']}{forced} · "
        f"{options['runtime']} {options['runtime_version']} ({options['threads']} threads) · "
        f"model {options['model']['name']} {options['model']['sha256'][:12]}",
    ]
    for shape, facts in report["shapes"].items():
        views = f"{facts['views']} view{'' if facts['views'] == 1 else 's'}"
        lines.append(f"{shape}: {facts['width']}x{facts['height']} {facts['encoding']}, {facts['bytes']} bytes, decoded "
                     f"at {facts['decoded']}; end to end: check_incoming ({views}), protected "
                     f"recipient → {facts['end_to_end_action']}")
    parts = ", ".join(f"{name} {part['cpu_ms']:.2f}" for name, part in calibration["parts"].items())
    lines.append(f"calibration {calibration['cpu_ms']:.3f} ms CPU (geometric mean of {parts})")
    if options.get("slowdown"):
        lines.append(f"SELF-TEST: stages slowed on purpose by {options['slowdown']} (NUDEGUARD_BENCH_SLOWDOWN)")
    width = max(12, *(len(key) for key in report["stages"]))
    lines += ["", f"{'stage':{width}} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'CPU ms':>8} {'× calib':>8} {'samples':>8}"]
    for key, stage in report["stages"].items():
        lines.append(f"{key:{width}} {stage['p50_ms']:8.2f} {stage['p90_ms']:8.2f} {stage['p99_ms']:8.2f} "
                     f"{stage['cpu_ms']:8.2f} {calibrated_figure(report, key):8.3f} {stage['samples']:8d}")
    lines.append(f"({report['rounds']} rounds in {report['elapsed_seconds']:.1f} s; wall-clock percentiles per call, "
                 "CPU ms: median over rounds)")
    return "\n".join(lines)


def benchmark_action(report: Mapping[str, Any], *, calibrated: bool) -> List[Dict[str, Any]]:
    """The report as github-action-benchmark's ``customSmallerIsBetter`` input: one
    ``{name, unit, value, extra}`` per stage; CPU milliseconds, or multiples of the calibration."""
    entries = []
    for key, stage in report["stages"].items():
        value = calibrated_figure(report, key) if calibrated else stage["cpu_ms"]
        entries.append({
            "name": key,
            "unit": "x calibration" if calibrated else "ms CPU",
            "value": rounded(value),
            "extra": f"wall p50 {stage['p50_ms']} ms, p90 {stage['p90_ms']} ms; {report['rounds']} rounds; "
                     f"{report['machine']['cpu']}",
        })
    return entries
