"""The chat demo's video call: every nudeguard call of it, turned into what its page renders.

The caller's camera frames go through a ``CallGuard``: what comes out is what would be
transmitted. In a real client this runs on the caller's own device, between the camera and
the encoder; the demo's server stands in for it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

import cv2
import numpy as np

import nudeguard
from nudeguard import CallFrame, CallGuard, CallMode, CallOptions, Person

from client_hooks import as_json


def start_call(caller: Person, mode: str, locale: str) -> CallGuard:
    """The call guard for the caller's outgoing camera, one per call (``close()`` at hang-up):
    ``mode`` ``"strict"`` (the default for a protected user: a frame leaves only once a check
    says the camera is clean) or ``"low_latency"`` (frames leave at once, the veil follows
    within a check)."""
    return CallGuard(CallOptions(sender=caller, mode=CallMode(mode), locale=locale))


def camera_frame(call: CallGuard, jpeg: bytes, timestamp_ms: int) -> Tuple[np.ndarray, List[CallFrame]]:
    """One frame of the caller's camera (a JPEG from the page) through the call guard: the
    frame as decoded, and the frames that may be transmitted now, each the original or its veil."""
    frame = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if frame is None:
        raise nudeguard.ImageError("a camera frame must be a JPEG image")
    return frame, call.process(frame, timestamp_ms, color_order="BGR")


def call_status(call: CallGuard) -> Dict[str, Any]:
    """What the caller's page shows: the state (``"clear"``, ``"veiled"``, ``"resumed"``) and,
    while not clear, the warning with its "resume anyway" (``confirm_label``)."""
    return {"state": call.state.value, "warning": as_json(call.warning)}


def resume_call(call: CallGuard, confirmed: bool) -> None:
    """The caller chose "resume anyway". Under 18 (or age unknown) only ``confirmed`` after the
    warning's ``confirmation`` question was answered yes; else :class:`nudeguard.PolicyError`."""
    call.resume_anyway(confirmed=confirmed)
