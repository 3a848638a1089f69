"""Pin the scores of the test fixtures: tests/fixtures/golden_scores.json.

    PYTHONPATH=sdk python models/pin_golden.py

Run it after a deliberate change of the model or of the preprocessing, with the
conversion's requirements (TensorFlow, onnx) and the SDK built in place; the golden test
then guards against any unintended drift. ``bundled`` is the bundled model through the SDK
(decode, native resize, LiteRT: the highest of its windows); ``float`` is the float
window graph (``nsfw_common.OpenNsfwTF(windows=True)``, the original ONNX weights) fed the
very same uint8 input tensor.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

import nudeguard
from nudeguard import _native
from nudeguard.media.reader import load_pixels

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nsfw_common import FIXTURES_DIR, OpenNsfwTF, onnx_model_path, softmax_nsfw, tf  # noqa: E402


def main() -> None:
    float_model = OpenNsfwTF(onnx_model_path(), windows=True)
    files = (sorted(FIXTURES_DIR.glob("synthetic_sensitive*.png"))
             + sorted((FIXTURES_DIR / "near_threshold").glob("*.png"))
             + sorted((FIXTURES_DIR / "benign").glob("*.jpg")))
    golden = {}
    with nudeguard.Guard(nudeguard.GuardOptions(runtime="litert")) as guard:
        for path in files:
            pixels = load_pixels(path, min_size=guard.engine.decode_size)  # as the guard decodes
            height, width = pixels.array.shape[:2]
            input_width, input_height = guard.engine.windows.input_size(width, height)
            tensor = np.empty((input_height, input_width, 3), np.uint8)
            _native.preprocess(pixels.array, pixels.format, tensor, resize=(input_width, input_height))
            logits = float_model(tf.constant(tensor[None].astype(np.float32))).numpy().reshape(-1, 2)
            golden[path.relative_to(FIXTURES_DIR).as_posix()] = {
                "bundled": round(guard.classify(path).score, 6),
                "float": round(float(softmax_nsfw(logits).max()), 6),
            }
    (FIXTURES_DIR / "golden_scores.json").write_text(json.dumps(golden, indent=2) + "\n")
    print(json.dumps(golden, indent=2))


if __name__ == "__main__":
    main()
