"""Decoded pixels: the arrays every later stage reads, their channel order and where they came from."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import BinaryIO, Dict, Optional, Tuple, Union

import cv2
import numpy as np

from .. import _native
from ..errors import ImageError

__all__ = ["COLOR_ORDERS", "ColorOrder", "ImageInput", "MediaInfo", "Pixels", "SampledFrame", "decoded", "from_array", "to_bgr"]

#: Accepted inputs. A numpy array needs an explicit colour order.
ImageInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO, np.ndarray]

#: Channel orders accepted for arrays, by name.
ColorOrder = str

#: Each channel order by name: the native pixel format and the channels an array of it has.
#: The one table of colour orders (arrays, the model's tensor order, the veil's conversion).
COLOR_ORDERS: Dict[str, Tuple[_native.PixelFormat, int]] = {
    "RGB": (_native.PixelFormat.RGB, 3),
    "BGR": (_native.PixelFormat.BGR, 3),
    "RGBA": (_native.PixelFormat.RGBA, 4),
    "BGRA": (_native.PixelFormat.BGRA, 4),
    "GRAY": (_native.PixelFormat.GRAY, 1),
}

_TO_BGR = {
    _native.PixelFormat.RGB: cv2.COLOR_RGB2BGR,
    _native.PixelFormat.RGBA: cv2.COLOR_RGBA2BGR,
    _native.PixelFormat.BGRA: cv2.COLOR_BGRA2BGR,
    _native.PixelFormat.GRAY: cv2.COLOR_GRAY2BGR,
}


@dataclass(frozen=True)
class Pixels:
    """Decoded 8-bit pixels and where they came from (for error messages)."""

    array: np.ndarray
    format: _native.PixelFormat
    source: str
    full_size: Optional[Tuple[int, int]] = None
    """(width, height) of the image before DCT-scaled decoding; ``None``: the array's size."""

    @property
    def size(self) -> Tuple[int, int]:
        """(width, height) of the picture at full resolution, as displayed."""
        return self.full_size or (int(self.array.shape[1]), int(self.array.shape[0]))


@dataclass(frozen=True)
class SampledFrame:
    """One frame of an input as the scanner gets it: a still image's only frame, or a frame
    an animation or video was sampled at."""

    pixels: Pixels
    index: int
    timestamp_ms: int
    scheduled: bool = True
    """False for a video's last frame when it fell between two scheduled samples."""


@dataclass(frozen=True)
class MediaInfo:
    """What an input declares: frames, length and size (a still image: 1 frame, 0 ms)."""

    frame_count: int
    """Frames in the input; a video's as its header declares them (for a variable frame rate,
    the container's estimate: duration x average rate)."""
    duration_ms: int
    """A video's length as its header declares it; an animation's sum of frame delays."""
    width: int
    height: int


def from_array(array: np.ndarray, color_order: Optional[ColorOrder], source: str) -> Pixels:
    """A caller's uint8 array as pixels, once its channel order is known and checked."""
    if array.dtype != np.uint8:
        raise ImageError(f"{source}: pixel arrays must be uint8, got {array.dtype}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 2:
        if color_order not in (None, "GRAY"):
            raise ImageError(f"{source}: a 2-D array is grayscale, but color_order={color_order!r}")
        color_order = "GRAY"
    elif array.ndim != 3:
        raise ImageError(f"{source}: expected an HxW or HxWxC array, got {array.ndim} dimensions")
    if color_order is None:
        raise ImageError(
            f"{source}: say which channel order the array has: color_order='RGB' "
            "(PIL, imageio) or 'BGR' (OpenCV)"
        )
    if color_order not in COLOR_ORDERS:
        raise ImageError(f"{source}: unknown color_order {color_order!r}; use one of {sorted(COLOR_ORDERS)}")
    pixel_format, channels = COLOR_ORDERS[color_order]
    if array.ndim == 3 and array.shape[2] != channels:
        raise ImageError(f"{source}: color_order {color_order!r} needs {channels} channels, got {array.shape[2]}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ImageError(f"{source}: the image has no pixels")
    if array.ndim == 3:
        pixel_contiguous = array.strides[2] == 1 and array.strides[1] == channels
    else:
        pixel_contiguous = array.strides[1] == 1
    if not pixel_contiguous or array.strides[0] <= 0:
        # The native kernels take any positive row stride but need packed pixels.
        array = np.ascontiguousarray(array)
    return Pixels(array, pixel_format, source)


def decoded(array: np.ndarray, source: str, full_size: Optional[Tuple[int, int]] = None) -> Pixels:
    """What OpenCV's decoders return (BGR, BGRA or gray) as pixels."""
    if array.ndim == 2:
        return Pixels(array, _native.PixelFormat.GRAY, source, full_size)
    pixel_format = _native.PixelFormat.BGRA if array.shape[2] == 4 else _native.PixelFormat.BGR
    return Pixels(array, pixel_format, source, full_size)


def to_bgr(array: np.ndarray, pixel_format: _native.PixelFormat) -> np.ndarray:
    """An array of ``pixel_format`` as 3-channel BGR, as OpenCV and the verdicts hand it out."""
    conversion = _TO_BGR.get(pixel_format)
    return cv2.cvtColor(array, conversion) if conversion is not None else array
