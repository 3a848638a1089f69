"""Shared fixtures (one guard per session: loading the model takes ~50 ms) and the CI check
that every skipped test is one tests/skips_allowed.txt names for the job, with its reason."""

from __future__ import annotations

import fnmatch
import json
import os
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

import nudeguard

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent

# tests/test_constant_model.py runs the key tests with a model of its own in the bundled one's place.
if os.environ.get("NUDEGUARD_TEST_MODEL"):
    import nudeguard.detect.guard

    nudeguard.detect.guard.BUNDLED_MODEL = Path(os.environ["NUDEGUARD_TEST_MODEL"])


@pytest.fixture(scope="session")
def guard() -> Iterator[nudeguard.Guard]:
    with nudeguard.Guard() as shared_guard:
        yield shared_guard


@pytest.fixture(scope="session")
def golden() -> Dict[str, dict]:
    return json.loads((FIXTURES / "golden_scores.json").read_text())


def benign_photos() -> List[Path]:
    return sorted((FIXTURES / "benign").glob("*.jpg"))


def synthetic_sensitive() -> List[Path]:
    """The held-out synthetic patterns: not in the int8 calibration set, optimised on photos
    that are not test fixtures (models/make_fixture.py, family "heldout")."""
    return sorted(FIXTURES.glob("synthetic_sensitive*.png"))


#: The bundled model's documented distance from the float model on borderline inputs, per
#: runtime (models/README.md, "Fidelity near the decision boundary"): the largest |score
#: difference|, the mean, and how many of tests/test_fidelity.py's 93 borderline decisions may
#: differ. Float16 weights computed in float32: both runtimes measured 0.0065 / 0.00055 / 0.
DOCUMENTED_BORDERLINE = {
    "litert": {"max_abs_diff": 0.007, "mean_abs_diff": 0.001, "flips_of_93": 0},
    "tflite-runtime": {"max_abs_diff": 0.007, "mean_abs_diff": 0.001, "flips_of_93": 0},
}
#: Stated margin on those score bounds: other builds of the same runtime (LiteRT 2.1 on Python
#: 3.9, other CPUs' XNNPACK kernels) round a little differently.
BORDERLINE_MARGIN = 0.01


def near_threshold() -> List[Path]:
    """Held-out patterns blended into held-out photos, float scores spread over 0.45-0.85."""
    return sorted((FIXTURES / "near_threshold").glob("*.png"))


# -- skips in CI ---------------------------------------------------------------------------

SKIPS_ALLOWED = Path(__file__).resolve().parent / "skips_allowed.txt"
_skipped: List[Tuple[str, str]] = []


def allowed_skips(job: str) -> List[Tuple[str, str]]:
    """(node id pattern, reason) of the skips tests/skips_allowed.txt allows in ``job``."""
    allowed = []
    for line in SKIPS_ALLOWED.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            jobs, pattern, reason = (field.strip() for field in line.split("|"))
            if job in jobs.split(","):
                allowed.append((pattern, reason))
    return allowed


def _skip_reason(report: pytest.BaseReport) -> str:
    longrepr = report.longrepr
    return longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped:
        _skipped.append((report.nodeid, _skip_reason(report)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append((report.nodeid, _skip_reason(report)))


def _unlisted_skips() -> List[Tuple[str, str]]:
    job = os.environ.get("NUDEGUARD_CI_JOB")
    if not job:
        return []
    allowed = allowed_skips(job)
    return [(node, reason) for node, reason in _skipped
            if not any(fnmatch.fnmatchcase(node, pattern) for pattern, _ in allowed)]


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    unlisted = _unlisted_skips()
    if unlisted:
        terminalreporter.section(f"skips not allowed for CI job {os.environ['NUDEGUARD_CI_JOB']!r}", red=True)
        for node, reason in unlisted:
            terminalreporter.line(f"{node}: {reason}")
        terminalreporter.line(f"Install what these tests need, or list them in {SKIPS_ALLOWED.name} with a reason.")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _unlisted_skips() and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
