"""The classifier a client creates once and calls for every image."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from . import _native
from ._runtime import Runtime, load_runtime
from .errors import ModelError
from .image import DEFAULT_MAX_PIXELS, ColorOrder, ImageInput, Pixels, load_pixels
from .model import BUNDLED_MODEL, ModelCard, load_card, softmax_score

__all__ = ["Classification", "Guard", "GuardOptions"]

_TENSOR_ORDERS = {"RGB": _native.PixelFormat.RGB, "BGR": _native.PixelFormat.BGR}


@dataclass(frozen=True)
class GuardOptions:
    """How a :class:`Guard` is built. Every attribute has a safe default."""

    model_path: Optional[Union[str, "os.PathLike[str]"]] = None
    """A ``.tflite`` classifier with its JSON card beside it; ``None`` uses the
    bundled int8 open_nsfw model."""

    threshold: Optional[float] = None
    """Probability of the sensitive class at or above which an image counts as
    sensitive; ``None`` takes the model card's default."""

    threads: Optional[int] = None
    """Interpreter threads per inference; ``None`` means ``min(4, cpu count)``."""

    runtime: str = "auto"
    """``"auto"`` (LiteRT, else tflite-runtime), ``"litert"`` or
    ``"tflite-runtime"``. The ``NUDEGUARD_RUNTIME`` variable overrides ``"auto"``."""

    max_pixels: int = DEFAULT_MAX_PIXELS
    """Largest encoded image, in pixels (width x height), that will be decoded.
    Larger ones raise :class:`ImageError` after reading only the header, before
    any pixel memory is allocated, so a decompression bomb (a small file that
    claims, say, 50000 x 50000 pixels) fails fast. Arrays are not limited."""


@dataclass(frozen=True)
class Classification:
    """The model's answer for one image."""

    score: float
    """Probability of the sensitive class, 0 to 1."""
    label: str
    """The most likely label of the model's card (``"sfw"`` or ``"nsfw"``)."""
    sensitive: bool
    """``score >= threshold`` of the guard that produced it."""


class Guard:
    """Classifies images on the device. Create once, reuse, ``close()`` at the end.

    A guard is safe to share between threads; calls are serialized.
    """

    def __init__(self, options: Optional[GuardOptions] = None) -> None:
        self._options = options or GuardOptions()
        model_path = Path(self._options.model_path) if self._options.model_path is not None else BUNDLED_MODEL
        self._card: ModelCard = load_card(model_path)
        threshold = self._options.threshold if self._options.threshold is not None else self._card.threshold
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must lie in (0, 1], got {threshold}")
        threads = self._options.threads if self._options.threads is not None else min(4, os.cpu_count() or 1)
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self._threshold = float(threshold)
        self._threads = int(threads)
        if self._options.max_pixels < 1:
            raise ValueError(f"max_pixels must be at least 1, got {self._options.max_pixels}")
        self._runtime: Runtime = load_runtime(self._options.runtime)
        try:
            self._interpreter: Any = self._runtime.interpreter_class(model_path=str(model_path), num_threads=self._threads)
            self._interpreter.allocate_tensors()
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"{model_path}: {self._runtime.name} cannot load the model: {exc}") from None
        self._bind_tensors()
        self._lock = threading.Lock()

    @classmethod
    def create_from_options(cls, options: GuardOptions) -> "Guard":
        return cls(options)

    @classmethod
    def create_from_model_path(cls, model_path: Union[str, "os.PathLike[str]"]) -> "Guard":
        return cls(GuardOptions(model_path=model_path))

    def _bind_tensors(self) -> None:
        card = self._card
        (inp,) = self._interpreter.get_input_details()
        (out,) = self._interpreter.get_output_details()
        expected_shape = (1, card.input_size[1], card.input_size[0], 3)
        if tuple(inp["shape"]) != expected_shape:
            raise ModelError(f"{card.model_path}: input tensor shape {tuple(inp['shape'])} does not match the card's {expected_shape}")
        dtype = np.dtype(inp["dtype"])
        if dtype == np.float32:
            quant_scale, zero_point = 1.0, 0.0
        elif dtype in (np.uint8, np.int8):
            quant_scale, zero_point = inp["quantization"]
            if quant_scale <= 0:
                raise ModelError(f"{card.model_path}: quantized input without quantization parameters")
        else:
            raise ModelError(f"{card.model_path}: input tensor type {dtype} is not supported (uint8, int8, float32)")
        # (pixel - mean) / std / scale + zero_point, folded into one multiply-add
        # that the native kernel applies while it writes the tensor.
        self._mul = tuple(1.0 / (s * quant_scale) for s in card.std)
        self._add = tuple(zero_point - m / (s * quant_scale) for m, s in zip(card.mean, card.std))
        self._input_tensor = self._interpreter.tensor(inp["index"])
        self._output_index = out["index"]
        out_scale, out_zero_point = out["quantization"]
        self._output_dequant = (out_scale, out_zero_point) if np.dtype(out["dtype"]) != np.float32 else None
        self._tensor_order = _TENSOR_ORDERS[card.color_order]

    @property
    def options(self) -> GuardOptions:
        """The options with defaults resolved (model path, threshold, threads)."""
        return GuardOptions(
            model_path=self._card.model_path,
            threshold=self._threshold,
            threads=self._threads,
            runtime=self._runtime.name,
            max_pixels=self._options.max_pixels,
        )

    @property
    def model_card(self) -> ModelCard:
        return self._card

    @property
    def runtime(self) -> Runtime:
        return self._runtime

    def classify(self, image: ImageInput, *, color_order: Optional[ColorOrder] = None) -> Classification:
        """Classify one image: a path, bytes, a binary file object, or a uint8
        numpy array with its ``color_order`` ("RGB", "BGR", "RGBA", "BGRA",
        "GRAY"). Raises :class:`ImageError` for input that is not an image."""
        # JPEGs decode at the smallest DCT scale that still covers the model's resize size.
        pixels = load_pixels(
            image, color_order, min_size=self._card.resize_size, max_pixels=self._options.max_pixels
        )
        return self._classify_pixels(pixels)

    def _classify_pixels(self, pixels: Pixels) -> Classification:
        card = self._card
        with self._lock:
            interpreter = self._require_open()
            tensor = self._input_tensor()
            _native.preprocess(
                pixels.array, pixels.format, tensor,
                resize=card.resize_size, dst_order=self._tensor_order, mul=self._mul, add=self._add,
            )
            # The interpreter refuses to run while a numpy view of its memory lives.
            del tensor
            try:
                interpreter.invoke()
            except RuntimeError as exc:
                raise ModelError(f"{card.model_path}: inference failed on {pixels.source}: {exc}") from None
            output = interpreter.get_tensor(self._output_index)
        if self._output_dequant is not None:
            scale, zero_point = self._output_dequant
            output = (output.astype(np.float64) - zero_point) * scale
        score = softmax_score(output, card)
        label = card.labels[int(np.argmax(output))]
        return Classification(score=score, label=label, sensitive=score >= self._threshold)

    def _require_open(self) -> Any:
        if self._interpreter is None:
            raise ValueError("this Guard is closed; create a new one with nudeguard.Guard()")
        return self._interpreter

    def close(self) -> None:
        """Release the interpreter. Further calls raise ``ValueError``."""
        with self._lock:
            self._interpreter = None
            self._input_tensor = None

    def __enter__(self) -> "Guard":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
