"""Still images: encoded bytes to pixels with OpenCV, after the native header probe.

Before any pixel is decoded, the probe reads the image's size and refuses images over the
pixel limit (decompression bombs). JPEGs are decoded at the smallest DCT scale (1/8, 1/4,
1/2) that still covers the model's resize size, which skips most of the inverse DCT, colour
conversion and memory traffic; a JPEG cut off before its end is refused, not grey-filled.
"""

from __future__ import annotations

import functools
import re
from typing import Optional, Tuple

import cv2
import numpy as np

from .. import _native
from .._native_stderr import native_output_logged
from ..errors import ImageError
from .pixels import Pixels
from .source import check_pixels, unsupported_format

__all__ = ["TINY_GIF", "decode", "opencv_decodes_gif", "with_valid_gif_background"]

#: libjpeg-turbo's DCT scaling as OpenCV exposes it, largest reduction first.
_JPEG_REDUCTIONS = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4), (2, cv2.IMREAD_REDUCED_COLOR_2))

#: The smallest valid GIF (1x1), to ask the installed OpenCV whether it has a GIF decoder.
TINY_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)

#: A marker inside entropy-coded JPEG data: 0xFF followed by neither a stuffed 0x00, RST0-7
#: nor another 0xFF (fill).
_JPEG_MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


@functools.lru_cache(maxsize=None)
def opencv_decodes_gif() -> bool:
    with native_output_logged():
        return cv2.imdecode(np.frombuffer(TINY_GIF, np.uint8), cv2.IMREAD_COLOR) is not None


def with_valid_gif_background(data: bytes) -> bytes:
    """OpenCV 5 refuses a GIF whose background colour index lies past its global colour
    table, which browsers and Pillow ignore, so any sender could make a GIF uncheckable. The
    index only picks the fill behind the frames: a copy with index 0 decodes the same."""
    if len(data) > 12 and data[:3] == b"GIF" and data[10] & 0x80 and data[11] >= 2 << (data[10] & 7):
        return data[:11] + b"\x00" + data[12:]
    return data


def _jpeg_flag(width: int, height: int, min_size: Optional[Tuple[int, int]]) -> int:
    """The largest DCT reduction leaving both sides >= the larger side of min_size."""
    if min_size is None:
        return cv2.IMREAD_COLOR
    need = max(min_size)
    for scale, flag in _JPEG_REDUCTIONS:
        if -(-width // scale) >= need and -(-height // scale) >= need:
            return flag
    return cv2.IMREAD_COLOR


def _draft_flag(width: int, height: int, draft_size: Tuple[int, int]) -> int:
    """The DCT reduction PIL's ``Image.draft(mode, draft_size)`` picks for a JPEG: the largest
    of 8, 4, 2 that is at most ``min(width // draft_width, height // draft_height)``."""
    most = min(width // max(1, draft_size[0]), height // max(1, draft_size[1]))
    return next((flag for scale, flag in _JPEG_REDUCTIONS if scale <= most), cv2.IMREAD_COLOR)


def decode(data: bytes, source: str, *, min_size: Optional[Tuple[int, int]], max_pixels: int,
           draft_size: Optional[Tuple[int, int]] = None, accepts_video: bool = False) -> Pixels:
    """Decode one still image (an animation's first frame) to BGR pixels.

    ``min_size`` (width, height) lets a JPEG decode at a reduced scale whose sides both stay
    at least ``max(min_size)`` (so EXIF rotation cannot make one too short); ``None`` decodes
    at full size. ``draft_size`` picks the scale as PIL's ``draft`` would instead (PDQ's
    reference pipeline). ``accepts_video``: the caller also takes videos, so the error for
    bytes that do not decode names the video formats too."""
    if not data:
        raise ImageError(f"{source}: empty input, no image data")
    data = with_valid_gif_background(data)
    header = _native.probe_image(data)
    flag = cv2.IMREAD_COLOR
    if header is not None and header[1] == 0:
        # A known signature without a readable size: the decoder will almost surely refuse it
        # too; if not, the limit is enforced on its result as for unknown formats.
        header = None
    if header is not None:
        kind, width, height = header
        check_pixels(source, f"the {kind} image", width, height, max_pixels)
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
        raise ImageError(f"{source}: {_why_not_decoded(data, header, accepts_video)}")
    if header is None:  # a format the probe does not know: the limit applies after the fact
        check_pixels(source, "the decoded image", array.shape[1], array.shape[0], max_pixels)
    full_size = None
    if scale > 1 and header is not None:
        width, height = header[1], header[2]
        # EXIF orientation may have swapped the sides of the decoded image.
        rotated = -(-width // scale) != array.shape[1] or -(-height // scale) != array.shape[0]
        full_size = (height, width) if rotated else (width, height)
    return Pixels(array, _native.PixelFormat.BGR, source, full_size)


def _why_not_decoded(data: bytes, header: Optional[Tuple[str, int, int]], accepts_video: bool) -> str:
    if header is not None and header[0] == "GIF" and not opencv_decodes_gif():
        return f"GIF decoding needs OpenCV 4.12 or newer (installed: {cv2.__version__})"
    unsupported = unsupported_format(data)
    if unsupported is not None:
        return (f"{unsupported} images are not supported; convert to JPEG or PNG "
                "(supported: JPEG, PNG, WebP, BMP, TIFF, GIF)")
    if accepts_video:
        return ("not a decodable image or video (images: JPEG, PNG, WebP, BMP, TIFF, GIF; videos: MP4, MOV, 3GP, "
                "WebM, MKV, AVI)")
    return "not a decodable image (supported: JPEG, PNG, WebP, BMP, TIFF, GIF)"


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
