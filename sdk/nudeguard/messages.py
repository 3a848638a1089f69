"""Localized warnings, returned as structured data so a client renders them natively.

The texts live in message catalogues, ``nudeguard/locales/<language>.json`` (English and
German), shipped as package data. Every catalogue has the same keys and the same
``{placeholders}`` as the English one (a test checks it); only ``helplines`` differs per
locale. An unknown locale falls back to English; ``"de-AT"``, ``"de_AT.UTF-8"`` and ``"DE"``
all select German.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

__all__ = [
    "DEFAULT_LOCALE",
    "AgeGroup",
    "Prompt",
    "Resource",
    "SafetyWarning",
    "available_locales",
    "resolve_locale",
]

LOCALES_DIR = Path(__file__).resolve().parent / "locales"

#: The catalogue every other one is checked against, and the fallback.
DEFAULT_LOCALE = "en"

#: The order safety tips are shown in.
TIP_KEYS = ("dont_pay", "dont_send_more", "stop_replying", "block", "report", "keep_evidence", "talk")


class AgeGroup(enum.Enum):
    """Which wording and which resources a person gets."""

    MINOR = "minor"
    """Under 18."""
    ADULT = "adult"
    """18 or older."""
    UNKNOWN = "unknown"
    """Age not known: protected and worded like a minor, with both removal services listed."""


@dataclass(frozen=True)
class Resource:
    """Somewhere to get help: a service (with a link) or a helpline (with a phone number)."""

    name: str
    url: Optional[str]
    description: str
    phone: Optional[str] = None


@dataclass(frozen=True)
class Prompt:
    """A question with two buttons: ``confirm_label`` goes ahead, ``cancel_label`` is the safe choice."""

    title: str
    body: str
    confirm_label: str
    cancel_label: str
    locale: str


@dataclass(frozen=True)
class SafetyWarning:
    """What a client shows before sending or viewing a sensitive image.

    Render ``title`` and ``body`` with two buttons: ``cancel_label`` (the safe default, e.g.
    "Don't send" / "Keep hidden") and ``confirm_label`` ("Send anyway" / "View photo").
    For an incoming image, tapping confirm shows ``confirmation`` ("are you sure?") before
    the image is revealed. ``tips`` (headed ``tips_title``) and ``resources`` belong on the
    same screen or one tap away.
    """

    title: str
    body: str
    confirm_label: str
    cancel_label: str
    tips_title: str
    tips: Tuple[str, ...]
    """Don't pay, don't send more, stop replying, block, report, keep evidence, talk to someone."""
    resources: Tuple[Resource, ...]
    """Removal services for the person's age (Take It Down under 18, StopNCII 18+), the NCMEC
    CyberTipline, then the locale's helplines."""
    locale: str
    """The catalogue the texts come from (``"en"``, ``"de"``)."""
    confirmation: Optional[Prompt] = None
    """Incoming images only: the "view anyway?" question asked after ``confirm_label``."""


def available_locales() -> List[str]:
    """Languages with a catalogue, e.g. ``["de", "en"]``."""
    return sorted(path.stem for path in LOCALES_DIR.glob("*.json"))


def resolve_locale(locale: Optional[str]) -> str:
    """The catalogue for a locale tag: ``"de-AT"`` → ``"de"``; unknown or ``None`` → ``"en"``."""
    if not locale:
        return DEFAULT_LOCALE
    if not isinstance(locale, str):
        raise TypeError(f"locale must be a string such as 'en' or 'de-AT', got {type(locale).__name__}")
    language = re.split(r"[-_.@]", locale.strip(), maxsplit=1)[0].lower()
    return language if language in available_locales() else DEFAULT_LOCALE


@functools.lru_cache(maxsize=None)
def catalogue(language: str) -> Dict[str, Any]:
    """The parsed catalogue of a resolved language (cached; do not mutate)."""
    with open(LOCALES_DIR / f"{language}.json", encoding="utf-8") as stream:
        return json.load(stream)  # type: ignore[no-any-return]


def _prompt(entry: Dict[str, str], locale: str) -> Prompt:
    return Prompt(entry["title"], entry["body"], entry["confirm"], entry["cancel"], locale)


def _resource(entry: Dict[str, str]) -> Resource:
    return Resource(name=entry["name"], url=entry.get("url"), description=entry["description"],
                    phone=entry.get("phone"))


def resources_for(group: AgeGroup, locale: Optional[str]) -> Tuple[Resource, ...]:
    """Help for a person of ``group``: Take It Down (under 18 or unknown), StopNCII (18+ or
    unknown), the NCMEC CyberTipline, then the locale's helplines."""
    language = resolve_locale(locale)
    cat = catalogue(language)
    keys = []
    if group in (AgeGroup.MINOR, AgeGroup.UNKNOWN):
        keys.append("take_it_down")
    if group in (AgeGroup.ADULT, AgeGroup.UNKNOWN):
        keys.append("stopncii")
    keys.append("cybertipline")
    found = [_resource(cat["resources"][key]) for key in keys]
    found += [_resource(entry) for entry in cat["helplines"].values()]
    return tuple(found)


def warning_for(direction: str, group: AgeGroup, locale: Optional[str]) -> SafetyWarning:
    """The warning for ``direction`` ``"outgoing"`` or ``"incoming"``. Unknown ages get the
    minor wording."""
    language = resolve_locale(locale)
    cat = catalogue(language)
    wording = "adult" if group is AgeGroup.ADULT else "minor"
    entry = cat[direction][wording]
    return SafetyWarning(
        title=entry["title"],
        body=entry["body"],
        confirm_label=entry["confirm"],
        cancel_label=entry["cancel"],
        tips_title=cat["tips_title"],
        tips=tuple(cat["tips"][key] for key in TIP_KEYS),
        resources=resources_for(group, language),
        locale=language,
        confirmation=_prompt(cat["view_anyway"], language) if direction == "incoming" else None,
    )


def opt_in_prompt(locale: Optional[str]) -> Prompt:
    """The question to ask an adult before turning protection on."""
    language = resolve_locale(locale)
    return _prompt(catalogue(language)["opt_in"], language)
