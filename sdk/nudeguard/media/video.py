"""Video files: decoding through FFmpeg and sampling frames at an interval.

Video files (MP4, MOV, 3GP, WebM, MKV, AVI) are decoded by OpenCV's bundled FFmpeg. Every
input reaches FFmpeg through OpenCV's stream-reader API (``cv2.VideoCapture`` of an
``io.BufferedIOBase``: the file opened by Python, or the bytes in an ``io.BytesIO``), so bytes
never go to a temporary file and FFmpeg never interprets a file name as a URL or protocol.
An OpenCV without that API (before 4.10) reads paths directly and refuses bytes with
:class:`ImageError`, asking for a path.

Sampling: ``GuardOptions.video_sample_fps`` frames a second, plus the last frame; when that
is more than ``GuardOptions.max_video_frames``, that many frames spread evenly, first and
last included. Frames between samples are only decoded (``grab``), never converted; samples
:data:`SEEK_MIN_INTERVAL_MS` or more apart are reached by seeking instead. A truncated
stream, one that runs on past its declared duration, or frames over the pixel limit raise
:class:`ImageError`.

What sampling guarantees: a sensitive scene that stays on screen for at least one sampling
interval (``1 / video_sample_fps`` s, or ``duration / (max_video_frames - 1)`` for videos
longer than ``max_video_frames / video_sample_fps`` s) contains a sampled frame and is
caught; the first and the last frame are always checked. A single sensitive frame between
samples is not.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
from typing import Any, BinaryIO, Iterator, List, Optional, Tuple

import cv2
import numpy as np

from .. import _native
from .._native_stderr import native_output_logged
from ..errors import ImageError
from .pixels import MediaInfo, Pixels, SampledFrame
from .source import Encoded, check_pixels

__all__ = ["SEEK_MIN_INTERVAL_MS", "VideoReader", "sample_interval_ms"]

#: How far (a share of the declared duration, and at least 3 frame intervals) the stream may
#: end before or after the duration its header declares before it counts as truncated or
#: padded. Variable-frame-rate phone videos make the declared frame count an estimate, so
#: the check is on time; the frames this close to the end are all decoded, so the real last
#: frame is checked wherever it falls.
_END_TOLERANCE = 0.03
#: Samples this far apart (milliseconds) are reached by seeking, which decodes from the
#: keyframe before each one, instead of decoding every frame in between. Phone videos have a
#: keyframe every 1-2 s: beyond 3 s a seek decodes fewer frames than reading on
#: (benchmarks/video.py: 3.3x faster for 1080p samples 5 s apart).
SEEK_MIN_INTERVAL_MS = 3000.0
#: How long FFmpeg may block in opening or reading one packet (milliseconds).
_FFMPEG_TIMEOUT_MS = 10_000


class _Capture:
    """A ``cv2.VideoCapture`` whose decoding calls keep FFmpeg's and OpenCV's messages ("moov
    atom not found") off the host's stderr: they reach the ``nudeguard`` logger instead."""

    def __init__(self, source_object: Any, params: List[int]) -> None:
        with native_output_logged():
            self._capture = cv2.VideoCapture(source_object, cv2.CAP_FFMPEG, params)

    def isOpened(self) -> bool:
        return bool(self._capture.isOpened())

    def get(self, prop: int) -> float:
        return float(self._capture.get(prop))

    def set(self, prop: int, value: float) -> bool:
        with native_output_logged():
            return bool(self._capture.set(prop, value))

    def grab(self) -> bool:
        with native_output_logged():
            return bool(self._capture.grab())

    def retrieve(self) -> Tuple[bool, Optional[np.ndarray]]:
        with native_output_logged():
            return self._capture.retrieve()

    def release(self) -> None:
        with native_output_logged():
            self._capture.release()


def _open_capture(source_object: Any, source: str) -> _Capture:
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, _FFMPEG_TIMEOUT_MS, cv2.CAP_PROP_READ_TIMEOUT_MSEC, _FFMPEG_TIMEOUT_MS]
    try:
        capture = _Capture(source_object, params)
    except (cv2.error, TypeError, SystemError) as exc:
        raise ImageError(f"{source}: OpenCV {cv2.__version__} cannot read this video: {exc}") from None
    if not capture.isOpened():
        capture.release()
        raise ImageError(f"{source}: not a decodable video (truncated, damaged, or a codec FFmpeg lacks)")
    return capture


class VideoReader:
    """One open video: its declared properties, then its sampled frames, once."""

    def __init__(self, encoded: Encoded, *, max_pixels: int) -> None:
        """Open the video ``read_encoded`` gave: its open file (which the reader now owns and
        closes) or its bytes."""
        self.source = encoded.source
        self._file: Optional[BinaryIO] = encoded.stream
        self._data: Optional[bytes] = encoded.data
        self._memfd: Optional[BinaryIO] = None
        # FFmpeg decodes in threads of its own, which may print between two calls: fd 2 stays
        # captured from open to close (each call passes on what the host wrote meanwhile).
        self._quiet = contextlib.ExitStack()
        self._quiet.enter_context(native_output_logged())
        try:
            self._capture = self._open()
            self.info = self._probe(max_pixels)
        except BaseException:
            self.close()
            raise

    def _open(self) -> _Capture:
        if not hasattr(cv2, "IStreamReader"):
            return _open_capture(self._name_for_old_opencv(), self.source)
        # OpenCV takes an io.BufferedIOBase: an open file (FFmpeg then never sees the name) or
        # the bytes in an io.BytesIO. OpenCV keeps no reference to it: self does, until
        # the capture is released, or FFmpeg reads freed memory.
        self._stream: BinaryIO = self._file if self._file is not None else io.BytesIO(self._data or b"")
        self._stream.seek(0)
        return _open_capture(self._stream, self.source)

    def _name_for_old_opencv(self) -> str:
        """OpenCV before 4.11 opens videos by name only. Bytes then go into an anonymous
        in-memory file (Linux memfd: RAM, never a disk) that FFmpeg opens through /proc."""
        if self._file is not None:
            return os.fspath(self._file.name)
        if self._memfd is None:
            if not hasattr(os, "memfd_create"):
                raise ImageError(f"{self.source}: OpenCV {cv2.__version__} reads videos from files only "
                                 "(its stream API needs 4.11+); pass a path")
            self._memfd = os.fdopen(os.memfd_create("nudeguard-video", os.MFD_CLOEXEC), "w+b")
            self._memfd.write(self._data or b"")
            self._memfd.flush()
        return f"/proc/self/fd/{self._memfd.fileno()}"

    def _probe(self, max_pixels: int) -> MediaInfo:
        capture = self._capture
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if width <= 0 or height <= 0:
            raise ImageError(f"{self.source}: the video declares no frame size")
        check_pixels(self.source, "each frame of the video", width, height, max_pixels)
        fps = capture.get(cv2.CAP_PROP_FPS)
        if not (math.isfinite(fps) and 0 < fps <= 1000):
            raise ImageError(f"{self.source}: the video declares no usable frame rate ({fps})")
        self.fps = float(fps)
        self.frame_ms = 1000.0 / self.fps
        declared = capture.get(cv2.CAP_PROP_FRAME_COUNT)
        if math.isfinite(declared) and declared >= 1:
            count = int(round(declared))
            duration_ms = count * self.frame_ms  # OpenCV derives the count from the container's duration
        else:
            count, duration_ms = self._measure()  # e.g. WebM from a browser's MediaRecorder has no duration
        return MediaInfo(count, round(duration_ms), width, height)

    def _measure(self) -> Tuple[int, float]:
        """Frame count and duration of a video whose header does not say, by demuxing and
        decoding it once (no conversion); then the video is opened again for sampling."""
        count, last_ms = 0, 0.0
        while self._capture.grab():
            last_ms = self._position_ms(count)
            count += 1
        if count == 0:
            raise ImageError(f"{self.source}: the video has no decodable frames")
        self._capture.release()
        self._capture = self._open()
        return count, max(count * self.frame_ms, last_ms + self.frame_ms)

    @property
    def last_frame_ms(self) -> float:
        """When the last frame is shown, as the header declares."""
        return max(0.0, self.info.duration_ms - self.frame_ms)

    def frames(self, interval_ms: float) -> Iterator[SampledFrame]:
        """The first frame at or after each multiple of ``interval_ms``, in order, then the
        real last frame if it fell between two of those (``scheduled=False``). Raises
        :class:`ImageError` when the stream ends well before its declared duration
        (truncated) or runs on well past it."""
        if interval_ms >= SEEK_MIN_INTERVAL_MS:
            return self._frames_by_seeking(interval_ms)
        return self._frames_in_order(interval_ms)

    def _frames_by_seeking(self, interval_ms: float) -> Iterator[SampledFrame]:
        duration_ms = self.info.duration_ms
        slack_ms = max(3 * self.frame_ms, _END_TOLERANCE * duration_ms)
        target_ms = 0.0
        while True:
            target_ms = min(target_ms, self.last_frame_ms)
            if target_ms > 0 and not self._capture.set(cv2.CAP_PROP_POS_MSEC, target_ms):
                raise ImageError(f"{self.source}: cannot seek to {target_ms / 1000:.3f} s (truncated or damaged)")
            if not self._capture.grab():
                raise ImageError(f"{self.source}: the video ends before {target_ms / 1000:.3f} s of the "
                                 f"{duration_ms / 1000:.3f} s it declares (truncated or damaged)")
            position_ms = self._position_ms(round(target_ms / self.frame_ms))
            yield self._retrieve(round(position_ms / self.frame_ms), position_ms, scheduled=True)
            if target_ms >= self.last_frame_ms:
                break
            target_ms += interval_ms
        while self._capture.grab():  # the few frames after the declared last one, if any
            if self._position_ms(0) > duration_ms + slack_ms:
                raise ImageError(f"{self.source}: the video runs on past the {duration_ms / 1000:.3f} s it "
                                 "declares; refusing to check it partly")

    def _frames_in_order(self, interval_ms: float) -> Iterator[SampledFrame]:
        duration_ms = self.info.duration_ms
        slack_ms = max(3 * self.frame_ms, _END_TOLERANCE * duration_ms)
        due_ms = 0.0
        last: Optional[SampledFrame] = None
        index, position_ms = 0, 0.0
        while self._capture.grab():
            position_ms = self._position_ms(index)
            if position_ms > duration_ms + slack_ms:
                raise ImageError(f"{self.source}: the video runs on past the {duration_ms / 1000:.3f} s it "
                                 "declares; refusing to check it partly")
            due = position_ms + 0.5 >= due_ms  # timestamps are rounded to the millisecond
            if due or position_ms >= self.last_frame_ms - slack_ms:
                frame = self._retrieve(index, position_ms, scheduled=due)
                if due:
                    yield frame
                    while due_ms <= position_ms + 0.5:
                        due_ms += interval_ms
                    last = None
                else:
                    last = frame  # perhaps the last one
            index += 1
        if index == 0:
            raise ImageError(f"{self.source}: the video has no decodable frames")
        if position_ms < self.last_frame_ms - slack_ms:
            raise ImageError(f"{self.source}: the video ends at {position_ms / 1000:.3f} s of the "
                             f"{duration_ms / 1000:.3f} s it declares (truncated or damaged)")
        if last is not None:
            yield last

    def _position_ms(self, index: int) -> float:
        position = self._capture.get(cv2.CAP_PROP_POS_MSEC)
        return position if math.isfinite(position) and position >= 0 else index * self.frame_ms

    def _retrieve(self, index: int, position_ms: float, *, scheduled: bool) -> SampledFrame:
        ok, array = self._capture.retrieve()
        if not ok or array is None or array.ndim != 3 or array.shape[2] != 3:
            raise ImageError(f"{self.source}: cannot decode frame {index}")
        pixels = Pixels(array, _native.PixelFormat.BGR, f"{self.source} frame {index}")
        return SampledFrame(pixels, index, round(position_ms), scheduled)

    def close(self) -> None:
        capture = getattr(self, "_capture", None)
        if capture is not None:
            capture.release()
        for file in (self._file, self._memfd):
            if file is not None:
                file.close()
        self._quiet.close()

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def sample_interval_ms(last_frame_ms: float, sample_fps: float, max_frames: int) -> float:
    """Time between samples: ``1 / sample_fps``, or wider so that the samples from 0 to
    ``last_frame_ms`` and the last frame number at most ``max_frames`` (then spread evenly,
    the last sample on the last frame)."""
    interval_ms = 1000.0 / sample_fps
    if last_frame_ms > 0 and math.floor(last_frame_ms / interval_ms) + 2 > max_frames:
        interval_ms = last_frame_ms / (max_frames - 1)
    return interval_ms
