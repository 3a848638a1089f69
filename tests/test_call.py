"""The call guard on real frames: benign photos and the synthetic sensitive fixtures, at camera
resolution, through the live stream (paced like a 30 fps camera) and through VIDEO mode."""

from __future__ import annotations

import threading
import time
from typing import Dict, Iterable, List, Tuple

import cv2
import numpy as np
import pytest

import nudeguard
from conftest import benign_photos, synthetic_sensitive
from nudeguard import (CallFrame, CallGuard, CallMode, CallOptions, CallState, ImageError, Person, PolicyError,
                       RunningMode)
from nudeguard.detect.call import LIFT_CLEAN_MS, LIFT_CLEAN_RESULTS
from nudeguard.safety.wording import catalogue

SIZE = (640, 480)
FRAME_MS = 33  # a 30 fps camera
BENIGN = [cv2.resize(cv2.imread(str(path)), SIZE, interpolation=cv2.INTER_AREA) for path in benign_photos()]
SENSITIVE = [cv2.resize(cv2.imread(str(path)), SIZE, interpolation=cv2.INTER_AREA) for path in synthetic_sensitive()]
TEEN = Person(age=15)


def scene(benign_s: float, sensitive_s: float, benign_after_s: float) -> List[Tuple[np.ndarray, bool]]:
    """(frame, is sensitive) at 30 fps: benign photos, then the sensitive fixtures, then benign again."""
    count = lambda seconds: round(seconds * 1000 / FRAME_MS)  # noqa: E731
    frames = [(BENIGN[i * len(BENIGN) // count(benign_s)], False) for i in range(count(benign_s))]
    frames += [(SENSITIVE[i % len(SENSITIVE)], True) for i in range(count(sensitive_s))]
    frames += [(BENIGN[i % 2], False) for i in range(count(benign_after_s))]
    return frames


def play(call: CallGuard, frames: Iterable[Tuple[np.ndarray, bool]], *, start_ms: int = 0,
         paced: bool = True) -> Tuple[List[CallFrame], Dict[int, bool]]:
    """Feeds frames FRAME_MS apart (in real time when paced); returns what left and {timestamp: sensitive}."""
    left: List[CallFrame] = []
    truth: Dict[int, bool] = {}
    start = time.monotonic()
    for i, (frame, sensitive) in enumerate(frames):
        timestamp = start_ms + i * FRAME_MS
        if paced:
            time.sleep(max(0.0, (timestamp - start_ms) / 1000 - (time.monotonic() - start)))
        truth[timestamp] = sensitive
        left += call.process(frame, timestamp, color_order="BGR")
    return left, truth


def until_clear(call: CallGuard, start_ms: int, timeout_s: float = 60.0) -> List[CallFrame]:
    """Benign frames until one leaves unveiled with the state CLEAR (however slow the machine)."""
    left: List[CallFrame] = []
    deadline = time.monotonic() + timeout_s
    timestamp = start_ms
    while not any(f.state is CallState.CLEAR and not f.veiled for f in left):
        assert time.monotonic() < deadline, "the veil did not lift after the sensitive frames left"
        time.sleep(FRAME_MS / 1000)
        left += call.process(BENIGN[0], timestamp, color_order="BGR")
        timestamp += FRAME_MS
    return left


def states(left: List[CallFrame]) -> List[CallState]:
    """The states the frames left in, consecutive repeats folded."""
    folded: List[CallState] = []
    for frame in left:
        if not folded or folded[-1] is not frame.state:
            folded.append(frame.state)
    return folded


def recorded(sender: Person = TEEN, **options) -> CallGuard:
    return CallGuard(CallOptions(sender=sender, running_mode=RunningMode.VIDEO, **options))


def test_the_fixtures_are_what_the_scenes_claim(guard):
    assert all(guard.scan(frame, color_order="BGR").sensitive for frame in SENSITIVE)
    assert not any(guard.scan(frame, color_order="BGR").sensitive for frame in BENIGN)


# -- live: strict and low latency -----------------------------------------------------------


def test_strict_mode_never_releases_a_sensitive_frame_and_lifts_the_veil_afterwards():
    with CallGuard(CallOptions(sender=TEEN)) as call:
        assert call.checks_enabled
        frames = scene(1.0, 1.0, 2.0)
        left, truth = play(call, frames)
        left += until_clear(call, start_ms=len(frames) * FRAME_MS)
    leaked = [f.timestamp_ms for f in left if truth.get(f.timestamp_ms) and not f.veiled]
    assert leaked == []
    assert sum(f.veiled for f in left if truth.get(f.timestamp_ms)) > 0
    stamps = [f.timestamp_ms for f in left]
    assert stamps == sorted(set(stamps))  # each frame leaves once, in order
    originals = dict(zip(truth, (frame for frame, _ in frames)))
    for sent in left:
        if not sent.veiled and sent.timestamp_ms in originals:
            assert np.array_equal(sent.frame, originals[sent.timestamp_ms])
    assert states(left) == [CallState.CLEAR, CallState.VEILED, CallState.CLEAR]
    assert [f.state for f in left if f.warning is not None] == [CallState.VEILED]


def test_low_latency_passes_frames_at_once_and_veils_within_one_check_of_a_sensitive_frame():
    with CallGuard(CallOptions(sender=TEEN, mode=CallMode.LOW_LATENCY, locale="de")) as call:
        left, _ = play(call, scene(1.0, 0.0, 0.0))
        assert len(left) == round(1000 / FRAME_MS) and not any(f.veiled for f in left)
        timestamp = left[-1].timestamp_ms + FRAME_MS
        (sent,) = call.process(SENSITIVE[0], timestamp, color_order="BGR")
        assert not sent.veiled and sent.frame is SENSITIVE[0]  # at once, the caller's own array
        # The sensitive frame is now the newest in the slot, so its own check is next: the state
        # changes after at most the check in progress and that one, with no further frame needed.
        deadline = time.monotonic() + 60
        while call.state is CallState.CLEAR:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        (veiled,) = call.process(BENIGN[0], timestamp + FRAME_MS, color_order="BGR")
        assert veiled.veiled and veiled.state is CallState.VEILED
        assert veiled.warning is not None and veiled.warning.title == catalogue("de")["call"]["minor"]["title"]
        after = until_clear(call, start_ms=timestamp + 2 * FRAME_MS)
    assert states([veiled] + after) == [CallState.VEILED, CallState.CLEAR]
    assert all(f.veiled for f in after if f.state is CallState.VEILED)


# -- the state machine, deterministic in VIDEO mode ----------------------------------------


def test_the_veil_does_not_flicker_while_the_scene_wavers_and_lifts_after_a_clean_second():
    # Sensitive and benign frames alternating every 4 frames (132 ms), as when someone moves in
    # and out of view, then benign: one veil from the first sensitive frame, lifted only when
    # LIFT_CLEAN_RESULTS clean frames span LIFT_CLEAN_MS after the last sensitive one.
    wavering = [(SENSITIVE[0] if (i // 4) % 2 == 0 else BENIGN[0], (i // 4) % 2 == 0) for i in range(48)]
    frames = [(BENIGN[1], False)] * 10 + wavering + [(BENIGN[2], False)] * 45
    with recorded() as call:
        left, truth = play(call, frames, paced=False)
    assert len(left) == len(frames)
    first_sensitive = min(t for t, s in truth.items() if s)
    last_sensitive = max(t for t, s in truth.items() if s)
    veiled = [f.timestamp_ms for f in left if f.veiled]
    first_clean_after = last_sensitive + FRAME_MS
    lifted_at = first_clean_after + -(-LIFT_CLEAN_MS // FRAME_MS) * FRAME_MS
    assert veiled == list(range(first_sensitive, lifted_at, FRAME_MS))
    assert states(left) == [CallState.CLEAR, CallState.VEILED, CallState.CLEAR]
    assert LIFT_CLEAN_MS >= 1000  # the issue: consecutive clean results over at least a second
    assert LIFT_CLEAN_RESULTS <= LIFT_CLEAN_MS // FRAME_MS  # at 30 fps the time rule is the binding one


def test_two_clean_results_a_second_apart_do_not_lift_the_veil():
    # One frame a second (a stalled or very slow device): the count rule is the binding one.
    frames = [SENSITIVE[1], BENIGN[0], BENIGN[1], BENIGN[2], BENIGN[3]]
    with recorded() as call:
        left = [call.process(frame, i * 1000, color_order="BGR")[0] for i, frame in enumerate(frames)]
    assert LIFT_CLEAN_RESULTS == 3
    assert [f.veiled for f in left] == [True, True, True, False, False]


@pytest.mark.parametrize("locale", nudeguard.available_locales())
def test_the_warning_comes_once_on_the_change_to_veiled_in_the_senders_language_and_age(locale):
    frames = [(BENIGN[0], False)] * 3 + [(SENSITIVE[0], True)] * 3
    texts = catalogue(locale)
    adult_person = Person(age=30, opted_in=True)
    with recorded(TEEN, locale=locale) as teen, recorded(adult_person, locale=locale) as adult, recorded(
            Person(age=None), locale=locale) as unknown:
        for call, wording, asks_twice in ((teen, "minor", True), (adult, "adult", False), (unknown, "minor", True)):
            left, _ = play(call, frames, paced=False)
            warned = [f for f in left if f.warning is not None]
            assert [f.timestamp_ms for f in warned] == [3 * FRAME_MS]
            warning = warned[0].warning
            assert (warning.title, warning.body) == (texts["call"][wording]["title"], texts["call"][wording]["body"])
            assert (warning.confirm_label, warning.cancel_label) == (texts["call"][wording]["confirm"],
                                                                     texts["call"][wording]["cancel"])
            assert warning.locale == locale and call.warning == warning
            if asks_twice:
                assert warning.confirmation.title == texts["call_resume"]["title"]
            else:
                assert warning.confirmation is None


def test_the_call_warning_says_the_other_person_could_be_recording():
    english = catalogue("en")["call"]
    for wording in ("minor", "adult"):
        body = english[wording]["body"]
        assert "nudity" in body and "recording" in body
    assert "not your fault" in english["minor"]["body"] and "help" in english["minor"]["body"]


def test_a_minor_resumes_only_after_the_second_question_and_the_guard_arms_again():
    with recorded(TEEN) as call:
        with pytest.raises(ValueError, match="nothing to resume: the call guard is clear"):
            call.resume_anyway(confirmed=True)
        call.process(SENSITIVE[0], 0, color_order="BGR")
        assert call.state is CallState.VEILED
        with pytest.raises(PolicyError, match="warning.confirmation"):
            call.resume_anyway()
        assert call.state is CallState.VEILED
        call.resume_anyway(confirmed=True)
        (resumed,) = call.process(SENSITIVE[1], FRAME_MS, color_order="BGR")
        assert not resumed.veiled and resumed.state is CallState.RESUMED and resumed.frame is SENSITIVE[1]
        left, _ = play(call, [(BENIGN[0], False)] * 40, start_ms=2 * FRAME_MS, paced=False)
        assert states(left) == [CallState.RESUMED, CallState.CLEAR] and not any(f.veiled for f in left)
        (again,) = call.process(SENSITIVE[0], 50 * FRAME_MS, color_order="BGR")
        assert again.veiled and again.warning is not None  # armed again, warned again


def test_an_adult_who_opted_in_resumes_with_one_tap_and_one_who_did_not_is_never_checked():
    with recorded(Person(age=25, opted_in=True)) as call:
        call.process(SENSITIVE[0], 0, color_order="BGR")
        call.resume_anyway()
        assert call.state is CallState.RESUMED
    with CallGuard(CallOptions(sender=Person(age=25))) as unprotected:
        assert not unprotected.checks_enabled
        left, _ = play(unprotected, scene(0.1, 0.5, 0.1), paced=False)
        assert all(not f.veiled and f.state is CallState.CLEAR for f in left)


def test_veiled_frames_keep_the_shape_and_channel_order_and_hide_the_picture(guard):
    rgba = cv2.cvtColor(SENSITIVE[0], cv2.COLOR_BGR2RGBA)
    with recorded() as call:
        (sent,) = call.process(rgba, 0, color_order="RGBA")
    assert sent.veiled and sent.frame.shape == rgba.shape and sent.frame.dtype == np.uint8
    assert np.abs(sent.frame.astype(int) - rgba).mean() > 10
    as_bgr = cv2.cvtColor(sent.frame, cv2.COLOR_RGBA2BGR)
    expected = cv2.cvtColor(nudeguard.veil(rgba, (SIZE[0] // 8, SIZE[1] // 8)), cv2.COLOR_RGBA2BGR)
    small = cv2.resize(as_bgr, (SIZE[0] // 8, SIZE[1] // 8), interpolation=cv2.INTER_AREA)
    assert np.abs(small.astype(int) - expected).max() <= 8  # the veil of this frame, not another's


def test_a_recorded_clip_is_veiled_exactly_where_the_fixture_shows(tmp_path):
    path = tmp_path / "clip.avi"
    fps = 10
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, SIZE)
    shown = [False] * 10 + [True] * 10 + [False] * 20
    for i, sensitive in enumerate(shown):
        writer.write(SENSITIVE[i % len(SENSITIVE)] if sensitive else BENIGN[i % len(BENIGN)])
    writer.release()
    capture = cv2.VideoCapture(str(path))
    veiled = []
    with recorded() as call:
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            (sent,) = call.process(frame, index * 1000 // fps, color_order="BGR")
            veiled.append(sent.veiled)
            index += 1
    capture.release()
    assert len(veiled) == len(shown)
    # veiled from the first sensitive frame until LIFT_CLEAN_MS of clean frames (10 at 10 fps)
    assert veiled == [False] * 10 + [True] * 20 + [False] * 10


def test_a_model_that_cannot_load_veils_every_frame(tmp_path):
    with recorded(model_path=str(tmp_path / "missing.tflite")) as call:
        (sent,) = call.process(BENIGN[0], 0, color_order="BGR")
    assert sent.veiled and sent.warning is not None


# -- lifetime and bad input -------------------------------------------------------------------


def test_close_stops_the_guard_and_drops_held_frames_unreleased():
    call = CallGuard(CallOptions(sender=TEEN))
    with call:
        call.process(BENIGN[0], 0, color_order="BGR")
    with pytest.raises(ValueError, match="this CallGuard is closed"):
        call.process(BENIGN[0], FRAME_MS, color_order="BGR")
    call.close()  # twice is fine


@pytest.mark.parametrize("frame, color_order, error, match", [
    ([[0, 0, 0]], "BGR", ImageError, "must be a numpy array, got list"),
    (np.zeros((48, 64, 3), np.float32), "BGR", ImageError, "uint8 array, got float32"),
    (np.zeros((48, 64), np.uint8), "BGR", ImageError, r"HxWx3 or HxWx4 uint8 array, got uint8 \(48, 64\)"),
    (np.zeros((0, 64, 3), np.uint8), "BGR", ImageError, "non-empty"),
    (np.zeros((48, 64, 3), np.uint8), "RGBA", ValueError, "does not fit a frame of 3 channels"),
    (np.zeros((48, 64, 3), np.uint8), "YUV", ValueError, "use one of"),
])
def test_bad_frames_raise_a_clear_error(frame, color_order, error, match):
    with recorded() as call:
        with pytest.raises(error, match=match):
            call.process(frame, 0, color_order=color_order)


def test_bad_timestamps_and_options_raise_a_clear_error():
    with recorded() as call:
        call.process(BENIGN[0], 100, color_order="BGR")
        with pytest.raises(ValueError, match="must increase from frame to frame: got 100 after 100"):
            call.process(BENIGN[0], 100, color_order="BGR")
        with pytest.raises(ValueError, match="must be an integer"):
            call.process(BENIGN[0], 200.5, color_order="BGR")  # type: ignore[arg-type]
    with pytest.raises(PolicyError, match="sender must be a nudeguard.Person"):
        CallGuard(CallOptions(sender=15))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mode must be a nudeguard.CallMode"):
        CallGuard(CallOptions(sender=TEEN, mode="strict"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="LIVE_STREAM .* or RunningMode.VIDEO"):
        CallGuard(CallOptions(sender=TEEN, running_mode=RunningMode.IMAGE))


def test_strict_mode_with_on_release_hands_frames_over_in_order_as_soon_as_checks_clear_them():
    released: List[Tuple[CallFrame, str]] = []
    options = CallOptions(sender=TEEN, on_release=lambda sent: released.append((sent, threading.current_thread().name)))
    with CallGuard(options) as call:
        frames = scene(1.0, 1.0, 2.0)
        left, truth = play(call, frames)
        assert left == []  # everything went to on_release
        timestamp = len(frames) * FRAME_MS
        deadline = time.monotonic() + 60
        while not any(sent.state is CallState.CLEAR and not sent.veiled and sent.timestamp_ms >= len(frames) * FRAME_MS
                      for sent, _ in released):
            assert time.monotonic() < deadline, "the veil did not lift after the sensitive frames left"
            time.sleep(FRAME_MS / 1000)
            assert call.process(BENIGN[0], timestamp, color_order="BGR") == []
            timestamp += FRAME_MS
    sent_frames = [sent for sent, _ in released]
    assert [f.timestamp_ms for f in sent_frames if truth.get(f.timestamp_ms) and not f.veiled] == []
    stamps = [f.timestamp_ms for f in sent_frames]
    assert stamps == sorted(set(stamps))  # each frame once, in order, whichever thread released it
    # Cleared frames leave from the inference thread, without waiting for the next camera frame.
    assert any(thread != threading.current_thread().name for _, thread in released)
    assert states(sent_frames) == [CallState.CLEAR, CallState.VEILED, CallState.CLEAR]


def test_on_release_is_for_strict_camera_calls_only():
    for mode, running_mode in ((CallMode.LOW_LATENCY, RunningMode.LIVE_STREAM), (CallMode.STRICT, RunningMode.VIDEO)):
        with pytest.raises(ValueError, match="on_release"):
            CallGuard(CallOptions(sender=TEEN, mode=mode, running_mode=running_mode, on_release=print))
    with pytest.raises(ValueError, match="on_release must be callable"):
        CallGuard(CallOptions(sender=TEEN, on_release="encoder"))  # type: ignore[arg-type]
