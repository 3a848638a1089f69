"""The suite can tell a working model from one that answers the same for everything.

A fixed-size TFLite model with the bundled model's input type and logits that ignores its
input and always returns the same logits (written here from scratch with LiteRT's flatbuffer schema, nothing
downloaded) replaces the bundled one in a fresh pytest run of the suite's key tests
(``NUDEGUARD_TEST_MODEL``, read by tests/conftest.py). Whether it always says "sensitive" or
always "harmless", tests in at least three independent places (files) must fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Set

import numpy as np
import pytest

from conftest import REPO
from nudeguard.detect.model import BUNDLED_MODEL, file_sha256

schema = pytest.importorskip("ai_edge_litert.schema_py_generated",
                             reason="the constant models are written with LiteRT's flatbuffer schema")
flatbuffers = pytest.importorskip("flatbuffers", reason="LiteRT's flatbuffer schema needs flatbuffers")

#: What the constant models are run against: the places where a model's answers are checked.
KEY_TESTS = [
    "tests/test_classify.py",
    "tests/test_near_threshold.py",
    "tests/test_coverage.py::test_panorama_with_sensitive_far_end_is_caught",
    "tests/test_coverage.py::test_plain_panorama_is_not_sensitive",
    "tests/test_coverage.py::test_the_fixed_model_needs_tiles_for_the_far_end_the_window_model_one_inference",
    "tests/test_verdicts.py",
    "tests/test_fidelity.py::test_bundled_model_agrees_with_float_model",
]


def constant_model(nsfw_probability: float) -> bytes:
    """uint8 [1,224,224,3] in (scale 1, zero point 0), float32 [1,2] logits out: the sum of
    two constant tensors, so the answer never depends on the picture."""
    logit = float(np.log(nsfw_probability / (1 - nsfw_probability)))
    builder = flatbuffers.Builder(1024)
    buffers = [schema.BufferT()]

    def tensor(name: str, shape, dtype: int, data: np.ndarray = None, scale: float = None):
        entry = schema.TensorT()
        entry.name, entry.shape, entry.type = name, list(shape), dtype
        entry.buffer = 0
        if data is not None:
            buffer = schema.BufferT()
            buffer.data = np.frombuffer(data.tobytes(), np.uint8)
            buffers.append(buffer)
            entry.buffer = len(buffers) - 1
        if scale is not None:
            quantization = schema.QuantizationParametersT()
            quantization.scale, quantization.zeroPoint = [scale], [0]
            entry.quantization = quantization
        return entry

    graph = schema.SubGraphT()
    graph.tensors = [
        tensor("input", (1, 224, 224, 3), schema.TensorType.UINT8, scale=1.0),
        tensor("logits", (1, 2), schema.TensorType.FLOAT32, np.array([[0.0, logit]], np.float32)),
        tensor("zeros", (1, 2), schema.TensorType.FLOAT32, np.zeros((1, 2), np.float32)),
        tensor("output", (1, 2), schema.TensorType.FLOAT32),
    ]
    graph.inputs, graph.outputs = [0], [3]
    add = schema.OperatorT()
    add.opcodeIndex, add.inputs, add.outputs = 0, [1, 2], [3]
    add.builtinOptionsType, add.builtinOptions = schema.BuiltinOptions.AddOptions, schema.AddOptionsT()
    graph.operators = [add]
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.ADD
    code.version = 1
    model = schema.ModelT()
    model.version, model.operatorCodes, model.subgraphs, model.buffers = 3, [code], [graph], buffers
    model.description = f"constant nsfw probability {nsfw_probability}"
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def write_with_card(directory: Path, nsfw_probability: float) -> Path:
    path = directory / f"constant_{nsfw_probability}.tflite"
    path.write_bytes(constant_model(nsfw_probability))
    card = json.loads(BUNDLED_MODEL.with_suffix(".json").read_text())
    card.pop("windows", None)  # one 224x224 input, one answer: a fixed-size model
    card.update(name=path.stem, file=path.name, sha256=file_sha256(path), size_bytes=path.stat().st_size)
    path.with_suffix(".json").write_text(json.dumps(card))
    return path


def failing_places(model: Path) -> Set[str]:
    """The test files with at least one failure when ``model`` replaces the bundled one."""
    env = dict(os.environ, NUDEGUARD_TEST_MODEL=str(model))
    env.pop("NUDEGUARD_CI_JOB", None)  # a nested run's skips are not the CI job's
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", *KEY_TESTS],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=900)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    return {line.split()[1].split("::")[0] for line in done.stdout.splitlines() if line.startswith("FAILED ")}


@pytest.mark.parametrize("nsfw_probability", [0.999, 0.001], ids=["always-sensitive", "always-harmless"])
def test_a_constant_model_fails_the_suite_in_three_places(tmp_path, nsfw_probability):
    model = write_with_card(tmp_path, nsfw_probability)
    import nudeguard

    with nudeguard.Guard(nudeguard.GuardOptions(model_path=model)) as constant:
        scores = {constant.classify(REPO / "examples" / "sample.jpg").score,
                  constant.classify(REPO / "tests" / "fixtures" / "synthetic_sensitive.png").score}
    assert all(score == pytest.approx(nsfw_probability, abs=1e-6) for score in scores)  # constant, and loaded
    places = failing_places(model)
    assert len(places) >= 3, places
