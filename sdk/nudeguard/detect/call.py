"""The call guard: between a video call's camera and its encoder, so a sensitive frame is
veiled before it leaves the device.

    with CallGuard(CallOptions(sender=Person(age=15), locale="de")) as call:
        for camera_frame, timestamp_ms in camera:
            for sent in call.process(camera_frame, timestamp_ms, color_order="BGR"):
                encoder.encode(sent.frame, sent.timestamp_ms)
                if sent.warning is not None:
                    show(sent.warning)

Every frame goes in; what comes out is the frame itself or its veil, with the state and, on
the change to veiled, the localized warning for the sender's age. Checks run on the
LIVE_STREAM guard's inference thread (one check at a time, the newest frame next); the
caller's thread only copies, queues and, while veiled, veils.

States (:class:`CallState`) and how they change, all on check results:

* ``CLEAR`` → ``VEILED`` on the first result that is sensitive (or a failed check: fail
  closed), at once: one such result is enough, since a missed frame cannot be recalled.
* ``VEILED`` → ``CLEAR`` only after :data:`LIFT_CLEAN_RESULTS` consecutive clean results whose
  frames span at least :data:`LIFT_CLEAN_MS`; any sensitive result restarts the count. While
  veiled, every frame leaves veiled.
* ``VEILED`` → ``RESUMED`` on :meth:`CallGuard.resume_anyway`, as the policy allows: an adult
  (protected because they opted in) at once; under 18 or age unknown only with
  ``confirmed=True``, after the client showed ``warning.confirmation`` and the user said yes
  again (never silently). Frames then leave unveiled with ``state=RESUMED`` on every frame,
  so the client keeps showing that protection is paused, until the camera is clean by the
  same rule as lifting the veil; then it is ``CLEAR`` and armed again.

Modes (:class:`CallMode`):

* ``STRICT`` (the default): while ``CLEAR`` a frame is held until a check of it or of a later
  frame came back clean, so no frame leaves before a check says the camera is clean (at the
  cost of about one check's delay). Frames between two checks are not checked themselves: a
  sensitive scene is caught when it lasts from one check to the next (~50 ms at 640x480),
  a flash of a frame or two between checks is not. A frame held for more than
  :data:`STRICT_MAX_HOLD_MS` (inference stalled) leaves veiled: unsure is veiled.
* ``LOW_LATENCY``: frames leave at once; the veil comes with the first frame after a
  sensitive result, so within about one check (plus the wait for the model to be free).

A sender the policy does not protect (an adult who did not opt in) gets every frame as is:
no model is loaded and nothing is checked.

``RunningMode.VIDEO`` is for a recorded clip sent as a call: each frame is checked on the
caller's thread before it leaves (``classify_for_video``), so both modes release each frame
on its own check; the hysteresis is the same, on the clip's timestamps.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Deque, List, Optional, Union

import cv2
import numpy as np

from ..errors import ImageError, ModelError, NudeguardError, PolicyError
from ..media.blur import veil
from ..media.pixels import COLOR_ORDERS, ColorOrder
from ..safety.policy import Action, Person, Policy, require_person
from ..safety.wording import AgeGroup, Prompt, SafetyWarning, catalogue, resolve_locale, warning_for
from .guard import Guard
from .options import GuardOptions, RunningMode
from .results import Classification

__all__ = [
    "LIFT_CLEAN_MS",
    "LIFT_CLEAN_RESULTS",
    "STRICT_MAX_HOLD_MS",
    "VEIL_DOWNSCALE",
    "CallFrame",
    "CallGuard",
    "CallMode",
    "CallOptions",
    "CallState",
]

#: Consecutive clean results needed to lift the veil. Near the threshold a moving body scores
#: on both sides of it from one frame to the next; one clean result between two sensitive ones
#: is common there and must not unveil a frame. Three in a row at ~20 checks a second is what
#: the time rule below asks for anyway; on a slow device (5 checks a second) it is what keeps
#: two lucky results from lifting it.
LIFT_CLEAN_RESULTS = 3

#: Time the clean results must span (their frames' timestamps) before the veil lifts. Someone
#: undressing turns and moves out of view and back within a second; the veil also must not
#: blink on the other person's screen faster than people can follow (flicker is itself a tell).
LIFT_CLEAN_MS = 1000

#: Longest a STRICT frame waits for a check before it leaves veiled. A 640x480 frame is one
#: view (~50 ms on one core here), a 16:9 frame four (the full frame and three tiles, ~170 ms),
#: and a frame can wait for the check in progress: holds of ~100 ms at 640x480 and up to
#: ~500 ms at 720p on a busy machine are normal (benchmarks/call.py). Beyond a second the
#: model is stalled (a throttled phone): frames leave veiled rather than pile up (30 held
#: frames of 720p are 80 MB). The state does not change for that: unsure is veiled, not a warning.
STRICT_MAX_HOLD_MS = 1000

#: The veil is computed at 1/8 of the frame's size and scaled back up. Its blur is a fixed
#: share of the picture (``veil_sigma``: a twelfth of the short side), so at 1/8 it is the
#: same veil within two levels, at a fraction of the cost on every veiled frame.
VEIL_DOWNSCALE = 8

#: Channels of a camera frame in each colour order the call guard takes (colour, not gray).
_CHANNELS = {name: channels for name, (_, channels) in COLOR_ORDERS.items() if channels > 1}


class CallMode(enum.Enum):
    """When a frame may leave while the camera is clear."""

    STRICT = "strict"
    """After a check of it or a later frame came back clean: no sensitive frame leaves."""
    LOW_LATENCY = "low_latency"
    """At once; the veil comes within about one check of a sensitive frame."""


class CallState(enum.Enum):
    """What the guard is doing with the camera."""

    CLEAR = "clear"
    """Frames leave as they are (in STRICT mode, once checked)."""
    VEILED = "veiled"
    """Every frame leaves veiled."""
    RESUMED = "resumed"
    """The sender chose "resume anyway": frames leave as they are although the last checks were
    not clean. Show that protection is paused while this lasts."""


@dataclass(frozen=True)
class CallOptions:
    """How a :class:`CallGuard` is built."""

    sender: Person
    """Whose camera it is: the policy (age, opt-in) decides whether frames are checked and
    which warning and resume rules apply."""

    mode: CallMode = CallMode.STRICT
    """``STRICT`` (no sensitive frame leaves, ~one check of delay) or ``LOW_LATENCY``."""

    locale: Optional[str] = None
    """Language of the warning (``"de"``, ``"pt-BR"``); ``None`` → English."""

    running_mode: RunningMode = RunningMode.LIVE_STREAM
    """``LIVE_STREAM`` for a camera (checks off the caller's thread) or ``VIDEO`` for a
    recorded clip (each frame checked before it leaves, on the caller's thread)."""

    threads: int = 1
    """Interpreter threads. One leaves the other core to the camera and the encoder."""

    model_path: Optional[str] = None
    """As :attr:`GuardOptions.model_path`; ``None`` uses the bundled model."""

    threshold: Optional[float] = None
    """As :attr:`GuardOptions.threshold`; ``None`` takes the model card's."""

    on_release: Optional[Callable[["CallFrame"], None]] = None
    """``STRICT`` with a camera (``LIVE_STREAM``) only: ``on_release(frame)`` gets each frame the
    moment it may leave, in order, from the guard's inference thread when a clean check clears
    it (else from :meth:`CallGuard.process`), and ``process`` returns nothing. Without it a
    cleared frame waits for the next camera frame's ``process`` call: up to one frame interval
    more delay. An exception it raises is re-raised by the next ``process``."""


@dataclass(frozen=True, eq=False)
class CallFrame:
    """One frame to hand to the encoder."""

    frame: np.ndarray
    """The pixels to transmit, in the order and shape they came in: the camera frame (a copy
    in STRICT mode, the caller's own array in LOW_LATENCY) or its veil."""
    timestamp_ms: int
    """The camera frame's timestamp (STRICT frames leave later than they came in)."""
    veiled: bool
    """``frame`` is the veil."""
    state: CallState
    """The guard's state when the frame left."""
    warning: Optional[SafetyWarning] = None
    """Set on the first frame after the change to ``VEILED``: show it to the sender. Its
    ``confirm_label`` is "resume anyway", ``cancel_label`` keeps the veil; under 18 or age
    unknown, ``confirmation`` is the second question before :meth:`CallGuard.resume_anyway`."""


@dataclass
class _Held:
    frame: np.ndarray
    timestamp_ms: int
    entered: float = field(default_factory=time.monotonic)


class CallGuard:
    """Checks a video call's outgoing camera. Create one per call; ``close()`` at hang-up.

    Call :meth:`process` from one thread (the camera's) with increasing timestamps.
    """

    def __init__(self, options: CallOptions) -> None:
        if not isinstance(options, CallOptions):
            raise ValueError(f"options must be a nudeguard.CallOptions, got {type(options).__name__}")
        self._sender = require_person(options.sender, "sender")
        if not isinstance(options.mode, CallMode):
            raise ValueError(f"mode must be a nudeguard.CallMode, got {options.mode!r}")
        if options.running_mode not in (RunningMode.LIVE_STREAM, RunningMode.VIDEO):
            raise ValueError("running_mode must be RunningMode.LIVE_STREAM (a camera) or RunningMode.VIDEO "
                             f"(a recorded clip), got {options.running_mode!r}")
        if options.on_release is not None and (options.mode is not CallMode.STRICT
                                               or options.running_mode is not RunningMode.LIVE_STREAM):
            raise ValueError("on_release is for mode=CallMode.STRICT with running_mode=RunningMode.LIVE_STREAM")
        if options.on_release is not None and not callable(options.on_release):
            raise ValueError(f"on_release must be callable, got {options.on_release!r}")
        self._options = options
        self._locale = options.locale
        # Frames leave in order although two threads may release them: one at a time.
        self._delivering = threading.Lock()
        resolve_locale(options.locale)  # a locale that is not a string fails here, not at the first veil
        self._lock = threading.Lock()
        self._state = CallState.CLEAR
        self._held: Deque[_Held] = collections.deque()
        self._cleared_until_ms: Optional[int] = None
        self._clean_run = 0
        self._clean_run_start_ms = 0
        self._warning: Optional[SafetyWarning] = None
        self._warning_pending = False
        self._last_timestamp_ms: Optional[int] = None
        self._checks = 0
        self._closed = False
        self._guard: Optional[Guard] = None
        if self._sender.protected:
            guard_options = GuardOptions(model_path=options.model_path, threshold=options.threshold,
                                         threads=options.threads, locale=options.locale,
                                         running_mode=options.running_mode,
                                         result_callback=self._on_result
                                         if options.running_mode is RunningMode.LIVE_STREAM else None)
            self._guard = Guard(guard_options)

    # -- the camera's side ----------------------------------------------------------------

    @property
    def state(self) -> CallState:
        """The state now (it changes on the inference thread, between calls of :meth:`process`)."""
        return self._state

    @property
    def warning(self) -> Optional[SafetyWarning]:
        """The warning of the current veil (``None`` while ``CLEAR``)."""
        return self._warning if self._state is not CallState.CLEAR else None

    @property
    def checks(self) -> int:
        """Check results so far (frames that arrive while the model is busy are not checked)."""
        return self._checks

    @property
    def checks_enabled(self) -> bool:
        """Whether the policy protects the sender, so frames are checked at all."""
        return self._guard is not None

    def process(self, frame: np.ndarray, timestamp_ms: int, *, color_order: ColorOrder) -> List[CallFrame]:
        """Hand over one camera frame; returns the frames that may leave now, oldest first.

        LOW_LATENCY: always this frame, veiled or not. STRICT: while ``CLEAR`` the frames whose
        check (or a later one) came back clean since the last call, possibly none; while
        ``VEILED`` or ``RESUMED`` everything held plus this frame, at once; with
        ``options.on_release``, nothing: the frames go there. ``frame`` is a uint8 HxWx3 or
        HxWx4 array in ``color_order``; ``timestamp_ms`` must increase. Raises
        :class:`ImageError` for a frame that is not one, ``ValueError`` for a bad timestamp or
        a closed guard.
        """
        self._check_frame(frame, timestamp_ms, color_order)
        if self._guard is None:
            unchecked = CallFrame(frame, int(timestamp_ms), veiled=False, state=CallState.CLEAR)
            if self._options.on_release is None:
                return [unchecked]
            self._options.on_release(unchecked)
            return []
        if self._options.running_mode is RunningMode.VIDEO:
            return self._process_recorded(frame, int(timestamp_ms), color_order)
        strict = self._options.mode is CallMode.STRICT
        held = np.array(frame) if strict else frame  # the camera may reuse its buffer
        self._guard.classify_async(frame, timestamp_ms, color_order=color_order)
        with self._lock:
            if not strict:
                return [self._leave(frame, int(timestamp_ms), veiled=self._state is CallState.VEILED)]
            self._held.append(_Held(held, int(timestamp_ms)))
            if self._options.on_release is None:
                return self._release_held()
        self._deliver()
        return []

    def _process_recorded(self, frame: np.ndarray, timestamp_ms: int, color_order: ColorOrder) -> List[CallFrame]:
        assert self._guard is not None
        try:
            result: Union[Classification, NudeguardError] = self._guard.classify_for_video(
                frame, timestamp_ms, color_order=color_order)
        except ModelError as exc:
            result = exc  # fail closed
        with self._lock:
            self._judge(result, timestamp_ms)
            return [self._leave(frame, timestamp_ms, veiled=self._state is CallState.VEILED)]

    def _check_frame(self, frame: object, timestamp_ms: object, color_order: object) -> None:
        if self._closed:
            raise ValueError("this CallGuard is closed; create a new one for the next call")
        if not isinstance(frame, np.ndarray):
            raise ImageError(f"a camera frame must be a numpy array, got {type(frame).__name__}")
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] not in (3, 4) or frame.size == 0:
            raise ImageError(f"a camera frame must be a non-empty HxWx3 or HxWx4 uint8 array, got "
                             f"{frame.dtype} {frame.shape}")
        if (_CHANNELS.get(color_order) if isinstance(color_order, str) else None) != frame.shape[2]:
            raise ValueError(f"color_order {color_order!r} does not fit a frame of {frame.shape[2]} channels; "
                             f"use one of {sorted(_CHANNELS)}")
        if isinstance(timestamp_ms, bool) or not isinstance(timestamp_ms, (int, np.integer)):
            raise ValueError(f"timestamp_ms must be an integer (milliseconds), got {timestamp_ms!r}")
        if self._last_timestamp_ms is not None and timestamp_ms <= self._last_timestamp_ms:
            raise ValueError(f"timestamp_ms must increase from frame to frame: got {timestamp_ms} after "
                             f"{self._last_timestamp_ms}")
        self._last_timestamp_ms = int(timestamp_ms)

    def _release_held(self) -> List[CallFrame]:
        """STRICT, under the lock: what may leave of the held frames, oldest first."""
        released = []
        now = time.monotonic()
        while self._held:
            oldest = self._held[0]
            if self._state is CallState.CLEAR:
                cleared = self._cleared_until_ms is not None and oldest.timestamp_ms <= self._cleared_until_ms
                stalled = (now - oldest.entered) * 1000 > STRICT_MAX_HOLD_MS
                if not cleared and not stalled:
                    break
                veiled = not cleared
            else:
                veiled = self._state is CallState.VEILED
            self._held.popleft()
            released.append(self._leave(oldest.frame, oldest.timestamp_ms, veiled=veiled))
        return released

    def _leave(self, frame: np.ndarray, timestamp_ms: int, *, veiled: bool) -> CallFrame:
        warning = None
        if veiled and self._warning_pending:
            warning, self._warning_pending = self._warning, False
        return CallFrame(_veil(frame) if veiled else frame, timestamp_ms, veiled=veiled, state=self._state,
                         warning=warning)

    # -- the inference thread's side ------------------------------------------------------

    def _on_result(self, result: Union[Classification, NudeguardError], frame: np.ndarray,
                   timestamp_ms: int) -> None:
        with self._lock:
            self._judge(result, timestamp_ms)
        if self._options.on_release is not None:
            self._deliver()

    def _deliver(self) -> None:
        """Hand what may leave of the held frames to ``on_release``, oldest first."""
        on_release = self._options.on_release
        assert on_release is not None
        with self._delivering:
            with self._lock:
                released = self._release_held()
            for sent in released:
                on_release(sent)

    def _judge(self, result: Union[Classification, NudeguardError], timestamp_ms: int) -> None:
        """The state machine, under the lock, on one check's result."""
        self._checks += 1
        failed = isinstance(result, NudeguardError)
        sensitive = not failed and result.sensitive  # type: ignore[union-attr]
        if Policy.outgoing_action(self._sender, sensitive, failed=failed) is Action.CONFIRM:
            self._clean_run = 0
            if self._state is CallState.CLEAR:
                self._state = CallState.VEILED
                self._warning = _call_warning(self._sender.age_group, self._locale)
                self._warning_pending = True
            return
        if self._clean_run == 0:
            self._clean_run_start_ms = timestamp_ms
        self._clean_run += 1
        if self._state is CallState.CLEAR:
            self._cleared_until_ms = timestamp_ms
        elif (self._clean_run >= LIFT_CLEAN_RESULTS
              and timestamp_ms - self._clean_run_start_ms >= LIFT_CLEAN_MS):
            self._state = CallState.CLEAR
            self._warning = None
            self._warning_pending = False
            # Frames from here on wait for checks of their own, not for this one.
            self._cleared_until_ms = timestamp_ms

    # -- the sender's choice --------------------------------------------------------------

    def resume_anyway(self, *, confirmed: bool = False) -> None:
        """The sender tapped the warning's ``confirm_label``: frames leave unveiled
        (``RESUMED``) until the camera is clean again, then the guard is armed again.

        An adult (protected because they opted in) resumes at once. Under 18 or age unknown,
        pass ``confirmed=True`` only after showing ``warning.confirmation`` and the user
        confirmed it; otherwise this raises :class:`PolicyError`. Raises ``ValueError`` when
        nothing is veiled.
        """
        with self._lock:
            if self._state is not CallState.VEILED:
                raise ValueError(f"nothing to resume: the call guard is {self._state.value}")
            if self._sender.age_group is not AgeGroup.ADULT and not confirmed:
                raise PolicyError("a sender under 18 or of unknown age resumes only after the warning's "
                                  "confirmation question: show warning.confirmation, then call "
                                  "resume_anyway(confirmed=True) if they confirm")
            self._state = CallState.RESUMED

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Stop checking. Frames still held in STRICT mode are dropped, never released
        unchecked. Later calls of :meth:`process` raise ``ValueError``."""
        self._closed = True
        if self._guard is not None:
            self._guard.close()
        with self._lock:
            self._held.clear()

    def __enter__(self) -> "CallGuard":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _veil(frame: np.ndarray) -> np.ndarray:
    height, width = frame.shape[:2]
    small = veil(frame, (max(1, width // VEIL_DOWNSCALE), max(1, height // VEIL_DOWNSCALE)), threads=1)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def _call_warning(group: AgeGroup, locale: Optional[str]) -> SafetyWarning:
    """The call warning; under 18 or age unknown with the question asked before resuming."""
    warning = warning_for("call", group, locale)
    if group is AgeGroup.ADULT:
        return warning
    entry = catalogue(warning.locale)["call_resume"]
    question = Prompt(entry["title"], entry["body"], entry["confirm"], entry["cancel"], warning.locale)
    return dataclasses.replace(warning, confirmation=question)
