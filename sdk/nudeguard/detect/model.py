"""Model files and their cards.

A classifier is a ``.tflite`` file plus a JSON model card beside it (same
name, ``.json``). The card says how pixels reach the input tensor and how to
read the output, so any TFLite image classifier with a card can be swapped in.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Tuple, Union

import numpy as np

from ..errors import ModelError

__all__ = ["BUNDLED_MODEL", "ModelCard", "file_sha256", "load_card", "softmax_score", "softmax_scores"]

#: The open_nsfw window model (float16 weights) shipped inside the package.
BUNDLED_MODEL = Path(__file__).resolve().parent.parent / "models" / "open_nsfw_windows_float16.tflite"


@dataclass(frozen=True)
class ModelCard:
    """What the SDK needs to know about a classifier, read from its card."""

    name: str
    model_path: Path
    input_size: Tuple[int, int]
    """(width, height) of the input tensor."""
    resize_size: Tuple[int, int]
    """(width, height) the image is resized to before the centre crop."""
    color_order: str
    """"RGB" or "BGR": channel order of the input tensor."""
    mean: Tuple[float, float, float]
    std: Tuple[float, float, float]
    """Pixel normalization (value - mean) / std, in tensor channel order."""
    output_kind: str
    """"logits" (softmax applied here) or "probabilities"."""
    labels: Tuple[str, ...]
    sensitive_index: int
    threshold: float
    """Default decision threshold on the sensitive class probability."""
    sha256: str
    raw: Dict[str, Any]


def _pair(value: Any, what: str) -> Tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (int(value[0]), int(value[1]))
    raise ModelError(f"model card: {what} must be an integer or [width, height], got {value!r}")


def _triple(value: Any, what: str) -> Tuple[float, float, float]:
    if isinstance(value, (int, float)):
        return (float(value),) * 3  # type: ignore[return-value]
    if isinstance(value, (list, tuple)) and len(value) == 3:
        return tuple(float(v) for v in value)  # type: ignore[return-value]
    raise ModelError(f"model card: {what} must be a number or a list of 3, got {value!r}")


def file_sha256(path: Union[str, "os.PathLike[str]"]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_card(model_path: Union[str, "os.PathLike[str]"]) -> ModelCard:
    """Read and validate the card beside ``model_path``."""
    model_path = Path(model_path)
    if not model_path.is_file():
        raise ModelError(f"{model_path}: model file not found")
    card_path = model_path.with_suffix(".json")
    try:
        raw = json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{card_path}: model card not found; every model needs a card beside it") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{card_path}: unreadable model card: {exc}") from None
    try:
        inp, out = raw["input"], raw["output"]
        input_size = _pair(inp["size"], "input.size")
        resize_size = _pair(inp.get("resize", inp["size"]), "input.resize")
        color_order = str(inp["color_order"]).upper()
        normalization = inp.get("normalization") or {}
        mean = _triple(normalization.get("mean", 0.0), "input.normalization.mean")
        std = _triple(normalization.get("std", 1.0), "input.normalization.std")
        output_kind = str(out["kind"])
        labels = tuple(str(label) for label in out["labels"])
        sensitive_label = str(out["sensitive_label"])
        threshold = float(raw["threshold"])
        name = str(raw.get("name", model_path.stem))
    except (KeyError, TypeError) as exc:
        raise ModelError(f"{card_path}: model card lacks or mistypes {exc}") from None
    if color_order not in ("RGB", "BGR"):
        raise ModelError(f"{card_path}: input.color_order must be RGB or BGR, got {color_order!r}")
    if resize_size[0] < input_size[0] or resize_size[1] < input_size[1]:
        raise ModelError(f"{card_path}: input.resize {resize_size} is smaller than input.size {input_size}")
    if output_kind not in ("logits", "probabilities"):
        raise ModelError(f"{card_path}: output.kind must be 'logits' or 'probabilities', got {output_kind!r}")
    if sensitive_label not in labels:
        raise ModelError(f"{card_path}: output.sensitive_label {sensitive_label!r} is not one of {labels}")
    if not 0.0 < threshold < 1.0:
        raise ModelError(f"{card_path}: threshold must lie in (0, 1), got {threshold}")
    if any(s == 0 or not math.isfinite(s) for s in std):
        raise ModelError(f"{card_path}: input.normalization.std must be finite and non-zero")
    # The pin is mandatory: tflite-runtime 2.14 crashes the process on a truncated
    # flatbuffer, so a damaged file must never reach an interpreter.
    expected = raw.get("sha256")
    if not isinstance(expected, str):
        raise ModelError(f"{card_path}: model card lacks the model's sha256; add \"sha256\": \"<hex digest>\"")
    sha256 = file_sha256(model_path)
    if expected.lower() != sha256:
        raise ModelError(f"{model_path}: sha256 {sha256} does not match its card ({expected}); the file is damaged")
    return ModelCard(
        name=name,
        model_path=model_path,
        input_size=input_size,
        resize_size=resize_size,
        color_order=color_order,
        mean=mean,
        std=std,
        output_kind=output_kind,
        labels=labels,
        sensitive_index=labels.index(sensitive_label),
        threshold=threshold,
        sha256=sha256,
        raw=raw,
    )


def softmax_score(values: np.ndarray, card: ModelCard) -> float:
    """Probability of the sensitive class from the model's output row."""
    return float(softmax_scores(np.asarray(values).reshape(1, -1), card)[0])


def softmax_scores(rows: np.ndarray, card: ModelCard) -> np.ndarray:
    """Probability of the sensitive class for each row of outputs (one per window)."""
    rows = np.asarray(rows, dtype=np.float64)
    if rows.shape[1] != len(card.labels):
        raise ModelError(f"{card.model_path}: output has {rows.shape[1]} values, the card names {len(card.labels)} labels")
    if not np.all(np.isfinite(rows)):
        raise ModelError(f"{card.model_path}: the model produced non-finite outputs")
    if card.output_kind == "probabilities":
        return rows[:, card.sensitive_index]
    shifted = np.exp(rows - rows.max(axis=1, keepdims=True))
    return shifted[:, card.sensitive_index] / shifted.sum(axis=1)
