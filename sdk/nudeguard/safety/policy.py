"""Who is protected, and what a verdict tells the client to do.

The rules, modelled on what Instagram and Apple ship:

* Under 18, or age unknown: protection is always on. Nothing the caller passes switches
  it off (``opted_in=False`` does not).
* 18 or older: protected only with ``opted_in=True``; ask with :meth:`Policy.opt_in_prompt`.
* Protected and the image is sensitive: outgoing → ``CONFIRM``, incoming → ``VEIL``.
* Protected and the check itself failed (undecodable image, model error): the image is
  treated as sensitive (fail closed), and the error is attached to the verdict.
* Not protected: ``ALLOW`` / ``SHOW``, always; a failed check is reported in ``error``.
* An image on the guard's hash list (reported as shared without consent, as Take It Down and
  StopNCII lists are), for every age: outgoing → ``BLOCK``, incoming → ``VEIL``.
"""

from __future__ import annotations

import enum
import numbers
from dataclasses import dataclass
from typing import Optional

from ..errors import PolicyError
from .wording import AgeGroup, Prompt, opt_in_prompt, resolve_locale

__all__ = ["ADULT_AGE", "MAX_AGE", "Action", "AgeGroup", "Person", "Policy", "age_group", "require_person"]

#: Age from which a person is an adult.
ADULT_AGE = 18
#: Oldest age accepted; anything above is a caller bug.
MAX_AGE = 130


class Action(enum.Enum):
    """What the client does with an image."""

    ALLOW = "allow"
    """Outgoing: send it."""
    CONFIRM = "confirm"
    """Outgoing: show the verdict's warning and send only if the user taps "send anyway"."""
    SHOW = "show"
    """Incoming: display it."""
    VEIL = "veil"
    """Incoming: display the verdict's ``veiled`` image with its warning; reveal the original
    only after "view" and the "are you sure?" confirmation."""
    BLOCK = "block"
    """Outgoing: the image is on the hash list of images reported as shared without consent.
    Do not send it, whatever the user taps: show the verdict's warning, whose
    ``cancel_label`` closes it and ``confirm_label`` ("Get help") opens its tips and resources."""


@dataclass(frozen=True)
class Person:
    """The user sending or receiving an image.

    ``age`` in years, or ``None`` when unknown (treated like a minor). ``opted_in`` turns
    protection on for an adult; for minors and unknown ages it is always on.
    Raises :class:`PolicyError` for an impossible age (negative, over 130, not an integer).
    """

    age: Optional[int]
    opted_in: bool = False

    def __post_init__(self) -> None:
        age = self.age
        if age is not None:
            if isinstance(age, bool) or not isinstance(age, numbers.Integral):
                raise PolicyError(f"Person.age must be a whole number of years or None, got {age!r}")
            if not 0 <= age <= MAX_AGE:
                raise PolicyError(f"Person.age must lie in 0..{MAX_AGE}, got {age}; pass None if unknown")
            object.__setattr__(self, "age", int(age))
        if not isinstance(self.opted_in, bool):
            raise PolicyError(f"Person.opted_in must be True or False, got {self.opted_in!r}")

    @property
    def age_group(self) -> AgeGroup:
        return age_group(self.age)

    @property
    def protected(self) -> bool:
        """Whether sensitive images are confirmed/veiled for this person."""
        return self.age_group is not AgeGroup.ADULT or self.opted_in


def age_group(age: Optional[int]) -> AgeGroup:
    """The one age rule: under :data:`ADULT_AGE` a minor, unknown treated apart (and like a
    minor wherever protection is decided)."""
    if age is None:
        return AgeGroup.UNKNOWN
    return AgeGroup.ADULT if age >= ADULT_AGE else AgeGroup.MINOR


def require_person(person: object, role: str) -> Person:
    """``person``, if it is a :class:`Person`; a :class:`PolicyError` naming ``role`` otherwise."""
    if not isinstance(person, Person):
        raise PolicyError(f"{role} must be a nudeguard.Person, e.g. Person(age=15), got {type(person).__name__}")
    return person


class Policy:
    """The age policy and its localized opt-in prompt. ``guard.policy`` has the guard's locale."""

    def __init__(self, locale: Optional[str] = None) -> None:
        self._locale = resolve_locale(locale)

    @property
    def locale(self) -> str:
        """The catalogue in use (``"en"``, ``"de"``)."""
        return self._locale

    def opt_in_prompt(self, locale: Optional[str] = None) -> Prompt:
        """The question to show an adult before setting ``Person(age, opted_in=True)``."""
        return opt_in_prompt(locale or self._locale)

    @staticmethod
    def outgoing_action(sender: Person, sensitive: bool, failed: bool = False, listed: bool = False) -> Action:
        """``BLOCK`` for an image on the hash list (``listed``), whoever sends it; ``CONFIRM``
        for a protected sender whose image is sensitive or could not be checked."""
        protected = require_person(sender, "sender").protected
        if listed:
            return Action.BLOCK
        return Action.CONFIRM if protected and (sensitive or failed) else Action.ALLOW

    @staticmethod
    def incoming_action(recipient: Person, sensitive: bool, failed: bool = False, listed: bool = False) -> Action:
        """``VEIL`` for an image on the hash list (``listed``), whoever receives it, and for a
        protected recipient when the image is sensitive or could not be checked."""
        protected = require_person(recipient, "recipient").protected
        return Action.VEIL if listed or (protected and (sensitive or failed)) else Action.SHOW
