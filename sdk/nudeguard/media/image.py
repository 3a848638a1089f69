"""Turning what a caller hands us (path, bytes, file object, array) into pixels.

Decoding uses OpenCV. Paths are read by Python and decoded from memory, so
non-ASCII paths work and every failure names the input. Before any pixel is
decoded, the native header probe reads the image's size and refuses images
over the pixel limit (decompression bombs). JPEGs are decoded at the smallest
DCT scale (1/8, 1/4, 1/2) that still covers the model's resize size, which
skips most of the inverse DCT, colour conversion and memory traffic.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import BinaryIO, List, Optional, Tuple, Union

import cv2
import numpy as np

from .. import _native
from .._native_stderr import native_output_logged
from ..errors import ImageError

__all__ = ["DEFAULT_MAX_PIXELS", "ColorOrder", "Frames", "ImageInput", "Pixels", "load_frames", "load_pixels"]

#: Largest image, in pixels, decoded by default (a 10000 x 10000 photo).
DEFAULT_MAX_PIXELS = 100_000_000

#: libjpeg-turbo's DCT scaling as OpenCV exposes it, largest reduction first.
_JPEG_REDUCTIONS = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4), (2, cv2.IMREAD_REDUCED_COLOR_2))

#: Accepted inputs. A numpy array needs an explicit colour order.
ImageInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO, np.ndarray]

#: Channel orders accepted for arrays, by name.
ColorOrder = str
_ARRAY_FORMATS = {
    "RGB": (_native.PixelFormat.RGB, 3),
    "BGR": (_native.PixelFormat.BGR, 3),
    "RGBA": (_native.PixelFormat.RGBA, 4),
    "BGRA": (_native.PixelFormat.BGRA, 4),
    "GRAY": (_native.PixelFormat.GRAY, 1),
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
class Frames:
    """The frames of an image to classify: one for a still image, a sample for an animation."""

    frames: Tuple[Pixels, ...]
    """Still image: one. Animation: up to ``max_frames`` frames spread evenly, first and last included."""
    frame_count: int
    """Frames in the file (1 for a still image)."""
    indices: Tuple[int, ...]
    """Index in the file of each entry of ``frames``."""
    timestamps_ms: Tuple[int, ...] = ()
    """Animation: when each entry of ``frames`` appears (sum of the earlier frames' delays).
    Still image: empty."""
    duration_ms: int = 0
    """Animation: the sum of all frame delays. Still image: 0."""


def describe(image: object) -> str:
    """A short name for an input, used in every error message."""
    if isinstance(image, (str, os.PathLike)):
        return os.fspath(image)  # type: ignore[return-value]
    if isinstance(image, (bytes, bytearray, memoryview)):
        return f"<{len(image)} bytes>"
    if isinstance(image, np.ndarray):
        return f"<array shape={image.shape} dtype={image.dtype}>"
    name = getattr(image, "name", None)
    if isinstance(name, str):
        return name
    return f"<{type(image).__name__}>"


def load_pixels(
    image: ImageInput,
    color_order: Optional[ColorOrder] = None,
    *,
    min_size: Optional[Tuple[int, int]] = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Pixels:
    """Decode ``image`` or validate an array; raise ``ImageError`` otherwise.

    ``min_size`` (width, height) lets a JPEG decode at a reduced scale whose
    sides both stay at least ``max(min_size)`` (so EXIF rotation cannot make
    one too short); ``None`` decodes at full size. Encoded images with more
    than ``max_pixels`` pixels are refused before decoding.
    """
    source = describe(image)
    if isinstance(image, np.ndarray):
        return _from_array(image, color_order, source)
    if color_order is not None:
        raise ImageError(f"{source}: color_order applies to numpy arrays only; encoded images carry their own")
    return _decode(_read_bytes(image, source), source, min_size, max_pixels)


def _read_bytes(image: object, source: str) -> bytes:
    if isinstance(image, (bytes, bytearray, memoryview)):
        return bytes(image)
    if isinstance(image, (str, os.PathLike)):
        try:
            with open(image, "rb") as stream:
                return stream.read()
        except FileNotFoundError:
            raise ImageError(f"{source}: no such file") from None
        except IsADirectoryError:
            raise ImageError(f"{source}: is a directory, not an image file") from None
        except OSError as exc:
            raise ImageError(f"{source}: cannot read file: {exc.strerror or exc}") from None
    read = getattr(image, "read", None)
    if callable(read):
        data = read()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ImageError(f"{source}: file object returned {type(data).__name__}, open it in binary mode")
        return bytes(data)
    raise ImageError(
        f"{source}: unsupported input type {type(image).__name__}; "
        "pass a path, bytes, a binary file object or a numpy array"
    )


def _check_pixels(source: str, what: str, width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageError(
            f"{source}: {what} is {width}x{height} = {width * height} pixels, over the limit of "
            f"{max_pixels} (GuardOptions.max_pixels); refusing to decode it"
        )


def _jpeg_flag(width: int, height: int, min_size: Optional[Tuple[int, int]]) -> int:
    """The largest DCT reduction leaving both sides >= the larger side of min_size."""
    if min_size is None:
        return cv2.IMREAD_COLOR
    need = max(min_size)
    for scale, flag in _JPEG_REDUCTIONS:
        if -(-width // scale) >= need and -(-height // scale) >= need:
            return flag
    return cv2.IMREAD_COLOR


#: The smallest valid GIF (1x1), to ask the installed OpenCV whether it has a GIF decoder.
_TINY_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


@functools.lru_cache(maxsize=None)
def _opencv_decodes_gif() -> bool:
    with native_output_logged():
        return cv2.imdecode(np.frombuffer(_TINY_GIF, np.uint8), cv2.IMREAD_COLOR) is not None


def _with_valid_gif_background(data: bytes) -> bytes:
    """OpenCV 5 refuses a GIF whose background colour index lies past its global colour
    table, which browsers and Pillow ignore, so any sender could make a GIF uncheckable. The
    index only picks the fill behind the frames: a copy with index 0 decodes the same."""
    if len(data) > 12 and data[:3] == b"GIF" and data[10] & 0x80 and data[11] >= 2 << (data[10] & 7):
        return data[:11] + b"\x00" + data[12:]
    return data


def _draft_flag(width: int, height: int, draft_size: Tuple[int, int]) -> int:
    """The DCT reduction PIL's ``Image.draft(mode, draft_size)`` picks for a JPEG: the largest
    of 8, 4, 2 that is at most ``min(width // draft_width, height // draft_height)``."""
    most = min(width // max(1, draft_size[0]), height // max(1, draft_size[1]))
    return next((flag for scale, flag in _JPEG_REDUCTIONS if scale <= most), cv2.IMREAD_COLOR)


def _decode(data: bytes, source: str, min_size: Optional[Tuple[int, int]], max_pixels: int,
            draft_size: Optional[Tuple[int, int]] = None, *, accepts_video: bool = False) -> Pixels:
    if not data:
        raise ImageError(f"{source}: empty input, no image data")
    data = _with_valid_gif_background(data)
    header = _native.probe_image(data)
    flag = cv2.IMREAD_COLOR
    if header is not None and header[1] == 0:
        # A known signature without a readable size: the decoder will almost surely refuse it
        # too; if not, the limit is enforced on its result as for unknown formats.
        header = None
    if header is not None:
        kind, width, height = header
        _check_pixels(source, f"the {kind} image", width, height, max_pixels)
        if kind == "JPEG":
            flag = _draft_flag(width, height, draft_size) if draft_size else _jpeg_flag(width, height, min_size)
    if header is not None and header[0] == "JPEG" and not _jpeg_is_complete(data):
        # libjpeg would fill the missing part with grey and report success: a cut-off
        # sensitive photo could then pass as harmless. Refused, so checks fail closed.
        raise ImageError(f"{source}: truncated JPEG (the data ends before the image does)")
    scale = next((s for s, f in _JPEG_REDUCTIONS if f == flag), 1)
    try:
        # libpng, libjpeg and OpenCV print about damaged files: the nudeguard logger gets that.
        with native_output_logged():
            array = cv2.imdecode(np.frombuffer(data, np.uint8), flag)
    except cv2.error as exc:
        raise ImageError(f"{source}: cannot decode image: {exc.err}") from None
    if array is None:
        if header is not None and header[0] == "GIF" and not _opencv_decodes_gif():
            raise ImageError(f"{source}: GIF decoding needs OpenCV 4.12 or newer (installed: {cv2.__version__})")
        unsupported = _unsupported_format(data)
        if unsupported is not None:
            raise ImageError(f"{source}: {unsupported} images are not supported; convert to JPEG or PNG "
                             "(supported: JPEG, PNG, WebP, BMP, TIFF, GIF)")
        if accepts_video:  # the caller would have taken a video too: say which
            raise ImageError(f"{source}: not a decodable image or video (images: JPEG, PNG, WebP, BMP, TIFF, "
                             "GIF; videos: MP4, MOV, 3GP, WebM, MKV, AVI)")
        raise ImageError(f"{source}: not a decodable image (supported: JPEG, PNG, WebP, BMP, TIFF, GIF)")
    if header is None:  # a format the probe does not know: the limit applies after the fact
        _check_pixels(source, "the decoded image", array.shape[1], array.shape[0], max_pixels)
    full_size = None
    if scale > 1 and header is not None:
        width, height = header[1], header[2]
        # EXIF orientation may have swapped the sides of the decoded image.
        rotated = -(-width // scale) != array.shape[1] or -(-height // scale) != array.shape[0]
        full_size = (height, width) if rotated else (width, height)
    return Pixels(array, _native.PixelFormat.BGR, source, full_size)


#: A marker inside entropy-coded JPEG data: 0xFF followed by neither a stuffed 0x00, RST0-7
#: nor another 0xFF (fill).
_JPEG_MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _jpeg_is_complete(data: bytes) -> bool:
    """Whether the JPEG's segments and scans run up to an end-of-image marker (bytes after it,
    such as a phone's appended trailer, are allowed)."""
    position = 2  # after SOI
    while position + 2 <= len(data):
        if data[position] != 0xFF:
            return False
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
        elif marker == 0xD9:  # EOI
            return True
        elif 0xD0 <= marker <= 0xD7 or marker == 0x01:  # stand-alone markers
            position += 2
        elif position + 4 > len(data):
            return False
        else:
            end = position + 2 + int.from_bytes(data[position + 2:position + 4], "big")
            if marker != 0xDA:  # a segment: skip it
                position = end
                continue
            found = _JPEG_MARKER_IN_SCAN.search(data, end)  # a scan runs to the next marker
            if found is None:
                return False
            position = found.start()
    return False


def _unsupported_format(data: bytes) -> Optional[str]:
    """The name of a format phones and browsers send that OpenCV does not decode, from its
    first bytes, so the error says what the file is rather than only that it failed."""
    if data[4:8] == b"ftyp":  # ISO base media: the brand says which image format
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "AVIF"
        if brand in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"):
            return "HEIC"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<svg") or (head.startswith((b"<?xml", b"<!doctype svg", b"<!--")) and b"<svg" in head):
        return "SVG"
    return None


def _is_animated_webp(data: bytes) -> bool:
    # RIFF....WEBPVP8X with the animation flag (bit 1 of the first flag byte).
    return len(data) > 20 and data[12:16] == b"VP8X" and bool(data[20] & 0x02)


def _sample(count: int, max_frames: int) -> List[int]:
    """Up to ``max_frames`` indices in 0..count-1, spread evenly, first and last included."""
    if count <= max_frames:
        return list(range(count))
    if max_frames == 1:
        return [0]
    return sorted({round(i * (count - 1) / (max_frames - 1)) for i in range(max_frames)})


def _decode_animation(
    data: bytes, source: str, kind: str, width: int, height: int, max_pixels: int, max_frames: int
) -> Optional[Frames]:
    """Every frame of an animated GIF/WebP, or ``None`` for a still image (or an OpenCV
    without animation support, which then decodes the first frame like any image)."""
    decode_animation = getattr(cv2, "imdecodeanimation", None)
    if decode_animation is None:
        return None
    # The pixel limit covers the whole animation: frames x width x height.
    budget = max(1, max_pixels // max(1, width * height))
    try:
        with native_output_logged():
            ok, animation = decode_animation(np.frombuffer(data, np.uint8), 0, min(budget + 1, 32767))
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
    indices = _sample(len(frames), max_frames)
    picked = []
    for i in indices:
        frame = frames[i]
        if frame.ndim == 2:
            picked.append(Pixels(frame, _native.PixelFormat.GRAY, f"{source} frame {i}"))
        elif frame.shape[2] == 4:
            picked.append(Pixels(frame, _native.PixelFormat.BGRA, f"{source} frame {i}"))
        else:
            picked.append(Pixels(frame, _native.PixelFormat.BGR, f"{source} frame {i}"))
    starts = np.concatenate([[0], np.cumsum(np.asarray(animation.durations, np.int64))]).tolist()
    if len(starts) < len(frames) + 1:  # an OpenCV that reports no delays
        starts = [0] * (len(frames) + 1)
    return Frames(tuple(picked), len(frames), tuple(indices), tuple(int(starts[i]) for i in indices),
                  int(starts[len(frames)]))


def load_frames(
    image: ImageInput,
    color_order: Optional[ColorOrder] = None,
    *,
    min_size: Optional[Tuple[int, int]] = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_frames: int = 8,
    accepts_video: bool = False,
) -> Frames:
    """Like :func:`load_pixels`, but an animated GIF or WebP yields up to ``max_frames``
    frames spread evenly over the animation (first and last included). The pixel limit
    applies to all frames of an animation together. No temporary files are written.
    ``accepts_video``: the caller also takes videos, so the error for bytes that do not
    decode names the video formats too."""
    if max_frames < 1:
        raise ValueError(f"max_frames must be at least 1, got {max_frames}")
    source = describe(image)
    if isinstance(image, np.ndarray):
        return Frames((_from_array(image, color_order, source),), 1, (0,))
    if color_order is not None:
        raise ImageError(f"{source}: color_order applies to numpy arrays only; encoded images carry their own")
    data = _read_bytes(image, source)
    header = _native.probe_image(data) if data else None
    if header is not None and header[1] > 0 and header[2] > 0:
        kind, width, height = header
        if kind == "GIF" or (kind == "WebP" and _is_animated_webp(data)):
            _check_pixels(source, f"the {kind} image", width, height, max_pixels)
            data = _with_valid_gif_background(data)
            animation = _decode_animation(data, source, kind, width, height, max_pixels, max_frames)
            if animation is not None:
                return animation
    return Frames((_decode(data, source, min_size, max_pixels, accepts_video=accepts_video),), 1, (0,))


def _from_array(array: np.ndarray, color_order: Optional[ColorOrder], source: str) -> Pixels:
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
    if color_order not in _ARRAY_FORMATS:
        raise ImageError(f"{source}: unknown color_order {color_order!r}; use one of {sorted(_ARRAY_FORMATS)}")
    pixel_format, channels = _ARRAY_FORMATS[color_order]
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
