"""Whole-image coverage: the whole frame of wide and tall pictures (one inference of the window
model; tiles for a fixed-size model), frames of animations."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import nudeguard
from conftest import FIXTURES, REPO, benign_photos
from nudeguard import Action, Person
from nudeguard.detect.scanner import MAX_TILES, tile_offsets
from nudeguard.media.animation import sample_indices
from nudeguard.media.reader import open_media
from test_decode import opencv_has_gif

SENSITIVE = cv2.imread(str(FIXTURES / "synthetic_sensitive.png"))
H = 400

# Animated GIF needs OpenCV's GIF codec (4.12+; the numpy<2 fallback job has 4.10) and
# cv2.imdecodeanimation (4.11+).
needs_animation = pytest.mark.skipif(
    not (opencv_has_gif() and hasattr(cv2, "imdecodeanimation")),
    reason=f"OpenCV {cv2.__version__} cannot decode animated GIFs (needs 4.12+)",
)


def panorama(photo: np.ndarray, ratio: int = 4) -> np.ndarray:
    """A ratio:1 strip of the photo and its mirror image, side by side, H pixels tall."""
    scaled = cv2.resize(photo, (round(photo.shape[1] * H / photo.shape[0]), H), interpolation=cv2.INTER_AREA)
    strip = np.hstack([scaled, scaled[:, ::-1]] * ratio)[:, : ratio * H]
    return np.ascontiguousarray(strip)


def with_sensitive_at_far_end(strip: np.ndarray) -> np.ndarray:
    out = strip.copy()
    out[:, -H:] = cv2.resize(SENSITIVE, (H, H), interpolation=cv2.INTER_AREA)
    return out


PHOTOS = [pytest.param(path, id=path.stem) for path in benign_photos()]


@pytest.mark.parametrize("path", PHOTOS)
def test_panorama_with_sensitive_far_end_is_caught(guard, path):
    strip = with_sensitive_at_far_end(panorama(cv2.imread(str(path))))
    assert guard.scan(strip, color_order="BGR").sensitive
    verdict = guard.check_outgoing(strip, sender=Person(age=15), color_order="BGR")
    assert verdict.action is Action.CONFIRM


@pytest.mark.parametrize("path", PHOTOS)
def test_plain_panorama_is_not_sensitive(guard, path):
    strip = panorama(cv2.imread(str(path)))
    assert not guard.scan(strip, color_order="BGR").sensitive
    assert guard.check_outgoing(strip, sender=Person(age=15), color_order="BGR").action is Action.ALLOW


def test_the_fixed_model_needs_tiles_for_the_far_end_the_window_model_one_inference(guard):
    strip = with_sensitive_at_far_end(panorama(cv2.imread(str(benign_photos()[3]))))
    with nudeguard.Guard(nudeguard.GuardOptions(model_path=REPO / "models" / "open_nsfw_int8.tflite")) as fixed:
        assert not fixed.classify(strip, color_order="BGR").sensitive  # the squashed full frame
        assert fixed.scan(strip, color_order="BGR").sensitive  # its tiles
    result = guard.classify(strip, color_order="BGR")
    assert result.sensitive and result.fired_windows[0].right == strip.shape[1]


def test_tall_panorama_encoded_as_jpeg_is_caught(guard):
    strip = with_sensitive_at_far_end(panorama(cv2.imread(str(benign_photos()[0]))))
    tall = np.ascontiguousarray(np.rot90(strip))  # the sensitive part now at the top
    data = cv2.imencode(".jpg", tall, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
    assert guard.scan(data).sensitive
    assert guard.check_incoming(data, recipient=Person(age=None)).action is Action.VEIL


def test_tiles_cover_the_whole_long_side_with_overlap():
    assert tile_offsets(512, 512) == [] and tile_offsets(650, 500) == [] and tile_offsets(4000, 3000) == []  # aspect <= 1.4
    for long_side, short in ((1600, 400), (1000, 700), (4001, 3), (10000, 256), (100000, 1)):
        offsets = tile_offsets(long_side, short)
        assert offsets[0] == 0 and offsets[-1] == long_side - short
        if long_side <= 8.5 * short:  # beyond, MAX_TILES spreads them out
            assert all(0 < b - a <= max(1, short // 2) for a, b in zip(offsets, offsets[1:]))
        else:
            assert len(offsets) == MAX_TILES and all(a < b for a, b in zip(offsets, offsets[1:]))
    assert tile_offsets(1600, 400) == [0, 200, 400, 600, 800, 1000, 1200]


def test_square_images_are_not_tiled(guard):
    path = FIXTURES / "benign" / "astronaut.jpg"
    calls = []
    classify = guard.engine.classify
    guard.engine.classify = lambda pixels: calls.append(pixels.array.shape) or classify(pixels)  # type: ignore[method-assign]
    try:
        assert guard.scan(path) == guard.classify(path)
    finally:
        del guard.engine.classify
    assert len(calls) == 2  # one view per call: the full frame, no tiles


def test_frame_sampling_is_even_and_includes_first_and_last():
    assert sample_indices(5, 8) == [0, 1, 2, 3, 4]
    picked = sample_indices(100, 8)
    assert picked[0] == 0 and picked[-1] == 99 and len(picked) == 8
    gaps = np.diff(picked)
    assert gaps.max() - gaps.min() <= 1
    assert sample_indices(100, 1) == [0] and sample_indices(2, 2) == [0, 1]


def animation(ext: str, frames) -> bytes:
    anim = cv2.Animation()
    anim.frames = list(frames)
    anim.durations = [100] * len(frames)
    # Dithering keeps the synthetic fixture's score through GIF's 256-colour palette.
    params = [cv2.IMWRITE_GIF_DITHER, 2] if ext == ".gif" else []
    ok, buf = cv2.imencodeanimation(ext, anim, params)
    assert ok
    return buf.tobytes()


def benign_frames(count: int):
    photo = cv2.resize(cv2.imread(str(FIXTURES / "benign" / "china.jpg")), (256, 256), interpolation=cv2.INTER_AREA)
    return [np.roll(photo, 8 * i, axis=1) for i in range(count)]


@needs_animation
@pytest.mark.parametrize("ext", [".gif", ".webp"])
def test_animation_with_a_sensitive_last_frame_is_caught(guard, ext):
    frames = benign_frames(20)
    frames[-1] = cv2.resize(SENSITIVE, (256, 256))
    data = animation(ext, frames)
    assert not guard.classify(data).sensitive  # the first frame alone looks harmless
    assert guard.scan(data).sensitive
    assert guard.check_outgoing(data, sender=Person(age=14)).action is Action.CONFIRM
    incoming = guard.check_incoming(data, recipient=Person(age=14), preview_size=128)
    assert incoming.action is Action.VEIL and incoming.veiled.shape == (128, 128, 3)


@needs_animation
def test_benign_animation_is_allowed(guard):
    data = animation(".gif", benign_frames(12))
    assert not guard.scan(data).sensitive
    assert guard.check_outgoing(data, sender=Person(age=14)).action is Action.ALLOW


@needs_animation
def test_animation_frames_are_sampled_up_to_max_frames():
    data = animation(".gif", benign_frames(30))
    with open_media(data, max_frames=6) as media:
        frames = list(media)
    assert media.info.frame_count == 30 and len(frames) == 6
    assert frames[0].index == 0 and frames[-1].index == 29


@needs_animation
def test_animation_stops_at_the_first_sensitive_frame():
    frames = benign_frames(9)
    frames[0] = cv2.resize(SENSITIVE, (256, 256))
    data = animation(".gif", frames)
    calls = []
    with nudeguard.Guard() as counting:
        classify = counting.engine.classify
        counting.engine.classify = lambda pixels: calls.append(pixels.source) or classify(pixels)  # type: ignore[method-assign]
        assert counting.scan(data).sensitive
    assert len(calls) == 1 and calls[0].endswith("frame 0")


@needs_animation
def test_pixel_limit_covers_all_frames_of_an_animation(guard):
    data = animation(".gif", benign_frames(10))  # 10 x 256 x 256 = 655360 pixels
    with nudeguard.Guard(nudeguard.GuardOptions(max_pixels=300_000)) as small:
        verdict = small.check_outgoing(data, sender=Person(age=12))
    assert verdict.action is Action.CONFIRM
    assert isinstance(verdict.error, nudeguard.ImageError) and "frames" in str(verdict.error)
