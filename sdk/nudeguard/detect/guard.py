"""The classifier a client creates once and calls for every image, video or camera frame."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, Tuple, TypeVar, Union

import cv2
import numpy as np

from .. import _native
from ..errors import ImageError, ModelError, NudeguardError, closed_guard_error
from ..media.blur import Size, _veil_size, veil
from ..media.image import DEFAULT_MAX_PIXELS, ColorOrder, ImageInput, Pixels, describe, load_pixels
from ..media.video import (MODE_METHODS, LiveStream, LiveStreamCallback, RunningMode, VideoClassification, VideoInput,
                           check_sampled, sampled_frames)
from ..safety.policy import Action, Person, Policy, _person
from ..safety.wording import SafetyWarning, resolve_locale, warning_for
from .model import BUNDLED_MODEL, ModelCard, load_card, softmax_score
from .runtime import RUNTIMES, Runtime, load_runtime

__all__ = ["Classification", "Guard", "GuardOptions", "IncomingVerdict", "OutgoingVerdict"]

_T = TypeVar("_T")

#: Aspect ratio (long side / short side) above which square tiles are classified too. The
#: model squashes the full frame to a square; at 4:3 (1.33), the common camera format,
#: that view alone caught 29 of 30 synthetic fixtures covering 3/4 of the short side at the
#: far edge (tiles: 30), so tiles there would triple the cost of most photos for one in 30.
#: From 3:2 (full frame 21/30, tiles 30/30) on, tiles earn their cost.
TILE_ASPECT = 1.4

#: Most tiles per picture. A hostile 1 x 100000 PNG of a hundred bytes would otherwise cost
#: 100000 inferences; up to an aspect ratio of 8.5 tiles still overlap by half, beyond it
#: they are spread evenly end to end.
MAX_TILES = 16

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
    all its frames together; for a video file, each frame (checked on the declared size,
    before decoding). Arrays are not limited."""

    workers: int = 1
    """Interpreters in the guard's pool: this many calls (from different threads, or
    ``*_async`` calls) run at the same time; more wait for a free one. Each interpreter
    holds its own copy of the model's activations (a few MB)."""

    locale: Optional[str] = None
    """Language of the warnings, e.g. ``"de"`` or ``"de-AT"`` (→ German); unknown or ``None``
    → English. Each ``check_*`` call can override it."""

    running_mode: RunningMode = RunningMode.IMAGE
    """``IMAGE``: images, animations and video files (``classify``, ``scan``, ``check_video``,
    ``check_outgoing``, ``check_incoming``). ``VIDEO``: decoded frames of one video in order
    (``classify_for_video``). ``LIVE_STREAM``: camera frames (``classify_async`` with
    ``result_callback``). A method of another mode raises ``ValueError`` naming the right one."""

    result_callback: Optional[LiveStreamCallback] = None
    """``LIVE_STREAM`` only, and required there: ``result_callback(result, frame, timestamp_ms)``,
    called from the guard's inference thread for every frame it classified (not for dropped
    ones). ``result`` is the frame's :class:`Classification`, or the :class:`NudeguardError`
    that stopped inference (fail closed: treat the frame as sensitive); ``frame`` is the
    guard's copy of the pixels. An exception it raises is re-raised by the next
    ``classify_async`` or ``close``."""

    video_sample_fps: float = 2.0
    """Frames a second of a video file that are checked (the last frame is always checked too).
    A sensitive scene on screen for at least ``1 / video_sample_fps`` seconds is caught."""

    max_video_frames: int = 120
    """Most frames checked in one video or animated GIF/WebP (``check_video``, ``scan`` and the
    ``check_*`` hooks). Longer videos get this many frames spread evenly, first and last
    included; with the defaults that happens beyond one minute. An animation's frames are all
    checked up to this many (near duplicates skipped), since one frame is all a flash needs."""


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
    image whose aspect ratio is over 1.4: half-overlapping, the last flush with the far end,
    at most ``MAX_TILES`` of them. Empty for squarer images, which the full frame covers."""
    if short_side <= 0 or long_side <= TILE_ASPECT * short_side:
        return []
    span = long_side - short_side
    half = max(1, short_side // 2)
    count = min(MAX_TILES, -(-span // half) + 1)  # steps of at most half a side, if they fit
    return sorted({round(i * span / (count - 1)) for i in range(count)})


class Guard:
    """Classifies images on the device. Create once, reuse, ``close()`` at the end.

    A guard is safe to share between threads: it holds a pool of ``options.workers``
    interpreters, so that many calls run at once; further calls wait for a free one.
    """

    def __init__(self, options: Optional[GuardOptions] = None) -> None:
        self._options = options or GuardOptions()
        model_path = Path(self._options.model_path) if self._options.model_path is not None else BUNDLED_MODEL
        self._model_path = model_path
        self._model_error: Optional[ModelError] = None
        self._card: Optional[ModelCard] = None
        self._runtime: Optional[Runtime] = None
        known_runtimes = ("auto", *(name for name, _, _ in RUNTIMES))
        if self._options.runtime not in known_runtimes:
            raise ValueError(f"runtime must be one of {known_runtimes}, got {self._options.runtime!r}")
        try:
            self._card = load_card(model_path)
        except ModelError as exc:
            self._model_error = exc
        threshold = self._options.threshold
        if threshold is None and self._card is not None:
            threshold = self._card.threshold
        if threshold is not None and not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must lie in (0, 1], got {threshold}")
        workers = self._options.workers
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an integer of at least 1, got {workers!r}")
        threads = self._options.threads
        if threads is None:
            threads = max(1, min(4, os.cpu_count() or 1) // workers)
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self._check_video_options()
        self._threshold = float(threshold) if threshold is not None else None
        self._threads = int(threads)
        self._workers = int(workers)
        self._locale = resolve_locale(self._options.locale)
        if self._options.max_pixels < 1:
            raise ValueError(f"max_pixels must be at least 1, got {self._options.max_pixels}")
        pool: List[_Worker] = []
        if self._model_error is None:
            try:
                self._runtime = load_runtime(self._options.runtime)
                pool = [self._load_interpreter(model_path) for _ in range(self._workers)]
                self._bind_tensors(pool[0])
            except ModelError as exc:
                self._model_error, pool = exc, []
        if self._model_error is not None:
            # Fail closed instead of raising: a broken deployment (damaged or missing model,
            # card or interpreter) must not crash the client or let images through unchecked.
            # Checks for protected users come back CONFIRM / VEIL with this error attached.
            logging.getLogger("nudeguard").warning(
                "the model cannot be used; every check fails closed: %s", self._model_error)
        self._idle: List[_Worker] = pool
        self._available = threading.Condition()
        self._closed = False
        self._last_timestamp_ms: Optional[int] = None
        self._timestamp_lock = threading.Lock()
        self._live: Optional[LiveStream] = None
        if self._options.running_mode is RunningMode.LIVE_STREAM:
            assert self._options.result_callback is not None  # checked above
            self._live = LiveStream(self._best_view, self._options.result_callback)

    def _check_video_options(self) -> None:
        options = self._options
        if not isinstance(options.running_mode, RunningMode):
            raise ValueError(f"running_mode must be a nudeguard.RunningMode, got {options.running_mode!r}")
        live = options.running_mode is RunningMode.LIVE_STREAM
        if live and not callable(options.result_callback):
            raise ValueError("running_mode=LIVE_STREAM needs result_callback(result, frame, timestamp_ms)")
        if not live and options.result_callback is not None:
            raise ValueError(f"result_callback is for running_mode=LIVE_STREAM, not {options.running_mode.name}")
        if not (isinstance(options.video_sample_fps, (int, float)) and 0 < options.video_sample_fps <= 1000):
            raise ValueError(f"video_sample_fps must lie in (0, 1000], got {options.video_sample_fps!r}")
        if isinstance(options.max_video_frames, bool) or not isinstance(options.max_video_frames, int) \
                or options.max_video_frames < 2:
            raise ValueError(f"max_video_frames must be an integer of at least 2 (first and last frame), "
                             f"got {options.max_video_frames!r}")

    @classmethod
    def create_from_options(cls, options: GuardOptions) -> "Guard":
        return cls(options)

    @classmethod
    def create_from_model_path(cls, model_path: Union[str, "os.PathLike[str]"]) -> "Guard":
        return cls(GuardOptions(model_path=model_path))

    def _load_interpreter(self, model_path: Path) -> _Worker:
        try:
            interpreter = self._runtime.create_interpreter(model_path=str(model_path), num_threads=self._threads)
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
        """The options with defaults resolved (model path, threshold, threads, locale); with a
        :attr:`model_error`, the threshold and runtime stay as given."""
        return GuardOptions(
            model_path=self._model_path,
            threshold=self._threshold,
            threads=self._threads,
            runtime=self._runtime.name if self._runtime is not None else self._options.runtime,
            max_pixels=self._options.max_pixels,
            workers=self._workers,
            locale=self._locale,
            running_mode=self._options.running_mode,
            result_callback=self._options.result_callback,
            video_sample_fps=self._options.video_sample_fps,
            max_video_frames=self._options.max_video_frames,
        )

    @property
    def model_error(self) -> Optional[ModelError]:
        """Why the model, its card or the interpreter could not be loaded; ``None`` when the
        guard is healthy. A guard with a model error still answers ``check_outgoing`` and
        ``check_incoming`` (failing closed: ``CONFIRM`` / ``VEIL`` for protected users, with
        this error in ``verdict.error``); ``classify`` and ``scan`` raise it."""
        return self._model_error

    def _require_model(self) -> ModelCard:
        if self._model_error is not None:
            raise self._model_error
        assert self._card is not None
        return self._card

    @property
    def model_card(self) -> ModelCard:
        """The model's card; raises :attr:`model_error` if it could not be loaded."""
        return self._require_model()

    @property
    def runtime(self) -> Runtime:
        """The interpreter package; raises :attr:`model_error` if the model could not be loaded."""
        self._require_model()
        assert self._runtime is not None
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
        at the edges of wide or tall pictures and at the frames of animations.
        IMAGE mode only."""
        self._require_mode(RunningMode.IMAGE, "classify")
        # JPEGs decode at the smallest DCT scale that still covers the model's resize size.
        pixels = load_pixels(
            image, color_order, min_size=self._require_model().resize_size, max_pixels=self._options.max_pixels
        )
        return self._classify_pixels(pixels)

    def scan(self, image: ImageInput, *, color_order: Optional[ColorOrder] = None) -> Classification:
        """Classify the whole image: the full frame and, for aspect ratios over 1.4,
        half-overlapping square tiles from end to end; for an animated GIF or WebP or a video
        file (MP4, MOV, WebM, MKV, AVI: recognised by its first bytes) the frames
        :meth:`check_video` samples, near duplicates skipped. The
        result is the highest-scoring view; checking stops at the first sensitive one.
        ``check_outgoing`` and ``check_incoming`` use this. IMAGE mode only."""
        self._require_mode(RunningMode.IMAGE, "scan")
        return self._scan(image, color_order)[0]

    def _scan(self, image: ImageInput, color_order: Optional[ColorOrder]) -> Tuple[Classification, Pixels]:
        card = self._require_model()
        if isinstance(image, np.ndarray) or color_order is not None:
            pixels = load_pixels(image, color_order, min_size=card.resize_size, max_pixels=self._options.max_pixels)
            return self._best_view(pixels), pixels
        # An encoded file: a still image is one frame; an animation is sampled like a video,
        # so a single sensitive frame in a GIF is not skipped by a sparse spread.
        _, best, poster = self._check_video(image, stop_at_first_sensitive=True)
        return best, poster

    def _best_view(self, pixels: Pixels) -> Classification:
        """The highest-scoring of the frame's views, stopping at the first sensitive one."""
        best: Optional[Classification] = None
        for view in _views(pixels):
            result = self._classify_pixels(view)
            if best is None or result.score > best.score:
                best = result
            if best.sensitive:
                break
        assert best is not None
        return best

    # -- videos and camera frames ---------------------------------------------------------

    def check_video(self, video: VideoInput, *, stop_at_first_sensitive: bool = True) -> VideoClassification:
        """Check a video file (MP4, MOV, 3GP, WebM, MKV, AVI) or an animated GIF/WebP: a path,
        its bytes or a binary file object (bytes stay in memory: no temporary file). Frames are
        sampled at ``options.video_sample_fps`` (last frame included, at most
        ``options.max_video_frames``), near duplicates take the previous score, and each
        checked frame is classified whole (tiles too, as :meth:`scan`). Checking stops at the
        first sensitive frame unless ``stop_at_first_sensitive=False``, which lists every
        sensitive sampled timestamp. Raises :class:`ImageError` for an undecodable,
        truncated or oversized video. IMAGE mode only."""
        self._require_mode(RunningMode.IMAGE, "check_video")
        return self._check_video(video, stop_at_first_sensitive=stop_at_first_sensitive)[0]

    def _check_video(
        self, video: VideoInput, *, stop_at_first_sensitive: bool
    ) -> Tuple[VideoClassification, Classification, Pixels]:
        info, frames = sampled_frames(video, sample_fps=float(self._options.video_sample_fps),
                                      max_frames=self._options.max_video_frames,
                                      max_pixels=self._options.max_pixels,
                                      min_size=self._require_model().resize_size)
        return check_sampled(info, frames, self._best_view, stop_at_first_sensitive=stop_at_first_sensitive)

    def classify_for_video(self, frame: np.ndarray, timestamp_ms: int, *, color_order: ColorOrder) -> Classification:
        """Classify one decoded frame of a video, whole (tiles too, as :meth:`scan`). Frames
        come in order: ``timestamp_ms`` must increase from call to call. ``color_order`` is
        the array's, e.g. ``"BGR"`` for OpenCV (no default: a swapped order silently changes
        the score). VIDEO mode only."""
        self._require_mode(RunningMode.VIDEO, "classify_for_video")
        pixels = self._frame_pixels(frame, timestamp_ms, color_order, copy=False)
        return self._best_view(pixels)

    def classify_async(self, frame: np.ndarray, timestamp_ms: int, *, color_order: ColorOrder) -> None:
        """Hand a live camera frame to the guard's inference thread and return at once. The
        result goes to ``options.result_callback(result, frame, timestamp_ms)``. A frame that
        arrives while the model is busy replaces the one waiting (which is dropped and gets
        no callback), so results never fall behind the camera. ``timestamp_ms`` must increase
        from call to call; the frame is copied, so the caller may reuse its buffer.
        LIVE_STREAM mode only."""
        self._require_mode(RunningMode.LIVE_STREAM, "classify_async")
        pixels = self._frame_pixels(frame, timestamp_ms, color_order, copy=True)
        assert self._live is not None
        self._live.submit(pixels, timestamp_ms)

    def _frame_pixels(self, frame: np.ndarray, timestamp_ms: int, color_order: ColorOrder, *, copy: bool) -> Pixels:
        if isinstance(timestamp_ms, bool) or not isinstance(timestamp_ms, (int, np.integer)):
            raise ValueError(f"timestamp_ms must be an integer (milliseconds), got {timestamp_ms!r}")
        if not isinstance(frame, np.ndarray):
            raise ImageError(f"{describe(frame)}: frames are numpy arrays; for a video file create a Guard in "
                             "IMAGE mode and call check_video(path_or_bytes)")
        pixels = load_pixels(np.array(frame) if copy else frame, color_order)
        with self._timestamp_lock:
            if self._last_timestamp_ms is not None and timestamp_ms <= self._last_timestamp_ms:
                raise ValueError(f"timestamp_ms must increase monotonically: got {timestamp_ms} after "
                                 f"{self._last_timestamp_ms}")
            self._last_timestamp_ms = int(timestamp_ms)
        return pixels

    def _require_mode(self, mode: RunningMode, method: str) -> None:
        running = self._options.running_mode
        if running is not mode:
            raise ValueError(f"this Guard runs in {running.name} mode; call {MODE_METHODS[running]} "
                             f"({method} needs a Guard created with running_mode=RunningMode.{mode.name})")

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
        self._require_model()  # a failed guard has no interpreters to wait for
        with self._available:
            while not self._closed and not self._idle:
                self._available.wait()
            self._require_open()
            return self._idle.pop()

    def _require_open(self) -> None:
        if self._closed:
            raise closed_guard_error()

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
        only if the user taps "send anyway". A video file (recognised by its first bytes) is
        checked as by :meth:`check_video`, stopping at the first sensitive frame.

        A protected sender (under 18, age unknown, or an adult who opted in) gets ``CONFIRM``
        for a sensitive image and also when the image cannot be checked (fail closed, with
        ``verdict.error``). Raises :class:`PolicyError` if ``sender`` is not a
        :class:`Person`, ``ValueError`` if the guard is closed or not in IMAGE mode; image
        and model failures are returned in ``verdict.error``, never raised.
        """
        self._require_mode(RunningMode.IMAGE, "check_outgoing")
        _person(sender, "sender")
        result, _, error = self._checked(image, color_order)
        sensitive = result is not None and result.sensitive
        action = Policy.outgoing_action(sender, sensitive, failed=error is not None)
        warning = warning_for("outgoing", sender.age_group, locale or self._options.locale) if action is Action.CONFIRM else None
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
        ``None`` for the image's full size) with ``verdict.warning``. A video file is checked
        as by :meth:`check_video`; its veil is of the first frame, the poster a chat shows.

        A protected recipient gets ``VEIL`` for a sensitive image and also when the image
        cannot be checked (fail closed, with ``verdict.error``; ``veiled`` is ``None`` if it
        could not even be decoded). Raises :class:`PolicyError` for a bad ``recipient``,
        ``ValueError`` for a bad ``preview_size``, a closed guard or one not in IMAGE mode.
        """
        self._require_mode(RunningMode.IMAGE, "check_incoming")
        _person(recipient, "recipient")
        if preview_size is not None:
            _veil_size(preview_size, 1, 1)  # validate before the work
        result, pixels, error = self._checked(image, color_order)
        sensitive = result is not None and result.sensitive
        action = Policy.incoming_action(recipient, sensitive, failed=error is not None)
        warning = None
        veiled = None
        if action is Action.VEIL:
            warning = warning_for("incoming", recipient.age_group, locale or self._options.locale)
            if pixels is not None:
                veiled = _veiled(pixels, preview_size)
        return IncomingVerdict(action=action, score=None if result is None else result.score, warning=warning,
                               veiled=veiled, error=error, sensitive=sensitive)

    def _checked(
        self, image: ImageInput, color_order: Optional[ColorOrder]
    ) -> Tuple[Optional[Classification], Optional[Pixels], Optional[NudeguardError]]:
        self._require_open()  # a guard with a model error raises here too, like a healthy one
        try:
            result, pixels = self._scan(image, color_order)
        except NudeguardError as exc:
            # A model failure: the picture itself may still decode, for the veil.
            return None, None if isinstance(exc, ImageError) else self._poster(image, color_order), exc
        return result, pixels, None

    def _poster(self, image: ImageInput, color_order: Optional[ColorOrder]) -> Optional[Pixels]:
        """The picture a chat shows before "view": the image, or the first frame of an
        animation or video; ``None`` if it does not decode."""
        min_size = self._card.resize_size if self._card is not None else None
        try:
            if isinstance(image, np.ndarray) or color_order is not None:
                return load_pixels(image, color_order, min_size=min_size, max_pixels=self._options.max_pixels)
            _, frames = sampled_frames(image, sample_fps=1.0, max_frames=2,
                                       max_pixels=self._options.max_pixels, min_size=min_size)
            with contextlib.closing(frames):
                return next(frames).pixels
        except (NudeguardError, StopIteration):
            return None

    # -- asyncio --------------------------------------------------------------------------

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
        """Release the interpreters. Calls already running finish; later ones raise ``ValueError``.
        A LIVE_STREAM guard first stops its inference thread after the frames already handed
        over (the one being classified and the one waiting) got their callbacks."""
        try:
            if self._live is not None:
                self._live.close()
        finally:
            with self._available:
                self._closed = True
                self._idle = []
                self._available.notify_all()

    def __enter__(self) -> "Guard":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


async def _in_thread(func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    import asyncio  # here, not at the top: ~50 ms of every client's cold start otherwise

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
