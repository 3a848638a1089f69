"""Videos and live camera frames: running modes, decoding, frame sampling, duplicate skipping.

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
:class:`ImageError`. A sampled frame whose 32 x 32 luma thumbnail differs from the last classified
frame's by at most :data:`DUPLICATE_MAX_LUMA_DIFF` levels anywhere is a near duplicate: it
gets that frame's score without running the model.

What sampling guarantees: a sensitive scene that stays on screen for at least one sampling
interval (``1 / video_sample_fps`` s, or ``duration / (max_video_frames - 1)`` for videos
longer than ``max_video_frames / video_sample_fps`` s) contains a sampled frame and is
caught; the first and the last frame are always checked. A single sensitive frame between
samples is not.
"""

from __future__ import annotations

import contextlib
import enum
import io
import math
import os
import threading
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, Iterator, List, Optional, Tuple, Union

import cv2
import numpy as np

from .. import _native
from .._native_stderr import native_output_logged
from ..errors import ImageError, NudeguardError, closed_guard_error
from .image import Pixels, _check_pixels, _read_bytes, describe, load_frames

__all__ = [
    "DUPLICATE_MAX_LUMA_DIFF",
    "LiveStreamCallback",
    "RunningMode",
    "SEEK_MIN_INTERVAL_MS",
    "VideoClassification",
    "VideoInput",
    "video_container",
]

#: Side of the luma thumbnail compared to find near-duplicate frames. One cell averages about
#: 7 x 7 pixels of the model's 224 x 224 input, so a change too small to move any cell is
#: also too small for the model to see.
THUMBNAIL_SIDE = 32
#: Largest per-cell luma difference (0..255) of two thumbnails that still counts as the same
#: picture. Re-encoding a still scene with MPEG-4 part 2 moves cells by 1-2 levels.
DUPLICATE_MAX_LUMA_DIFF = 3
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

#: Accepted video inputs: a path, the file's bytes, or a binary file object.
VideoInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO]

#: ``result_callback(result, frame, timestamp_ms)`` of a LIVE_STREAM guard; ``result`` is the
#: frame's :class:`~nudeguard.Classification`, or the :class:`NudeguardError` that stopped
#: inference on it (treat that frame as sensitive: fail closed).
LiveStreamCallback = Callable[[Any, np.ndarray, int], None]

_ISO_IMAGE_BRANDS = {b"avif", b"avis", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


class RunningMode(enum.Enum):
    """What a :class:`~nudeguard.Guard` is created for (as in MediaPipe Tasks)."""

    IMAGE = "image"
    """Still images, animations and video files: ``classify``, ``scan``, ``check_video``,
    ``check_outgoing``, ``check_incoming`` and their ``*_async`` coroutines."""
    VIDEO = "video"
    """Decoded frames of one video, in order: ``classify_for_video(frame, timestamp_ms)``."""
    LIVE_STREAM = "live_stream"
    """Camera frames as they come: ``classify_async(frame, timestamp_ms)``; results go to
    ``GuardOptions.result_callback`` and frames that arrive while the model is busy are dropped."""


#: The method to call in each mode, for the error message of a call in the wrong one.
MODE_METHODS = {
    RunningMode.IMAGE: "classify(image), scan(image), check_video(video) or check_outgoing/check_incoming",
    RunningMode.VIDEO: "classify_for_video(frame, timestamp_ms, color_order=...)",
    RunningMode.LIVE_STREAM: "classify_async(frame, timestamp_ms, color_order=...)",
}


@dataclass(frozen=True)
class VideoClassification:
    """The model's answer for a video file or an animation."""

    score: float
    """Highest sensitive-class probability over the frames checked."""
    sensitive: bool
    """Some checked frame scored at or above the guard's threshold."""
    sensitive_timestamps_ms: Tuple[int, ...]
    """Presentation times of the sensitive frames, in order. Only the first one unless
    ``check_video(..., stop_at_first_sensitive=False)``."""
    frames_checked: int
    """Sampled frames the model classified."""
    frames_skipped_as_duplicates: int
    """Sampled frames that were near duplicates of the last classified frame and took its score."""
    frame_count: int
    """Frames in the video as its header declares them (for a variable frame rate, the
    container's estimate: duration x average rate)."""
    duration_ms: int
    """Length of the video as its header declares it (sum of frame delays for animations)."""
    width: int
    height: int


def video_container(image: object) -> Optional[str]:
    """``"MP4"`` (also MOV, 3GP), ``"Matroska"`` (WebM, MKV) or ``"AVI"`` when a path or bytes
    start like that container; ``None`` for anything else (images, arrays, file objects).
    HEIF/AVIF still images share MP4's box layout and are recognised as images by their brand."""
    if isinstance(image, (bytes, bytearray, memoryview)):
        head = bytes(image[:16])
    elif isinstance(image, (str, os.PathLike)):
        try:
            with open(image, "rb") as stream:
                head = stream.read(16)
        except OSError:
            return None  # the image path reports the error
    else:
        return None
    if head[4:8] == b"ftyp" and head[8:12] not in _ISO_IMAGE_BRANDS:
        return "MP4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "Matroska"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "AVI"
    return None


# -- decoding -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampledFrame:
    """A frame chosen by the sampler, decoded to BGR."""

    pixels: Pixels
    index: int
    timestamp_ms: int
    scheduled: bool = True
    """False for the video's last frame when it fell between two scheduled samples."""


@dataclass(frozen=True)
class VideoInfo:
    frame_count: int
    duration_ms: int
    width: int
    height: int


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

    def __init__(self, video: VideoInput, *, max_pixels: int) -> None:
        self.source = describe(video)
        self._file: Optional[BinaryIO] = None
        self._data: Optional[bytes] = None
        self._memfd: Optional[BinaryIO] = None
        # FFmpeg decodes in threads of its own, which may print between two calls: fd 2 stays
        # captured from open to close (each call passes on what the host wrote meanwhile).
        self._quiet = contextlib.ExitStack()
        self._quiet.enter_context(native_output_logged())
        try:
            if isinstance(video, (str, os.PathLike)):
                try:
                    self._file = open(video, "rb")
                except FileNotFoundError:
                    raise ImageError(f"{self.source}: no such file") from None
                except OSError as exc:
                    raise ImageError(f"{self.source}: cannot read file: {exc.strerror or exc}") from None
            else:
                self._data = _read_bytes(video, self.source)
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

    def _probe(self, max_pixels: int) -> VideoInfo:
        capture = self._capture
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if width <= 0 or height <= 0:
            raise ImageError(f"{self.source}: the video declares no frame size")
        _check_pixels(self.source, "each frame of the video", width, height, max_pixels)
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
        return VideoInfo(count, round(duration_ms), width, height)

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


def sampled_frames(
    video: VideoInput, *, sample_fps: float, max_frames: int, max_pixels: int,
    min_size: Optional[Tuple[int, int]] = None,
) -> Tuple[VideoInfo, Iterator[SampledFrame]]:
    """The video's properties and a lazy iterator over its sampled frames: a video file
    through FFmpeg, or an animated GIF/WebP through the image decoder (every frame up to
    ``max_frames``, spread evenly beyond that; a still image is one frame at 0 ms, a JPEG
    decoded at the smallest DCT scale covering ``min_size``)."""
    if not isinstance(video, (str, os.PathLike, bytes, bytearray, memoryview)):
        video = _read_bytes(video, describe(video))  # a file object: read once, then sniff
    if video_container(video) is None:
        frames = load_frames(video, min_size=min_size, max_pixels=max_pixels, max_frames=max_frames,
                             accepts_video=True)
        first = frames.frames[0]
        width, height = first.size
        times = frames.timestamps_ms or (0,) * len(frames.frames)
        info = VideoInfo(frames.frame_count, frames.duration_ms, width, height)
        return info, (SampledFrame(p, i, t) for p, i, t in zip(frames.frames, frames.indices, times))
    reader = VideoReader(video, max_pixels=max_pixels)
    return reader.info, _ReaderFrames(reader, sample_interval_ms(reader.last_frame_ms, sample_fps, max_frames))


class _ReaderFrames(Iterator[SampledFrame]):
    """A reader's sampled frames. The reader is closed at the end, on an error, or by
    ``close()``, also when no frame was asked for (a generator could not do that)."""

    def __init__(self, reader: VideoReader, interval_ms: float) -> None:
        self._reader = reader
        self._frames = reader.frames(interval_ms)

    def __next__(self) -> SampledFrame:
        try:
            return next(self._frames)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._frames.close()
        self._reader.close()


# -- near duplicates ------------------------------------------------------------------------


def luma_thumbnail(pixels: Pixels) -> np.ndarray:
    """The frame as a THUMBNAIL_SIDE x THUMBNAIL_SIDE luma image (int16, for differences)."""
    array = pixels.array
    # Every step-th pixel first: area-averaging a 1080p frame costs ~15 ms, its 1/64 ~0.3 ms,
    # and each cell still averages dozens of pixels.
    step = max(1, min(array.shape[0], array.shape[1]) // (8 * THUMBNAIL_SIDE))
    if step > 1:
        array = np.ascontiguousarray(array[::step, ::step])
    small = cv2.resize(array, (THUMBNAIL_SIDE, THUMBNAIL_SIDE), interpolation=cv2.INTER_AREA)
    if small.ndim == 3:
        conversion = cv2.COLOR_BGRA2GRAY if small.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        small = cv2.cvtColor(small, conversion)
    return small.astype(np.int16)


def is_near_duplicate(thumbnail: np.ndarray, previous: Optional[np.ndarray]) -> bool:
    return previous is not None and int(np.abs(thumbnail - previous).max()) <= DUPLICATE_MAX_LUMA_DIFF


def check_sampled(
    info: VideoInfo,
    frames: Iterator[SampledFrame],
    classify_frame: Callable[[Pixels], Any],
    *,
    stop_at_first_sensitive: bool,
) -> Tuple[VideoClassification, Any, Pixels]:
    """Classify the sampled frames, near duplicates excepted. Returns the video's result,
    the best frame's ``Classification`` (from ``classify_frame``) and the first frame's
    pixels: the poster a chat shows before the video plays."""
    sensitive_at: List[int] = []
    checked = skipped = 0
    best: Any = None
    poster: Optional[Pixels] = None
    previous: Optional[np.ndarray] = None
    previous_result: Any = None
    try:
        for frame in frames:
            if poster is None:
                poster = frame.pixels
            # A still image has no neighbour to compare with: skip the thumbnail's ~1 ms.
            thumbnail = luma_thumbnail(frame.pixels) if info.frame_count != 1 else None
            if thumbnail is not None and is_near_duplicate(thumbnail, previous):
                skipped += 1
                result = previous_result
            else:
                result = classify_frame(frame.pixels)
                checked += 1
                previous, previous_result = thumbnail, result
            if best is None or result.score > best.score:
                best = result
            if result.sensitive:
                sensitive_at.append(frame.timestamp_ms)
                if stop_at_first_sensitive:
                    break
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()  # releases the decoder also when checking stopped early or failed
    if poster is None:
        raise ImageError("the video has no decodable frames")
    video_result = VideoClassification(
        score=best.score, sensitive=bool(sensitive_at), sensitive_timestamps_ms=tuple(sensitive_at),
        frames_checked=checked, frames_skipped_as_duplicates=skipped, frame_count=info.frame_count,
        duration_ms=info.duration_ms, width=info.width, height=info.height,
    )
    return video_result, best, poster


# -- live stream ----------------------------------------------------------------------------


class LiveStream:
    """One inference thread for a LIVE_STREAM guard, with a one-frame slot: a frame that
    arrives while the model is busy replaces the waiting one (the older is dropped), so
    results follow the camera instead of falling behind it."""

    def __init__(self, infer: Callable[[Pixels], Any], callback: LiveStreamCallback) -> None:
        self._infer = infer
        self._callback = callback
        self._slot: Optional[Tuple[Pixels, int]] = None
        self._condition = threading.Condition()
        self._stopped = False
        self._callback_error: Optional[BaseException] = None
        self.frames_dropped = 0
        self._thread = threading.Thread(target=self._run, name="nudeguard-live-stream", daemon=True)
        self._thread.start()

    def submit(self, pixels: Pixels, timestamp_ms: int) -> None:
        with self._condition:
            self._raise_callback_error()
            if self._stopped:
                raise closed_guard_error()
            if self._slot is not None:
                self.frames_dropped += 1
            self._slot = (pixels, timestamp_ms)
            self._condition.notify()

    def _raise_callback_error(self) -> None:
        error, self._callback_error = self._callback_error, None
        if error is not None:
            raise error

    def _run(self) -> None:
        while True:
            with self._condition:
                while self._slot is None and not self._stopped:
                    self._condition.wait()
                if self._slot is None:
                    return  # stopped, nothing left
                (pixels, timestamp_ms), self._slot = self._slot, None
            try:
                result: Any = self._infer(pixels)
            except NudeguardError as exc:
                result = exc
            except ValueError:
                return  # the guard was closed while this frame waited for an interpreter
            try:
                self._callback(result, pixels.array, timestamp_ms)
            except Exception as exc:  # the caller's bug: raised by their next call
                with self._condition:
                    self._callback_error = exc

    def close(self) -> None:
        """Take no more frames, finish the one being classified and the one waiting (so the
        latest frame always gets its callback), then stop the thread. Re-raises an exception
        the callback raised that no call has reported yet."""
        with self._condition:
            self._stopped = True
            self._condition.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join()
        with self._condition:
            self._raise_callback_error()
