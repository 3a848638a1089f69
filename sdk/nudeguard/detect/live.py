"""The live stream: camera frames classified on one inference thread of the guard's, the
newest frame first."""

from __future__ import annotations

import threading
from typing import Any, Callable, Optional, Tuple

from ..errors import ClosedGuardError, NudeguardError, closed_guard_error
from ..media.pixels import Pixels
from .options import LiveStreamCallback

__all__ = ["LiveStream"]


class LiveStream:
    """One inference thread for a LIVE_STREAM guard, with a one-frame slot: a frame that
    arrives while the model is busy replaces the waiting one (the older is dropped), so
    results follow the camera instead of falling behind it."""

    def __init__(self, infer: Callable[[Pixels], Any], callback: LiveStreamCallback) -> None:
        self._infer = infer
        self._callback = callback
        self._slot: Optional[Tuple[Pixels, int]] = None
        self._condition = threading.Condition()
        self._stopped = False
        self._callback_error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, name="nudeguard-live-stream", daemon=True)
        self._thread.start()

    def submit(self, pixels: Pixels, timestamp_ms: int) -> None:
        with self._condition:
            self._raise_callback_error()
            if self._stopped:
                raise closed_guard_error()
            self._slot = (pixels, timestamp_ms)
            self._condition.notify()

    def _raise_callback_error(self) -> None:
        error, self._callback_error = self._callback_error, None
        if error is not None:
            raise error

    def _run(self) -> None:
        while True:
            with self._condition:
                while self._slot is None and not self._stopped:
                    self._condition.wait()
                if self._slot is None:
                    return  # stopped, nothing left
                (pixels, timestamp_ms), self._slot = self._slot, None
            try:
                result: Any = self._infer(pixels)
            except ClosedGuardError:
                return  # the guard was closed while this frame waited for an interpreter
            except NudeguardError as exc:
                result = exc
            try:
                self._callback(result, pixels.array, timestamp_ms)
            except Exception as exc:  # the caller's bug: raised by their next call
                with self._condition:
                    self._callback_error = exc

    def close(self) -> None:
        """Take no more frames, finish the one being classified and the one waiting (so the
        latest frame always gets its callback), then stop the thread. Re-raises an exception
        the callback raised that no call has reported yet."""
        with self._condition:
            self._stopped = True
            self._condition.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join()
        with self._condition:
            self._raise_callback_error()
