"""Decoding: the header probe, the pixel limit (decompression bombs), JPEG DCT scaling at the
model's resize size, EXIF orientation, and every supported container."""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest

import nudeguard
from nudeguard import _native
from nudeguard.media.reader import load_pixels

RESIZE = (256, 256)


def photo(h: int, w: int, seed: int = 0) -> np.ndarray:
    """Smooth colour field with an edge: compresses like a photo, not like noise."""
    rng = np.random.default_rng(seed)
    img = cv2.resize(rng.integers(0, 256, (7, 11, 3), dtype=np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)
    img[: h // 3, : w // 4] = (20, 200, 60)
    return img


def encode(ext: str, img: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(ext, img)
    assert ok
    return buf.tobytes()


def with_orientation(jpeg: bytes, orientation: int) -> bytes:
    """The JPEG with an EXIF APP1 segment holding only the Orientation tag."""
    ifd = struct.pack("<H", 1) + struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack("<I", 0)
    payload = b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + ifd
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def opencv_has_gif() -> bool:
    try:
        ok, buf = cv2.imencode(".gif", np.zeros((2, 2, 3), np.uint8))
    except cv2.error:
        return False
    return bool(ok) and cv2.imdecode(buf, cv2.IMREAD_COLOR) is not None


# OpenCV's GIF codec arrived in 4.12, which needs numpy 2: the numpy<2 fallback job lacks it.
needs_gif = pytest.mark.skipif(not opencv_has_gif(), reason=f"OpenCV {cv2.__version__} has no GIF codec")

FORMATS = [
    (".jpg", "JPEG"), (".png", "PNG"), (".webp", "WebP"), (".bmp", "BMP"), (".tiff", "TIFF"),
    pytest.param(".gif", "GIF", marks=needs_gif),
]


@pytest.mark.parametrize("ext, kind", FORMATS)
def test_probe_reads_the_size_of_every_format(ext, kind):
    data = encode(ext, photo(37, 53))
    assert _native.probe_image(data) == (kind, 53, 37)


@pytest.mark.parametrize("ext, kind", FORMATS)
def test_every_format_decodes_to_bgr_pixels(ext, kind):
    img = photo(40, 60)
    pixels = load_pixels(encode(ext, img))
    assert pixels.array.shape == (40, 60, 3) and pixels.format == _native.PixelFormat.BGR
    if ext in (".png", ".bmp", ".tiff"):
        np.testing.assert_array_equal(pixels.array, img)


def test_probe_reads_lossless_and_extended_webp():
    img = photo(30, 45)
    ok, lossless = cv2.imencode(".webp", img, [cv2.IMWRITE_WEBP_QUALITY, 101])
    assert ok and _native.probe_image(lossless.tobytes()) == ("WebP", 45, 30)
    ok, alpha = cv2.imencode(".webp", cv2.cvtColor(img, cv2.COLOR_BGR2BGRA))
    assert ok and _native.probe_image(alpha.tobytes()) == ("WebP", 45, 30)


def test_probe_returns_none_for_unknown_formats():
    assert _native.probe_image(b"") is None
    assert _native.probe_image(b"P6\n2 2\n255\n" + bytes(12)) is None
    assert _native.probe_image(b"hello, world") is None


@pytest.mark.parametrize("ext, kind", FORMATS)
def test_probe_never_reads_past_truncated_or_corrupted_headers(ext, kind):
    data = encode(ext, photo(20, 30))
    for n in range(min(len(data), 400)):
        result = _native.probe_image(data[:n])
        assert result is None or result[0] == kind
        if result is not None and result[1]:
            assert result[1:] == (30, 20) or n < len(data)
    rng = np.random.default_rng(1)
    for _ in range(300):
        mutated = bytearray(data[:200])
        for i in rng.integers(0, len(mutated), 4):
            mutated[i] = int(rng.integers(0, 256))
        _native.probe_image(bytes(mutated))  # must neither crash nor hang


def png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real JPEG whose frame header claims another size."""
    data = bytearray(encode(".jpg", photo(16, 16)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


BOMBS = {
    "png": png_header(50_000, 50_000) + b"\x00" * 64,
    "jpeg": jpeg_claiming(60_000, 60_000),
    "gif": b"GIF89a" + struct.pack("<HHBBB", 10, 10, 0, 0, 0) + b"\x2c" + struct.pack("<HHHHB", 0, 0, 65535, 65535, 0),
    "bmp": b"BM" + bytes(12) + struct.pack("<Iii", 40, 40_000, -40_000) + bytes(40),
    "webp": b"RIFF" + struct.pack("<I", 30) + b"WEBPVP8X" + struct.pack("<I", 10) + bytes(4) + b"\xff\xff\xff" * 2,
    "tiff": b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 2)
    + struct.pack("<HHII", 256, 4, 1, 100_000) + struct.pack("<HHII", 257, 4, 1, 100_000) + bytes(4),
}


@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_decompression_bomb_fails_before_decoding(kind, monkeypatch):
    def must_not_decode(*args):
        raise AssertionError("cv2.imdecode called on a bomb")

    monkeypatch.setattr(cv2, "imdecode", must_not_decode)
    with pytest.raises(nudeguard.ImageError, match=r"^<\d+ bytes>: the \w+ image is \d+x\d+ = \d+ pixels, over the limit of 100000000"):
        load_pixels(BOMBS[kind])


def test_pixel_limit_is_configurable_and_inclusive():
    data = encode(".png", photo(100, 100))
    assert load_pixels(data, max_pixels=10_000).array.shape == (100, 100, 3)
    with pytest.raises(nudeguard.ImageError, match="over the limit of 9999"):
        load_pixels(data, max_pixels=9_999)


def test_unknown_formats_are_decoded_then_limited():
    ppm = b"P6\n120 100\n255\n" + bytes(120 * 100 * 3)
    assert load_pixels(ppm).array.shape == (100, 120, 3)
    with pytest.raises(nudeguard.ImageError, match="the decoded image is 120x100 = 12000 pixels"):
        load_pixels(ppm, max_pixels=11_999)


def test_truncated_header_is_an_image_error():
    with pytest.raises(nudeguard.ImageError, match="not a decodable image"):
        load_pixels(png_header(10, 10)[:20])
    with pytest.raises(nudeguard.ImageError, match="not a decodable image"):
        load_pixels(encode(".jpg", photo(40, 40))[:100])


def test_guard_options_document_the_pixel_limit():
    assert nudeguard.GuardOptions().max_pixels == 100_000_000


@pytest.mark.parametrize(
    "size, expected",
    [((3000, 4000), (375, 500)), ((1700, 2100), (425, 525)), ((1080, 1920), (270, 480)), ((600, 900), (300, 450)),
     ((480, 640), (480, 640)), ((300, 4000), (300, 4000))],
)
def test_jpeg_decodes_at_the_largest_reduction_covering_the_resize_size(size, expected):
    pixels = load_pixels(encode(".jpg", photo(*size)), min_size=RESIZE)
    assert pixels.array.shape[:2] == expected
    assert load_pixels(encode(".jpg", photo(*size))).array.shape[:2] == size  # no min_size: full size


# What each EXIF orientation does to the stored pixels to display them.
ORIENT = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a.transpose(1, 0, 2)[::-1, ::-1],
    8: lambda a: np.rot90(a, 1),
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_reduced_jpeg_decoding_honours_exif_orientation(orientation):
    data = with_orientation(encode(".jpg", photo(700, 1100)), orientation)
    raw = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_REDUCED_COLOR_2 | cv2.IMREAD_IGNORE_ORIENTATION)
    pixels = load_pixels(data, min_size=RESIZE)
    assert raw.shape[:2] == (350, 550)
    np.testing.assert_array_equal(pixels.array, ORIENT[orientation](raw))
    # The table above is OpenCV's own full-size behaviour.
    full = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    full_raw = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    np.testing.assert_array_equal(full, ORIENT[orientation](full_raw))


@needs_gif
def test_gif_decodes_its_first_frame():
    img = photo(24, 32)
    pixels = load_pixels(encode(".gif", img))
    assert pixels.array.shape == (24, 32, 3)
    assert np.abs(pixels.array.astype(int) - img).mean() < 30  # fixed palette with dithering


@needs_gif
def test_gif_with_a_background_index_past_its_palette_decodes_like_browsers_do():
    from PIL import Image

    encoded = io.BytesIO()
    Image.fromarray(photo(24, 32)).quantize(16).save(encoded, "GIF")
    data = bytearray(encoded.getvalue())
    assert data[10] & 0x80 and 2 << (data[10] & 7) == 16
    valid = load_pixels(bytes(data)).array
    data[11] = 99  # past the 16-colour palette: OpenCV 5 alone refuses the file
    np.testing.assert_array_equal(load_pixels(bytes(data)).array, valid)


@pytest.mark.skipif(opencv_has_gif(), reason="this OpenCV decodes GIF")
def test_gif_without_codec_says_what_is_missing():
    from nudeguard.media.still import TINY_GIF

    with pytest.raises(nudeguard.ImageError, match="GIF decoding needs OpenCV 4.12 or newer"):
        load_pixels(TINY_GIF)
