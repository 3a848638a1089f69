"""Decode + preprocess benchmark: nudeguard's pixel path against the plain OpenCV/numpy one.

    PYTHONPATH=sdk python benchmarks/preprocess.py [--repeat N]

Both sides produce the same (1, 224, 224, 3) uint8 RGB tensor of the bundled model
(resize 256x256, centre crop 224). Baseline: cv2.imdecode at full size, cv2.resize
INTER_AREA, numpy crop and BGR->RGB. nudeguard: header probe, JPEG decoded at the DCT scale
that still covers 256x256 (IMREAD_REDUCED_COLOR_*), then the fused native kernel. "kernel"
rows compare the native kernel alone with cv2.resize + numpy on an already decoded 12 MP
array. Each kernel set runs in its own process (NUDEGUARD_FORCE_ISA), with the baseline
measured in the same process, interleaved, best of N. The test images are made here,
deterministically (smooth noise at several scales, hard edges, grain), JPEG quality 90.
Prints ratios; it is not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "sdk"))

from nudeguard import _native  # noqa: E402
from nudeguard.media.reader import load_pixels  # noqa: E402

RESIZE, CROP = 256, 224
OFF = (RESIZE - CROP) // 2
SIZES = {"12MP": (3000, 4000), "1080p": (1080, 1920), "640x480": (480, 640)}


def photo_like(h: int, w: int, seed: int) -> np.ndarray:
    """Smooth noise fields at several scales, a few hard-edged shapes and fine grain."""
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.float32)
    for cells, amp in ((4, 90), (16, 40), (64, 20), (256, 8)):
        field = rng.normal(0, 1, (cells * h // max(h, w) + 2, cells * w // max(h, w) + 2, 3)).astype(np.float32)
        img += amp * cv2.resize(field, (w, h), interpolation=cv2.INTER_CUBIC)
    img += 128
    for _ in range(12):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        color = tuple(float(c) for c in rng.integers(0, 256, 3))
        cv2.rectangle(img, (x0, y0), (x0 + int(rng.integers(20, w // 4)), y0 + int(rng.integers(20, h // 4))), color, -1)
        cv2.line(img, (x0, y0), (int(rng.integers(0, w)), int(rng.integers(0, h))), color, max(1, w // 400))
    img += rng.normal(0, 3, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def jpeg(img: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


def baseline_from_pixels(bgr: np.ndarray) -> np.ndarray:
    small = cv2.resize(bgr, (RESIZE, RESIZE), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small[OFF : OFF + CROP, OFF : OFF + CROP, ::-1])[None]


def baseline(data: bytes) -> np.ndarray:
    return baseline_from_pixels(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR))


def ours_from_pixels(array: np.ndarray, fmt, out: np.ndarray) -> np.ndarray:
    _native.preprocess(array, fmt, out, resize=(RESIZE, RESIZE), dst_order=_native.PixelFormat.RGB)
    return out


def ours(data: bytes, out: np.ndarray) -> np.ndarray:
    pixels = load_pixels(data, min_size=(RESIZE, RESIZE))
    return ours_from_pixels(pixels.array, pixels.format, out)


def best_of(repeat: int, *fns):
    """Interleaved timing, best of `repeat` for each function."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t)
    return best


def worker(repeat: int) -> None:
    out = np.zeros((1, CROP, CROP, 3), np.uint8)
    rows = []
    for seed, (name, (h, w)) in enumerate(SIZES.items()):
        data = jpeg(photo_like(h, w, seed))
        n = repeat if h * w < 5e6 else max(3, repeat // 3)
        t_base, t_ours = best_of(n, lambda: baseline(data), lambda: ours(data, out))
        pixels = load_pixels(data, min_size=(RESIZE, RESIZE))
        t_decode, t_kernel = best_of(n, lambda: load_pixels(data, min_size=(RESIZE, RESIZE)),
                                     lambda: ours_from_pixels(pixels.array, pixels.format, out))
        (t_full_decode,) = best_of(n, lambda: cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR))
        diff = np.abs(ours(data, out).astype(int) - baseline(data)).mean()
        rows.append(dict(case=f"decode+preprocess {name}", base=t_base, ours=t_ours, decode=t_decode,
                         full_decode=t_full_decode, kernel=t_kernel,
                         decoded=f"{pixels.array.shape[1]}x{pixels.array.shape[0]}", mean_abs_diff=float(diff)))
        if name == "12MP":
            bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            fmt = _native.PixelFormat.BGR
            t_base, t_ours = best_of(n * 2, lambda: baseline_from_pixels(bgr), lambda: ours_from_pixels(bgr, fmt, out))
            rows.append(dict(case="kernel alone 12MP", base=t_base, ours=t_ours))
    print(json.dumps({"isa": _native.isa(), "rows": rows}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.repeat)
        return
    print(f"cv2 {cv2.__version__}, {os.cpu_count()} CPUs, cv2 threads {cv2.getNumThreads()}; best of N, ms\n")
    print(f"{'isa':7} {'case':28} {'opencv':>8} {'nudeguard':>9} {'ratio':>6}   where nudeguard's time goes")
    for isa in _native.available_isas()[::-1]:
        env = dict(os.environ, NUDEGUARD_FORCE_ISA=isa)
        result = subprocess.run([sys.executable, __file__, "--worker", "--repeat", str(args.repeat)],
                                env=env, capture_output=True, text=True, check=True)
        report = json.loads(result.stdout.strip().splitlines()[-1])
        for r in report["rows"]:
            note = ""
            if "decode" in r:
                note = (f"decode {r['decode'] * 1e3:.1f} at {r['decoded']} (full-size decode {r['full_decode'] * 1e3:.1f}),"
                        f" kernel {r['kernel'] * 1e3:.2f}; |diff| vs opencv {r['mean_abs_diff']:.2f}")
            print(f"{report['isa']:7} {r['case']:28} {r['base'] * 1e3:8.2f} {r['ours'] * 1e3:9.2f} "
                  f"{r['base'] / r['ours']:5.1f}x   {note}")


if __name__ == "__main__":
    main()
