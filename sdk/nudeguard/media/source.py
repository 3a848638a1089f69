"""Where an input comes from: its name for error messages, its bytes or open file (each read
once), what its first bytes say it is, and the pixel limit checked before decoding."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import BinaryIO, Optional, Union

import numpy as np

from ..errors import ImageError

__all__ = ["DEFAULT_MAX_PIXELS", "Encoded", "check_pixels", "describe", "is_animated_webp", "open_file", "read_bytes",
           "read_encoded", "unsupported_format", "video_container"]

#: Largest image, in pixels, decoded by default (a 10000 x 10000 photo).
DEFAULT_MAX_PIXELS = 100_000_000

#: ISO base media brands of still images (HEIF and AVIF share MP4's box layout).
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})

#: Bytes enough to tell a video container from an image.
_HEAD_BYTES = 16


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


def check_pixels(source: str, what: str, width: int, height: int, max_pixels: int) -> None:
    """Refuse a picture over the pixel limit from its declared size, before any pixel memory."""
    if width * height > max_pixels:
        raise ImageError(
            f"{source}: {what} is {width}x{height} = {width * height} pixels, over the limit of "
            f"{max_pixels} (GuardOptions.max_pixels); refusing to decode it"
        )


def open_file(path: Union[str, "os.PathLike[str]"], source: str) -> BinaryIO:
    """The file opened for reading, or an :class:`ImageError` that says why not."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise ImageError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise ImageError(f"{source}: is a directory, not an image file") from None
    except OSError as exc:
        raise ImageError(f"{source}: cannot read file: {exc.strerror or exc}") from None


def read_bytes(image: object, source: str) -> bytes:
    """All bytes of a path, a bytes-like object or a binary file object."""
    if isinstance(image, (bytes, bytearray, memoryview)):
        return bytes(image)
    if isinstance(image, (str, os.PathLike)):
        with open_file(image, source) as stream:
            try:
                return stream.read()
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


@dataclass
class Encoded:
    """An encoded input, read once: an image's bytes, or a video file left open on disk (a
    video's bytes in memory are ``data``: FFmpeg reads them from there)."""

    source: str
    data: Optional[bytes]
    """The input's bytes; ``None`` for a video file read through ``stream``."""
    container: Optional[str]
    """The video container its first bytes name (see :func:`video_container`), or ``None``."""
    stream: Optional[BinaryIO] = None
    """A video file on disk, opened; the reader that takes it closes it."""


def read_encoded(image: object, source: str) -> Encoded:
    """Read an encoded input once: a video file on disk is only opened (FFmpeg streams it),
    anything else is read into memory."""
    if isinstance(image, (str, os.PathLike)):
        stream = open_file(image, source)
        try:
            head = stream.read(_HEAD_BYTES)
            container = _container(head)
            if container is not None:
                stream.seek(0)
                return Encoded(source, None, container, stream)
            data = head + stream.read()
        except BaseException as exc:
            stream.close()
            if isinstance(exc, OSError):
                raise ImageError(f"{source}: cannot read file: {exc.strerror or exc}") from None
            raise
        stream.close()
        return Encoded(source, data, None)
    data = read_bytes(image, source)
    return Encoded(source, data, _container(data[:_HEAD_BYTES]))


def _container(head: bytes) -> Optional[str]:
    if head[4:8] == b"ftyp" and head[8:12] not in _AVIF_BRANDS | _HEIC_BRANDS:
        return "MP4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "Matroska"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "AVI"
    return None


def video_container(image: object) -> Optional[str]:
    """``"MP4"`` (also MOV, 3GP), ``"Matroska"`` (WebM, MKV) or ``"AVI"`` when a path or bytes
    start like that container; ``None`` for anything else (images, arrays, file objects).
    HEIF/AVIF still images share MP4's box layout and are recognised as images by their brand."""
    if isinstance(image, (bytes, bytearray, memoryview)):
        return _container(bytes(image[:_HEAD_BYTES]))
    if isinstance(image, (str, os.PathLike)):
        try:
            with open(image, "rb") as stream:
                return _container(stream.read(_HEAD_BYTES))
        except OSError:
            return None  # reading it as an image reports the error
    return None


def unsupported_format(data: bytes) -> Optional[str]:
    """The name of a format phones and browsers send that OpenCV does not decode, from its
    first bytes, so the error says what the file is rather than only that it failed."""
    if data[4:8] == b"ftyp":  # ISO base media: the brand says which image format
        brand = data[8:12]
        if brand in _AVIF_BRANDS:
            return "AVIF"
        if brand in _HEIC_BRANDS:
            return "HEIC"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<svg") or (head.startswith((b"<?xml", b"<!doctype svg", b"<!--")) and b"<svg" in head):
        return "SVG"
    return None


def is_animated_webp(data: bytes) -> bool:
    """RIFF....WEBPVP8X with the animation flag (bit 1 of the first flag byte)."""
    return len(data) > 20 and data[12:16] == b"VP8X" and bool(data[20] & 0x02)
