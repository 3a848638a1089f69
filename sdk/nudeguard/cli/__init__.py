"""The ``nudeguard`` command: one parser, one set of exit codes (:mod:`.contract`)."""

from .main import main

__all__ = ["main"]
