"""check_outgoing / check_incoming: verdicts, warnings, the veiled preview, failing closed."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest

import nudeguard
import nudeguard.detect.model
from conftest import FIXTURES
from nudeguard import Action, Person

SENSITIVE = FIXTURES / "synthetic_sensitive.png"
BENIGN = FIXTURES / "benign" / "chelsea.jpg"
TEEN, ADULT = Person(age=15), Person(age=34)


def test_sensitive_outgoing_image_asks_a_teen_to_confirm(guard):
    verdict = guard.check_outgoing(SENSITIVE, sender=TEEN)
    assert verdict.action is Action.CONFIRM
    assert verdict.sensitive and verdict.score > 0.99 and verdict.error is None
    warning = verdict.warning
    assert warning.title and warning.body and warning.confirm_label and warning.cancel_label
    assert len(warning.tips) == 7 and warning.confirmation is None
    assert any("takeitdown.ncmec.org" in (r.url or "") for r in warning.resources)


def test_benign_outgoing_image_is_allowed_without_a_warning(guard):
    verdict = guard.check_outgoing(BENIGN, sender=TEEN)
    assert verdict == nudeguard.OutgoingVerdict(Action.ALLOW, verdict.score, None, None, False)
    assert verdict.score < 0.1


def test_teen_and_adult_get_different_wording(guard):
    teen = guard.check_outgoing(SENSITIVE, sender=TEEN).warning
    adult = guard.check_outgoing(SENSITIVE, sender=Person(age=34, opted_in=True)).warning
    assert teen.title != adult.title and teen.body != adult.body
    assert not any("stopncii" in (r.url or "") for r in teen.resources)
    assert any("stopncii" in (r.url or "") for r in adult.resources)


def test_unprotected_adult_gets_the_score_but_no_block(guard):
    verdict = guard.check_outgoing(SENSITIVE, sender=ADULT)
    assert verdict.action is Action.ALLOW and verdict.sensitive and verdict.warning is None


def test_verdicts_are_frozen(guard):
    verdict = guard.check_outgoing(BENIGN, sender=TEEN)
    with pytest.raises(AttributeError):
        verdict.action = Action.CONFIRM  # type: ignore[misc]


def test_incoming_sensitive_image_is_veiled_at_the_preview_size(guard):
    verdict = guard.check_incoming(SENSITIVE, recipient=TEEN, preview_size=(320, 200))
    assert verdict.action is Action.VEIL and verdict.error is None
    assert verdict.veiled.shape == (200, 320, 3) and verdict.veiled.dtype == np.uint8
    assert verdict.warning.confirmation.confirm_label


def test_incoming_preview_size_as_longer_side(guard):
    image = cv2.resize(cv2.imread(str(SENSITIVE)), (300, 300))
    wide = np.hstack([image, image])  # 2:1, the pattern undistorted
    verdict = guard.check_incoming(wide, recipient=TEEN, color_order="BGR", preview_size=200)
    assert verdict.veiled.shape == (100, 200, 3)


def test_incoming_veil_defaults_to_the_full_size_even_after_a_reduced_jpeg_decode(guard):
    image = cv2.resize(cv2.imread(str(SENSITIVE)), (2400, 1800))
    data = cv2.imencode(".jpg", image)[1].tobytes()  # decoded at 1/4 scale for the model
    verdict = guard.check_incoming(data, recipient=TEEN)
    assert verdict.action is Action.VEIL
    assert verdict.veiled.shape == (1800, 2400, 3)


def test_veiled_image_is_bgr_whatever_the_input_order():
    red_rgb = np.zeros((120, 160, 3), np.uint8)
    red_rgb[..., 0] = 255
    inputs = {
        "RGB": red_rgb,
        "RGBA": np.dstack([red_rgb, np.full((120, 160), 255, np.uint8)]),
        "BGR": np.ascontiguousarray(red_rgb[..., ::-1]),
        "BGRA": np.dstack([red_rgb[..., ::-1], np.full((120, 160), 255, np.uint8)]),
    }
    with nudeguard.Guard() as failing:
        def fail(pixels):
            raise nudeguard.ModelError("simulated")
        failing.engine.classify = fail  # type: ignore[method-assign]
        for order, image in inputs.items():
            verdict = failing.check_incoming(image, recipient=TEEN, color_order=order, preview_size=40)
            assert verdict.action is Action.VEIL
            assert verdict.veiled.shape == (30, 40, 3), order
            assert verdict.veiled[..., 2].min() > 250 and verdict.veiled[..., :2].max() < 5, order
        gray = failing.check_incoming(np.full((50, 50), 128, np.uint8), recipient=TEEN, color_order="GRAY")
        assert gray.veiled.shape == (50, 50, 3)


def test_veil_hides_the_picture(guard):
    verdict = guard.check_incoming(SENSITIVE, recipient=TEEN)
    original = cv2.imread(str(SENSITIVE))
    assert verdict.veiled.shape == original.shape
    assert np.array_equal(verdict.veiled, nudeguard.veil(original))
    assert np.abs(verdict.veiled.astype(int) - original).mean() > 10


def test_benign_incoming_image_is_shown(guard):
    verdict = guard.check_incoming(BENIGN, recipient=TEEN)
    assert verdict.action is Action.SHOW and verdict.veiled is None and verdict.warning is None


def test_bad_preview_size_raises_before_any_work(guard):
    with pytest.raises(ValueError, match="size"):
        guard.check_incoming(BENIGN, recipient=TEEN, preview_size=(0, 10))


def test_undecodable_incoming_image_is_veiled_for_a_teen_with_the_error(guard):
    verdict = guard.check_incoming(b"GIF89a garbage", recipient=TEEN)
    assert verdict.action is Action.VEIL and verdict.veiled is None and verdict.score is None
    assert isinstance(verdict.error, nudeguard.ImageError) and verdict.warning is not None


def test_undecodable_outgoing_image_for_an_adult_is_allowed_with_the_error(guard, tmp_path):
    missing = tmp_path / "gone.jpg"
    verdict = guard.check_outgoing(missing, sender=ADULT)
    assert verdict.action is Action.ALLOW and "gone.jpg: no such file" in str(verdict.error)


def test_oversized_image_fails_closed(tmp_path):
    with nudeguard.Guard(nudeguard.GuardOptions(max_pixels=1000)) as small:
        verdict = small.check_outgoing(BENIGN, sender=Person(age=None))
    assert verdict.action is Action.CONFIRM and "over the limit" in str(verdict.error)


def test_model_error_during_a_check_veils_the_decoded_image(guard):
    with nudeguard.Guard() as broken:
        def fail(pixels):
            raise nudeguard.ModelError("simulated inference failure")
        broken.engine.classify = fail  # type: ignore[method-assign]
        verdict = broken.check_incoming(BENIGN, recipient=TEEN, preview_size=100)
    assert verdict.action is Action.VEIL and isinstance(verdict.error, nudeguard.ModelError)
    assert verdict.veiled is not None and max(verdict.veiled.shape[:2]) == 100


def test_a_damaged_model_gives_a_guard_that_fails_closed(tmp_path):
    """A guard whose model cannot load is still created, so a broken deployment does not
    crash the client, but it lets nothing through for protected users (tests/test_fail_closed.py)."""
    card = nudeguard.detect.model.load_card(nudeguard.detect.model.BUNDLED_MODEL)
    model = tmp_path / "damaged.tflite"
    shutil.copyfile(card.model_path, model)
    shutil.copyfile(card.model_path.with_suffix(".json"), model.with_suffix(".json"))
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    with nudeguard.Guard.create_from_model_path(model) as damaged:
        assert "damaged" in str(damaged.model_error)
        assert damaged.check_outgoing(BENIGN, sender=TEEN).error is damaged.model_error
    raw = json.loads(model.with_suffix(".json").read_text())
    model.with_suffix(".json").unlink()
    with nudeguard.Guard.create_from_options(nudeguard.GuardOptions(model_path=model)) as without_card:
        assert "model card not found" in str(without_card.model_error)
    assert raw["sha256"] == card.sha256


def test_closed_guard_raises_instead_of_returning_a_verdict():
    guard = nudeguard.Guard()
    guard.close()
    with pytest.raises(ValueError, match="closed"):
        guard.check_outgoing(BENIGN, sender=TEEN)
    with pytest.raises(ValueError, match="closed"):
        guard.check_incoming(BENIGN, recipient=TEEN)


def test_locale_per_guard_and_per_call(guard):
    with nudeguard.Guard(nudeguard.GuardOptions(locale="de-AT")) as german:
        assert german.options.locale == "de"
        verdict = german.check_outgoing(SENSITIVE, sender=TEEN)
        assert verdict.warning.locale == "de" and verdict.warning.confirm_label == "Trotzdem senden"
        # The guard-wide tag keeps its region: Austria's helpline, not Germany's.
        phones = {r.phone for r in verdict.warning.resources if r.phone}
        assert "147" in phones and "116 111" not in phones
    assert guard.check_outgoing(SENSITIVE, sender=TEEN, locale="de").warning.locale == "de"
    assert guard.check_outgoing(SENSITIVE, sender=TEEN, locale="xx-YY").warning.locale == "en"


def test_inputs_of_every_type_give_the_same_verdict(guard):
    data = SENSITIVE.read_bytes()
    with open(SENSITIVE, "rb") as stream:
        from_file = guard.check_outgoing(stream, sender=TEEN)
    from_array = guard.check_outgoing(cv2.imread(str(SENSITIVE)), sender=TEEN, color_order="BGR")
    for verdict in (guard.check_outgoing(str(SENSITIVE), sender=TEEN), guard.check_outgoing(data, sender=TEEN),
                    from_file, from_array):
        assert verdict.action is Action.CONFIRM
