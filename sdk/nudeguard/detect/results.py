"""What a guard answers: a classification, a video's classification, and the verdicts of the
chat client's hooks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Tuple

import numpy as np

from ..errors import NudeguardError
from ..safety.policy import Action
from ..safety.wording import SafetyWarning

if TYPE_CHECKING:
    from ..hashing.hash_list import HashMatch

__all__ = ["Box", "Classification", "IncomingVerdict", "OutgoingVerdict", "VideoClassification"]


@dataclass(frozen=True)
class Box:
    """A rectangle in the image's pixels: columns ``left`` to ``right`` and rows ``top`` to
    ``bottom``, ends excluded."""

    left: int
    top: int
    right: int
    bottom: int


@dataclass(frozen=True)
class Classification:
    """The model's answer for one image."""

    score: float
    """Probability of the sensitive class, 0 to 1."""
    label: str
    """The most likely label of the model's card (``"sfw"`` or ``"nsfw"``)."""
    sensitive: bool
    """``score >= threshold`` of the guard that produced it."""
    fired_windows: Optional[Tuple[Box, ...]] = None
    """With a window model (a card with a ``windows`` section): the windows whose score
    reached the threshold, highest first, in the image's pixels (empty when none did); one
    inference saw the whole frame. ``None`` with a fixed-size model, which scores the frame
    as a whole."""


@dataclass(frozen=True)
class OutgoingVerdict:
    """What to do with an image the user is about to send."""

    action: Action
    """``ALLOW``: send it. ``CONFIRM``: show ``warning`` and send only on "send anyway".
    ``BLOCK``: the image is on the guard's hash list; show ``warning`` and do not send it."""
    score: Optional[float]
    """Highest sensitive-class probability over the frames and tiles checked; ``None``
    when the check failed."""
    warning: Optional[SafetyWarning]
    """Set exactly when ``action`` is ``CONFIRM`` or ``BLOCK``; worded for the sender's age."""
    error: Optional[NudeguardError] = None
    """Why the check failed (undecodable image, model error). A protected sender's image
    is then treated as sensitive (``CONFIRM``); an unprotected adult's is allowed."""
    sensitive: bool = False
    """The model found the image sensitive (``False`` when the check failed)."""
    hash_match: Optional[HashMatch] = None
    """The ``hash_list`` entry the image matched (nearest first: ``id``, ``distance``,
    ``transform``), which makes the action ``BLOCK``; ``None`` without a match."""


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
    """Set exactly when ``action`` is ``VEIL``; worded for the recipient's age, and saying the
    image was reported as shared without consent when it matched the hash list."""
    veiled: Optional[np.ndarray]
    """When ``action`` is ``VEIL``: :func:`nudeguard.veil` of the image (the first frame of
    an animation) at ``preview_size``, as an HxWx3 uint8 array in **BGR** order (like
    OpenCV; ``veiled[..., ::-1]`` for RGB). ``None`` when the action is ``SHOW`` or the
    image could not be decoded at all (the client then shows a placeholder)."""
    error: Optional[NudeguardError] = None
    """Why the check failed. A protected recipient's image is then veiled anyway."""
    sensitive: bool = False
    """The model found the image sensitive (``False`` when the check failed)."""
    hash_match: Optional[HashMatch] = None
    """The ``hash_list`` entry the image matched, which veils it for every recipient."""


@dataclass(frozen=True)
class VideoClassification:
    """The model's answer for a video file or an animation."""

    score: float
    """Highest sensitive-class probability over the frames checked."""
    sensitive: bool
    """Some checked frame scored at or above the guard's threshold."""
    sensitive_timestamps_ms: Tuple[int, ...]
    """Presentation times of the sensitive frames, in order. Only the first one unless
    ``check_video(..., stop_at_first_sensitive=False)``."""
    frames_checked: int
    """Sampled frames the model classified."""
    frames_skipped_as_duplicates: int
    """Sampled frames that were near duplicates of the last classified frame and took its score."""
    frame_count: int
    """Frames in the video as its header declares them (for a variable frame rate, the
    container's estimate: duration x average rate)."""
    duration_ms: int
    """Length of the video as its header declares it (sum of frame delays for animations)."""
    width: int
    height: int
