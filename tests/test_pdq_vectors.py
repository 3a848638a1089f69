"""PDQ against the hashes Meta publishes for its own test photos (tests/fixtures/pdq/: the
photos, ``expected.csv`` and the NOTICE; from ThreatExchange's pdq test data).

Meta's published hashes are those of its Python port: PIL opens a large JPEG at a reduced
DCT scale (draft), shrinks it to fit 512 x 512 keeping the aspect ratio (bicubic), and hashes
that. nudeguard's default path does the same steps (hashing.py decodes, the native core
resamples like PIL to the bit) and reproduces 18 of the 19 hashes exactly. The one exception,
``sharpen-a-lot.jpg``, stays 2 bits away under every decoder and resampler tried, so it is
pinned at 2 rather than hidden in a tolerance. Before this pipeline (CImg's 512 x 512
nearest-neighbour resize of Meta's C++ tool) the twelve photos over 512 px were 2-8 bits off;
Meta's own Python port accepts 16.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Dict

import numpy as np
import pytest

import nudeguard
import nudeguard.media.reader
from nudeguard import _native

VECTORS = Path(__file__).resolve().parent / "fixtures" / "pdq"
EXPECTED = {name: (digest, quality)
            for digest, quality, name in csv.reader((VECTORS / "expected.csv").read_text().splitlines())}

#: Bits between nudeguard's default hash and Meta's published one, per photo.
DISTANCES: Dict[str, int] = {name: 0 for name in EXPECTED}
DISTANCES["sharpen-a-lot.jpg"] = 2


def test_every_published_vector_is_pinned():
    assert len(EXPECTED) == 19 and set(DISTANCES) == set(EXPECTED)
    assert sorted(p.name for p in VECTORS.glob("*.jpg")) == sorted(EXPECTED)
    assert sum(DISTANCES.values()) == 2


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_default_hash_is_metas_published_hash(name):
    digest, quality = EXPECTED[name]
    fingerprint = nudeguard.fingerprint(VECTORS / name)
    assert fingerprint.pdq_hash.distance(digest) == DISTANCES[name]
    if quality:
        assert fingerprint.quality == int(quality)


def test_every_kernel_set_gives_the_same_hashes():
    for path in sorted(VECTORS.glob("*.jpg"))[:4]:
        pixels = nudeguard.media.reader.load_pixels(path)
        hashes = {isa: _native.pdq_hash(pixels.array, pixels.format, isa=isa)
                  for isa in ["scalar"] + [i for i in ("avx2", "neon") if i in nudeguard.available_isas()]}
        assert len(set(hashes.values())) == 1, path.name


def test_default_pipeline_matches_pillow_s_thumbnail():
    """The native resampler against PIL itself: PIL 6's thumbnail (tests/test_hashing.py's
    pil_thumbnail: bicubic along the rows, then down the columns), hashed as given by
    pdqhash, equals the native default path's hash of the full-size array."""
    pytest.importorskip("PIL.Image", reason="Pillow (the [test] extra) is the oracle here")
    pdqhash = pytest.importorskip("pdqhash", reason="pdqhash (the [test] extra) hashes PIL's pixels")
    from test_hashing import photo_like, pil_thumbnail

    for seed, (width, height) in enumerate([(640, 480), (1600, 1004), (1004, 1600), (4000, 3000), (5000, 37),
                                            (520, 520), (1025, 513), (2048, 2047), (300, 1200), (513, 200)]):
        rgb = photo_like(width, height, seed)
        bits, quality = pdqhash.compute(pil_thumbnail(rgb))
        got = nudeguard.pdq_hash(rgb, "RGB")
        expected = (np.packbits(bits.astype(np.uint8)).tobytes().hex(), int(quality))
        assert (got.hex, got.quality) == expected, (width, height)


def test_full_size_hashes_the_full_decode_not_the_draft():
    pdqhash = pytest.importorskip("pdqhash", reason="pdqhash (the [test] extra) is the reference here")
    path = VECTORS / "aaa-orig.jpg"
    rgb = np.ascontiguousarray(nudeguard.media.reader.load_pixels(path).array[:, :, ::-1])  # full decode
    bits, quality = pdqhash.compute(rgb)
    full = nudeguard.pdq_hash(path, full_size=True)
    assert (full.hex, full.quality) == (np.packbits(bits.astype(np.uint8)).tobytes().hex(), int(quality))
    assert full.hex != nudeguard.pdq_hash(path).hex
