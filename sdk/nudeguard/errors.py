"""Exception hierarchy: every failure the SDK reports is a ``NudeguardError``."""

from __future__ import annotations

__all__ = ["NudeguardError", "ImageError", "ModelError", "PolicyError"]


class NudeguardError(Exception):
    """Base class of every error raised by nudeguard."""


class ImageError(NudeguardError, ValueError):
    """The input could not be turned into pixels: missing, empty, undecodable,
    unsupported or too large. The message names the input."""


class ModelError(NudeguardError, RuntimeError):
    """The model or its card could not be loaded, or inference failed."""


class PolicyError(NudeguardError, ValueError):
    """A policy input is invalid, e.g. a :class:`~nudeguard.Person` with age -3 or 300."""


def closed_guard_error() -> ValueError:
    """What a closed Guard's methods raise: a programmer error, so a plain ``ValueError``."""
    return ValueError("this Guard is closed; create a new one with nudeguard.Guard()")
