"""Video benchmark: seconds of 1080p video checked per second of wall time, and live-stream
frames per second on one core, each against a baseline measured in the same run.

    python benchmarks/video.py [--seconds 10] [--fps 30] [--repeats 3]

The videos are made in the run: the benign fixture photos at 1920 x 1080, a new photo every
2 s, panning sideways (every frame differs) or held still (a still scene, where skipping near
duplicates pays), written with cv2.VideoWriter (MPEG-4 part 2 in MP4) to a temporary
directory that is removed at the end.

Files, at the default sampling (2 frames a second, near duplicates skipped):
  * nudeguard   ``guard.check_video(path)``, every sample checked (no stop: all benign)
  * naive       ``cv2.VideoCapture.read()`` of every frame (decode + convert), ``guard.scan``
                of every 15th (the same 2 samples a second), no duplicate skipping
  * seek        ``CAP_PROP_POS_MSEC`` seek to each sample time, then ``read()``, ``guard.scan``
and, without the model, the ways to skip frames: ``read()`` of every frame vs ``grab()``, and
for samples 5 s apart (long videos) ``grab()`` in order vs seeking.

Live stream, one core (``threads=1``, ``cv2.setNumThreads(1)``), 640 x 480 frames:
  * classify_async  frames handed over as fast as the caller can; results per second
  * synchronous     ``classify_for_video`` in a loop (the model's own rate)
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np

import nudeguard
import nudeguard.media.source
import nudeguard.media.video
from nudeguard import GuardOptions, RunningMode

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "benign"
WIDTH, HEIGHT = 1920, 1080


def make_video(path: Path, seconds: float, fps: int, pan: bool = True) -> int:
    photos = [cv2.resize(cv2.imread(str(p)), (WIDTH + 400, HEIGHT), interpolation=cv2.INTER_CUBIC)
              for p in sorted(FIXTURES.glob("*.jpg"))]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (WIDTH, HEIGHT))
    count = int(seconds * fps)
    for i in range(count):
        photo = photos[(i // (2 * fps)) % len(photos)]
        offset = (i % (2 * fps)) * 400 // (2 * fps) if pan else 0
        writer.write(np.ascontiguousarray(photo[:, offset:offset + WIDTH]))
    writer.release()
    return count


def timed(fn, repeats: int = 1) -> float:
    """Best wall time of ``repeats`` runs: other load on the machine only ever adds time."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def naive(guard: nudeguard.Guard, path: Path, stride: int) -> int:
    capture = cv2.VideoCapture(str(path))
    index = checked = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index % stride == 0:
            guard.scan(frame, color_order="BGR")
            checked += 1
        index += 1
    capture.release()
    return checked


def seek(guard: nudeguard.Guard, path: Path, duration_s: float, sample_fps: float) -> int:
    capture = cv2.VideoCapture(str(path))
    checked = 0
    for k in range(int(duration_s * sample_fps)):
        capture.set(cv2.CAP_PROP_POS_MSEC, k * 1000 / sample_fps)
        ok, frame = capture.read()
        if ok:
            guard.scan(frame, color_order="BGR")
            checked += 1
    capture.release()
    return checked


SPARSE_MS = 5000.0


def sparse(path: Path, how: str) -> None:
    """The frames 5 s apart that VideoReader hands to the model, reached in order or by seeking."""
    encoded = nudeguard.media.source.read_encoded(path, str(path))
    with nudeguard.media.video.VideoReader(encoded, max_pixels=WIDTH * HEIGHT) as reader:
        frames = reader._frames_in_order if how == "in order" else reader._frames_by_seeking
        for _ in frames(SPARSE_MS):
            pass


def decode_all(path: Path, method: str) -> None:
    capture = cv2.VideoCapture(str(path))
    step = capture.read if method == "read" else capture.grab
    while True:
        result = step()
        if not (result[0] if isinstance(result, tuple) else result):
            break
    capture.release()


def live_stream_fps(seconds: float) -> tuple:
    frame = cv2.resize(cv2.imread(str(FIXTURES / "coffee.jpg")), (640, 480), interpolation=cv2.INTER_AREA)
    done = []
    lock = threading.Lock()

    def on_result(result, image, timestamp_ms):
        with lock:
            done.append(timestamp_ms)

    options = GuardOptions(running_mode=RunningMode.LIVE_STREAM, result_callback=on_result, threads=1)
    submitted = 0
    with nudeguard.Guard(options) as live:
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            live.classify_async(frame, submitted, color_order="BGR")
            submitted += 1
            time.sleep(1 / 120)  # a fast camera: 120 frames a second
        elapsed = time.perf_counter() - start
    async_fps = len(done) / elapsed
    with nudeguard.Guard(GuardOptions(running_mode=RunningMode.VIDEO, threads=1)) as video:
        video.classify_for_video(frame, 0, color_order="BGR")
        count, start = 1, time.perf_counter()
        while time.perf_counter() - start < seconds:
            video.classify_for_video(frame, count, color_order="BGR")
            count += 1
        sync_fps = (count - 1) / (time.perf_counter() - start)
    return async_fps, sync_fps, submitted / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the generated video")
    parser.add_argument("--repeats", type=int, default=3, help="runs per method; the best counts")
    parser.add_argument("--fps", type=int, default=30, help="frame rate of the generated video")
    parser.add_argument("--live-seconds", type=float, default=5.0, help="time per live-stream measurement")
    args = parser.parse_args()
    print(f"nudeguard {nudeguard.__version__}, ISA {nudeguard.isa()}, OpenCV {cv2.__version__}")
    print("| video | method | wall s | video s per wall s | vs naive | classified | skipped |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp, nudeguard.Guard() as guard:
        sample_fps = guard.options.video_sample_fps
        stride = round(args.fps / sample_fps)
        for pan in (True, False):
            path = Path(tmp) / f"bench_1080p_{'pan' if pan else 'still'}.mp4"
            count = make_video(path, args.seconds, args.fps, pan)
            duration = count / args.fps
            name = f"{WIDTH}x{HEIGHT} {args.fps} fps {duration:.0f} s {'panning' if pan else 'still'}"
            guard.check_video(path)  # warm up: interpreter, page cache
            result = None

            def ours() -> None:
                nonlocal result
                result = guard.check_video(path, stop_at_first_sensitive=False)

            t_ours = t_naive = float("inf")
            for _ in range(args.repeats):  # interleaved, so a burst of other load hits both
                t_ours = min(t_ours, timed(ours))
                t_naive = min(t_naive, timed(lambda: naive(guard, path, stride)))
            assert result is not None and not result.sensitive
            rows = [("nudeguard check_video", t_ours, result.frames_checked, result.frames_skipped_as_duplicates),
                    ("naive read()+scan", t_naive, count // stride + 1, 0)]
            if pan:
                rows.append(("seek POS_MSEC+scan", timed(lambda: seek(guard, path, duration, sample_fps), args.repeats),
                             int(duration * sample_fps), 0))
            for method, t, classified, skipped in rows:
                print(f"| {name} | {method} | {t:.2f} | {duration / t:.1f} | {t_naive / t:.2f}x | "
                      f"{classified} | {skipped} |")
            if pan:
                t_read = timed(lambda: decode_all(path, "read"), args.repeats)
                t_grab = timed(lambda: decode_all(path, "grab"), args.repeats)
                t_apart = {how: timed(lambda: sparse(path, how), args.repeats) for how in ("in order", "seeking")}
    print(f"decode only ({count} frames, panning): read() every frame {t_read:.2f} s, grab() every frame "
          f"{t_grab:.2f} s (grab {t_read / t_grab:.2f}x faster)")
    print(f"decode only, samples {SPARSE_MS / 1000:g} s apart: grab() in order {t_apart['in order']:.2f} s, "
          f"seeking {t_apart['seeking']:.2f} s ({t_apart['in order'] / t_apart['seeking']:.2f}x)")
    cv2.setNumThreads(1)
    async_fps, sync_fps, offered = live_stream_fps(args.live_seconds)
    print(f"live stream 640x480, threads=1: {async_fps:.1f} results/s from {offered:.0f} frames/s offered; "
          f"synchronous classify_for_video {sync_fps:.1f} frames/s (async/sync {async_fps / sync_fps:.2f})")


if __name__ == "__main__":
    main()
