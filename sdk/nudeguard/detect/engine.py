"""The inference engine: the model's card, a pool of interpreters and the tensor binding that
turns pixels into a :class:`Classification`.

A window model (a card with a ``windows`` section) takes any input size: each session's one
interpreter is re-planned when a frame needs another input shape (:class:`WindowGeometry`
keeps them few); the weights stay packed, so a new aspect ratio costs milliseconds, not a new
interpreter's ~90 ms and ~55 MB.

A model that cannot be used (damaged or missing file or card, no interpreter package) does not
raise here: the engine keeps the :class:`ModelError` and raises it from every call that needs
the model, so a guard can fail closed instead of crashing its client.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

import numpy as np

from .. import _native
from ..errors import ModelError, closed_guard_error
from ..media.pixels import COLOR_ORDERS, Pixels
from .model import ModelCard, load_card, softmax_score, softmax_scores
from .results import Classification
from .runtime import Runtime, load_runtime
from .windows import WindowGeometry

__all__ = ["Engine", "Session"]


class Session:
    """One interpreter of the pool, held: the stages of a classification one by one, so
    ``nudeguard bench`` can time them apart. :meth:`Engine.classify` runs all three."""

    def __init__(self, engine: "Engine", interpreter: Any, runtime: Runtime) -> None:
        self._engine = engine
        self._runtime = runtime
        self._frame_size = (0, 0)
        side = engine.windows.short_side if engine.windows is not None else None
        self.interpreter = interpreter
        self.input_size: Optional[Tuple[int, int]] = (side, side) if side else None
        """A window model's current input size (width, height); ``None`` for a fixed-size one."""
        self._bind_tensors()

    def resize(self, input_size: Tuple[int, int]) -> None:
        """Make the window model's interpreter take inputs of ``input_size`` (width, height).
        The same interpreter serves every shape: its weights stay packed, so memory stays at
        one interpreter per session whatever the frames' aspect ratios."""
        if input_size == self.input_size:
            return
        width, height = input_size
        try:
            self._runtime.resize_input(self.interpreter, (1, height, width, 3))
        except (RuntimeError, ValueError) as exc:
            self.input_size = None  # half re-planned: the next frame re-plans from scratch
            raise ModelError(f"{self._engine.model_path}: {self._runtime.name} cannot resize the model's input to "
                             f"{width}x{height}: {exc}") from None
        self.input_size = input_size
        self._bind_tensors()

    def _bind_tensors(self) -> None:
        (inp,) = self.interpreter.get_input_details()
        (out,) = self.interpreter.get_output_details()
        self.input_details = inp
        self.output_details = out
        self._input_tensor = self.interpreter.tensor(inp["index"])
        self._output_index = out["index"]

    def input_tensor(self) -> np.ndarray:
        """A view of the input tensor; drop it before :meth:`invoke` (the interpreter refuses
        to run while a numpy view of its memory lives)."""
        return self._input_tensor()

    def preprocess(self, pixels: Pixels) -> None:
        """Resize, crop and normalize ``pixels`` into the input tensor (native, one pass). A
        window model's input is the whole frame, aspect kept (:meth:`WindowGeometry.input_size`)."""
        engine = self._engine
        resize = engine.card.resize_size
        if engine.windows is not None:
            height, width = pixels.array.shape[:2]
            self._frame_size = (width, height)
            resize = engine.windows.input_size(width, height)
            self.resize(resize)
        tensor = self._input_tensor()
        _native.preprocess(pixels.array, pixels.format, tensor, resize=resize,
                           dst_order=engine.tensor_order, mul=engine.tensor_mul, add=engine.tensor_add)

    def invoke(self, source: str = "the input") -> None:
        """Run the model on the input tensor."""
        try:
            self.interpreter.invoke()
        except RuntimeError as exc:
            raise ModelError(f"{self._engine.card.model_path}: inference failed on {source}: {exc}") from None

    def result(self) -> Classification:
        """The classification the output tensor holds."""
        engine = self._engine
        output = np.array(self.interpreter.get_tensor(self._output_index))
        if engine.output_dequant is not None:
            scale, zero_point = engine.output_dequant
            output = (output.astype(np.float64) - zero_point) * scale
        if engine.windows is None:
            score = softmax_score(output, engine.card)
            label = engine.card.labels[int(np.argmax(output))]
            return Classification(score=score, label=label, sensitive=score >= engine.threshold)
        assert self.input_size is not None
        rows, columns = engine.windows.grid(self.input_size)
        windows = output.reshape(rows * columns, -1)
        scores = softmax_scores(windows, engine.card)
        best = int(np.argmax(scores))
        fired = engine.windows.fired(scores.reshape(rows, columns), engine.threshold, self._frame_size,
                                     self.input_size)
        return Classification(score=float(scores[best]), label=engine.card.labels[int(np.argmax(windows[best]))],
                              sensitive=bool(fired), fired_windows=fired)


class Engine:
    """The model and ``workers`` interpreters of it, safe to share between threads: a call
    takes a free interpreter, waiting while all are busy."""

    def __init__(self, model_path: Path, *, runtime: str, threads: int, workers: int,
                 threshold: Optional[float]) -> None:
        self.model_path = model_path
        self.model_error: Optional[ModelError] = None
        self._card: Optional[ModelCard] = None
        self._runtime: Optional[Runtime] = None
        self.windows: Optional[WindowGeometry] = None
        """The score map's geometry for a window model; ``None`` for a fixed-size one."""
        try:
            self._card = load_card(model_path)
            self.windows = WindowGeometry.from_card(self._card.raw, model_path)
            if self.windows is not None and self._card.input_size != (self.windows.window,) * 2:
                raise ModelError(f"{model_path}: input.size {self._card.input_size} does not match the card's "
                                 f"windows.window {self.windows.window}")
        except ModelError as exc:
            self.model_error = exc
        if threshold is None and self._card is not None:
            threshold = self._card.threshold
        if threshold is not None and not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must lie in (0, 1], got {threshold}")
        self._threshold = threshold
        self.output_dequant: Optional[Tuple[float, float]] = None
        pool: List[Session] = []
        if self.model_error is None:
            try:
                self._runtime = load_runtime(runtime)
                pool = [self._session(threads) for _ in range(workers)]
                self._bind(pool[0])
            except ModelError as exc:
                self.model_error, pool = exc, []
        self._idle = pool
        self._available = threading.Condition()
        self._closed = False

    @property
    def card(self) -> ModelCard:
        """The model's card; raises :attr:`model_error` if the model cannot be used."""
        return self.require_model()

    def require_model(self) -> ModelCard:
        """The card, or :attr:`model_error` raised."""
        if self.model_error is not None:
            raise self.model_error
        assert self._card is not None
        return self._card

    @property
    def runtime(self) -> Runtime:
        """The interpreter package; raises :attr:`model_error` if the model cannot be used."""
        self.require_model()
        assert self._runtime is not None
        return self._runtime

    @property
    def decode_size(self) -> Tuple[int, int]:
        """The smallest (width, height) a decode may shrink a picture to and still give the
        model its full resolution: the card's resize, or a window model's short side."""
        if self.windows is not None:
            return (self.windows.short_side, self.windows.short_side)
        return self.card.resize_size

    @property
    def threshold(self) -> Optional[float]:
        """The decision threshold (the card's unless given); ``None`` without a card."""
        return self._threshold

    def _session(self, threads: int) -> Session:
        runtime = self._runtime
        assert runtime is not None
        side = self.windows.short_side if self.windows is not None else None
        shape = None if side is None else (1, side, side, 3)
        try:
            interpreter = runtime.create_interpreter(shape, model_path=str(self.model_path), num_threads=threads)
        except (RuntimeError, ValueError) as exc:
            what = "load the model" if shape is None else f"load the model with input shape {list(shape)}"
            raise ModelError(f"{self.model_path}: {runtime.name} cannot {what}: {exc}") from None
        return Session(self, interpreter, runtime)

    def _bind(self, session: Session) -> None:
        """Fold the card's normalization and the tensors' quantization into the numbers the
        native preprocessing and the output reading apply."""
        card = self.card
        inp, out = session.input_details, session.output_details
        width, height = session.input_size if self.windows is not None else card.input_size
        expected_shape = (1, height, width, 3)
        if tuple(inp["shape"]) != expected_shape:
            raise ModelError(f"{card.model_path}: input tensor shape {tuple(inp['shape'])} does not match the "
                             f"card's {expected_shape}")
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
        self.tensor_mul = tuple(1.0 / (s * quant_scale) for s in card.std)
        self.tensor_add = tuple(zero_point - m / (s * quant_scale) for m, s in zip(card.mean, card.std))
        out_scale, out_zero_point = out["quantization"]
        self.output_dequant = (out_scale, out_zero_point) if np.dtype(out["dtype"]) != np.float32 else None
        self.tensor_order = COLOR_ORDERS[card.color_order][0]

    def classify(self, pixels: Pixels) -> Classification:
        """The model's answer for ``pixels``: resized and centre-cropped for a fixed-size
        model, every window of the whole frame for a window model."""
        with self.session() as session:
            session.preprocess(pixels)
            session.invoke(pixels.source)
            return session.result()

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """Hold one interpreter of the pool for a classification's stages."""
        self.require_model()  # a failed engine has no interpreters to wait for
        with self._available:
            while not self._closed and not self._idle:
                self._available.wait()
            self.require_open()
            session = self._idle.pop()
        try:
            yield session
        finally:
            with self._available:
                if not self._closed:
                    self._idle.append(session)
                self._available.notify()

    def require_open(self) -> None:
        if self._closed:
            raise closed_guard_error()

    def close(self) -> None:
        """Release the interpreters; calls already running finish, later ones raise ``ValueError``."""
        with self._available:
            self._closed = True
            self._idle = []
            self._available.notify_all()
