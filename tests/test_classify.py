"""The bundled model, end to end through the native pipeline."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import nudeguard
from nudeguard.media.reader import load_pixels
from conftest import FIXTURES, benign_photos, near_threshold, synthetic_sensitive

# Pinned (on LiteRT) scores drift only when the model, the preprocessing or the runtime's
# float kernels change. The float16-weight model computes in float32 on both runtimes' XNNPACK
# kernels: measured within 5e-7 of the pins on LiteRT 2.3 and tflite-runtime 2.14; stated
# margin 1e-4 (other CPUs' kernels sum in other orders).
GOLDEN_TOLERANCE = 1e-4


def test_fixture_sets_are_present():
    assert len(benign_photos()) >= 8
    assert len(synthetic_sensitive()) >= 3
    assert len(near_threshold()) >= 5


def test_golden_scores_are_pinned(guard, golden):
    fixtures = benign_photos() + synthetic_sensitive() + near_threshold()
    assert set(golden) == {p.relative_to(FIXTURES).as_posix() for p in fixtures}
    for name, expected in golden.items():
        score = guard.classify(FIXTURES / name).score
        assert abs(score - expected["bundled"]) <= GOLDEN_TOLERANCE, (name, score, expected)


@pytest.mark.parametrize("photo", benign_photos(), ids=lambda p: p.name)
def test_benign_photo_scores_below_threshold(guard, photo):
    result = guard.classify(photo)
    assert not result.sensitive
    assert result.label == "sfw"
    assert result.score < guard.options.threshold


@pytest.mark.parametrize("fixture", synthetic_sensitive(), ids=lambda p: p.name)
def test_synthetic_sensitive_fixture_is_caught(guard, fixture):
    result = guard.classify(fixture)
    assert result.score >= 0.9
    assert result.sensitive and result.label == "nsfw"


def test_array_input_in_either_colour_order_matches_file_input(guard):
    photo = benign_photos()[0]
    # Files decode at the JPEG DCT scale covering the model's resize size; so does the array.
    bgr = load_pixels(photo, min_size=guard.model_card.resize_size).array
    from_file = guard.classify(photo)
    assert guard.classify(bgr, color_order="BGR") == from_file
    assert guard.classify(np.ascontiguousarray(bgr[:, :, ::-1]), color_order="RGB") == from_file
    # Swapping the order on purpose must change what the model sees.
    assert guard.classify(bgr, color_order="RGB").score != from_file.score


def test_non_contiguous_and_alpha_arrays_are_accepted(guard):
    photo = benign_photos()[1]
    bgr = cv2.imread(str(photo), cv2.IMREAD_COLOR)
    expected = guard.classify(bgr, color_order="BGR")
    padded = np.zeros((bgr.shape[0], bgr.shape[1] + 5, 3), np.uint8)
    padded[:, : bgr.shape[1]] = bgr
    assert guard.classify(padded[:, : bgr.shape[1]], color_order="BGR") == expected
    bgra = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
    assert guard.classify(bgra, color_order="BGRA") == expected
    assert guard.classify(bgr[::-1, ::-1][::-1, ::-1], color_order="BGR") == expected


def test_threshold_option_changes_only_the_decision(guard):
    photo = FIXTURES / "benign" / "astronaut.jpg"  # scores about 0.015
    default_result = guard.classify(photo)
    with nudeguard.Guard(nudeguard.GuardOptions(threshold=0.005)) as suspicious:
        suspicious_result = suspicious.classify(photo)
    assert suspicious_result.score == default_result.score
    assert suspicious_result.sensitive and not default_result.sensitive
    assert suspicious_result.label == default_result.label == "sfw"


def test_one_and_two_threads_agree():
    photo = benign_photos()[2]
    with nudeguard.Guard(nudeguard.GuardOptions(threads=1)) as one, nudeguard.Guard(
        nudeguard.GuardOptions(threads=2)
    ) as two:
        assert one.classify(photo).score == pytest.approx(two.classify(photo).score, abs=1e-6)
