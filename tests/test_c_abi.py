"""The installed C library, driven through cffi exactly as a C caller would use nudeguard.h."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Iterator, Set

import cffi
import numpy as np
import pytest

from nudeguard import _clib, _native

PF = _native.PixelFormat
CHANNELS = {PF.RGB: 3, PF.BGR: 3, PF.RGBA: 4, PF.BGRA: 4, PF.GRAY: 1}
TENSOR_TYPES = {np.uint8: 0, np.int8: 1, np.float32: 2}  # NG_TENSOR_*


def cdef_of(header: str) -> str:
    """The header's declarations in the subset of C that cffi parses."""
    text = re.sub(r"/\*.*?\*/", "", header, flags=re.S)
    kept = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            if re.fullmatch(r"#define NUDEGUARD_ABI_VERSION \d+", stripped):
                kept.append(stripped)
        elif stripped not in ('extern "C" {', "}"):
            kept.append(line.replace("NG_API ", ""))
    return "\n".join(kept)


CDEF = cdef_of(_clib.header_path().read_text())
ffi = cffi.FFI()
ffi.cdef(CDEF)


@pytest.fixture(scope="module")
def lib():
    return ffi.dlopen(str(_clib.library_path()))


@pytest.fixture
def handle(lib) -> Iterator[object]:
    h = lib.ng_create(lib.NUDEGUARD_ABI_VERSION)
    assert h != ffi.NULL, ffi.string(lib.ng_error_string(ffi.NULL)).decode()
    yield h
    lib.ng_destroy(h)


def error_of(lib, h=ffi.NULL) -> str:
    return ffi.string(lib.ng_error_string(h)).decode()


def c_preprocess(lib, h, src: np.ndarray, fmt: PF, dst: np.ndarray, dst_order: PF = PF.RGB) -> int:
    """ng_preprocess on numpy arrays; src rows may be padded, dst must be contiguous."""
    return lib.ng_preprocess(
        h,
        ffi.cast("const unsigned char *", src.ctypes.data),
        src.shape[1],
        src.shape[0],
        src.strides[0],
        int(fmt),
        ffi.from_buffer(dst),
        dst.shape[1],
        dst.shape[0],
        int(dst_order),
        TENSOR_TYPES[dst.dtype.type],
    )


def test_version_and_isa_match_the_python_module(lib):
    assert ffi.string(lib.ng_version()).decode() == _native.__version__
    assert ffi.string(lib.ng_isa()).decode() == _native.isa()


def test_results_equal_the_python_module_bit_for_bit(lib, handle):
    rng = np.random.default_rng(11)
    for _ in range(60):
        fmt = PF(int(rng.integers(0, 5)))
        dst_order = PF.RGB if rng.integers(0, 2) else PF.BGR
        dtype = list(TENSOR_TYPES)[rng.integers(0, 3)]
        h, w = (int(v) for v in rng.integers(1, 120, 2))
        pad = int(rng.integers(0, 5))
        c = CHANNELS[fmt]
        src = rng.integers(0, 256, (h, w + pad, c), dtype=np.uint8)[:, :w]
        out_h, out_w = (int(v) for v in rng.integers(1, 40, 2))
        resize = (out_w + int(rng.integers(0, 20)), out_h + int(rng.integers(0, 20)))
        mul = [float(v) for v in rng.uniform(-2, 2, 3).astype(np.float32)] if rng.integers(0, 2) else [1.0] * 3
        add = [float(v) for v in rng.uniform(-100, 100, 3).astype(np.float32)] if mul != [1.0] * 3 else [0.0] * 3

        expected = np.zeros((out_h, out_w, 3), dtype)
        _native.preprocess(src, fmt, expected, resize=resize, dst_order=dst_order, mul=mul, add=add)

        got = np.full((out_h, out_w, 3), 7, dtype)
        assert lib.ng_set(handle, lib.NG_PARAM_RESIZE_WIDTH, resize[0]) == 0
        assert lib.ng_set(handle, lib.NG_PARAM_RESIZE_HEIGHT, resize[1]) == 0
        assert lib.ng_set_normalization(handle, mul, add) == 0
        assert c_preprocess(lib, handle, src, fmt, got, dst_order) == 0, error_of(lib, handle)
        np.testing.assert_array_equal(got, expected)


def test_every_error_message_names_its_function(lib, handle):
    src = np.zeros((4, 4, 3), np.uint8)
    dst = np.zeros((4, 4, 3), np.uint8)
    too_narrow = np.lib.stride_tricks.as_strided(src, shape=(4, 4, 3), strides=(10, 3, 1))
    assert c_preprocess(lib, handle, too_narrow, PF.RGB, dst) == -1
    assert error_of(lib, handle) == "ng_preprocess(): stride 10 is smaller than width*channels 12"
    assert c_preprocess(lib, handle, src, PF.RGB, dst, dst_order=PF.BGRA) == -1
    assert error_of(lib, handle) == "ng_preprocess(): tensor channel order must be RGB or BGR, got BGRA"
    assert lib.ng_preprocess(handle, ffi.from_buffer(src), 4, 4, 12, 9, ffi.from_buffer(dst), 4, 4, 0, 0) == -1
    assert error_of(lib, handle) == "ng_preprocess(): pixel_format 9 is not a valid ng_pixel_format"
    assert lib.ng_set(handle, 99, 0) == -1
    assert error_of(lib, handle) == "ng_set(): param 99 is not an ng_param"
    assert lib.ng_set_normalization(handle, [1, float("inf"), 1], [0, 0, 0]) == -1
    assert error_of(lib, handle) == "ng_set_normalization(): mul[1] is not finite"
    assert lib.ng_tensor_bytes(4, -1, 0) == 0
    assert error_of(lib) == "ng_tensor_bytes(): tensor height -1 is out of range 1..16777216"


def test_a_failed_call_leaves_the_handle_usable(lib, handle):
    src = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    dst = np.zeros((4, 4, 3), np.uint8)
    assert lib.ng_set(handle, lib.NG_PARAM_RESIZE_WIDTH, 2) == 0
    assert c_preprocess(lib, handle, src, PF.RGB, dst) == -1
    assert lib.ng_set(handle, lib.NG_PARAM_RESIZE_WIDTH, 0) == 0
    assert c_preprocess(lib, handle, src, PF.RGB, dst) == 0
    np.testing.assert_array_equal(dst, src)


def test_null_handle_fails_with_a_thread_local_error(lib):
    src = np.zeros((4, 4, 3), np.uint8)
    dst = np.zeros((4, 4, 3), np.uint8)
    assert c_preprocess(lib, ffi.NULL, src, PF.RGB, dst) == -1
    assert error_of(lib) == "ng_preprocess(): handle is NULL"
    assert lib.ng_set(ffi.NULL, lib.NG_PARAM_RESIZE_HEIGHT, 0) == -1
    assert error_of(lib) == "ng_set(): handle is NULL"
    lib.ng_destroy(ffi.NULL)


def test_create_refuses_another_abi_version(lib):
    assert lib.ng_create(lib.NUDEGUARD_ABI_VERSION + 1) == ffi.NULL
    assert error_of(lib) == (
        f"ng_create(): caller was built for ABI version {lib.NUDEGUARD_ABI_VERSION + 1} but this library "
        f"has ABI {lib.NUDEGUARD_ABI_VERSION}; rebuild against this library's nudeguard.h"
    )


def test_tensor_bytes_covers_every_type(lib):
    assert [lib.ng_tensor_bytes(224, 200, t) for t in TENSOR_TYPES.values()] == [134400, 134400, 537600]


def declared_functions() -> Set[str]:
    return set(re.findall(r"\b(ng_\w+)\s*\(", CDEF))


def test_only_the_declared_ng_functions_are_exported():
    nm = shutil.which("nm")
    if nm is None:
        pytest.skip("nm is not installed")
    out = subprocess.run(
        [nm, "-D", "--defined-only", str(_clib.library_path())], capture_output=True, text=True, check=True
    ).stdout
    # Type "A" lines are symbol-version definitions (NUDEGUARD_1), not symbols.
    exported = {line.split()[-1].split("@")[0] for line in out.splitlines() if line.split()[-2:-1] != ["A"]}
    assert exported == declared_functions()


def test_probe_image_reads_the_header_size_and_rejects_null_outputs(lib):
    import cv2

    data = cv2.imencode(".png", np.zeros((21, 34, 3), np.uint8))[1].tobytes()
    fmt, w, h = ffi.new("int*"), ffi.new("unsigned int*"), ffi.new("unsigned int*")
    assert lib.ng_probe_image(data, len(data), fmt, w, h) == 0
    assert (fmt[0], w[0], h[0]) == (lib.NG_FORMAT_PNG, 34, 21)
    assert lib.ng_probe_image(data, 20, fmt, w, h) == 0  # truncated: known format, no size
    assert (fmt[0], w[0], h[0]) == (lib.NG_FORMAT_PNG, 0, 0)
    assert lib.ng_probe_image(b"junk", 4, fmt, w, h) == 0 and fmt[0] == lib.NG_FORMAT_UNKNOWN
    assert lib.ng_probe_image(data, len(data), fmt, ffi.NULL, h) == -1
    assert error_of(lib) == "ng_probe_image(): format, width and height must not be NULL"
