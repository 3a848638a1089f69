"""Exception hierarchy: every failure the SDK reports is a ``NudeguardError``."""

from __future__ import annotations

__all__ = ["ClosedGuardError", "HashListError", "ImageError", "ModelError", "NudeguardError", "PolicyError"]


class NudeguardError(Exception):
    """Base class of every error raised by nudeguard."""


class ImageError(NudeguardError, ValueError):
    """The input could not be turned into pixels: missing, empty, undecodable,
    unsupported or too large. The message names the input."""


class ModelError(NudeguardError, RuntimeError):
    """The model or its card could not be loaded, or inference failed."""


class PolicyError(NudeguardError, ValueError):
    """A policy input is invalid, e.g. a :class:`~nudeguard.Person` with age -3 or 300."""


class HashListError(NudeguardError, ValueError):
    """A hash list or hash string is malformed; the message names the file and line."""


class ClosedGuardError(NudeguardError, ValueError):
    """A method of a closed guard was called: a programmer error, hence also a ``ValueError``."""


def closed_guard_error() -> ClosedGuardError:
    """What a closed guard's methods raise."""
    return ClosedGuardError("this Guard is closed; create a new one with nudeguard.Guard()")
