"""The geometry of a window model (a card with a ``windows`` section, made by
``models/convert.py --windows``): what size a frame is resized to for its one inference, and
where each window of the score map lies in the frame.

The model answers for every ``window``-pixel square of its input at a ``stride``-pixel step.
The frame is resized once, aspect kept, so that its short side is ``short_side`` (open_nsfw:
256, the size it was trained to see before its 224-px crop: a patch covering 60 % of a 4:3
photo's height is caught 39 times in 40 there, 17 in 40 with the short side at 224); the long
side is snapped to one of a few lengths, so that the interpreter is re-planned for only a
few input shapes, and capped, so that a 1 x 100000 strip costs what a 4.6:1 panorama does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

import numpy as np

from ..errors import ModelError
from .results import Box

__all__ = ["LONG_SIDE_BUCKETS", "WindowGeometry"]

#: Long sides (in units of the short side) an input is snapped to, the nearest in log
#: scale: neighbours differ by at most 1.2x, so the aspect ratio moves by at most ~9 %; the
#: last one caps a strip. At most this many input shapes, whatever the frames.
LONG_SIDE_BUCKETS: Tuple[float, ...] = (1.0, 8 / 7, 9 / 7, 10 / 7, 12 / 7, 2.0, 16 / 7, 18 / 7, 20 / 7, 24 / 7, 4.0, 32 / 7)


@dataclass(frozen=True)
class WindowGeometry:
    """Window side and stride of the model's score map, and the short side a frame is resized
    to, in input pixels."""

    window: int
    stride: int
    short_side: int

    @staticmethod
    def from_card(raw: Dict[str, Any], model_path: object) -> Optional["WindowGeometry"]:
        """The card's ``windows`` section, or ``None`` for a fixed-size model."""
        section = raw.get("windows")
        if section is None:
            return None
        try:
            window, stride = int(section["window"]), int(section["stride"])
            short_side = int(section["short_side"])
        except (KeyError, TypeError, ValueError):
            raise ModelError(f"{model_path}: model card: windows needs integer 'window', 'stride' and "
                             "'short_side'") from None
        if window <= 0 or stride <= 0 or window % stride:
            raise ModelError(f"{model_path}: model card: windows.window must be a positive multiple of windows.stride")
        if short_side < window or short_side % stride:
            raise ModelError(f"{model_path}: model card: windows.short_side must be a multiple of windows.stride "
                             "and at least windows.window")
        return WindowGeometry(window, stride, short_side)

    def input_size(self, width: int, height: int) -> Tuple[int, int]:
        """(width, height) of the model input for a ``width`` x ``height`` frame."""
        short = self.short_side
        lengths = sorted({round(b * short / self.stride) * self.stride for b in LONG_SIDE_BUCKETS})
        exact = short * max(width, height) / min(width, height)
        long_side = min(lengths, key=lambda length: abs(math.log(length / exact)))
        return (long_side, short) if width >= height else (short, long_side)

    def grid(self, input_size: Tuple[int, int]) -> Tuple[int, int]:
        """(rows, columns) of the score map for an input of ``input_size`` (width, height)."""
        width, height = input_size
        return ((height - self.window) // self.stride + 1, (width - self.window) // self.stride + 1)

    def box(self, row: int, column: int, frame_size: Tuple[int, int], input_size: Tuple[int, int]) -> Box:
        """Window (``row``, ``column``) of the map in the frame's pixels."""
        frame_width, frame_height = frame_size
        scale_x, scale_y = frame_width / input_size[0], frame_height / input_size[1]
        x, y = column * self.stride, row * self.stride
        return Box(round(x * scale_x), round(y * scale_y),
                   min(frame_width, round((x + self.window) * scale_x)),
                   min(frame_height, round((y + self.window) * scale_y)))

    def fired(self, scores: np.ndarray, threshold: float, frame_size: Tuple[int, int],
              input_size: Tuple[int, int]) -> Tuple[Box, ...]:
        """Boxes of the windows of the ``scores`` map at or over ``threshold``, highest first."""
        rows, columns = np.nonzero(scores >= threshold)
        order = np.argsort(-scores[rows, columns], kind="stable")
        return tuple(self.box(int(rows[i]), int(columns[i]), frame_size, input_size) for i in order)
