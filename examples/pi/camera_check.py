"""Check a camera's frames a few times a second; veil the preview while a frame is sensitive.

    python examples/pi/camera_check.py                          # camera 0, preview window
    python examples/pi/camera_check.py --no-window              # over SSH: one line per check
    python examples/pi/camera_check.py --source clip.mp4 --no-window --json --save-previews out/

``--source`` is a camera index or anything ``cv2.VideoCapture`` opens (a video file, an
RTSP URL). Frames are checked at ``--fps`` (default 2) with the whole-picture view (every
window, one inference); the preview shows every frame, veiled from a sensitive check until a clean one.

A camera runs the guard in LIVE_STREAM mode: ``classify_async`` hands a frame to the
guard's inference thread and returns at once, so the preview never waits for the model, and
a frame that arrives while the model is busy replaces the waiting one. The time printed is
then the time since the start, and the latency is from handing the frame over to its result.
A video file runs in VIDEO mode (``classify_for_video``): frames are sampled by their
position in the video and none is dropped, so the results do not depend on the machine's
speed; ``--real-time`` plays a file at its frame rate as if it were a camera instead.

The preview window needs an OpenCV with GUI support (``opencv-python`` from PyPI or Debian's
``python3-opencv``; nudeguard installs the headless build). Without one use ``--no-window``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import cv2
import numpy as np

import nudeguard
from nudeguard import RunningMode

WINDOW = "nudeguard camera check"


class CameraCheck:
    """Prints, records and saves each check's result, and knows whether to veil the preview.

    In LIVE_STREAM mode :meth:`on_result` is the guard's ``result_callback``, called from its
    inference thread, hence the lock."""

    def __init__(self, as_json: bool, previews: Optional[Path]) -> None:
        self.as_json = as_json
        self.previews = previews
        self.latencies_ms: List[float] = []
        self.veiled = False
        self._handed_over: Dict[int, Tuple[int, float]] = {}  # timestamp_ms -> (frame index, perf_counter)
        self._lock = threading.Lock()

    def handed_over(self, timestamp_ms: int, index: int) -> None:
        with self._lock:
            self._handed_over[timestamp_ms] = (index, time.perf_counter())

    def on_result(self, result: Any, frame: np.ndarray, timestamp_ms: int) -> None:
        with self._lock:
            index, began = self._handed_over.pop(timestamp_ms)
            # Frames dropped while the model was busy never get a result: forget them.
            for stale in [t for t in self._handed_over if t < timestamp_ms]:
                del self._handed_over[stale]
            latency_ms = (time.perf_counter() - began) * 1000
            self.latencies_ms.append(latency_ms)
            # A frame that could not be checked is treated as sensitive (fail closed).
            sensitive = not isinstance(result, nudeguard.Classification) or result.sensitive
            self.veiled = sensitive
            self._print(index, timestamp_ms, result, sensitive, latency_ms)
            if self.previews is not None:
                name = f"frame-{index:06d}{'-veiled' if sensitive else ''}.jpg"
                cv2.imwrite(str(self.previews / name), nudeguard.veil(frame) if sensitive else frame)

    def _print(self, index: int, timestamp_ms: int, result: Any, sensitive: bool, latency_ms: float) -> None:
        score = result.score if isinstance(result, nudeguard.Classification) else None
        if self.as_json:
            print(json.dumps({"frame": index, "time_ms": timestamp_ms, "score": None if score is None else round(score, 4),
                              "sensitive": sensitive, "check_ms": round(latency_ms, 1),
                              "error": None if score is not None else str(result)}), flush=True)
        else:
            state = "SENSITIVE (preview veiled)" if sensitive else "ok"
            shown = "  -  " if score is None else f"{score:.3f}"
            print(f"{timestamp_ms / 1000:8.2f} s  frame {index:6d}  score {shown}  {latency_ms:6.1f} ms  {state}",
                  flush=True)


def open_source(source: str) -> "cv2.VideoCapture":
    device: Union[int, str] = int(source) if source.isdigit() else source
    capture = cv2.VideoCapture(device)
    if not capture.isOpened():
        raise SystemExit(f"camera_check: cannot open {source!r} (no camera with that index, or an unreadable file)")
    return capture


def show(frame: np.ndarray) -> bool:
    """Shows a preview frame; False when the user pressed q or Esc."""
    try:
        cv2.imshow(WINDOW, frame)
        return cv2.waitKey(1) & 0xFF not in (ord("q"), 27)
    except cv2.error:
        raise SystemExit("camera_check: this OpenCV has no GUI (opencv-python-headless); "
                         "use --no-window or install opencv-python") from None


def check_file(guard: nudeguard.Guard, capture: "cv2.VideoCapture", check: CameraCheck, fps: float,
               window: bool, max_seconds: Optional[float]) -> None:
    """VIDEO mode: every ``file_fps / fps``-th frame, by position; skipped frames are not decoded."""
    file_fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    step = max(1, round(file_fps / fps))
    index = -1
    while True:
        index += 1
        timestamp_ms = round(index * 1000 / file_fps)
        if max_seconds is not None and timestamp_ms > max_seconds * 1000:
            return
        due = index % step == 0
        if not (due or window):
            if not capture.grab():
                return
            continue
        ok, frame = capture.read()
        if not ok:
            return
        if due:
            check.handed_over(timestamp_ms, index)
            check.on_result(guard.classify_for_video(frame, timestamp_ms, color_order="BGR"), frame, timestamp_ms)
        if window and not show(nudeguard.veil(frame) if check.veiled else frame):
            return


def check_live(guard: nudeguard.Guard, capture: "cv2.VideoCapture", check: CameraCheck, fps: float,
               window: bool, max_seconds: Optional[float], pace_fps: Optional[float]) -> None:
    """LIVE_STREAM mode: hands over a frame every ``1 / fps`` seconds; ``pace_fps`` plays a file
    at its frame rate."""
    start = time.monotonic()
    next_check_ms = 0.0
    index = -1
    while True:
        index += 1
        if pace_fps is not None:
            time.sleep(max(0.0, start + index / pace_fps - time.monotonic()))
        ok, frame = capture.read()
        if not ok:
            return
        elapsed_ms = (time.monotonic() - start) * 1000
        if max_seconds is not None and elapsed_ms > max_seconds * 1000:
            return
        if elapsed_ms >= next_check_ms:
            next_check_ms = elapsed_ms + 1000 / fps
            check.handed_over(int(elapsed_ms), index)
            guard.classify_async(frame, int(elapsed_ms), color_order="BGR")
        if window and not show(nudeguard.veil(frame) if check.veiled else frame):
            return


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="0", help="camera index or video file/URL (default: camera 0)")
    parser.add_argument("--fps", type=float, default=2.0, help="checks per second (default 2)")
    parser.add_argument("--real-time", action="store_true", help="play a video file as if it were a camera")
    parser.add_argument("--no-window", action="store_true", help="no preview window (SSH, tests)")
    parser.add_argument("--json", action="store_true", help="one JSON object per check")
    parser.add_argument("--save-previews", type=Path, metavar="DIR",
                        help="write each checked frame's preview (veiled when sensitive) as a JPEG")
    parser.add_argument("--max-seconds", type=float, help="stop after this long")
    parser.add_argument("--threads", type=int, help="interpreter threads (default: up to 4 cores)")
    args = parser.parse_args(argv)
    if not 0 < args.fps <= 60:
        parser.error("--fps must be in (0, 60]")
    if args.save_previews is not None:
        args.save_previews.mkdir(parents=True, exist_ok=True)
    check = CameraCheck(args.json, args.save_previews)
    capture = open_source(args.source)
    is_file = not args.source.isdigit()
    live = not is_file or args.real_time
    options = nudeguard.GuardOptions(
        threads=args.threads,
        running_mode=RunningMode.LIVE_STREAM if live else RunningMode.VIDEO,
        result_callback=check.on_result if live else None,
    )
    window = not args.no_window
    try:
        with nudeguard.Guard(options) as guard:
            if live:
                pace = (capture.get(cv2.CAP_PROP_FPS) or 30.0) if is_file else None
                check_live(guard, capture, check, args.fps, window, args.max_seconds, pace)
            else:
                check_file(guard, capture, check, args.fps, window, args.max_seconds)
    except KeyboardInterrupt:
        pass
    finally:
        capture.release()
        if window:
            with contextlib.suppress(cv2.error):  # a headless OpenCV, already reported by show()
                cv2.destroyAllWindows()
    if check.latencies_ms and not args.json:
        print(f"{len(check.latencies_ms)} checks, median {statistics.median(check.latencies_ms):.1f} ms, "
              f"slowest {max(check.latencies_ms):.1f} ms", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
