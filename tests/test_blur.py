"""nudeguard.blur / veil: accuracy against OpenCV, every kernel set against the scalar
reference, shapes and layouts, errors, and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import nudeguard
from nudeguard import _native

from conftest import REPO

SAMPLE = REPO / "examples" / "sample.jpg"
SIMD_ISAS = [isa for isa in nudeguard.available_isas() if isa != "scalar"]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def assert_image_similar(a: np.ndarray, b: np.ndarray, min_psnr: float) -> None:
    assert a.shape == b.shape
    assert psnr(a, b) >= min_psnr, f"PSNR {psnr(a, b):.2f} dB < {min_psnr} dB"


def reference(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    image = cv2.imread(str(SAMPLE))
    assert image is not None
    return image


@pytest.fixture(scope="module")
def big_photo(photo) -> np.ndarray:
    return cv2.resize(photo, (1203, 802), interpolation=cv2.INTER_CUBIC)


def random_image(h: int, w: int, c: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (h, w) if c == 0 else (h, w, c)
    return rng.integers(0, 256, shape, dtype=np.uint8)


# --- accuracy -----------------------------------------------------------------------------


# The README's figures against cv2.GaussianBlur: within 1 level everywhere, PSNR 57.5-60 dB
# over the picture and at least 56.5 dB in the 2-pixel border strips. The PSNR bounds keep a
# 1 dB margin for other OpenCV builds' own rounding (the fallback job runs OpenCV < 4.11).
README_MAX_LEVELS = 1
README_MIN_PSNR, README_MIN_EDGE_PSNR, PSNR_MARGIN = 57.5, 56.5, 1.0


@pytest.mark.parametrize("sigma", [2, 8, 25, 60])
def test_blur_matches_opencv_within_one_level_and_the_readme_s_psnr_including_edges(photo, big_photo, sigma):
    for image in (photo, big_photo):
        ours, ref = nudeguard.blur(image, sigma), reference(image, sigma)
        assert_image_similar(ours, ref, README_MIN_PSNR - PSNR_MARGIN)
        for edge in (np.s_[:2], np.s_[-2:], np.s_[:, :2], np.s_[:, -2:]):
            assert_image_similar(ours[edge], ref[edge], README_MIN_EDGE_PSNR - PSNR_MARGIN)
        assert np.abs(ours.astype(int) - ref).max() <= README_MAX_LEVELS


@pytest.mark.parametrize("channels", [0, 1, 4])
def test_blur_of_gray_and_rgba_matches_opencv(photo, channels):
    if channels in (0, 1):
        image = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)
        image = image if channels == 0 else image[:, :, None]
    else:
        image = cv2.cvtColor(photo, cv2.COLOR_BGR2BGRA)
        image[:, :, 3] = np.linspace(0, 255, image.shape[1], dtype=np.uint8)
    ours = nudeguard.blur(image, 6.0)
    assert ours.shape == image.shape
    assert_image_similar(ours, reference(image, 6.0).reshape(image.shape), 50.0)


def test_blur_of_a_constant_image_is_the_same_constant():
    image = np.full((37, 53, 3), 200, np.uint8)
    for sigma in (0.5, 3, 40, 5000):
        assert (nudeguard.blur(image, sigma) == 200).all()


def test_blur_with_sigma_zero_copies(photo):
    out = nudeguard.blur(photo, 0)
    assert (out == photo).all() and out is not photo


def test_huge_sigma_converges_to_the_reflected_mean():
    image = random_image(30, 40, 3, seed=1)
    out = nudeguard.blur(image, 1e5).astype(np.float64)
    # The mean over one period of the reflect-101 extension weighs the border rows half.
    w_y = np.r_[0.5, np.ones(28), 0.5]
    w_x = np.r_[0.5, np.ones(38), 0.5]
    mean = np.einsum("y,x,yxc->c", w_y, w_x, image.astype(np.float64)) / (w_y.sum() * w_x.sum())
    assert np.abs(out - mean).max() <= 2.0


def test_sigma_larger_than_the_image_matches_opencv():
    image = random_image(20, 33, 3, seed=2)
    for sigma in (15.0, 40.0):
        assert_image_similar(nudeguard.blur(image, sigma), reference(image, sigma), 45.0)


@pytest.mark.parametrize("shape", [(1, 1), (1, 1, 3), (1, 7, 4), (1, 300, 3), (300, 1), (2, 2, 3), (5, 3)])
def test_tiny_and_one_line_images_match_opencv(shape):
    image = random_image(*shape[:2], shape[2] if len(shape) == 3 else 0, seed=3)
    for sigma in (0.8, 2.0, 30.0, 1e4):
        ours = nudeguard.blur(image, sigma)
        assert ours.shape == image.shape
        if sigma in (2.0, 30.0):  # white noise: the hardest content there is
            assert_image_similar(ours, reference(image, sigma).reshape(image.shape), 40.0)
    assert (nudeguard.blur(image[:1, :1], 50.0) == image[:1, :1]).all()


# --- every kernel set against the scalar reference ----------------------------------------


def blur_with(isa: str, image: np.ndarray, sigma: float, threads: int = 0) -> np.ndarray:
    out = np.empty_like(image)
    _native.blur(image, out, sigma, threads=threads, isa=isa)
    return out


@pytest.mark.parametrize("isa", SIMD_ISAS)
def test_simd_blur_is_bit_exact_with_the_scalar_reference(isa):
    for seed, (h, w, c) in enumerate([(61, 97, 3), (40, 33, 4), (45, 130, 0), (9, 5, 1), (3, 200, 3)]):
        image = random_image(h, w, c, seed=seed)
        for sigma in (0.7, 2.0, 9.5, 60.0, 3000.0):
            assert np.array_equal(blur_with(isa, image, sigma), blur_with("scalar", image, sigma)), (isa, h, w, c, sigma)


@pytest.mark.parametrize("isa", SIMD_ISAS)
def test_simd_blur_on_a_photo_is_bit_exact_with_the_scalar_reference(big_photo, isa):
    assert np.array_equal(blur_with(isa, big_photo, 25.0), blur_with("scalar", big_photo, 25.0))


@pytest.mark.parametrize("isa", ["scalar"] + SIMD_ISAS)
def test_result_does_not_depend_on_the_thread_count(big_photo, isa):
    one = blur_with(isa, big_photo, 8.0, threads=1)
    for threads in (2, 3, 7):
        assert np.array_equal(blur_with(isa, big_photo, 8.0, threads=threads), one)


@pytest.mark.parametrize("isa", ["scalar"] + SIMD_ISAS)
def test_forced_isa_runs_the_whole_blur_on_that_kernel_set(isa, tmp_path):
    image = random_image(50, 70, 3, seed=7)
    code = (
        "import sys, numpy as np, nudeguard\n"
        "assert nudeguard.isa() == sys.argv[1], nudeguard.isa()\n"
        "image = np.random.default_rng(7).integers(0, 256, (50, 70, 3), dtype=np.uint8)\n"
        "sys.stdout.write(nudeguard.blur(image, 4.5).tobytes().hex())\n"
    )
    env = dict(os.environ, NUDEGUARD_FORCE_ISA=isa)
    result = subprocess.run([sys.executable, "-c", code, isa], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert bytes.fromhex(result.stdout) == blur_with("scalar", image, 4.5).tobytes()


def test_unknown_isa_hook_is_a_value_error():
    with pytest.raises(ValueError, match="not available"):
        blur_with("mmx", random_image(4, 4, 3), 1.0)


# --- layouts, in place, out= --------------------------------------------------------------


def test_non_contiguous_views_give_the_contiguous_result(big_photo):
    views = [
        big_photo[10:300:2, 5:400:3],  # steps in both axes
        big_photo[::-1],  # rows bottom to top
        big_photo[:, ::-1],  # pixels right to left
        big_photo.transpose(1, 0, 2),
        np.asfortranarray(big_photo),
        big_photo[:, :, 1],  # one channel of an interleaved image
        big_photo[20:90, 30:200],  # a crop: any row stride
    ]
    for view in views:
        assert np.array_equal(nudeguard.blur(view, 5.0), nudeguard.blur(np.ascontiguousarray(view), 5.0))


def test_in_place_blur_equals_the_out_of_place_one(big_photo):
    expected = nudeguard.blur(big_photo, 12.0)
    image = big_photo.copy()
    assert nudeguard.blur(image, 12.0, out=image) is image
    assert np.array_equal(image, expected)
    crop = big_photo.copy()[10:200, 20:300]  # in place on a view with a row stride
    nudeguard.blur(crop, 3.0, out=crop)
    assert np.array_equal(crop, nudeguard.blur(np.ascontiguousarray(big_photo[10:200, 20:300]), 3.0))


def test_out_overlapping_the_input_still_gets_the_right_result():
    buffer = random_image(60, 80, 3, seed=4)
    image = buffer[:50].copy()
    expected = nudeguard.blur(image, 2.5)
    src, out = buffer[:50], buffer[10:60]
    src[...] = image
    nudeguard.blur(src, 2.5, out=out)
    assert np.array_equal(buffer[10:60], expected)


def test_blur_accepts_a_read_only_input(photo):
    image = photo.copy()
    image.flags.writeable = False
    assert nudeguard.blur(image, 2.0).shape == photo.shape


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros((8, 8, 3), np.float32), "must be uint8"),
        (np.zeros((8, 8, 2), np.uint8), "HxW, HxWx1, HxWx3 or HxWx4"),
        (np.zeros((2, 8, 8, 3), np.uint8), "HxW, HxWx1, HxWx3 or HxWx4"),
        (np.zeros((0, 8, 3), np.uint8), "no pixels"),
        ([[1, 2], [3, 4]], "numpy.ndarray"),
    ],
)
def test_bad_images_raise_image_error(image, message):
    with pytest.raises(nudeguard.ImageError, match=message):
        nudeguard.blur(image, 2.0)
    with pytest.raises(nudeguard.ImageError, match=message):
        nudeguard.veil(image)


@pytest.mark.parametrize("sigma", [-1.0, float("nan"), float("inf"), 2e6, "3", True, None])
def test_bad_sigma_raises_value_error(sigma):
    with pytest.raises(ValueError, match="sigma"):
        nudeguard.blur(np.zeros((4, 4), np.uint8), sigma)


def test_bad_out_raises_value_error():
    image = np.zeros((4, 5, 3), np.uint8)
    with pytest.raises(ValueError, match="out must be"):
        nudeguard.blur(image, 1.0, out=np.zeros((4, 5), np.uint8))
    read_only = np.zeros_like(image)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        nudeguard.blur(image, 1.0, out=read_only)


def test_negative_threads_is_a_value_error():
    with pytest.raises(ValueError, match="threads"):
        nudeguard.blur(np.zeros((4, 4), np.uint8), 1.0, threads=-1)


# --- veil ---------------------------------------------------------------------------------


def test_veil_sigma_is_a_twelfth_of_the_shorter_side_with_a_floor_of_two():
    assert nudeguard.veil_sigma(1440, 1080) == 90.0
    assert nudeguard.veil_sigma(4000, 3000) == 250.0
    assert nudeguard.veil_sigma(16, 16) == 2.0
    with pytest.raises(ValueError):
        nudeguard.veil_sigma(0, 10)


@pytest.mark.parametrize("size", [(1440, 1080), (451, 300), (200, 133), (64, 64), (900, 600)])
def test_veil_is_indistinguishable_from_a_full_resolution_blur(big_photo, size):
    out = nudeguard.veil(big_photo, size)
    assert out.shape == (size[1], size[0], 3)
    sigma = nudeguard.veil_sigma(*size)
    interpolation = cv2.INTER_AREA if size[0] < big_photo.shape[1] else cv2.INTER_LINEAR
    expected = reference(cv2.resize(big_photo, size, interpolation=interpolation), sigma)
    assert_image_similar(out, expected, 42.0)


def test_veil_sizes_and_explicit_sigma(photo):
    assert nudeguard.veil(photo).shape == photo.shape
    assert nudeguard.veil(photo, 100).shape == (67, 100, 3)  # longer side, aspect kept
    assert nudeguard.veil(photo[:, :, 0], (30, 20)).shape == (20, 30)
    assert nudeguard.veil(np.zeros((1, 1, 4), np.uint8), (50, 40)).shape == (40, 50, 4)
    light = nudeguard.veil(photo, sigma=3.0)
    assert_image_similar(light, reference(photo, 3.0), 50.0)


def test_veil_hides_detail(photo):
    out = nudeguard.veil(photo).astype(np.float64)
    # After the default veil, neighbouring pixels differ by well under one level on average.
    assert np.abs(np.diff(out, axis=1)).mean() < 0.5
    assert np.abs(np.diff(photo.astype(np.float64), axis=1)).mean() > 3


@pytest.mark.parametrize("size", [0, (0, 5), (5,), (1.5, 2), "big", (True, 3)])
def test_veil_with_a_bad_size_raises_value_error(photo, size):
    with pytest.raises(ValueError, match="size"):
        nudeguard.veil(photo, size)


def test_veil_with_sigma_zero_is_a_value_error(photo):
    with pytest.raises(ValueError, match="sigma"):
        nudeguard.veil(photo, sigma=0)


# --- command line -------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nudeguard", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_cli_blur_writes_the_blurred_image(photo, tmp_path: Path):
    out = tmp_path / "blurred.png"
    result = run_cli("blur", str(SAMPLE), str(out), "--sigma", "4")
    assert result.returncode == 0, result.stderr
    assert np.array_equal(cv2.imread(str(out)), nudeguard.blur(photo, 4.0))


def test_cli_blur_defaults_to_the_veil_strength(photo, tmp_path: Path):
    out = tmp_path / "veiled.png"
    assert run_cli("blur", str(SAMPLE), str(out)).returncode == 0
    expected = nudeguard.blur(photo, nudeguard.veil_sigma(photo.shape[1], photo.shape[0]))
    assert np.array_equal(cv2.imread(str(out)), expected)


def test_cli_blur_reports_unreadable_input_and_bad_output(tmp_path: Path):
    result = run_cli("blur", str(tmp_path / "missing.jpg"), str(tmp_path / "x.png"))
    assert result.returncode == 2 and "missing.jpg: no such file" in result.stderr
    result = run_cli("blur", str(SAMPLE), str(tmp_path / "x.unknown"))
    assert result.returncode == 2 and "cannot encode" in result.stderr
    result = run_cli("blur", str(SAMPLE), str(tmp_path / "x.png"), "--sigma", "-2")
    assert result.returncode == 2 and "sigma" in result.stderr
    assert not (tmp_path / "x.png").exists()
