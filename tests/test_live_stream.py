"""Running modes for decoded frames: VIDEO (classify_for_video) and LIVE_STREAM (classify_async)."""

from __future__ import annotations

import threading
from typing import List, Tuple

import cv2
import numpy as np
import pytest

import nudeguard
from conftest import FIXTURES
from nudeguard import Classification, GuardOptions, RunningMode

SENSITIVE = cv2.resize(cv2.imread(str(FIXTURES / "synthetic_sensitive.png")), (224, 224), interpolation=cv2.INTER_AREA)
BENIGN = cv2.resize(cv2.imread(str(FIXTURES / "benign" / "coffee.jpg")), (224, 224), interpolation=cv2.INTER_AREA)


class Recorder:
    """A result_callback that records (result, frame, timestamp_ms) and lets a test wait."""

    def __init__(self) -> None:
        self.calls: List[Tuple[object, np.ndarray, int]] = []
        self.threads: List[str] = []
        self._changed = threading.Condition()

    def __call__(self, result: object, frame: np.ndarray, timestamp_ms: int) -> None:
        with self._changed:
            self.calls.append((result, frame, timestamp_ms))
            self.threads.append(threading.current_thread().name)
            self._changed.notify_all()

    def wait_for(self, timestamp_ms: int, timeout: float = 30.0) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: any(t == timestamp_ms for _, _, t in self.calls), timeout)

    @property
    def timestamps(self) -> List[int]:
        return [t for _, _, t in self.calls]


def live_guard(callback, **options) -> nudeguard.Guard:
    return nudeguard.Guard(GuardOptions(running_mode=RunningMode.LIVE_STREAM, result_callback=callback, threads=1,
                                        **options))


def test_classify_for_video_matches_scan_and_needs_increasing_timestamps(guard):
    with nudeguard.Guard(GuardOptions(running_mode=RunningMode.VIDEO)) as video:
        assert video.classify_for_video(BENIGN, 0, color_order="BGR") == guard.scan(BENIGN, color_order="BGR")
        assert video.classify_for_video(SENSITIVE, 33, color_order="BGR").sensitive
        rgb = np.ascontiguousarray(SENSITIVE[..., ::-1])
        as_rgb = video.classify_for_video(rgb, 66, color_order="RGB")
        assert as_rgb == video.classify_for_video(SENSITIVE, 99, color_order="BGR")
        with pytest.raises(ValueError, match="increase monotonically: got 99 after 99"):
            video.classify_for_video(BENIGN, 99, color_order="BGR")
        with pytest.raises(ValueError, match="increase monotonically"):
            video.classify_for_video(BENIGN, 50, color_order="BGR")
        with pytest.raises(ValueError, match="timestamp_ms must be an integer"):
            video.classify_for_video(BENIGN, 120.5, color_order="BGR")  # type: ignore[arg-type]
        with pytest.raises(nudeguard.ImageError, match="check_video"):
            video.classify_for_video(b"not an array", 200, color_order="BGR")  # type: ignore[arg-type]


def test_live_stream_callbacks_carry_each_frames_result_and_timestamp(guard):
    recorder = Recorder()
    frames = [BENIGN, SENSITIVE, BENIGN, SENSITIVE]
    with live_guard(recorder) as live:
        for i, picture in enumerate(frames):
            timestamp = 1000 + 40 * i
            assert live.classify_async(picture, timestamp, color_order="BGR") is None
            recorder.wait_for(timestamp)  # one at a time: nothing is dropped
    assert recorder.timestamps == [1000, 1040, 1080, 1120]
    results = [result for result, _, _ in recorder.calls]
    assert all(isinstance(r, Classification) for r in results)
    assert [r.sensitive for r in results] == [False, True, False, True]  # type: ignore[attr-defined]
    assert results[1] == guard.scan(SENSITIVE, color_order="BGR")
    assert all(np.array_equal(frame, picture) for (_, frame, _), picture in zip(recorder.calls, frames))
    assert set(recorder.threads) == {"nudeguard-live-stream"}


def test_live_stream_drops_frames_while_the_model_is_busy_and_keeps_the_latest():
    recorder = Recorder()
    buffer = BENIGN.copy()
    with live_guard(recorder) as live:
        for i in range(60):  # far faster than one inference: most frames must be dropped
            buffer[:] = SENSITIVE if i == 59 else BENIGN  # the caller reuses its buffer
            live.classify_async(buffer, i * 10, color_order="BGR")
    # close() (end of with) finished the frames handed over: the latest always gets its turn.
    timestamps = recorder.timestamps
    assert len(timestamps) < 30, "frames were queued, not dropped"
    assert timestamps == sorted(set(timestamps)) and timestamps[-1] == 590
    last_result, last_frame, _ = recorder.calls[-1]
    # The guard classified its own copy: the last frame, not what the buffer held later.
    assert last_result.sensitive and np.array_equal(last_frame, SENSITIVE)  # type: ignore[attr-defined]


def test_close_stops_the_inference_thread():
    recorder = Recorder()
    live = live_guard(recorder)
    live.classify_async(BENIGN, 0, color_order="BGR")
    live.close()
    assert not any(t.name == "nudeguard-live-stream" and t.is_alive() for t in threading.enumerate())
    with pytest.raises(ValueError, match="closed"):
        live.classify_async(BENIGN, 1, color_order="BGR")
    assert recorder.timestamps == [0]  # frames already handed over finish before the thread stops


def test_an_exception_in_the_callback_is_raised_by_close():
    failed = threading.Event()

    def callback(result: object, frame: np.ndarray, timestamp_ms: int) -> None:
        failed.set()
        raise KeyError("the app's bug")

    live = live_guard(callback)
    live.classify_async(BENIGN, 0, color_order="BGR")
    assert failed.wait(30)
    with pytest.raises(KeyError, match="the app's bug"):
        live.close()  # joins the thread first, so the error is there
    with pytest.raises(ValueError, match="closed"):
        live.classify_async(BENIGN, 1, color_order="BGR")


def test_live_stream_needs_a_callback_and_the_right_methods():
    with pytest.raises(ValueError, match="needs result_callback"):
        nudeguard.Guard(GuardOptions(running_mode=RunningMode.LIVE_STREAM))
    with pytest.raises(ValueError, match="result_callback is for running_mode=LIVE_STREAM"):
        nudeguard.Guard(GuardOptions(result_callback=Recorder()))
    with live_guard(Recorder()) as live:
        with pytest.raises(ValueError, match=r"runs in LIVE_STREAM mode; call classify_async\(frame, timestamp_ms, "):
            live.classify(BENIGN, color_order="BGR")
        with pytest.raises(ValueError, match="classify_async"):
            live.classify_for_video(BENIGN, 0, color_order="BGR")
        live.classify_async(BENIGN, 5, color_order="BGR")
        with pytest.raises(ValueError, match="increase monotonically"):
            live.classify_async(BENIGN, 5, color_order="BGR")
    with nudeguard.Guard() as image:
        with pytest.raises(ValueError, match=r"runs in IMAGE mode; call classify\(image\)"):
            image.classify_async(BENIGN, 0, color_order="BGR")
