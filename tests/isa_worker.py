"""Worker for test_kernels_per_isa.py: runs the preprocessing kernels under the kernel set
that NUDEGUARD_FORCE_ISA pins over a fixed set of random cases (sizes, strides, odd widths,
unaligned rows, every format, tensor type and normalization) and writes the tensors to an
.npz file given as argv[1]. Not a test module."""

from __future__ import annotations

import sys

import numpy as np

from nudeguard import _native

PF = _native.PixelFormat
CHANNELS = {PF.RGB: 3, PF.BGR: 3, PF.RGBA: 4, PF.BGRA: 4, PF.GRAY: 1}


def cases(count: int = 160):
    rng = np.random.default_rng(1234)
    for i in range(count):
        fmt = list(CHANNELS)[i % 5]
        h = int(rng.integers(1, 300)) if i % 7 else int(rng.integers(600, 1300))
        w = int(rng.integers(1, 400)) if i % 5 else int(rng.integers(900, 2100))
        pad, offset = int(rng.integers(0, 9)), int(rng.integers(0, 16))
        c = CHANNELS[fmt]
        flat = rng.integers(0, 256, offset + h * (w * c + pad) + 16, dtype=np.uint8)
        rows = flat[offset : offset + h * (w * c + pad)].reshape(h, w * c + pad)[:, : w * c]  # unaligned, strided
        src = rows if fmt == PF.GRAY else rows.reshape(h, w, c)
        th, tw = int(rng.integers(1, 60)), int(rng.integers(1, 60))
        resize = (tw + int(rng.integers(0, 50)), th + int(rng.integers(0, 50)))
        dtype = [np.uint8, np.int8, np.float32][i % 3]
        identity = dtype == np.uint8 and i % 2 == 0
        mul = (1.0, 1.0, 1.0) if identity else tuple(float(v) for v in rng.uniform(-1.5, 1.5, 3))
        add = (0.0, 0.0, 0.0) if identity else tuple(float(v) for v in rng.uniform(-140, 140, 3))
        order = PF.RGB if i % 4 < 2 else PF.BGR
        yield src, fmt, (th, tw, dtype), resize, order, mul, add


def main() -> None:
    out = {}
    for i, (src, fmt, (th, tw, dtype), resize, order, mul, add) in enumerate(cases()):
        dst = np.zeros((th, tw, 3), dtype)
        _native.preprocess(src, fmt, dst, resize=resize, dst_order=order, mul=mul, add=add)
        out[f"case{i}"] = dst
    np.savez(sys.argv[1], isa=np.array(_native.isa()), **out)


if __name__ == "__main__":
    main()
