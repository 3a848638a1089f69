"""Animated GIF and WebP: every frame decoded in memory, a sample of them kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

import cv2
import numpy as np

from .._native_stderr import native_output_logged
from ..errors import ImageError
from .pixels import Pixels, decoded

__all__ = ["Animation", "decode_animation", "sample_indices"]


@dataclass(frozen=True)
class Animation:
    """The sampled frames of an animation."""

    frames: Tuple[Pixels, ...]
    """Up to ``max_frames`` frames spread evenly, first and last included."""
    frame_count: int
    indices: Tuple[int, ...]
    """Index in the file of each entry of ``frames``."""
    timestamps_ms: Tuple[int, ...]
    """When each entry of ``frames`` appears (sum of the earlier frames' delays)."""
    duration_ms: int
    """The sum of all frame delays."""


def sample_indices(count: int, max_frames: int) -> List[int]:
    """Up to ``max_frames`` indices in 0..count-1, spread evenly, first and last included."""
    if count <= max_frames:
        return list(range(count))
    if max_frames == 1:
        return [0]
    return sorted({round(i * (count - 1) / (max_frames - 1)) for i in range(max_frames)})


def decode_animation(
    data: bytes, source: str, kind: str, width: int, height: int, max_pixels: int, max_frames: int
) -> Optional[Animation]:
    """Every frame of an animated GIF/WebP, or ``None`` for a still image (or an OpenCV
    without animation support, which then decodes the first frame like any image). The
    pixel limit covers the whole animation: frames x width x height."""
    decode = getattr(cv2, "imdecodeanimation", None)
    if decode is None:
        return None
    budget = max(1, max_pixels // max(1, width * height))
    try:
        with native_output_logged():
            ok, animation = decode(np.frombuffer(data, np.uint8), 0, min(budget + 1, 32767))
    except cv2.error:
        return None
    frames = list(animation.frames) if ok else []
    if len(frames) < 2:
        return None
    if len(frames) > budget:
        raise ImageError(
            f"{source}: the animated {kind} has more than {budget} frames of {width}x{height}, over the limit "
            f"of {max_pixels} pixels in all (GuardOptions.max_pixels); refusing to decode it"
        )
    indices = sample_indices(len(frames), max_frames)
    picked = tuple(decoded(frames[i], f"{source} frame {i}") for i in indices)
    starts = np.concatenate([[0], np.cumsum(np.asarray(animation.durations, np.int64))]).tolist()
    if len(starts) < len(frames) + 1:  # an OpenCV that reports no delays
        starts = [0] * (len(frames) + 1)
    return Animation(picked, len(frames), tuple(indices), tuple(int(starts[i]) for i in indices),
                     int(starts[len(frames)]))
