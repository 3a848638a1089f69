"""Decisions near the threshold, where they can go wrong.

tests/fixtures/near_threshold/: held-out synthetic patterns blended into photos that are
neither in the int8 calibration set nor among the patterns' optimisation backgrounds, each
blend chosen (models/make_fixture.py) so that the float window model scores it at a target between
0.45 and 0.85, around the default threshold 0.6. The bundled model's and the float model's
scores are pinned in golden_scores.json (models/pin_golden.py).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

import nudeguard
from conftest import BORDERLINE_MARGIN, DOCUMENTED_BORDERLINE, FIXTURES, near_threshold


def documented_max_abs_diff(guard) -> float:
    """How far models/README.md says the bundled model's score may stray from the float one here."""
    return DOCUMENTED_BORDERLINE[guard.runtime.name]["max_abs_diff"] + BORDERLINE_MARGIN

FAMILY = [pytest.param(path, id=path.stem) for path in near_threshold()]


def test_family_spreads_around_the_threshold(golden, guard):
    floats = sorted(golden[p.relative_to(FIXTURES).as_posix()]["float"] for p in near_threshold())
    assert len(floats) >= 5
    assert 0.4 <= floats[0] < guard.options.threshold < floats[-1] <= 0.9, floats
    assert sum(score < guard.options.threshold for score in floats) >= 2, floats
    assert sum(score >= guard.options.threshold for score in floats) >= 2, floats


@pytest.mark.parametrize("path", FAMILY)
def test_score_stays_within_the_documented_distance_of_the_float_model(guard, golden, path):
    expected = golden[path.relative_to(FIXTURES).as_posix()]
    score = guard.classify(path).score
    assert abs(score - expected["float"]) <= documented_max_abs_diff(guard), (score, expected)


@pytest.mark.parametrize("path", FAMILY)
def test_a_decision_differs_from_the_float_model_s_only_within_the_documented_band(guard, golden, path):
    float_score = golden[path.relative_to(FIXTURES).as_posix()]["float"]
    result = guard.classify(path)
    threshold = guard.options.threshold
    assert result.sensitive == (result.score >= threshold)
    if result.sensitive != (float_score >= threshold):
        assert abs(float_score - threshold) <= documented_max_abs_diff(guard), (result.score, float_score)


@pytest.mark.parametrize("path", FAMILY)
def test_threshold_is_inclusive_at_the_exact_score(guard, path):
    score = guard.classify(path).score
    with nudeguard.Guard(nudeguard.GuardOptions(threshold=score)) as at_score:
        assert at_score.classify(path).sensitive
    with nudeguard.Guard(nudeguard.GuardOptions(threshold=math.nextafter(score, 1.0))) as just_above:
        assert not just_above.classify(path).sensitive


@pytest.mark.parametrize("path", FAMILY)
def test_the_far_end_of_a_panorama_scores_at_least_the_fixture_alone(guard, path):
    """A 4:1 strip whose last 256 px are the fixture: the strip's input is the strip itself
    (short side 256), so its last windows cover exactly the fixture's pixels (their receptive
    field also reaches into the photo beside it). A sensitive fixture makes the strip
    sensitive; a scan that found nothing sensitive scored at least the fixture's own score."""
    fixture = cv2.imread(str(path))
    photo = cv2.imread(str(FIXTURES / "benign" / "coffee.jpg"))
    left = cv2.resize(photo, (768, 256), interpolation=cv2.INTER_AREA)
    strip = np.ascontiguousarray(np.hstack([left, fixture]))
    alone = guard.classify(fixture, color_order="BGR")
    scanned = guard.scan(strip, color_order="BGR")
    if alone.sensitive:
        assert scanned.sensitive
    elif not scanned.sensitive:
        assert scanned.score >= alone.score
