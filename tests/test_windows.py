"""The window model (models/open_nsfw_windows_int8, issue 21): one inference scores every
224-px window of the whole frame, aspect kept, and says which windows fired.

It is opt-in (``GuardOptions(model_path=...)``) until the bundled model changes; these tests
run it through the SDK's real pipeline (decode, native resize, LiteRT or tflite-runtime).
"""

from __future__ import annotations

from typing import Iterator, List, Tuple

import cv2
import numpy as np
import pytest

import nudeguard
from nudeguard.detect.results import Box
from nudeguard.detect.windows import WindowGeometry
from nudeguard.media.pixels import from_array
from conftest import REPO, benign_photos, synthetic_sensitive

WINDOW_MODEL = REPO / "models" / "open_nsfw_windows_int8.tflite"

#: The shapes of issue 21's coverage goal: a 4:3 photo, a 16:9 photo, a phone screenshot and a
#: 4:1 panorama, with the window model's input for each (short side 224, long side snapped).
FRAMES = {"4:3": (1600, 1200), "16:9": (1920, 1080), "screenshot": (1170, 2532), "4:1": (4000, 1000)}

#: Side of the pasted pattern as a fraction of the frame's short side. At 0.8 the window map
#: catches every pattern at every edge (measured: lowest score 0.90); at 0.6 it catches 28 of
#: 48 on 4:3 and 16:9 photos (models/README.md), so that is not asserted here.
PATCH_FRACTION = 0.8


@pytest.fixture(scope="module")
def window_guard() -> Iterator[nudeguard.Guard]:
    with nudeguard.Guard(nudeguard.GuardOptions(model_path=WINDOW_MODEL)) as guard:
        yield guard


def counting(guard: nudeguard.Guard) -> List[Tuple[int, ...]]:
    """Record the shape of every frame the guard's engine classifies."""
    calls: List[Tuple[int, ...]] = []
    classify = guard.engine.classify
    guard.engine.classify = lambda pixels: calls.append(pixels.array.shape) or classify(pixels)  # type: ignore[method-assign]
    return calls


def edge_placements(width: int, height: int, side: int) -> List[Tuple[str, int, int]]:
    """Flush with each edge, centred along it: for a long picture two of them are its ends."""
    cx, cy = (width - side) // 2, (height - side) // 2
    return [("left", 0, cy), ("right", width - side, cy), ("top", cx, 0), ("bottom", cx, height - side)]


def test_window_geometry_keeps_few_shapes_and_bounds_a_strip():
    geometry = WindowGeometry(224, 32)
    assert geometry.input_size(4000, 3000) == (288, 224)
    assert geometry.input_size(1920, 1080) == (384, 224)
    assert geometry.input_size(1170, 2532) == (224, 512)
    assert geometry.input_size(4000, 1000) == (896, 224)
    assert geometry.input_size(1, 100_000) == (224, 1024)  # the cap
    assert geometry.grid((896, 224)) == (1, 22)
    shapes = {geometry.input_size(w, h) for w in range(100, 5000, 37) for h in (480, 1000, 3000)}
    assert len(shapes) <= 2 * 12 - 1  # one per long-side bucket, either orientation
    # Window (0, 21) of a 4000x1000 panorama is its right end.
    assert geometry.box(0, 21, (4000, 1000), (896, 224)) == Box(3000, 0, 4000, 1000)


def score_of_tensor(guard: nudeguard.Guard, rgb: np.ndarray) -> float:
    """The model's score for exactly this 224x224 input tensor."""
    with guard.engine.session() as session:
        session.preprocess(from_array(rgb, "RGB", "tensor"))  # a window model: its 224x224 interpreter
        session.input_tensor()[0] = rgb
        session.invoke()
        return session.result().score


def test_window_model_at_224_scores_like_the_fixed_model(window_guard, guard):
    """A 224x224 input has one window: the fixed model's exact graph and quantization."""
    for path in synthetic_sensitive() + benign_photos()[:5]:
        rgb = cv2.resize(cv2.imread(str(path)), (224, 224), interpolation=cv2.INTER_AREA)[:, :, ::-1].copy()
        assert score_of_tensor(window_guard, rgb) == pytest.approx(score_of_tensor(guard, rgb), abs=1e-5), path.name


@pytest.mark.parametrize("frame", list(FRAMES))
def test_window_model_catches_a_patch_at_every_edge_in_one_inference(window_guard, frame):
    width, height = FRAMES[frame]
    side = int(PATCH_FRACTION * min(width, height))
    photos = benign_photos()
    misses = []
    for i, path in enumerate(synthetic_sensitive()):
        background = cv2.resize(cv2.imread(str(photos[(3 * i) % len(photos)])), (width, height),
                                interpolation=cv2.INTER_AREA)
        patch = cv2.resize(cv2.imread(str(path)), (side, side), interpolation=cv2.INTER_AREA)
        for edge, x, y in edge_placements(width, height, side):
            image = background.copy()
            image[y:y + side, x:x + side] = patch
            calls = counting(window_guard)
            try:
                result = window_guard.scan(image, color_order="BGR")
            finally:
                del window_guard.engine.classify
            assert len(calls) == 1, calls  # no tiles
            if not result.sensitive:
                misses.append((path.name, edge, round(result.score, 3)))
                continue
            # The strongest window overlaps the patch.
            box = result.fired_windows[0]
            assert box.left < x + side and x < box.right and box.top < y + side and y < box.bottom, (edge, box)
    assert not misses, misses


@pytest.mark.parametrize("frame", list(FRAMES))
def test_window_model_keeps_benign_photos_benign(window_guard, frame):
    width, height = FRAMES[frame]
    scores = []
    for path in benign_photos():
        image = cv2.resize(cv2.imread(str(path)), (width, height), interpolation=cv2.INTER_AREA)
        result = window_guard.scan(image, color_order="BGR")
        assert result.fired_windows == (), path.name
        scores.append(result.score)
    assert max(scores) < window_guard.options.threshold - 0.3, scores


def test_window_model_prepares_one_interpreter_per_shape_and_reuses_it(window_guard):
    """Frames of three aspect ratios, twice over: three input shapes, each prepared once."""
    rng = np.random.default_rng(21)
    frames = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for w, h in ((640, 480), (1280, 720), (720, 1280))]
    with window_guard.engine.session() as session:
        before = session.prepared
    for frame in frames + frames:
        window_guard.classify(frame, color_order="BGR")
    with window_guard.engine.session() as session:
        prepared = session.prepared
        assert {(288, 224), (384, 224), (224, 384)} <= set(prepared)
        assert all(prepared[size] is before[size] for size in before)  # reused, not re-made


def test_window_model_answers_a_hostile_strip_with_one_bounded_inference(window_guard):
    strip = np.full((1, 100_000, 3), 128, np.uint8)
    calls = counting(window_guard)
    try:
        result = window_guard.scan(strip, color_order="BGR")
    finally:
        del window_guard.engine.classify
    assert len(calls) == 1 and not result.sensitive and result.fired_windows == ()
