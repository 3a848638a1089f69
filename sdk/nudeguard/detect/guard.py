"""The classifier a client creates once and calls for every image, video or camera frame.

The data flows one way: :class:`Guard` → :mod:`..media` (read and decode once) →
:mod:`.scanner` (views and sampled frames) → :mod:`.engine` (the model) →
:mod:`..safety` (policy and wording) → the veil.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Tuple, TypeVar, Union

import numpy as np

from ..errors import ClosedGuardError, ImageError, ModelError, NudeguardError
from ..media.blur import Size, check_veil_size, veil
from ..media.pixels import ColorOrder, ImageInput, Pixels, to_bgr
from ..media.reader import Media, load_pixels, open_media
from ..media.source import describe
from ..safety.policy import Action, Person, Policy, require_person
from ..safety.wording import resolve_locale, warning_for
from .engine import Engine
from .live import LiveStream
from .model import BUNDLED_MODEL, ModelCard
from .options import GuardOptions, RunningMode, check_options, require_mode
from .results import Classification, IncomingVerdict, OutgoingVerdict, VideoClassification
from .runtime import Runtime
from .scanner import best_view, scan_media

if TYPE_CHECKING:
    from ..hashing.hash_list import HashMatch

__all__ = ["Guard"]

_T = TypeVar("_T")


class Guard:
    """Classifies images on the device. Create once, reuse, ``close()`` at the end.

    A guard is safe to share between threads: it holds a pool of ``options.workers``
    interpreters, so that many calls run at once; further calls wait for a free one.
    """

    def __init__(self, options: Optional[GuardOptions] = None) -> None:
        self._options = options = options or GuardOptions()
        check_options(options)
        self._threads = options.threads or max(1, min(4, os.cpu_count() or 1) // options.workers)
        self._locale = resolve_locale(options.locale)
        model_path = Path(options.model_path) if options.model_path is not None else BUNDLED_MODEL
        self._engine = Engine(model_path, runtime=options.runtime, threads=self._threads, workers=options.workers,
                              threshold=options.threshold)
        if self._engine.model_error is not None:
            # Fail closed instead of raising: a broken deployment (damaged or missing model,
            # card or interpreter) must not crash the client or let images through unchecked.
            # Checks for protected users come back CONFIRM / VEIL with this error attached.
            logging.getLogger("nudeguard").warning(
                "the model cannot be used; every check fails closed: %s", self._engine.model_error)
        self._last_timestamp_ms: Optional[int] = None
        self._timestamp_lock = threading.Lock()
        self._live: Optional[LiveStream] = None
        if options.running_mode is RunningMode.LIVE_STREAM:
            assert options.result_callback is not None  # checked above
            self._live = LiveStream(self._best_view, options.result_callback)

    @classmethod
    def create_from_options(cls, options: GuardOptions) -> "Guard":
        return cls(options)

    @classmethod
    def create_from_model_path(cls, model_path: Union[str, "os.PathLike[str]"]) -> "Guard":
        return cls(GuardOptions(model_path=model_path))

    @property
    def options(self) -> GuardOptions:
        """The options with defaults resolved (model path, threshold, threads, locale); with a
        :attr:`model_error`, the threshold and runtime stay as given."""
        engine = self._engine
        runtime = engine.runtime.name if engine.model_error is None else self._options.runtime
        return dataclasses.replace(self._options, model_path=engine.model_path, threshold=engine.threshold,
                                   threads=self._threads, runtime=runtime, locale=self._locale)

    @property
    def model_error(self) -> Optional[ModelError]:
        """Why the model, its card or the interpreter could not be loaded; ``None`` when the
        guard is healthy. A guard with a model error still answers ``check_outgoing`` and
        ``check_incoming`` (failing closed: ``CONFIRM`` / ``VEIL`` for protected users, with
        this error in ``verdict.error``); ``classify`` and ``scan`` raise it."""
        return self._engine.model_error

    @property
    def model_card(self) -> ModelCard:
        """The model's card; raises :attr:`model_error` if it could not be loaded."""
        return self._engine.card

    @property
    def runtime(self) -> Runtime:
        """The interpreter package; raises :attr:`model_error` if the model could not be loaded."""
        return self._engine.runtime

    @property
    def engine(self) -> Engine:
        """The inference engine (its :meth:`~Engine.session` times the stages apart)."""
        return self._engine

    @property
    def policy(self) -> Policy:
        """The age policy with this guard's locale (for the adult opt-in prompt)."""
        return Policy(self._locale)

    # -- classification -------------------------------------------------------------------

    def classify(self, image: ImageInput, *, color_order: Optional[ColorOrder] = None) -> Classification:
        """Classify one image (the first frame of an animation) with one inference: the
        bundled window model scores every 224-px window of the whole picture (short side
        resized to 256, aspect kept); a fixed-size model sees it resized and centre-cropped.
        Input: a path, bytes, a binary file object, or a uint8 numpy array with its
        ``color_order`` ("RGB", "BGR", "RGBA", "BGRA", "GRAY"). Raises :class:`ImageError`
        for input that is not an image. :meth:`scan` also looks at every sampled frame of
        animations and videos (and, for a fixed-size model, at tiles of long pictures).
        IMAGE mode only."""
        self._require_mode(RunningMode.IMAGE, "classify")
        # JPEGs decode at the smallest DCT scale that still covers what the model is fed.
        pixels = load_pixels(image, color_order, min_size=self._engine.decode_size,
                             max_pixels=self._options.max_pixels)
        return self._engine.classify(pixels)

    def scan(self, image: ImageInput, *, color_order: Optional[ColorOrder] = None) -> Classification:
        """Classify the whole image: one inference over every window of the frame (a
        fixed-size model: the full frame and, for aspect ratios over 1.4, half-overlapping
        square tiles from end to end); for an animated GIF or WebP or a video
        file (MP4, MOV, WebM, MKV, AVI: recognised by its first bytes) the frames
        :meth:`check_video` samples, near duplicates skipped. The
        result is the highest-scoring view; checking stops at the first sensitive one.
        ``check_outgoing`` and ``check_incoming`` use this. IMAGE mode only."""
        self._require_mode(RunningMode.IMAGE, "scan")
        with self._open(image, color_order) as media:
            return scan_media(media, self._engine.classify, stop_at_first_sensitive=True)[1]

    def _best_view(self, pixels: Pixels) -> Classification:
        return best_view(self._engine.classify, pixels)

    def _open(self, image: ImageInput, color_order: Optional[ColorOrder]) -> Media:
        decode_size = self._engine.decode_size if self._engine.model_error is None else None
        return open_media(image, color_order, max_pixels=self._options.max_pixels, min_size=decode_size,
                          sample_fps=float(self._options.video_sample_fps), max_frames=self._options.max_video_frames)

    # -- videos and camera frames ---------------------------------------------------------

    def check_video(self, video: ImageInput, *, stop_at_first_sensitive: bool = True) -> VideoClassification:
        """Check a video file (MP4, MOV, 3GP, WebM, MKV, AVI) or an animated GIF/WebP: a path,
        its bytes or a binary file object (bytes stay in memory: no temporary file). Frames are
        sampled at ``options.video_sample_fps`` (last frame included, at most
        ``options.max_video_frames``), near duplicates take the previous score, and each
        checked frame is classified whole (tiles too, as :meth:`scan`). Checking stops at the
        first sensitive frame unless ``stop_at_first_sensitive=False``, which lists every
        sensitive sampled timestamp. Raises :class:`ImageError` for an undecodable,
        truncated or oversized video. IMAGE mode only."""
        self._require_mode(RunningMode.IMAGE, "check_video")
        self._engine.require_model()
        if isinstance(video, np.ndarray):
            raise ImageError(f"{describe(video)}: check_video takes a video file (path, bytes or file object)")
        with self._open(video, None) as media:
            return scan_media(media, self._engine.classify, stop_at_first_sensitive=stop_at_first_sensitive)[0]

    def classify_for_video(self, frame: np.ndarray, timestamp_ms: int, *, color_order: ColorOrder) -> Classification:
        """Classify one decoded frame of a video, whole (tiles too, as :meth:`scan`). Frames
        come in order: ``timestamp_ms`` must increase from call to call. ``color_order`` is
        the array's, e.g. ``"BGR"`` for OpenCV (no default: a swapped order silently changes
        the score). VIDEO mode only."""
        self._require_mode(RunningMode.VIDEO, "classify_for_video")
        return self._best_view(self._frame_pixels(frame, timestamp_ms, color_order, copy=False))

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
        require_mode(self._options.running_mode, mode, method)

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
        ``verdict.error``). An image on ``options.hash_list`` is ``BLOCK`` for every sender,
        with ``verdict.hash_match``. Raises :class:`PolicyError` if ``sender`` is not a
        :class:`Person`, ``ValueError`` if the guard is closed or not in IMAGE mode; image
        and model failures are returned in ``verdict.error``, never raised.
        """
        self._require_mode(RunningMode.IMAGE, "check_outgoing")
        require_person(sender, "sender")
        result, poster, error = self._checked(image, color_order)
        sensitive = result is not None and result.sensitive
        match = self._listed(poster)
        action = Policy.outgoing_action(sender, sensitive, failed=error is not None, listed=match is not None)
        warning = None
        if action is not Action.ALLOW:
            direction = "blocked" if action is Action.BLOCK else "outgoing"
            warning = warning_for(direction, sender.age_group, locale or self._options.locale)
        return OutgoingVerdict(action=action, score=None if result is None else result.score, warning=warning,
                               error=error, sensitive=sensitive, hash_match=match)

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
        could not even be decoded). An image on ``options.hash_list`` is veiled for every
        recipient, with the warning that it was reported as shared without consent and
        ``verdict.hash_match``. Raises :class:`PolicyError` for a bad ``recipient``,
        ``ValueError`` for a bad ``preview_size``, a closed guard or one not in IMAGE mode.
        """
        self._require_mode(RunningMode.IMAGE, "check_incoming")
        require_person(recipient, "recipient")
        if preview_size is not None:
            check_veil_size(preview_size)  # before the work
        result, poster, error = self._checked(image, color_order)
        sensitive = result is not None and result.sensitive
        match = self._listed(poster)
        action = Policy.incoming_action(recipient, sensitive, failed=error is not None, listed=match is not None)
        warning = None
        veiled = None
        if action is Action.VEIL:
            direction = "incoming" if match is None else "reported"
            warning = warning_for(direction, recipient.age_group, locale or self._options.locale)
            if poster is not None:
                size = preview_size if preview_size is not None else poster.size
                veiled = to_bgr(veil(poster.array, size), poster.format)
        return IncomingVerdict(action=action, score=None if result is None else result.score, warning=warning,
                               veiled=veiled, error=error, sensitive=sensitive, hash_match=match)

    def _listed(self, poster: Optional[Pixels]) -> Optional[HashMatch]:
        """The ``hash_list`` entry nearest to the decoded image or one of its rotations and
        mirror images, if any is within ``hash_max_distance`` bits."""
        hash_list = self._options.hash_list
        if hash_list is None or poster is None:
            return None
        from ..hashing import DEFAULT_MAX_DISTANCE
        from ..hashing.pdq import decoded_dihedral

        distance = self._options.hash_max_distance
        matches = hash_list.match(decoded_dihedral(poster), DEFAULT_MAX_DISTANCE if distance is None else distance)
        return matches[0] if matches else None

    def _checked(
        self, image: ImageInput, color_order: Optional[ColorOrder]
    ) -> Tuple[Optional[Classification], Optional[Pixels], Optional[NudeguardError]]:
        """The best classification, the poster (the first frame, for the veil) and the error
        that stopped the check. Every input is decoded once, also when the model fails."""
        self._engine.require_open()  # a guard with a model error raises here too, like a healthy one
        try:
            media = self._open(image, color_order)
        except ImageError as exc:
            return None, None, self._engine.model_error or exc
        with media:
            try:
                result = scan_media(media, self._engine.classify, stop_at_first_sensitive=True)[1]
            except ClosedGuardError:
                raise
            except ImageError as exc:
                return None, None, exc
            except NudeguardError as exc:
                return None, media.poster(), exc
            return result, media.poster(), None

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
            self._engine.close()

    def __enter__(self) -> "Guard":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


async def _in_thread(func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    import asyncio  # here, not at the top: ~50 ms of every client's cold start otherwise

    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(func, *args, **kwargs))
