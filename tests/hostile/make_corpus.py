"""The hostile-input corpus: files a stranger can send a chat client, generated here (nothing
downloaded) from the repository's fixtures, in memory. ``python tests/hostile/make_corpus.py DIR``
writes the encoded ones to DIR; ``tests/test_hostile_inputs.py`` writes each to a temporary folder.

Each case says what a correct answer is: ``"benign"`` or ``"sensitive"`` (the image decodes
and the model must judge it like the fixture it was made from), ``"error"`` (a typed
``ImageError`` whose message contains ``message``; a truncated file is one: half a picture
must never pass as a harmless one), or ``"benign-or-error"`` for an animation a decoder may
refuse for its size.
"""

from __future__ import annotations

import struct
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Union

import cv2
import numpy as np

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BENIGN_JPEG = FIXTURES / "benign" / "chelsea.jpg"  # 451 x 300
SENSITIVE_PNG = FIXTURES / "synthetic_sensitive.png"  # 256 x 256


@dataclass(frozen=True)
class Case:
    name: str
    image: Union[bytes, np.ndarray]
    expect: str  # "benign", "sensitive", "error", "benign-or-error"
    message: str = ""  # part of the ImageError message, for "error"
    color_order: Optional[str] = None  # arrays only
    upright_size: Optional[tuple] = None  # (width, height) once EXIF orientation is applied


def _encode(ext: str, image: np.ndarray, *params: int) -> bytes:
    ok, data = cv2.imencode(ext, image, list(params))
    assert ok, ext
    return data.tobytes()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _png(width: int, height: int, color_type: int, rows: bytes, depth: int = 8, extra: bytes = b"") -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + extra
            + _png_chunk(b"IDAT", zlib.compress(rows)) + _png_chunk(b"IEND", b""))


def palette_png_with_transparency(bgr: np.ndarray) -> bytes:
    """Colour type 3: 256-entry palette (6x6x6 cube) with a tRNS chunk, half the entries clear."""
    levels = np.array([0, 51, 102, 153, 204, 255])
    rgb = bgr[..., ::-1].astype(int)
    index = (np.abs(rgb[..., :, None] - levels).argmin(-1) * [36, 6, 1]).sum(-1).astype(np.uint8)
    palette = bytes(int(levels[i // 36 % 6] if c == 0 else levels[i // 6 % 6] if c == 1 else levels[i % 6])
                    for i in range(216) for c in range(3)) + bytes(3 * 40)
    alpha = bytes(255 if i % 2 == 0 else 0 for i in range(216))
    rows = b"".join(b"\0" + row.tobytes() for row in index)
    extra = _png_chunk(b"PLTE", palette) + _png_chunk(b"tRNS", alpha)
    return _png(bgr.shape[1], bgr.shape[0], 3, rows, extra=extra)


def exif_jpeg(upright: np.ndarray, orientation: int) -> bytes:
    """A JPEG whose pixels are stored so that applying EXIF ``orientation`` shows ``upright``."""
    stored = {
        1: upright,
        2: upright[:, ::-1],
        3: upright[::-1, ::-1],
        4: upright[::-1],
        5: upright.transpose(1, 0, 2),
        6: np.rot90(upright, 1),
        7: upright[::-1, ::-1].transpose(1, 0, 2),
        8: np.rot90(upright, -1),
    }[orientation]
    jpeg = _encode(".jpg", np.ascontiguousarray(stored), cv2.IMWRITE_JPEG_QUALITY, 95)
    # Big-endian TIFF header, one IFD entry: Orientation (0x0112), SHORT, count 1.
    tiff = b"MM\0\x2a\0\0\0\x08" + struct.pack(">HHHIHH", 1, 0x0112, 3, 1, orientation, 0) + b"\0\0\0\0"
    app1 = b"\xff\xe1" + struct.pack(">H", 2 + 6 + len(tiff)) + b"Exif\0\0" + tiff
    return jpeg[:2] + app1 + jpeg[2:]


def cmyk_jpeg(bgr: np.ndarray) -> bytes:
    """An Adobe-style CMYK JPEG (4 components), written with Pillow when it is installed."""
    from io import BytesIO

    from PIL import Image

    stream = BytesIO()
    Image.fromarray(bgr[..., ::-1]).convert("CMYK").save(stream, "JPEG", quality=92)
    return stream.getvalue()


def many_frame_gif(frames: int, canvas: int = 32) -> bytes:
    """An animated GIF of ``frames`` 1x1 frames on a canvas x canvas screen: a few bytes a frame."""
    screen = b"GIF89a" + struct.pack("<HHBBB", canvas, canvas, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    loop = b"!\xff\x0bNETSCAPE2.0\x03\x01\0\0\0"
    frame = b"!\xf9\x04\x04\x02\0\0\0" + b",\0\0\0\0\x01\0\x01\0\0" + b"\x02\x02D\x01\0"
    return screen + loop + frame * frames + b";"


def bomb_headers() -> dict:
    """Files that claim 60000 x 60000 pixels (3.6 gigapixels) in a few hundred bytes."""
    side = 60000
    png = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
           + _png_chunk(b"IDAT", zlib.compress(b"\0" * 100000)) + _png_chunk(b"IEND", b""))
    jpeg = bytearray(_encode(".jpg", np.zeros((8, 8, 3), np.uint8)))
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5:sof + 9] = struct.pack(">HH", side, side)
    gif = (b"GIF89a" + struct.pack("<HHBBB", side, side, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
           + b",\0\0\0\0" + struct.pack("<HH", side, side) + b"\0\x02\x02D\x01\0;")
    return {"bomb.png": png, "bomb.jpg": bytes(jpeg), "bomb.gif": gif}


def encoded_cases() -> List[Case]:
    """The encoded files, as bytes."""
    benign_bytes = BENIGN_JPEG.read_bytes()
    benign = cv2.imread(str(BENIGN_JPEG))
    sensitive = cv2.imread(str(SENSITIVE_PNG))
    rng = np.random.default_rng(9)
    cases = []

    def add(name: str, data: bytes, expect: str, message: str = "", upright_size: Optional[tuple] = None) -> None:
        cases.append(Case(name, data, expect, message, upright_size=upright_size))

    add("empty.jpg", b"", "error", "empty input")
    add("random.jpg", rng.integers(0, 256, 5000, dtype=np.uint8).tobytes(), "error", "not a decodable image")
    add("text_renamed.jpg", b"Hi! This is not a picture, just text in a file called .jpg\n" * 20, "error",
        "not a decodable image")
    # Cut before the header is complete, the file is not recognisable; after, it is truncated.
    for cut in (2, 20):
        add(f"truncated_at_{cut}.jpg", benign_bytes[:cut], "error", "not a decodable image")
    for cut in (200, len(benign_bytes) // 3, 2 * len(benign_bytes) // 3, len(benign_bytes) - 2):
        add(f"truncated_at_{cut}.jpg", benign_bytes[:cut], "error", "truncated JPEG")
    sensitive_jpeg = _encode(".jpg", sensitive, cv2.IMWRITE_JPEG_QUALITY, 90)
    add("truncated_sensitive.jpg", sensitive_jpeg[:len(sensitive_jpeg) // 2], "error", "truncated JPEG")
    sensitive_png = SENSITIVE_PNG.read_bytes()
    add("truncated_sensitive.png", sensitive_png[:len(sensitive_png) // 2], "error", "not a decodable image")
    add("progressive.jpg", _encode(".jpg", benign, cv2.IMWRITE_JPEG_PROGRESSIVE, 1), "benign")
    add("progressive_sensitive.jpg", _encode(".jpg", sensitive, cv2.IMWRITE_JPEG_PROGRESSIVE, 1), "sensitive")
    # Pillow (in the [test] extra, installed by both CI jobs) writes them; no silent fallback.
    add("cmyk.jpg", cmyk_jpeg(benign), "benign")
    add("cmyk_sensitive.jpg", cmyk_jpeg(sensitive), "sensitive")
    add("sixteen_bit.png", _encode(".png", benign.astype(np.uint16) * 257), "benign")
    add("sixteen_bit_sensitive.png", _encode(".png", sensitive.astype(np.uint16) * 257), "sensitive")
    add("gray.png", _encode(".png", cv2.cvtColor(benign, cv2.COLOR_BGR2GRAY)), "benign")
    add("rgba.png", _encode(".png", cv2.cvtColor(benign, cv2.COLOR_BGR2BGRA)), "benign")
    add("rgba_sensitive.png", _encode(".png", cv2.cvtColor(sensitive, cv2.COLOR_BGR2BGRA)), "sensitive")
    add("palette_transparent.png", palette_png_with_transparency(benign), "benign")
    add("one_pixel.png", _encode(".png", np.full((1, 1, 3), 128, np.uint8)), "benign")
    strip = np.repeat((np.arange(100000) % 256).astype(np.uint8)[None, :, None], 3, axis=2)  # a gradient
    add("one_by_100000.png", _encode(".png", strip), "benign")
    add("100000_by_one.png", _encode(".png", strip.transpose(1, 0, 2)), "benign")
    for name, data in bomb_headers().items():
        add(name, data, "error", "over the limit")
    upright = cv2.resize(sensitive, (240, 160), interpolation=cv2.INTER_AREA)  # not square: rotation shows
    for orientation in range(1, 9):
        add(f"exif_orientation_{orientation}.jpg", exif_jpeg(upright, orientation), "sensitive", upright_size=(240, 160))
    add("gif_5000_frames.gif", many_frame_gif(5000), "benign-or-error")
    add("image.heic", b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(200), "error", "HEIC images are not supported")
    add("image.avif", b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf" + bytes(200), "error", "AVIF images are not supported")
    add("image.svg", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
        b'<rect width="64" height="64" fill="red"/></svg>\n', "error", "SVG images are not supported")
    return cases


def array_cases() -> List[Case]:
    """Arrays a client may pass by mistake (wrong dtype, shape, NaN) or in unusual layouts."""
    benign = cv2.imread(str(BENIGN_JPEG))
    floats = benign.astype(np.float32) / 255
    floats[0, 0, 0] = np.nan
    padded = np.zeros((benign.shape[0], benign.shape[1] * 2, 3), np.uint8)
    padded[:, ::2] = benign
    return [
        Case("float32_with_nan", floats, "error", "must be uint8", "BGR"),
        Case("float64", benign.astype(np.float64), "error", "must be uint8", "BGR"),
        Case("int16", benign.astype(np.int16), "error", "must be uint8", "BGR"),
        Case("bool", benign > 128, "error", "must be uint8", "BGR"),
        Case("one_dimensional", benign.reshape(-1), "error", "dimensions", "BGR"),
        Case("four_dimensional", benign[None], "error", "dimensions", "BGR"),
        Case("two_channels", benign[..., :2], "error", "needs 3 channels", "BGR"),
        Case("empty", benign[:0], "error", "no pixels", "BGR"),
        Case("no_color_order", benign, "error", "say which channel order", None),
        Case("non_contiguous", padded[:, ::2], "benign", color_order="BGR"),
        Case("negative_strides", np.ascontiguousarray(benign[::-1, ::-1])[::-1, ::-1], "benign", color_order="BGR"),
        Case("fortran_order", np.asfortranarray(benign), "benign", color_order="BGR"),
        Case("channel_view", cv2.cvtColor(benign, cv2.COLOR_BGR2BGRA)[..., :3], "benign", color_order="BGR"),
    ]


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile_corpus")
    target.mkdir(parents=True, exist_ok=True)
    for case in encoded_cases():
        assert isinstance(case.image, bytes)
        (target / case.name).write_bytes(case.image)
        print(f"{case.expect:16} {case.name}")
