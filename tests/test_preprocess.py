"""nudeguard._native.preprocess against a float64 numpy model of the documented pipeline:
separable per-axis weights (area when shrinking, half-pixel bilinear otherwise), centre
crop, channel order, then avg * mul + add converted to the tensor dtype."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
import pytest

from nudeguard import _native

PF = _native.PixelFormat
CHANNELS = {PF.RGB: 3, PF.BGR: 3, PF.RGBA: 4, PF.BGRA: 4, PF.GRAY: 1}
# Byte of a pixel holding R, G and B.
RGB_BYTES = {PF.RGB: (0, 1, 2), PF.BGR: (2, 1, 0), PF.RGBA: (0, 1, 2), PF.BGRA: (2, 1, 0), PF.GRAY: (0, 0, 0)}


def axis_weights(src: int, resized: int, kept: int) -> np.ndarray:
    """(kept, src) weights of the centre `kept` outputs of a src -> resized resample."""
    offset = (resized - kept) // 2
    g = np.arange(offset, offset + kept, dtype=np.float64)
    if src > resized:
        lo, hi = g[:, None] * src / resized, (g[:, None] + 1) * src / resized
        j = np.arange(src, dtype=np.float64)[None, :]
        return np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0, None) * resized / src
    x = np.clip((g + 0.5) * src / resized - 0.5, 0, src - 1)
    j0 = np.floor(x).astype(np.intp)
    w = np.zeros((kept, src))
    np.add.at(w, (np.arange(kept), j0), 1 - (x - j0))
    np.add.at(w, (np.arange(kept), np.minimum(j0 + 1, src - 1)), x - j0)
    return w


def reference(
    src: np.ndarray,
    fmt: PF,
    out_hw: Tuple[int, int],
    resize: Optional[Tuple[int, int]] = None,
    dst_order: PF = PF.RGB,
    mul: Sequence[float] = (1, 1, 1),
    add: Sequence[float] = (0, 0, 0),
) -> np.ndarray:
    out_h, out_w = out_hw
    resize_w, resize_h = resize or (out_w, out_h)
    pixels = src.reshape(src.shape[0], src.shape[1], -1).astype(np.float64)
    wy = axis_weights(src.shape[0], resize_h, out_h)
    wx = axis_weights(src.shape[1], resize_w, out_w)
    rgb = (0, 1, 2) if dst_order == PF.RGB else (2, 1, 0)
    out = np.stack([wy @ pixels[:, :, RGB_BYTES[fmt][c]] @ wx.T for c in rgb], axis=-1)
    return out * np.float32(mul).astype(np.float64) + np.float32(add).astype(np.float64)


def assert_matches_reference(out: np.ndarray, ref: np.ndarray, mul=(1, 1, 1), add=(0, 0, 0)) -> None:
    """Integer tensors within 1 LSB of the rounded reference; float32 within float32 accumulation error."""
    assert out.shape == ref.shape
    if out.dtype == np.float32:
        scale = 255 * max(map(abs, mul)) + max(map(abs, add))
        np.testing.assert_allclose(out, ref, rtol=0, atol=1e-5 * scale)
        return
    info = np.iinfo(out.dtype)
    want = np.clip(np.floor(ref + 0.5), info.min, info.max)
    diff = np.abs(out.astype(np.int64) - want)
    assert diff.max() <= 1, f"{int((diff > 1).sum())} values off by more than 1 LSB, worst {diff.max()}"


def random_image(rng: np.random.Generator, h: int, w: int, fmt: PF, pad: int = 0) -> np.ndarray:
    """h x w image whose rows are `pad` pixels longer than needed, starting at an odd offset."""
    shape = (h, w + pad + 1) if fmt == PF.GRAY else (h, w + pad + 1, CHANNELS[fmt])
    return rng.integers(0, 256, shape, dtype=np.uint8)[:, 1 : w + 1]


SIZES = [(1, 1), (1, 37), (29, 1), (3, 200), (300, 7), (57, 91), (333, 517), (8, 13)]  # (H, W)
NORMALIZATIONS = [
    (np.uint8, (1, 1, 1), (0, 0, 0)),
    (np.uint8, (0.9, 1.1, 0.5), (-20, 10, 30.5)),
    (np.int8, (1, 1, 1), (-128, -128, -128)),
    (np.int8, (-0.75, 0.5, 1.25), (100, -64, -200)),
    (np.float32, (1 / 58.395, 1 / 57.12, 1 / 57.375), (-123.675 / 58.395, -116.28 / 57.12, -103.53 / 57.375)),
    (np.float32, (1, 1, 1), (-104, -117, -123)),
]


@pytest.mark.parametrize("dtype, mul, add", NORMALIZATIONS)
@pytest.mark.parametrize("dst_order", [PF.RGB, PF.BGR])
@pytest.mark.parametrize("fmt", list(CHANNELS))
@pytest.mark.parametrize("size", SIZES)
def test_preprocess_matches_float64_reference(size, fmt, dst_order, dtype, mul, add):
    rng = np.random.default_rng([size[0], size[1], int(fmt), int(dst_order)])
    src = random_image(rng, *size, fmt, pad=int(rng.integers(0, 5)))
    dst = np.zeros((24, 20, 3), dtype)
    _native.preprocess(src, fmt, dst, resize=(27, 31), dst_order=dst_order, mul=mul, add=add)
    assert_matches_reference(dst, reference(src, fmt, (24, 20), (27, 31), dst_order, mul, add), mul, add)


def test_model_pipeline_rarely_differs_from_the_exactly_rounded_value():
    """The fixed-point path keeps 7 fraction bits between passes: ~1/512 LSB mean error."""
    rng = np.random.default_rng(1)
    src = cv2.GaussianBlur(rng.integers(0, 256, (481, 643, 3), dtype=np.uint8), (7, 7), 2)
    dst = np.zeros((1, 224, 224, 3), np.uint8)
    _native.preprocess(src, PF.BGR, dst, resize=(256, 256))
    ref = reference(src, PF.BGR, (224, 224), (256, 256))[None]
    assert_matches_reference(dst, ref)
    assert np.mean(dst != np.floor(ref + 0.5)) < 0.005


def test_resize_defaults_to_the_tensor_size():
    rng = np.random.default_rng(2)
    src = random_image(rng, 50, 70, PF.RGB)
    dst = np.zeros((30, 40, 3), np.uint8)
    _native.preprocess(src, PF.RGB, dst)
    assert_matches_reference(dst, reference(src, PF.RGB, (30, 40)))


def test_resize_to_source_size_is_an_exact_crop():
    src = random_image(np.random.default_rng(3), 30, 41, PF.RGBA, pad=3)
    dst = np.zeros((25, 36, 3), np.uint8)
    _native.preprocess(src, PF.RGBA, dst, resize=(41, 30))
    np.testing.assert_array_equal(dst, src[2:27, 2:38, :3])


def test_steep_shrink_falls_back_to_float_and_stays_within_one_lsb():
    src = random_image(np.random.default_rng(4), 5, 3001, PF.GRAY)
    dst = np.zeros((5, 7, 3), np.uint8)
    _native.preprocess(src, PF.GRAY, dst, resize=(9, 5))
    assert_matches_reference(dst, reference(src, PF.GRAY, (5, 7), (9, 5)))


def test_gray_accepts_a_trailing_channel_axis():
    src = random_image(np.random.default_rng(5), 20, 30, PF.GRAY)
    a, b = np.zeros((8, 8, 3), np.float32), np.zeros((8, 8, 3), np.float32)
    _native.preprocess(src, PF.GRAY, a)
    _native.preprocess(src[:, :, None], PF.GRAY, b)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("interpolation, size", [(cv2.INTER_AREA, (97, 131)), (cv2.INTER_LINEAR, (13, 17))])
def test_agrees_with_opencv_when_both_axes_resize_the_same_way(interpolation, size):
    src = random_image(np.random.default_rng(6), *size, PF.RGB)
    dst = np.zeros((32, 48, 3), np.uint8)
    _native.preprocess(src, PF.RGB, dst)
    expected = cv2.resize(np.ascontiguousarray(src), (48, 32), interpolation=interpolation)
    assert np.abs(dst.astype(int) - expected).max() <= 1


def test_concurrent_calls_release_the_gil_and_agree():
    src = random_image(np.random.default_rng(7), 600, 800, PF.BGRA)
    outs = [np.zeros((224, 224, 3), np.uint8) for _ in range(4)]
    threads = [
        threading.Thread(target=_native.preprocess, args=(src, PF.BGRA, out), kwargs={"resize": (256, 256)})
        for out in outs
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])


def test_module_reports_version_and_kernels():
    assert _native.__version__
    assert _native.isa() in _native.available_isas()
    assert "scalar" in _native.available_isas()


IMG = np.zeros((10, 12, 3), np.uint8)
DST = np.zeros((4, 4, 3), np.uint8)


@pytest.mark.parametrize(
    "src, fmt, dst, kwargs, error, message",
    [
        (IMG.astype(np.float32), PF.RGB, DST, {}, TypeError, r"src must have dtype uint8, got dtype\('float32'\)"),
        ([[1, 2, 3]], PF.RGB, DST, {}, TypeError, r"src must be a numpy.ndarray, got <class 'list'>"),
        (IMG[None], PF.RGB, DST, {}, ValueError, r"src must have shape \(H, W, 3\) for PixelFormat.RGB, got \(1, 10, 12, 3\)"),
        (IMG, PF.RGBA, DST, {}, ValueError, r"src must have shape \(H, W, 4\) for PixelFormat.RGBA, got \(10, 12, 3\)"),
        (IMG[:, :, 0, None], PF.RGB, DST, {}, ValueError, r"src must have shape \(H, W, 3\)"),
        (IMG, PF.GRAY, DST, {}, ValueError, r"src must have shape \(H, W\) or \(H, W, 1\) for PixelFormat.GRAY, got \(10"),
        (IMG[:, ::2], PF.RGB, DST, {}, ValueError, r"src pixels must be contiguous within a row"),
        (IMG[:, :, ::-1], PF.RGB, DST, {}, ValueError, r"src pixels must be contiguous within a row"),
        (IMG[::-1], PF.RGB, DST, {}, ValueError, r"src rows must be stored top to bottom"),
        (IMG[:0], PF.RGB, DST, {}, ValueError, r"^height 0 is out of range 1\.\.16777216$"),
        (IMG, PF.RGB, DST.astype(np.float64), {}, TypeError, r"dst must have dtype uint8, int8 or float32"),
        (IMG, PF.RGB, DST[:, :, :2], {}, ValueError, r"dst must have shape \(height, width, 3\) or \(1, height"),
        (IMG, PF.RGB, np.zeros((2, 4, 4, 3), np.uint8), {}, ValueError, r"dst must have shape"),
        (IMG, PF.RGB, np.zeros((4, 4), np.uint8), {}, ValueError, r"dst must have shape"),
        (IMG, PF.RGB, np.zeros((4, 8, 3), np.uint8)[:, ::2], {}, ValueError, r"dst must be C-contiguous"),
        (IMG, PF.RGB, [0] * 48, {}, TypeError, r"dst must be a numpy.ndarray"),
        (IMG, PF.RGB, DST, {"dst_order": PF.GRAY}, ValueError, r"dst_order must be PixelFormat.RGB or PixelFormat.BGR, got PixelFormat.GRAY$"),
        (IMG, PF.RGB, DST, {"resize": (3, 8)}, ValueError, r"resize size 3x8 is smaller than the tensor size 4x4"),
        (IMG, PF.RGB, DST, {"resize": (-1, 8)}, ValueError, r"resize width -1 is out of range"),
        (IMG, PF.RGB, DST, {"mul": (1, float("nan"), 1)}, ValueError, r"mul\[1\] is not finite"),
        (IMG, PF.RGB, DST, {"add": (0, 0, float("inf"))}, ValueError, r"add\[2\] is not finite"),
        (IMG, PF.RGB, DST, {"mul": (1, 1)}, TypeError, r"incompatible function arguments"),
    ],
)
def test_bad_arguments_raise_a_clear_error(src, fmt, dst, kwargs, error, message):
    with pytest.raises(error, match=message):
        _native.preprocess(src, fmt, dst, **kwargs)


def test_read_only_dst_is_rejected():
    dst = np.zeros((4, 4, 3), np.uint8)
    dst.flags.writeable = False
    with pytest.raises(ValueError, match="dst is read-only"):
        _native.preprocess(IMG, PF.RGB, dst)


def test_overlapping_rows_are_rejected():
    src = np.lib.stride_tricks.as_strided(IMG, shape=(10, 12, 3), strides=(30, 3, 1))
    with pytest.raises(ValueError, match="^stride 30 is smaller than width\\*channels 36$"):
        _native.preprocess(src, PF.RGB, DST)


def run_with_forced_isa(value: str, code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, NUDEGUARD_FORCE_ISA=value)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)


def test_force_isa_selects_the_named_kernel_set():
    result = run_with_forced_isa("scalar", "from nudeguard import _native; print(_native.isa())")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "scalar"


def test_force_isa_rejects_an_unknown_name():
    code = (
        "import numpy as np; from nudeguard import _native as n; "
        "n.preprocess(np.zeros((2, 2), np.uint8), n.PixelFormat.GRAY, np.zeros((1, 1, 3), np.uint8))"
    )
    result = run_with_forced_isa("avx512", code)
    assert result.returncode != 0
    assert (
        'RuntimeError: NUDEGUARD_FORCE_ISA="avx512" is not a known kernel set; '
        "expected one of avx2, sse41, neon, scalar, or unset for the best available"
    ) in result.stderr


def test_force_isa_rejects_a_kernel_set_this_build_cannot_run():
    missing = [name for name in ("avx2", "sse41", "neon") if name not in _native.available_isas()]
    if not missing:
        pytest.skip("every kernel set is available here")
    result = run_with_forced_isa(missing[0], "from nudeguard import _native; _native.isa()")
    assert result.returncode != 0
    message = f'NUDEGUARD_FORCE_ISA="{missing[0]}" is not available in this build on this CPU; available: '
    assert message in result.stderr
