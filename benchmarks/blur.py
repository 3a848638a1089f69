"""Blur benchmark: nudeguard.blur per kernel set against cv2.GaussianBlur and cv2.stackBlur,
with numpy.copyto of the same image as the memory-bandwidth floor, plus the veil of a 12 MP
photo to a 1080p preview. Times are the best of several runs, in milliseconds; ratios are
taken within this one run.

    python benchmarks/blur.py [--quick] [--threads N]

cv2.stackBlur gets the kernel size whose variance equals sigma^2 (a stack blur of radius r
has variance r(r+2)/6). Synthetic photo-like content (the sample photo, upscaled).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import cv2
import numpy as np

import nudeguard
from nudeguard import _native

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample.jpg"


def best_ms(fn, budget_s: float = 1.0, max_runs: int = 7) -> float:
    fn()  # warm up (allocations, thread start, page faults)
    times = []
    start = time.perf_counter()
    while len(times) < max_runs and (not times or time.perf_counter() - start < budget_s):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1e3


def stack_ksize(sigma: float) -> int:
    r = max(1, round(math.sqrt(6 * sigma * sigma + 1) - 1))
    return 2 * r + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip cv2.GaussianBlur at sigma >= 25 on 12 MP (seconds each)")
    parser.add_argument("--threads", type=int, default=0, help="nudeguard threads (0: automatic)")
    args = parser.parse_args()
    cv2.setNumThreads(1 if args.threads == 1 else cv2.getNumThreads())
    photo = cv2.imread(str(SAMPLE))
    sizes = {"12MP 4000x3000": (4000, 3000), "1080p 1920x1080": (1920, 1080)}
    isas = ["scalar"] + [i for i in nudeguard.available_isas() if i != "scalar"][::-1]
    print(f"nudeguard {nudeguard.__version__}, ISA {nudeguard.isa()}, OpenCV {cv2.__version__}, "
          f"threads {args.threads or 'auto'}, cv2 threads {cv2.getNumThreads()}")
    header = ["image", "sigma", "copyto"] + isas + ["cv2.Gaussian", "cv2.stackBlur",
                                                   f"Gauss/{isas[-1]}", f"stack/{isas[-1]}"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, (w, h) in sizes.items():
        image = cv2.resize(photo, (w, h), interpolation=cv2.INTER_CUBIC)
        out = np.empty_like(image)
        copy = best_ms(lambda: np.copyto(out, image))
        for sigma in (2, 8, 25, 60):
            ours = {isa: best_ms(lambda isa=isa: _native.blur(image, out, float(sigma), threads=args.threads, isa=isa))
                    for isa in isas}
            if args.quick and w * h > 5e6 and sigma >= 25:
                gauss = float("nan")
            else:
                gauss = best_ms(lambda: cv2.GaussianBlur(image, (0, 0), sigma, dst=out, borderType=cv2.BORDER_REFLECT_101),
                                budget_s=0.5, max_runs=3)
            k = stack_ksize(sigma)
            stack = best_ms(lambda: cv2.stackBlur(image, (k, k), dst=out))
            best = ours[isas[-1]]
            row = [name, str(sigma), f"{copy:.1f}"] + [f"{ours[i]:.1f}" for i in isas]
            row += [f"{gauss:.0f}", f"{stack:.1f}", f"{gauss / best:.1f}x", f"{stack / best:.1f}x"]
            print("| " + " | ".join(row) + " |")
    big = cv2.resize(photo, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    veil = best_ms(lambda: nudeguard.veil(big, (1440, 1080), threads=args.threads), max_runs=15)
    resize = best_ms(lambda: cv2.resize(big, (1440, 1080), interpolation=cv2.INTER_AREA), max_runs=15)
    print(f"\nveil 12 MP -> 1440x1080 (sigma {nudeguard.veil_sigma(1440, 1080):g}): {veil:.1f} ms "
          f"(cv2.resize INTER_AREA alone: {resize:.1f} ms)")


if __name__ == "__main__":
    main()
