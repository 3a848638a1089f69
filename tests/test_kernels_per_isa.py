"""Each kernel set this build can run here, bit for bit against the scalar reference: the
same random cases run in a worker process per NUDEGUARD_FORCE_ISA value (the kernel set is
chosen once per process), and every tensor must be byte-identical to scalar's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nudeguard import _native

WORKER = Path(__file__).with_name("isa_worker.py")
SIMD_ISAS = [isa for isa in ("avx2", "sse41", "neon") if isa in _native.available_isas()]


def run_worker(isa: str, out: Path) -> dict:
    env = dict(os.environ, NUDEGUARD_FORCE_ISA=isa)
    result = subprocess.run([sys.executable, str(WORKER), str(out)], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with np.load(out) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def scalar_tensors(tmp_path_factory) -> dict:
    return run_worker("scalar", tmp_path_factory.mktemp("isa") / "scalar.npz")


@pytest.mark.skipif(not SIMD_ISAS, reason="no SIMD kernel set on this CPU")
@pytest.mark.parametrize("isa", SIMD_ISAS or ["none"])
def test_kernel_set_matches_the_scalar_reference_bit_for_bit(isa, scalar_tensors, tmp_path):
    got = run_worker(isa, tmp_path / f"{isa}.npz")
    assert str(got.pop("isa")) == isa
    want = dict(scalar_tensors)
    assert str(want.pop("isa")) == "scalar"
    assert got.keys() == want.keys()
    for name in want:
        assert want[name].tobytes() == got[name].tobytes(), f"{isa}: {name} differs from scalar"
