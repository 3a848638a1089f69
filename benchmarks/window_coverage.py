"""Issue 21: how small a sensitive patch the window scan catches, and what a second, finer
scale would add.

    PYTHONPATH=sdk python -m benchmarks.window_coverage

The three held-out synthetic patterns (tests/fixtures/synthetic_sensitive*.png), resized to a
fraction of the frame's short side, are pasted flush with an edge of each of the ten benign
fixture photos (every edge of a 1600x1200 photo; both ends of a 1920x1080 photo, a 1170x2532
screenshot and a 4000x1000 panorama) and scored by the bundled window model with the frame's
short side at 256 (the SDK's scan), 320 and 384, resized as the SDK's geometry does; a patch
counts as caught at the card's threshold. The benign photos at each shape give the highest
benign window per short side. About 5 minutes on 2 cores.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

import cv2
import numpy as np

import nudeguard
from nudeguard.detect.windows import WindowGeometry

from .windows import MODELS

FIXTURES = MODELS.parent / "tests" / "fixtures"
FRAMES = {"4:3": (1600, 1200), "16:9": (1920, 1080), "screenshot": (1170, 2532), "4:1": (4000, 1000)}
EDGES = {"4:3": ("left", "right", "top", "bottom"), "16:9": ("left", "right"),
         "screenshot": ("top", "bottom"), "4:1": ("left", "right")}
SHORT_SIDES = (256, 320, 384)
FRACTIONS = (0.6, 0.5, 0.4, 0.3)


def score(guard: nudeguard.Guard, bgr: np.ndarray, short_side: int) -> float:
    """The highest window of ``bgr`` with the frame's short side at ``short_side``."""
    windows = guard.engine.windows
    height, width = bgr.shape[:2]
    size = WindowGeometry(windows.window, windows.stride, short_side).input_size(width, height)
    rgb = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)[:, :, ::-1]
    with guard.engine.session() as session:
        session.resize(size)
        session.input_tensor()[0] = rgb
        session.invoke()
        return session.result().score


def placements(frame: str, side: int) -> List[Tuple[int, int]]:
    width, height = FRAMES[frame]
    cx, cy = (width - side) // 2, (height - side) // 2
    corners = {"left": (0, cy), "right": (width - side, cy), "top": (cx, 0), "bottom": (cx, height - side)}
    return [corners[edge] for edge in EDGES[frame]]


def main() -> None:
    patterns = [cv2.imread(str(p)) for p in sorted(FIXTURES.glob("synthetic_sensitive*.png"))]
    photos = [cv2.imread(str(p)) for p in sorted((FIXTURES / "benign").glob("*.jpg"))]
    benign: Dict[int, float] = {s: 0.0 for s in SHORT_SIDES}
    with nudeguard.Guard() as guard:
        threshold = guard.options.threshold
        print(f"caught at {threshold} / placed, per short side; '+N': with a second scale at short side N")
        for frame, (width, height) in FRAMES.items():
            backgrounds = [cv2.resize(p, (width, height), interpolation=cv2.INTER_AREA) for p in photos]
            for background in backgrounds:
                for s in SHORT_SIDES:
                    benign[s] = max(benign[s], score(guard, background, s))
            for fraction in FRACTIONS:
                side = round(fraction * min(width, height))
                scores = []
                for pattern in patterns:
                    patch = cv2.resize(pattern, (side, side), interpolation=cv2.INTER_AREA)
                    for background in backgrounds:
                        for x, y in placements(frame, side):
                            image = background.copy()
                            image[y:y + side, x:x + side] = patch
                            scores.append([score(guard, image, s) for s in SHORT_SIDES])
                caught = np.array(scores) >= threshold
                alone = " ".join(f"{s}: {int(caught[:, i].sum()):3d}" for i, s in enumerate(SHORT_SIDES))
                second = " ".join(f"+{s}: {int((caught[:, 0] | caught[:, i]).sum()):3d}"
                                  for i, s in enumerate(SHORT_SIDES) if i)
                print(f"{frame:10s} {fraction:.0%} of the short side: {alone}   {second}   / {len(scores)}", flush=True)
    print("highest benign window per short side: " + ", ".join(f"{s}: {v:.3f}" for s, v in benign.items()))


if __name__ == "__main__":
    main()
