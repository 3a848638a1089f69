"""Writes the fuzzers' seed corpora into native/fuzz/corpus/<target>/ (committed; a few KB
each). Run from anywhere with OpenCV and numpy: ``python native/fuzz/make_seeds.py``.

fuzz_probe gets small real files of every format the probe knows (made here with OpenCV, so
their headers are what a decoder writes) plus hand-made headers the encoders do not produce.
The other harnesses read parameters from the input's end and pixels from its start
(FuzzedDataProvider), so their seeds are deterministic random bytes of a few lengths.
fuzz_hash_list's seeds are hand-written texts kept as files (the atheris harness of
``HashList.load`` starts from them too).
"""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np

CORPUS = Path(__file__).resolve().parent / "corpus"


def picture(width: int, height: int, channels: int = 3) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    planes = [(x * 255 // max(1, width - 1)), (y * 255 // max(1, height - 1)), ((x + y) * 40) % 256, x * 0 + 200]
    return np.dstack(planes[:channels]).astype(np.uint8)


def encoded(ext: str, image: np.ndarray, params: tuple = ()) -> bytes:
    ok, data = cv2.imencode(ext, image, list(params))
    assert ok, ext
    return data.tobytes()


def probe_seeds() -> dict:
    small = picture(19, 11)
    seeds = {
        "baseline.jpg": encoded(".jpg", small, (cv2.IMWRITE_JPEG_QUALITY, 50)),
        "progressive.jpg": encoded(".jpg", small, (cv2.IMWRITE_JPEG_PROGRESSIVE, 1)),
        "gray.png": encoded(".png", small[:, :, 0]),
        "rgba.png": encoded(".png", picture(7, 5, 4)),
        "sixteen_bit.png": encoded(".png", small.astype(np.uint16) * 257),
        "lossy.webp": encoded(".webp", small, (cv2.IMWRITE_WEBP_QUALITY, 30)),
        "lossless.webp": encoded(".webp", small, (cv2.IMWRITE_WEBP_QUALITY, 101)),
        "image.bmp": encoded(".bmp", picture(5, 3)),
        "image.tif": encoded(".tif", picture(5, 3)),
        # GIF: screen 1x1, a graphic control extension, then the image descriptor.
        "tiny.gif": b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
                    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
        # A decompression bomb's header: PNG IHDR claiming 60000 x 60000.
        "bomb_header.png": b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR"
                           + struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0),
        # Extended WebP (VP8X) with the animation flag and a 3x2 canvas.
        "vp8x.webp": b"RIFF" + struct.pack("<I", 22) + b"WEBPVP8X" + struct.pack("<I", 10) + b"\x02\x00\x00\x00"
                     + (2).to_bytes(3, "little") + (1).to_bytes(3, "little"),
        # Top-down BMP (negative height) with the core OS/2 header as well.
        "os2.bmp": b"BM" + b"\x00" * 12 + struct.pack("<IHH", 12, 4, 3),
        "truncated.jpg": encoded(".jpg", small)[:40],
    }
    return seeds


def random_seeds(rng: np.random.Generator, lengths: tuple) -> dict:
    return {f"random_{n}": rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in lengths}


def match_seeds(rng: np.random.Generator) -> dict:
    query = rng.integers(0, 256, 32, dtype=np.uint8)
    near = query.copy()
    near[:3] ^= 0x11  # a few bits away
    params = bytes([20, 8])  # consumed from the end: capacity, then the distance limit
    return {
        "near_duplicate": query.tobytes() + near.tobytes() + rng.integers(0, 256, 96, dtype=np.uint8).tobytes() + params,
        "exact": query.tobytes() + query.tobytes() + params,
    }


def main() -> None:
    rng = np.random.default_rng(9)
    corpora = {
        "fuzz_probe": probe_seeds(),
        "fuzz_preprocess": random_seeds(rng, (16, 200, 1500)),
        "fuzz_blur": random_seeds(rng, (16, 300, 1500)),
        "fuzz_pdq": random_seeds(rng, (16, 400, 1500)),
        "fuzz_pdq_match": {**random_seeds(rng, (40, 300)), **match_seeds(rng)},
    }
    for target, seeds in corpora.items():
        folder = CORPUS / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (folder / name).write_bytes(data)


if __name__ == "__main__":
    main()
