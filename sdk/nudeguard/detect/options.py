"""How a :class:`~nudeguard.Guard` is built: its options, running modes and their checks."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

import numpy as np

from ..media.source import DEFAULT_MAX_PIXELS
from .runtime import RUNTIME_NAMES

if TYPE_CHECKING:
    from ..hashing.hash_list import HashList

__all__ = ["GuardOptions", "LiveStreamCallback", "RunningMode", "check_options", "require_mode"]

#: ``result_callback(result, frame, timestamp_ms)`` of a LIVE_STREAM guard; ``result`` is the
#: frame's :class:`~nudeguard.Classification`, or the :class:`NudeguardError` that stopped
#: inference on it (treat that frame as sensitive: fail closed).
LiveStreamCallback = Callable[[Any, np.ndarray, int], None]


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
_MODE_METHODS = {
    RunningMode.IMAGE: "classify(image), scan(image), check_video(video) or check_outgoing/check_incoming",
    RunningMode.VIDEO: "classify_for_video(frame, timestamp_ms, color_order=...)",
    RunningMode.LIVE_STREAM: "classify_async(frame, timestamp_ms, color_order=...)",
}


@dataclass(frozen=True)
class GuardOptions:
    """How a :class:`Guard` is built. Every attribute has a safe default."""

    model_path: Optional[Union[str, "os.PathLike[str]"]] = None
    """A ``.tflite`` classifier with its JSON card beside it; ``None`` uses the
    bundled open_nsfw window model (float16 weights)."""

    threshold: Optional[float] = None
    """Probability of the sensitive class at or above which an image counts as
    sensitive; ``None`` takes the model card's default."""

    threads: Optional[int] = None
    """Threads of each interpreter; ``None`` means ``min(4, cpu count) // workers``, at least 1."""

    runtime: str = "auto"
    """``"auto"`` (LiteRT, else tflite-runtime), ``"litert"`` or
    ``"tflite-runtime"``. The ``NUDEGUARD_RUNTIME`` variable overrides ``"auto"``."""

    max_pixels: int = DEFAULT_MAX_PIXELS
    """Largest encoded image, in pixels (width x height), that will be decoded.
    Larger ones raise :class:`ImageError` after reading only the header, before
    any pixel memory is allocated, so a decompression bomb (a small file that
    claims, say, 50000 x 50000 pixels) fails fast. For an animation the limit covers
    all its frames together; for a video file, each frame (checked on the declared size,
    before decoding). Arrays are not limited."""

    workers: int = 1
    """Interpreters in the guard's pool: this many calls (from different threads, or
    ``*_async`` calls) run at the same time; more wait for a free one. Each interpreter
    holds its own copy of the model's activations (a few MB)."""

    locale: Optional[str] = None
    """Language of the warnings, e.g. ``"de"`` or ``"de-AT"`` (→ German); unknown or ``None``
    → English. Each ``check_*`` call can override it."""

    running_mode: RunningMode = RunningMode.IMAGE
    """``IMAGE``: images, animations and video files (``classify``, ``scan``, ``check_video``,
    ``check_outgoing``, ``check_incoming``). ``VIDEO``: decoded frames of one video in order
    (``classify_for_video``). ``LIVE_STREAM``: camera frames (``classify_async`` with
    ``result_callback``). A method of another mode raises ``ValueError`` naming the right one."""

    result_callback: Optional[LiveStreamCallback] = None
    """``LIVE_STREAM`` only, and required there: ``result_callback(result, frame, timestamp_ms)``,
    called from the guard's inference thread for every frame it classified (not for dropped
    ones). ``result`` is the frame's :class:`Classification`, or the :class:`NudeguardError`
    that stopped inference (fail closed: treat the frame as sensitive); ``frame`` is the
    guard's copy of the pixels. An exception it raises is re-raised by the next
    ``classify_async`` or ``close``."""

    video_sample_fps: float = 2.0
    """Frames a second of a video file that are checked (the last frame is always checked too).
    A sensitive scene on screen for at least ``1 / video_sample_fps`` seconds is caught."""

    max_video_frames: int = 120
    """Most frames checked in one video or animated GIF/WebP (``check_video``, ``scan`` and the
    ``check_*`` hooks). Longer videos get this many frames spread evenly, first and last
    included; with the defaults that happens beyond one minute. An animation's frames are all
    checked up to this many (near duplicates skipped), since one frame is all a flash needs."""

    hash_list: Optional["HashList"] = None
    """PDQ hashes of images reported as shared without consent (a Take It Down or StopNCII
    style :class:`~nudeguard.HashList`). ``check_outgoing`` and ``check_incoming`` then hash
    the pixels they decoded anyway (the first frame of an animation or video) with their
    rotations and mirror images, and match them: an outgoing match is ``Action.BLOCK``, an
    incoming one ``Action.VEIL``, for every age; ``verdict.hash_match`` names the entry."""

    hash_max_distance: Optional[int] = None
    """Bits (of 256) within which an image matches a ``hash_list`` entry; ``None``: PDQ's
    usual 31 (``nudeguard.hashing.DEFAULT_MAX_DISTANCE``)."""


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def check_options(options: GuardOptions) -> None:
    """Raise ``ValueError`` for options no guard can run with (the threshold, which may come
    from the model card, is checked where it is resolved)."""
    if options.runtime not in RUNTIME_NAMES:
        raise ValueError(f"runtime must be one of {RUNTIME_NAMES}, got {options.runtime!r}")
    if not _positive_int(options.workers):
        raise ValueError(f"workers must be an integer of at least 1, got {options.workers!r}")
    if options.threads is not None and not _positive_int(options.threads):
        raise ValueError(f"threads must be at least 1, got {options.threads}")
    if not _positive_int(options.max_pixels):
        raise ValueError(f"max_pixels must be at least 1, got {options.max_pixels}")
    if not isinstance(options.running_mode, RunningMode):
        raise ValueError(f"running_mode must be a nudeguard.RunningMode, got {options.running_mode!r}")
    live = options.running_mode is RunningMode.LIVE_STREAM
    if live and not callable(options.result_callback):
        raise ValueError("running_mode=LIVE_STREAM needs result_callback(result, frame, timestamp_ms)")
    if not live and options.result_callback is not None:
        raise ValueError(f"result_callback is for running_mode=LIVE_STREAM, not {options.running_mode.name}")
    if not (isinstance(options.video_sample_fps, (int, float)) and 0 < options.video_sample_fps <= 1000):
        raise ValueError(f"video_sample_fps must lie in (0, 1000], got {options.video_sample_fps!r}")
    if not _positive_int(options.max_video_frames) or options.max_video_frames < 2:
        raise ValueError(f"max_video_frames must be an integer of at least 2 (first and last frame), "
                         f"got {options.max_video_frames!r}")
    if options.hash_list is not None:
        from ..hashing.hash_list import HashList  # here: a guard without a list never loads hashing

        if not isinstance(options.hash_list, HashList):
            raise ValueError("hash_list must be a nudeguard.HashList (HashList.load(path) or "
                             f"HashList.from_hashes), got {type(options.hash_list).__name__}")
    distance = options.hash_max_distance
    if distance is not None and (isinstance(distance, bool) or not isinstance(distance, int)
                                 or not 0 <= distance <= 256):
        raise ValueError(f"hash_max_distance must be a whole number of bits in 0..256 or None, got {distance!r}")


def require_mode(running: RunningMode, mode: RunningMode, method: str) -> None:
    """Raise ``ValueError`` naming the right method when ``method`` is called in another mode."""
    if running is not mode:
        raise ValueError(f"this Guard runs in {running.name} mode; call {_MODE_METHODS[running]} "
                         f"({method} needs a Guard created with running_mode=RunningMode.{mode.name})")
