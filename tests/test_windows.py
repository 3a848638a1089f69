"""The bundled window model (issue 21): one inference scores every 224-px window of the whole
frame (short side resized to 256, aspect kept) and says which windows fired. The fixed-size
model (models/open_nsfw_int8.tflite, 256x256 squash + centre crop) stays for comparison.

These tests run through the SDK's real pipeline (decode, native resize, LiteRT or tflite-runtime).
"""

from __future__ import annotations

from typing import Iterator, List, Tuple

import cv2
import numpy as np
import pytest

import nudeguard
from nudeguard.detect.results import Box
from nudeguard.detect.windows import WindowGeometry
from conftest import REPO, benign_photos, synthetic_sensitive

FIXED_MODEL = REPO / "models" / "open_nsfw_int8.tflite"

#: The shapes of issue 21's coverage goal, and where the patch goes: every edge of a 4:3
#: photo, both ends of the long pictures (a 16:9 photo, a phone screenshot, a 4:1 panorama).
FRAMES = {"4:3": (1600, 1200), "16:9": (1920, 1080), "screenshot": (1170, 2532), "4:1": (4000, 1000)}
EDGES = {"4:3": ("left", "right", "top", "bottom"), "16:9": ("left", "right"),
         "screenshot": ("top", "bottom"), "4:1": ("left", "right")}

#: Side of the pasted pattern as a fraction of the frame's short side (the issue's goal: 60 %
#: of a 4:3 photo's height).
PATCH_FRACTION = 0.6


@pytest.fixture(scope="module")
def fixed_guard() -> Iterator[nudeguard.Guard]:
    with nudeguard.Guard(nudeguard.GuardOptions(model_path=FIXED_MODEL)) as guard:
        yield guard


def counting(guard: nudeguard.Guard) -> List[Tuple[int, ...]]:
    """Record the shape of every frame the guard's engine classifies."""
    calls: List[Tuple[int, ...]] = []
    classify = guard.engine.classify
    guard.engine.classify = lambda pixels: calls.append(pixels.array.shape) or classify(pixels)  # type: ignore[method-assign]
    return calls


def edge_placements(frame: str, side: int) -> List[Tuple[str, int, int]]:
    """The patch's corner flush with each of the frame's EDGES, centred along it."""
    width, height = FRAMES[frame]
    cx, cy = (width - side) // 2, (height - side) // 2
    corners = {"left": (0, cy), "right": (width - side, cy), "top": (cx, 0), "bottom": (cx, height - side)}
    return [(edge, *corners[edge]) for edge in EDGES[frame]]


def test_window_geometry_keeps_few_shapes_and_bounds_a_strip(guard):
    geometry = guard.engine.windows
    assert geometry == WindowGeometry(window=224, stride=32, short_side=256)
    assert geometry.input_size(4000, 3000) == (352, 256)
    assert geometry.input_size(1920, 1080) == (448, 256)
    assert geometry.input_size(1170, 2532) == (256, 576)
    assert geometry.input_size(4000, 1000) == (1024, 256)
    assert geometry.input_size(1, 100_000) == (256, 1184)  # the cap
    assert geometry.grid((1024, 256)) == (2, 26)
    shapes = {geometry.input_size(w, h) for w in range(100, 5000, 37) for h in (480, 1000, 3000)}
    assert len(shapes) <= 2 * 12 - 1  # one per long-side bucket, either orientation
    # Windows (r, 25) of a 4000x1000 panorama are its right end.
    assert geometry.box(1, 25, (4000, 1000), (1024, 256)) == Box(3125, 125, 4000, 1000)


def test_a_square_photo_is_four_windows_and_the_fixed_model_sees_their_centre(guard, fixed_guard):
    """A 256x256 picture is the window model's input as it is: 2 x 2 windows at offsets 0 and
    32, which the fixed model's centre crop (offset 16) lies between."""
    for path in synthetic_sensitive():
        calls = counting(guard)
        try:
            result = guard.scan(path)
        finally:
            del guard.engine.classify
        assert calls == [(256, 256, 3)] and len(result.fired_windows) == 4, result
        assert {(box.left, box.top) for box in result.fired_windows} == {(0, 0), (32, 0), (0, 32), (32, 32)}
        assert fixed_guard.scan(path).fired_windows is None and fixed_guard.scan(path).sensitive


@pytest.mark.parametrize("frame", list(FRAMES))
def test_window_model_catches_a_patch_at_every_edge_in_one_inference(guard, frame):
    width, height = FRAMES[frame]
    side = int(PATCH_FRACTION * min(width, height))
    photos = benign_photos()
    misses = []
    for i, path in enumerate(synthetic_sensitive()):
        background = cv2.resize(cv2.imread(str(photos[(3 * i) % len(photos)])), (width, height),
                                interpolation=cv2.INTER_AREA)
        patch = cv2.resize(cv2.imread(str(path)), (side, side), interpolation=cv2.INTER_AREA)
        for edge, x, y in edge_placements(frame, side):
            image = background.copy()
            image[y:y + side, x:x + side] = patch
            calls = counting(guard)
            try:
                result = guard.scan(image, color_order="BGR")
            finally:
                del guard.engine.classify
            assert len(calls) == 1, calls  # no tiles
            if not result.sensitive:
                misses.append((path.name, edge, round(result.score, 3)))
                continue
            # The strongest window overlaps the patch.
            box = result.fired_windows[0]
            assert box.left < x + side and x < box.right and box.top < y + side and y < box.bottom, (edge, box)
    assert not misses, misses


@pytest.mark.parametrize("frame", list(FRAMES))
def test_window_model_keeps_benign_photos_benign(guard, frame):
    width, height = FRAMES[frame]
    scores = []
    for path in benign_photos():
        image = cv2.resize(cv2.imread(str(path)), (width, height), interpolation=cv2.INTER_AREA)
        result = guard.scan(image, color_order="BGR")
        assert result.fired_windows == (), path.name
        scores.append(result.score)
    assert max(scores) < guard.options.threshold - 0.3, scores


def test_one_interpreter_serves_every_shape(guard):
    """Frames of three aspect ratios, twice over: the session's one interpreter is re-planned
    for each input shape (its weights stay packed), never replaced."""
    rng = np.random.default_rng(21)
    frames = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for w, h in ((640, 480), (1280, 720), (720, 1280))]
    with guard.engine.session() as session:
        interpreter = session.interpreter
    seen, results = [], []
    for frame in frames + frames:
        results.append(guard.classify(frame, color_order="BGR"))
        with guard.engine.session() as session:
            assert session.interpreter is interpreter
            seen.append(session.input_size)
    assert seen == [(352, 256), (448, 256), (256, 448)] * 2
    assert results[:3] == results[3:]  # the same answers after re-plans


def test_window_model_answers_a_hostile_strip_with_one_bounded_inference(guard):
    strip = np.full((1, 100_000, 3), 128, np.uint8)
    calls = counting(guard)
    try:
        result = guard.scan(strip, color_order="BGR")
    finally:
        del guard.engine.classify
    assert len(calls) == 1 and not result.sensitive and result.fired_windows == ()
