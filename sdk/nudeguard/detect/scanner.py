"""What the model is shown: the views of a frame (the full frame, then, for a fixed-size
model, square tiles along a long picture; a window model sees the whole frame at once), the
best of them, and the sampled frames of an animation or a video with near duplicates skipped.

A sampled frame whose 32 x 32 luma thumbnail differs from the last classified frame's by at
most :data:`DUPLICATE_MAX_LUMA_DIFF` levels anywhere is a near duplicate: it gets that
frame's score without running the model.
"""

from __future__ import annotations

from typing import Callable, Iterator, List, Optional, Tuple

import cv2
import numpy as np

from ..errors import ImageError
from ..media.pixels import Pixels
from ..media.reader import Media
from .results import Classification, VideoClassification

__all__ = ["DUPLICATE_MAX_LUMA_DIFF", "MAX_TILES", "TILE_ASPECT", "best_view", "is_near_duplicate",
           "luma_thumbnail", "scan_media", "tile_offsets"]

#: Aspect ratio (long side / short side) above which square tiles are classified too. The
#: model squashes the full frame to a square; at 4:3 (1.33), the common camera format,
#: that view alone caught 29 of 30 synthetic fixtures covering 3/4 of the short side at the
#: far edge (tiles: 30), so tiles there would triple the cost of most photos for one in 30.
#: From 3:2 (full frame 21/30, tiles 30/30) on, tiles earn their cost.
TILE_ASPECT = 1.4

#: Most tiles per picture. A hostile 1 x 100000 PNG of a hundred bytes would otherwise cost
#: 100000 inferences; up to an aspect ratio of 8.5 tiles still overlap by half, beyond it
#: they are spread evenly end to end.
MAX_TILES = 16

#: Side of the luma thumbnail compared to find near-duplicate frames. One cell averages about
#: 7 x 7 pixels of the model's 224 x 224 input, so a change too small to move any cell is
#: also too small for the model to see.
THUMBNAIL_SIDE = 32
#: Largest per-cell luma difference (0..255) of two thumbnails that still counts as the same
#: picture. Re-encoding a still scene with MPEG-4 part 2 moves cells by 1-2 levels.
DUPLICATE_MAX_LUMA_DIFF = 3

Classify = Callable[[Pixels], Classification]


def tile_offsets(long_side: int, short_side: int) -> List[int]:
    """Offsets along the long side of the square tiles (side = short side) that cover an
    image whose aspect ratio is over 1.4: half-overlapping, the last flush with the far end,
    at most ``MAX_TILES`` of them. Empty for squarer images, which the full frame covers."""
    if short_side <= 0 or long_side <= TILE_ASPECT * short_side:
        return []
    span = long_side - short_side
    half = max(1, short_side // 2)
    count = min(MAX_TILES, -(-span // half) + 1)  # steps of at most half a side, if they fit
    return sorted({round(i * span / (count - 1)) for i in range(count)})


def _views(pixels: Pixels) -> Iterator[Pixels]:
    """The full frame, then half-overlapping square tiles from end to end, lazily, so a
    scan that stops at a sensitive view classifies nothing more."""
    yield pixels
    height, width = pixels.array.shape[:2]
    side = min(width, height)
    for offset in tile_offsets(max(width, height), side):
        # A view, not a copy: the native kernel takes any row stride.
        tile = pixels.array[:, offset:offset + side] if width > height else pixels.array[offset:offset + side]
        yield Pixels(tile, pixels.format, pixels.source)


def best_view(classify: Classify, pixels: Pixels) -> Classification:
    """The highest-scoring of the frame's views, stopping at the first sensitive one. A window
    model's answer (``fired_windows`` set) covers the whole frame in one inference: no tiles."""
    best: Optional[Classification] = None
    for view in _views(pixels):
        result = classify(view)
        if best is None or result.score > best.score:
            best = result
        if best.sensitive or result.fired_windows is not None:
            break
    assert best is not None
    return best


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


def scan_media(media: Media, classify: Classify, *,
               stop_at_first_sensitive: bool) -> Tuple[VideoClassification, Classification]:
    """Classify every view of the sampled frames, near duplicates excepted. Returns the
    input's result and the best frame's :class:`Classification`."""
    sensitive_at: List[int] = []
    checked = skipped = 0
    best: Optional[Classification] = None
    previous: Optional[np.ndarray] = None
    previous_result: Optional[Classification] = None
    for frame in media:
        # A still image has no neighbour to compare with: skip the thumbnail's ~1 ms.
        thumbnail = None if media.still else luma_thumbnail(frame.pixels)
        if thumbnail is not None and previous_result is not None and is_near_duplicate(thumbnail, previous):
            skipped += 1
            result = previous_result
        else:
            result = best_view(classify, frame.pixels)
            checked += 1
            previous, previous_result = thumbnail, result
        if best is None or result.score > best.score:
            best = result
        if result.sensitive:
            sensitive_at.append(frame.timestamp_ms)
            if stop_at_first_sensitive:
                break
    if best is None:
        raise ImageError(f"{media.source}: the video has no decodable frames")
    info = media.info
    video_result = VideoClassification(
        score=best.score, sensitive=bool(sensitive_at), sensitive_timestamps_ms=tuple(sensitive_at),
        frames_checked=checked, frames_skipped_as_duplicates=skipped, frame_count=info.frame_count,
        duration_ms=info.duration_ms, width=info.width, height=info.height,
    )
    return video_result, best
