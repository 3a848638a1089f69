"""The classifier a client creates once and calls for every image."""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, Tuple, TypeVar, Union

import cv2
import numpy as np

from . import _native
from ._runtime import Runtime, load_runtime
from .blur import Size, _veil_size, veil
from .errors import ImageError, ModelError, NudeguardError
from .image import DEFAULT_MAX_PIXELS, ColorOrder, ImageInput, Pixels, load_frames, load_pixels
from .messages import SafetyWarning, resolve_locale, warning_for
from .model import BUNDLED_MODEL, ModelCard, load_card, softmax_score
from .policy import Action, Person, Policy, _person

__all__ = ["Classification", "Guard", "GuardOptions", "IncomingVerdict", "OutgoingVerdict"]

_T = TypeVar("_T")

#: Aspect ratio (long side / short side) above which square tiles are classified too.
TILE_ASPECT = 1.3

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
    """Threads of each interpreter; ``None`` means ``min(4, cpu count) // workers``, at least 1."""

    runtime: str = "auto"
    """``"auto"`` (LiteRT, else tflite-runtime), ``"litert"`` or
    ``"tflite-runtime"``. The ``NUDEGUARD_RUNTIME`` variable overrides ``"auto"``."""

    max_pixels: int = DEFAULT_MAX_PIXELS
    """Largest encoded image, in pixels (width x height), that will be decoded.
    Larger ones raise :class:`ImageError` after reading only the header, before
    any pixel memory is allocated, so a decompression bomb (a small file that
    claims, say, 50000 x 50000 pixels) fails fast. For an animation the limit covers
    all its frames together. Arrays are not limited."""

    workers: int = 1
    """Interpreters in the guard's pool: this many calls (from different threads, or
    ``*_async`` calls) run at the same time; more wait for a free one. Each interpreter
    holds its own copy of the model's activations (a few MB)."""

    locale: Optional[str] = None
    """Language of the warnings, e.g. ``"de"`` or ``"de-AT"`` (→ German); unknown or ``None``
    → English. Each ``check_*`` call can override it."""

    max_frames: int = 8
    """Frames of an animated GIF or WebP that are classified, spread evenly over the
    animation with the first and the last included; checking stops at the first
    sensitive one."""


@dataclass(frozen=True)
class Classification:
    """The model's answer for one image."""

    score: float
    """Probability of the sensitive class, 0 to 1."""
    label: str
    """The most likely label of the model's card (``"sfw"`` or ``"nsfw"``)."""
    sensitive: bool
    """``score >= threshold`` of the guard that produced it."""


@dataclass(frozen=True)
class OutgoingVerdict:
    """What to do with an image the user is about to send."""

    action: Action
    """``ALLOW``: send it. ``CONFIRM``: show ``warning`` and send only on "send anyway"."""
    score: Optional[float]
    """Highest sensitive-class probability over the frames and tiles checked; ``None``
    when the check failed."""
    warning: Optional[SafetyWarning]
    """Set exactly when ``action`` is ``CONFIRM``; worded for the sender's age."""
    error: Optional[NudeguardError] = None
    """Why the check failed (undecodable image, model error). A protected sender's image
    is then treated as sensitive (``CONFIRM``); an unprotected adult's is allowed."""
    sensitive: bool = False
    """The model found the image sensitive (``False`` when the check failed)."""


@dataclass(frozen=True, eq=False)
class IncomingVerdict:
    """What to do with an image the user received."""

    action: Action
    """``SHOW``: display it. ``VEIL``: display ``veiled`` with ``warning``; reveal the
    original only after "view" and ``warning.confirmation``."""
    score: Optional[float]
    """Highest sensitive-class probability over the frames and tiles checked; ``None``
    when the check failed."""
    warning: Optional[SafetyWarning]
    """Set exactly when ``action`` is ``VEIL``; worded for the recipient's age."""
    veiled: Optional[np.ndarray]
    """When ``action`` is ``VEIL``: :func:`nudeguard.veil` of the image (the first frame of
    an animation) at ``preview_size``, as an HxWx3 uint8 array in **BGR** order (like
    OpenCV; ``veiled[..., ::-1]`` for RGB). ``None`` when the action is ``SHOW`` or the
    image could not be decoded at all (the client then shows a placeholder)."""
    error: Optional[NudeguardError] = None
    """Why the check failed. A protected recipient's image is then veiled anyway."""
    sensitive: bool = False
    """The model found the image sensitive (``False`` when the check failed)."""


_TO_BGR = {
    _native.PixelFormat.RGB: cv2.COLOR_RGB2BGR,
    _native.PixelFormat.RGBA: cv2.COLOR_RGBA2BGR,
    _native.PixelFormat.BGRA: cv2.COLOR_BGRA2BGR,
    _native.PixelFormat.GRAY: cv2.COLOR_GRAY2BGR,
}


class _Worker:
    """One interpreter of the pool and its tensor indices."""

    def __init__(self, interpreter: Any) -> None:
        self.interpreter = interpreter
        (inp,) = interpreter.get_input_details()
        (out,) = interpreter.get_output_details()
        self.input_details = inp
        self.output_details = out
        self.input_tensor = interpreter.tensor(inp["index"])
        self.output_index = out["index"]


def tile_offsets(long_side: int, short_side: int) -> List[int]:
    """Offsets along the long side of the square tiles (side = short side) that cover an
    image whose aspect ratio is over 1.3: half-overlapping, the last flush with the far end.
    Empty for squarer images, which the full frame covers."""
    if short_side <= 0 or long_side <= TILE_ASPECT * short_side:
        return []
    span = long_side - short_side
    half = max(1, short_side // 2)
    count = -(-span // half) + 1  # steps of at most half a side
    return sorted({round(i * span / (count - 1)) for i in range(count)})


class Guard:
    """Classifies images on the device. Create once, reuse, ``close()`` at the end.

    A guard is safe to share between threads: it holds a pool of ``options.workers``
    interpreters, so that many calls run at once; further calls wait for a free one.
    """

    def __init__(self, options: Optional[GuardOptions] = None) -> None:
        self._options = options or GuardOptions()
        model_path = Path(self._options.model_path) if self._options.model_path is not None else BUNDLED_MODEL
        self._card: ModelCard = load_card(model_path)
        threshold = self._options.threshold if self._options.threshold is not None else self._card.threshold
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must lie in (0, 1], got {threshold}")
        workers = self._options.workers
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an integer of at least 1, got {workers!r}")
        threads = self._options.threads
        if threads is None:
            threads = max(1, min(4, os.cpu_count() or 1) // workers)
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        if self._options.max_frames < 1:
            raise ValueError(f"max_frames must be at least 1, got {self._options.max_frames}")
        self._threshold = float(threshold)
        self._threads = int(threads)
        self._workers = int(workers)
        self._locale = resolve_locale(self._options.locale)
        if self._options.max_pixels < 1:
            raise ValueError(f"max_pixels must be at least 1, got {self._options.max_pixels}")
        self._runtime: Runtime = load_runtime(self._options.runtime)
        pool = [self._load_interpreter(model_path) for _ in range(self._workers)]
        self._bind_tensors(pool[0])
        self._idle: List[_Worker] = pool
        self._available = threading.Condition()
        self._closed = False

    @classmethod
    def create_from_options(cls, options: GuardOptions) -> "Guard":
        return cls(options)

    @classmethod
    def create_from_model_path(cls, model_path: Union[str, "os.PathLike[str]"]) -> "Guard":
        return cls(GuardOptions(model_path=model_path))

    def _load_interpreter(self, model_path: Path) -> _Worker:
        try:
            interpreter = self._runtime.interpreter_class(model_path=str(model_path), num_threads=self._threads)
            interpreter.allocate_tensors()
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"{model_path}: {self._runtime.name} cannot load the model: {exc}") from None
        return _Worker(interpreter)

    def _bind_tensors(self, worker: _Worker) -> None:
        card = self._card
        inp, out = worker.input_details, worker.output_details
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
        out_scale, out_zero_point = out["quantization"]
        self._output_dequant = (out_scale, out_zero_point) if np.dtype(out["dtype"]) != np.float32 else None
        self._tensor_order = _TENSOR_ORDERS[card.color_order]

    @property
    def options(self) -> GuardOptions:
        """The options with defaults resolved (model path, threshold, threads, locale)."""
        return GuardOptions(
            model_path=self._card.model_path,
            threshold=self._threshold,
            threads=self._threads,
            runtime=self._runtime.name,
            max_pixels=self._options.max_pixels,
            workers=self._workers,
            locale=self._locale,
            max_frames=self._options.max_frames,
        )

    @property
    def model_card(self) -> ModelCard:
        return self._card

    @property
    def runtime(self) -> Runtime:
        return self._runtime

    @property
    def policy(self) -> Policy:
        """The age policy with this guard's locale (for the adult opt-in prompt)."""
        return Policy(self._locale)

    # -- classification -------------------------------------------------------------------

    def classify(self, image: ImageInput, *, color_order: Optional[ColorOrder] = None) -> Classification:
        """Classify one image as the model sees it: the whole picture resized and centre-cropped
        (the first frame of an animation). Input: a path, bytes, a binary file object, or a
        uint8 numpy array with its ``color_order`` ("RGB", "BGR", "RGBA", "BGRA", "GRAY").
        Raises :class:`ImageError` for input that is not an image. :meth:`scan` also looks
        at the edges of wide or tall pictures and at the frames of animations."""
        # JPEGs decode at the smallest DCT scale that still covers the model's resize size.
        pixels = load_pixels(
            image, color_order, min_size=self._card.resize_size, max_pixels=self._options.max_pixels
        )
        return self._classify_pixels(pixels)

    def scan(self, image: ImageInput, *, color_order: Optional[ColorOrder] = None) -> Classification:
        """Classify the whole image: the full frame and, for aspect ratios over 1.3,
        half-overlapping square tiles from end to end; for an animated GIF or WebP up to
        ``options.max_frames`` frames spread evenly. The result is the highest-scoring view;
        checking stops at the first sensitive one. ``check_outgoing`` and ``check_incoming``
        use this."""
        return self._scan(image, color_order)[0]

    def _scan(self, image: ImageInput, color_order: Optional[ColorOrder]) -> Tuple[Classification, Pixels]:
        frames = load_frames(
            image, color_order, min_size=self._card.resize_size,
            max_pixels=self._options.max_pixels, max_frames=self._options.max_frames,
        )
        views = (view for pixels in frames.frames for view in _views(pixels))
        best: Optional[Classification] = None
        for view in views:
            result = self._classify_pixels(view)
            if best is None or result.score > best.score:
                best = result
            if best.sensitive:
                break
        assert best is not None
        return best, frames.frames[0]

    def _classify_pixels(self, pixels: Pixels) -> Classification:
        card = self._card
        output = self._infer(pixels)
        if self._output_dequant is not None:
            scale, zero_point = self._output_dequant
            output = (output.astype(np.float64) - zero_point) * scale
        score = softmax_score(output, card)
        label = card.labels[int(np.argmax(output))]
        return Classification(score=score, label=label, sensitive=score >= self._threshold)

    def _infer(self, pixels: Pixels) -> np.ndarray:
        card = self._card
        worker = self._acquire()
        try:
            tensor = worker.input_tensor()
            _native.preprocess(
                pixels.array, pixels.format, tensor,
                resize=card.resize_size, dst_order=self._tensor_order, mul=self._mul, add=self._add,
            )
            # The interpreter refuses to run while a numpy view of its memory lives.
            del tensor
            try:
                worker.interpreter.invoke()
            except RuntimeError as exc:
                raise ModelError(f"{card.model_path}: inference failed on {pixels.source}: {exc}") from None
            return np.array(worker.interpreter.get_tensor(worker.output_index))
        finally:
            self._release(worker)

    def _acquire(self) -> _Worker:
        with self._available:
            while not self._closed and not self._idle:
                self._available.wait()
            if self._closed:
                raise ValueError("this Guard is closed; create a new one with nudeguard.Guard()")
            return self._idle.pop()

    def _release(self, worker: _Worker) -> None:
        with self._available:
            if not self._closed:
                self._idle.append(worker)
            self._available.notify()

    # -- the chat client's hooks ----------------------------------------------------------

    def check_outgoing(
        self,
        image: ImageInput,
        *,
        sender: Person,
        color_order: Optional[ColorOrder] = None,
        locale: Optional[str] = None,
    ) -> OutgoingVerdict:
        """Check an image before it is sent. ``CONFIRM``: show ``verdict.warning`` and send
        only if the user taps "send anyway".

        A protected sender (under 18, age unknown, or an adult who opted in) gets ``CONFIRM``
        for a sensitive image and also when the image cannot be checked (fail closed, with
        ``verdict.error``). Raises :class:`PolicyError` if ``sender`` is not a
        :class:`Person`, ``ValueError`` if the guard is closed; image and model failures are
        returned in ``verdict.error``, never raised.
        """
        _person(sender, "sender")
        result, _, error = self._checked(image, color_order)
        sensitive = result is not None and result.sensitive
        action = Policy.outgoing_action(sender, sensitive, failed=error is not None)
        warning = warning_for("outgoing", sender.age_group, locale or self._locale) if action is Action.CONFIRM else None
        return OutgoingVerdict(action=action, score=None if result is None else result.score, warning=warning,
                               error=error, sensitive=sensitive)

    def check_incoming(
        self,
        image: ImageInput,
        *,
        recipient: Person,
        preview_size: Optional[Size] = None,
        color_order: Optional[ColorOrder] = None,
        locale: Optional[str] = None,
    ) -> IncomingVerdict:
        """Check a received image before it is displayed. ``VEIL``: show ``verdict.veiled``
        (BGR, at ``preview_size``: ``(width, height)``, an int for the longer side, or
        ``None`` for the image's full size) with ``verdict.warning``.

        A protected recipient gets ``VEIL`` for a sensitive image and also when the image
        cannot be checked (fail closed, with ``verdict.error``; ``veiled`` is ``None`` if it
        could not even be decoded). Raises :class:`PolicyError` for a bad ``recipient``,
        ``ValueError`` for a bad ``preview_size`` or a closed guard.
        """
        _person(recipient, "recipient")
        if preview_size is not None:
            _veil_size(preview_size, 1, 1)  # validate before the work
        result, pixels, error = self._checked(image, color_order)
        sensitive = result is not None and result.sensitive
        action = Policy.incoming_action(recipient, sensitive, failed=error is not None)
        warning = None
        veiled = None
        if action is Action.VEIL:
            warning = warning_for("incoming", recipient.age_group, locale or self._locale)
            if pixels is not None:
                veiled = _veiled(pixels, preview_size)
        return IncomingVerdict(action=action, score=None if result is None else result.score, warning=warning,
                               veiled=veiled, error=error, sensitive=sensitive)

    def _checked(
        self, image: ImageInput, color_order: Optional[ColorOrder]
    ) -> Tuple[Optional[Classification], Optional[Pixels], Optional[NudeguardError]]:
        pixels: Optional[Pixels] = None
        try:
            result, pixels = self._scan(image, color_order)
        except NudeguardError as exc:
            if pixels is None and not isinstance(exc, ImageError):
                # A model failure: the image itself may still be decodable for the veil.
                try:
                    pixels = load_pixels(image, color_order, min_size=self._card.resize_size,
                                         max_pixels=self._options.max_pixels)
                except NudeguardError:
                    pixels = None
            return None, pixels, exc
        return result, pixels, None

    # -- asyncio --------------------------------------------------------------------------

    async def classify_async(self, image: ImageInput, *, color_order: Optional[ColorOrder] = None) -> Classification:
        """:meth:`classify` in a worker thread, for asyncio code."""
        return await _in_thread(self.classify, image, color_order=color_order)

    async def scan_async(self, image: ImageInput, *, color_order: Optional[ColorOrder] = None) -> Classification:
        """:meth:`scan` in a worker thread, for asyncio code."""
        return await _in_thread(self.scan, image, color_order=color_order)

    async def check_outgoing_async(
        self, image: ImageInput, *, sender: Person, color_order: Optional[ColorOrder] = None,
        locale: Optional[str] = None,
    ) -> OutgoingVerdict:
        """:meth:`check_outgoing` in a worker thread, for asyncio code."""
        return await _in_thread(self.check_outgoing, image, sender=sender, color_order=color_order, locale=locale)

    async def check_incoming_async(
        self, image: ImageInput, *, recipient: Person, preview_size: Optional[Size] = None,
        color_order: Optional[ColorOrder] = None, locale: Optional[str] = None,
    ) -> IncomingVerdict:
        """:meth:`check_incoming` in a worker thread, for asyncio code."""
        return await _in_thread(self.check_incoming, image, recipient=recipient, preview_size=preview_size,
                                color_order=color_order, locale=locale)

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Release the interpreters. Calls already running finish; later ones raise ``ValueError``."""
        with self._available:
            self._closed = True
            self._idle = []
            self._available.notify_all()

    def __enter__(self) -> "Guard":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


async def _in_thread(func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(func, *args, **kwargs))


def _views(pixels: Pixels) -> Iterator[Pixels]:
    """The full frame, then half-overlapping square tiles from end to end, lazily, so a
    scan that stops at a sensitive view classifies nothing more."""
    yield pixels
    height, width = pixels.array.shape[:2]
    side = min(width, height)
    for offset in tile_offsets(max(width, height), side):
        # A view, not a copy: the native kernel takes any row stride.
        tile = pixels.array[:, offset:offset + side] if width > height else pixels.array[offset:offset + side]
        yield Pixels(tile, pixels.format, pixels.source)


def _veiled(pixels: Pixels, preview_size: Optional[Size]) -> np.ndarray:
    size = preview_size if preview_size is not None else pixels.size
    result = veil(pixels.array, size)
    conversion = _TO_BGR.get(pixels.format)
    return cv2.cvtColor(result, conversion) if conversion is not None else result
