"""What every ``nudeguard`` subcommand shares: exit codes and the wording of bad values."""

from __future__ import annotations

import argparse
import math
import re
from typing import Callable, Optional

from ..safety.policy import MAX_AGE
from ..safety.wording import available_locales

__all__ = ["CONTRACT", "EXIT_BAD_INPUT", "EXIT_FOUND", "EXIT_OK", "age", "locale", "positive_int", "real"]

EXIT_OK = 0
"""Every input was read and nothing was found."""
EXIT_FOUND = 1
"""Something was found: a sensitive file, a hash match, a warning in a message, a slower stage."""
EXIT_BAD_INPUT = 2
"""An input could not be read, or the command was used wrongly. Wins over ``EXIT_FOUND``."""

#: The contract, as ``nudeguard --help`` shows it (the README's "Command line" has the same table).
CONTRACT = """\
Every subcommand (stdout: results; stderr: one "nudeguard: ..." line per error or note):

  command       text output, tab-separated              --json                      exit 1 when
  check         PATH SCORE LABEL VERDICT ACTION AT       an object per file          a file is sensitive
                (one line per file)
  match         PATH DISTANCE TRANSFORM HASH ID          an object per file          anything matched
                (one line per match)
  hash          PDQ QUALITY MD5 PATH (per image or       one hash-only report        -
                per second of a video)
  message       LEVEL, then a line per signal            one object                  level WARN or URGENT
  conversation  N LEVEL SENDER KINDS (per message)       an object per message       WARN or URGENT reached
  blur, veil    nothing: the image goes to OUT           -                           -
  bench         tables                                   one report                  a stage regressed
  info          the build report                         -                           -

A column that does not apply holds "-". check --json and match --json print an object per file
with the same keys for every file: null where a value does not apply, "error" saying why the
file could not be read (else null); hash --json leaves such a file out of its report.
Exit status: 0 nothing found, 1 found, 2 an input could not be read or bad usage (2 wins).
"""


def _number_error(what: str, text: str) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(f"expected {what}, got {text!r}")


def age(text: str) -> int:
    """An age in years, 0 to 130."""
    if not re.fullmatch(r"\s*\d+\s*", text) or int(text) > MAX_AGE:
        raise _number_error(f"an age in whole years from 0 to {MAX_AGE}", text)
    return int(text)


def positive_int(text: str) -> int:
    """A count of at least 1."""
    if not re.fullmatch(r"\s*\d+\s*", text) or int(text) < 1:
        raise _number_error("a whole number of at least 1", text)
    return int(text)


def real(what: str, low: float, high: float, *, low_open: bool = False) -> Callable[[str], float]:
    """A number in [low, high] (``(low, high]`` with ``low_open``); ``what`` names it in the error."""
    bracket = "(" if low_open else "["

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and (low < value if low_open else low <= value) and value <= high):
            raise _number_error(f"{what}, a number in {bracket}{low:g}, {high:g}]", text)
        return value

    return parse


def locale(text: str) -> str:
    """A locale whose language has notices (``de``, ``de-AT``, ``pt_BR``): an unknown one is an
    error, not a silent fall back to English."""
    language: Optional[str] = (re.split(r"[-_.@]", text.strip(), maxsplit=1)[0] or None) if text else None
    if language is None or language.lower() not in available_locales():
        raise argparse.ArgumentTypeError(
            f"no notices in {text!r}; languages: {', '.join(available_locales())} (a country may follow: de-AT)")
    return text
