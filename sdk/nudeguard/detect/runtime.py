"""The one place that knows which TFLite interpreter is installed.

LiteRT (``ai-edge-litert``) is the default: it runs float and int8 graphs
through XNNPACK and supports numpy 2. ``tflite-runtime`` stays supported for
platforms without a LiteRT wheel; its 2.14 release needs numpy < 2, runs the
bundled float16-weight model through XNNPACK too, and int8 graphs without it,
several times slower.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from .._native_stderr import native_output_logged
from ..errors import ModelError

__all__ = ["RUNTIMES", "RUNTIME_NAMES", "Runtime", "load_runtime"]

#: Interpreter packages in order of preference: (name, distribution, module).
RUNTIMES = (
    ("litert", "ai-edge-litert", "ai_edge_litert.interpreter"),
    ("tflite-runtime", "tflite-runtime", "tflite_runtime.interpreter"),
)

#: What ``GuardOptions.runtime`` and :func:`load_runtime` accept.
RUNTIME_NAMES = ("auto", *(name for name, _, _ in RUNTIMES))

#: Environment variable that pins the runtime ("litert" or "tflite-runtime").
RUNTIME_ENV = "NUDEGUARD_RUNTIME"


@dataclass(frozen=True)
class Runtime:
    """An importable interpreter package."""

    name: str
    version: str
    interpreter_class: Any

    def create_interpreter(self, input_shape: Optional[Sequence[int]] = None, **options: Any) -> Any:
        """An interpreter with its tensors allocated, its input resized to ``input_shape`` first
        when given (a window model: tflite-runtime cannot allocate its 1x1 placeholder shape).
        TF Lite prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." while
        allocating; that line goes to the ``nudeguard`` logger, not to the host's stderr."""
        with native_output_logged():
            interpreter = self.interpreter_class(**options)
            if input_shape is not None:
                index = interpreter.get_input_details()[0]["index"]
                interpreter.resize_tensor_input(index, list(input_shape), strict=True)
            interpreter.allocate_tensors()
        return interpreter

    def resize_input(self, interpreter: Any, input_shape: Sequence[int]) -> None:
        """Re-plan ``interpreter`` (a window model's) for inputs of ``input_shape``. XNNPACK
        keeps the weights it packed and re-plans the activations only (4-25 ms measured, against
        ~90 ms to prepare an interpreter and ~55 MB for each one kept), so one interpreter
        serves every shape."""
        with native_output_logged():
            index = interpreter.get_input_details()[0]["index"]
            interpreter.resize_tensor_input(index, list(input_shape), strict=True)
            interpreter.allocate_tensors()


def _import(name: str, distribution: str, module: str) -> Runtime:
    interpreter_class = importlib.import_module(module).Interpreter
    # The package's own __version__ when it has one: importlib.metadata costs ~30 ms of cold start.
    version = getattr(importlib.import_module(module.partition(".")[0]), "__version__", None)
    if version is None:
        from importlib import metadata

        version = metadata.version(distribution)
    return Runtime(name, str(version), interpreter_class)


def load_runtime(preferred: str = "auto") -> Runtime:
    """Return the interpreter package to use.

    ``preferred`` is ``"auto"`` (LiteRT, else tflite-runtime), ``"litert"`` or
    ``"tflite-runtime"``; the environment variable ``NUDEGUARD_RUNTIME``
    overrides ``"auto"``.
    """
    if preferred == "auto":
        preferred = os.environ.get(RUNTIME_ENV, "auto") or "auto"
    if preferred not in RUNTIME_NAMES:  # a deployment's NUDEGUARD_RUNTIME: fail closed, not crash
        raise ModelError(f"unknown runtime {preferred!r}; choose one of {RUNTIME_NAMES}")
    failures = []
    for name, distribution, module in RUNTIMES:
        if preferred not in ("auto", name):
            continue
        try:
            return _import(name, distribution, module)
        except ImportError as exc:
            failures.append(f"{distribution}: {exc}")
    raise ModelError(
        "no TFLite interpreter could be imported ("
        + "; ".join(failures)
        + "); install 'ai-edge-litert' or, where it has no wheel, 'tflite-runtime'"
    )
