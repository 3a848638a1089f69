"""Gaussian blur and the veil shown over incoming sensitive images.

    >>> import numpy as np, nudeguard
    >>> photo = np.zeros((3000, 4000, 3), np.uint8)
    >>> soft = nudeguard.blur(photo, 8.0)                 # same shape, reflect-101 borders
    >>> preview = nudeguard.veil(photo, (1440, 1080))     # blurred 1440x1080 preview
    >>> preview.shape
    (1080, 1440, 3)

Both run natively (a recursive Gaussian whose cost does not depend on sigma, SIMD, both
cores) and release the GIL. Channel order does not matter: every byte of a pixel is blurred
alike, alpha included.
"""

from __future__ import annotations

import math
import numbers
from typing import Optional, Tuple, Union

import numpy as np

from .. import _native
from ..errors import ImageError

__all__ = ["Size", "blur", "check_veil_size", "veil", "veil_sigma"]

#: ``(width, height)``, or an ``int`` for the longer side with the aspect ratio kept.
Size = Union[int, Tuple[int, int]]

_MAX_SIGMA = 1e6


def _pixels(image: object, name: str = "image") -> np.ndarray:
    """Validates a uint8 HxW / HxWx{1,3,4} array; copies layouts the native code cannot read."""
    if not isinstance(image, np.ndarray):
        raise ImageError(f"{name}: expected a numpy.ndarray of uint8 pixels, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ImageError(f"{name}: pixel arrays must be uint8, got {image.dtype}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ImageError(f"{name}: expected an HxW, HxWx1, HxWx3 or HxWx4 array, got shape {image.shape}")
    if image.size == 0:
        raise ImageError(f"{name}: the image has no pixels (shape {image.shape})")
    return image if _native_layout(image) else np.ascontiguousarray(image)


def _native_layout(a: np.ndarray) -> bool:
    """Pixels contiguous within a row and rows top to bottom: any row stride is fine."""
    c = a.shape[2] if a.ndim == 3 else 1
    if a.shape[1] > 1 and a.strides[1] != c:
        return False
    if a.ndim == 3 and c > 1 and a.strides[2] != 1:
        return False
    return a.shape[0] == 1 or a.strides[0] > 0


def _sigma(sigma: object, name: str = "sigma") -> float:
    if isinstance(sigma, bool) or not isinstance(sigma, numbers.Real):
        raise ValueError(f"{name} must be a number of pixels, got {type(sigma).__name__}")
    value = float(sigma)
    if not math.isfinite(value) or value < 0 or value > _MAX_SIGMA:
        raise ValueError(f"{name} must be finite and in 0..{_MAX_SIGMA:g} pixels, got {sigma!r}")
    return value


def blur(image: np.ndarray, sigma: float, *, out: Optional[np.ndarray] = None, threads: int = 0) -> np.ndarray:
    """Gaussian blur of ``image`` with standard deviation ``sigma`` pixels.

    Matches ``cv2.GaussianBlur(image, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)`` to
    within one level almost everywhere, at a cost that does not grow with ``sigma``.
    ``sigma=0`` copies. ``out`` (same shape, uint8) receives the result; ``out=image``
    blurs in place. ``threads=0`` uses the available cores; the result never depends on it.
    Raises ``ImageError`` for an unusable image and ``ValueError`` for a bad sigma or ``out``.
    """
    src = _pixels(image)
    s = _sigma(sigma)
    if out is None:
        result = np.empty(src.shape, np.uint8)
        _native.blur(src, result, s, threads=threads)
        return result
    if not isinstance(out, np.ndarray) or out.dtype != np.uint8 or out.shape != image.shape:
        raise ValueError(f"out must be a uint8 array of shape {image.shape}, got "
                         f"{getattr(out, 'dtype', type(out).__name__)} {getattr(out, 'shape', '')}")
    if not out.flags.writeable:
        raise ValueError("out is read-only; pass a writeable array")
    same = out is image or (
        out.__array_interface__["data"][0] == src.__array_interface__["data"][0] and out.strides == src.strides
    )
    if _native_layout(out) and (same or not np.shares_memory(out, src)):
        _native.blur(src, out, s, threads=threads)
    else:
        # Views the native code cannot address, or partial overlaps: blur into a temporary.
        np.copyto(out, blur(src, s, threads=threads))
    return out


def veil_sigma(width: int, height: int) -> float:
    """Default veil strength for a ``width`` x ``height`` veil: ``max(2, min(width, height) / 12)``.

    Proportional to the picture, so the veil hides the same share of it at every
    resolution: the blur's half-maximum width is then about a fifth of the shorter side,
    which leaves only a few smooth colour blobs of a body, a face or text.
    """
    return float(_native.veil_sigma(int(width), int(height)))


def check_veil_size(size: Size) -> None:
    """Raise ``ValueError`` for a veil size :func:`veil` would refuse, before any work."""
    _veil_size(size, 1, 1)


def _veil_size(size: Optional[Size], width: int, height: int) -> Tuple[int, int]:
    if size is None:
        return width, height
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        scale = int(size) / max(width, height)
        return max(1, round(width * scale)), max(1, round(height * scale))
    try:
        w, h = size  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(f"size must be (width, height) or an int for the longer side, got {size!r}") from None
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in (w, h)):
        raise ValueError(f"size must be two positive integers (width, height), got {size!r}")
    return int(w), int(h)


def veil(image: np.ndarray, size: Optional[Size] = None, *, sigma: Optional[float] = None,
         threads: int = 0) -> np.ndarray:
    """The veil over an incoming sensitive image: ``image`` resized to ``size`` and blurred.

    ``size`` is ``(width, height)``, an int for the longer side (aspect ratio kept), or
    None for the image's own size. ``sigma`` is in output pixels; by default
    :func:`veil_sigma` of the output size. Strong veils are computed at a reduced resolution
    and upsampled, which cannot be told apart after such a blur (a 12 MP photo to a 1080p
    preview takes a few milliseconds).
    """
    src = _pixels(image)
    w, h = _veil_size(size, src.shape[1], src.shape[0])
    s = 0.0 if sigma is None else _sigma(sigma)
    if sigma is not None and s == 0.0:
        raise ValueError("sigma must be > 0 for a veil; leave it None for the default strength")
    result = np.empty((h, w) + src.shape[2:], np.uint8)
    _native.veil(src, result, s, threads=threads)
    return result
