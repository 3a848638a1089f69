"""Hashing benchmark: nudeguard's PDQ against the pdqhash package (Meta's C++ behind Python
bindings) on a 12 MP photo and a 512x512 image, the hash-list scan's throughput per kernel
set, loading a hash list against reading its bytes, and how far the fast path (DCT-scaled
JPEG decode) lands from the reference pipeline.
Times are the best of several runs, in milliseconds, single-threaded; ratios are taken
within this one run.

    python benchmarks/hashing.py [--quick] [--list-size N]

Rows:
  exact   the same RGB pixels hashed as given: pdqhash.compute vs nudeguard full_size=True
          (bit-identical hashes; pdqhash's time includes its numpy luma, as it is called);
  ref     nudeguard's default: Meta's reference pipeline (large images resized to 512 x 512
          by nearest neighbour, then hashed) on the same pixels;
  file    from JPEG bytes: decode + hash, full decode (default) vs DCT-scaled decode (fast).
Photo-like content: the sample photo upscaled with mild noise (synthetic, deterministic).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

import nudeguard
from nudeguard import _native

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.jpg"
FIXTURES = ROOT / "tests" / "fixtures"


def best_ms(fn, budget_s: float = 1.5, max_runs: int = 7) -> float:
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < max_runs and (not times or time.perf_counter() - start < budget_s):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1e3


def photo(width: int, height: int, source: Path = SAMPLE, seed: int = 0) -> np.ndarray:
    """BGR photo-like image: a real photo upscaled (cubic) plus sensor-like noise."""
    base = cv2.imread(str(source))
    image = cv2.resize(base, (width, height), interpolation=cv2.INTER_CUBIC)
    noise = np.random.default_rng(seed).normal(0, 4, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def fast_path_set(quick: bool):
    """Large JPEGs made from every fixture photo at several sizes and aspect ratios."""
    sources = sorted(FIXTURES.glob("benign/*.jpg")) + sorted(FIXTURES.glob("*.png")) + [SAMPLE]
    sizes = [(1280, 960), (2048, 1536), (4000, 3000), (3024, 4032), (1920, 1080)]
    if quick:
        sizes = sizes[:2]
    for i, src in enumerate(sources):
        for j, (w, h) in enumerate(sizes):
            image = photo(w, h, src, seed=i * 10 + j)
            ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            assert ok
            yield f"{src.name}@{w}x{h}", data.tobytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer images for the fast-path statistics")
    parser.add_argument("--list-size", type=int, default=2_000_000, help="hashes in the scanned list")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    try:
        import pdqhash
    except ImportError:
        pdqhash = None
    # PDQ has scalar, AVX2 and NEON kernel sets (SSE4.1 runs the scalar one).
    isas = ["scalar"] + [i for i in ("avx2", "neon") if i in nudeguard.available_isas()]
    print(f"nudeguard {nudeguard.__version__}, ISA {nudeguard.isa()}, OpenCV {cv2.__version__}, "
          f"pdqhash {getattr(pdqhash, '__version__', 'not installed')}, one thread")

    print("\n## PDQ hash, ms (best of runs)\n")
    header = ["image", "path", "pdqhash"] + isas + [f"pdqhash/{isas[-1]}"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, (w, h) in {"12MP 4000x3000": (4000, 3000), "512x512": (512, 512)}.items():
        bgr = photo(w, h)
        rgb = np.ascontiguousarray(bgr[:, :, ::-1])
        for path, resize in (("exact", False), ("ref", True)):
            times = {}
            for isa in isas:
                times[isa] = best_ms(lambda: _native.pdq_hash(rgb, _native.PixelFormat.RGB,
                                                               reference_resize=resize, isa=isa))
            ref_ms = best_ms(lambda: pdqhash.compute(rgb)) if pdqhash and path == "exact" else None
            if ref_ms is not None:
                ours = _native.pdq_hash(rgb, _native.PixelFormat.RGB, reference_resize=False)[0]
                bits = np.packbits(pdqhash.compute(rgb)[0].astype(np.uint8)).tobytes()
                assert ours == bits, "exact path differs from pdqhash"
            cells = [name, path, f"{ref_ms:.1f}" if ref_ms else "-"] + [f"{times[i]:.2f}" for i in isas]
            cells.append(f"{ref_ms / times[isas[-1]]:.1f}x" if ref_ms else "-")
            print("| " + " | ".join(cells) + " |")
        if w * h > 512 * 512:
            ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
            blob = data.tobytes()
            full = best_ms(lambda: nudeguard.pdq_hash(blob))
            fast = best_ms(lambda: nudeguard.pdq_hash(blob, fast=True))
            dec = best_ms(lambda: cv2.imdecode(data, cv2.IMREAD_COLOR))
            print(f"| {name} | file: decode {dec:.1f} ms | - | default (full decode) {full:.1f} | "
                  f"fast (DCT-scaled) {fast:.1f} | {full / fast:.1f}x |")

    print(f"\n## Hash-list scan, {args.list_size:,} hashes ({args.list_size * 32 / 1e6:.0f} MB)\n")
    rng = np.random.default_rng(7)
    hashes = rng.integers(0, 256, (args.list_size, 32), dtype=np.uint8)
    query = rng.integers(0, 256, 32, dtype=np.uint8).tobytes()
    hashes[12345] = np.frombuffer(query, np.uint8)
    print("| kernel set | ms per query | M comparisons/s |")
    print("|---|---|---|")
    for isa in isas:
        ms = best_ms(lambda: _native.pdq_match(hashes, query, 31, isa=isa))
        idx, _ = _native.pdq_match(hashes, query, 31, isa=isa)
        assert 12345 in idx.tolist()
        print(f"| {isa} | {ms:.2f} | {args.list_size / ms / 1e3:.0f} |")

    lines = min(args.list_size, 1_000_000)
    print(f"\n## Loading a hash list: {lines:,} lines of HEX,QUALITY,ID\n")
    text = "".join(f"{row.tobytes().hex()},100,case-{i}\n" for i, row in enumerate(hashes[:lines])).encode()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.csv"  # hashes and IDs only: no image content on disk
        path.write_bytes(text)
        read = best_ms(path.read_bytes, max_runs=5)
        split = best_ms(lambda: path.read_bytes().splitlines(), max_runs=5)
        load = best_ms(lambda: nudeguard.HashList.load(path), max_runs=5)
        assert len(nudeguard.HashList.load(path)) == lines
    print(f"{len(text) / 1e6:.0f} MB. Baselines: reading the bytes, and reading plus bytes.splitlines() — the "
          "least any parser written in Python does before looking at a field.\n")
    print("| step | ms | HashList.load / step |")
    print("|---|---|---|")
    for step, ms in (("read the file", read), ("read + bytes.splitlines()", split),
                     ("HashList.load (native parser, IDs packed)", load)):
        print(f"| {step} | {ms:.0f} | {load / ms:.2f}x |")

    print("\n## Fast path (DCT-scaled decode) vs the reference pipeline, Hamming distance\n")
    distances = []
    for name, blob in fast_path_set(args.quick):
        ref = nudeguard.pdq_hash(blob)
        fast = nudeguard.pdq_hash(blob, fast=True)
        distances.append(ref.distance(fast))
    d = np.array(distances)
    print(f"{len(d)} JPEGs (q90, 1280x960 .. 4000x3000, both orientations; synthetic upscales of "
          f"{len(set(n.split('@')[0] for n, _ in fast_path_set(True)))} photos): median {np.median(d):.0f}, "
          f"mean {d.mean():.1f}, max {d.max()}, <= 10 in {np.mean(d <= 10) * 100:.0f}%, "
          f"<= 31 in {np.mean(d <= 31) * 100:.0f}%")
    print("distance: count  " + ", ".join(f"{v}: {c}" for v, c in zip(*np.unique(d, return_counts=True))))


if __name__ == "__main__":
    main()
