"""Localized warnings, returned as structured data so a client renders them natively.

The texts live in message catalogues, ``nudeguard/locales/<language>.json`` (English, German,
Spanish, French, Italian, Portuguese), shipped as package data: image warnings, the chat
notices (``conversation``), safety tips and where to get help. Every catalogue has the same keys
and the same ``{placeholders}`` as the English one (a test checks it); only ``local_services``
differs. An unknown language falls back to English; ``"de-AT"``, ``"de_AT.UTF-8"`` and ``"DE"``
all select German.

``local_services`` lists helplines (someone to talk to) and reporting services (a hotline or
the police) per country, each with the URL of the page that confirms it (``source``), and a
default country. The region of the locale tag picks the country (``"de-AT"`` → Austria,
``"pt-BR"`` → Brazil, ``"fr_CA.UTF-8"`` → Canada); a tag without a region gets the default
country, one with a region the catalogue does not list only the international services.
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
    "RESOURCE_KINDS",
    "AgeGroup",
    "Prompt",
    "Resource",
    "SafetyNotice",
    "SafetyWarning",
    "available_locales",
    "catalogue",
    "conversation_notice",
    "opt_in_prompt",
    "resolve_country",
    "resolve_locale",
    "resources_for",
    "warning_for",
]

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"

#: The catalogue every other one is checked against, and the fallback.
DEFAULT_LOCALE = "en"

#: The order safety tips are shown in.
TIP_KEYS = ("dont_pay", "dont_send_more", "stop_replying", "block", "report", "keep_evidence", "talk")

#: ``Resource.kind``: someone to talk to, a place to report illegal content or abuse (a hotline or
#: the police), or a service that gets intimate images taken down.
RESOURCE_KINDS = ("helpline", "report", "removal")

# A region subtag: two letters (ISO 3166-1) or three digits (UN M.49, e.g. "419" for Latin America).
_REGION = re.compile(r"[A-Za-z]{2}|[0-9]{3}")


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
    """Somewhere to get help: a service (with a link), a helpline (with a phone number, often a link too)."""

    name: str
    url: Optional[str]
    description: str
    phone: Optional[str] = None
    kind: Optional[str] = None
    """One of :data:`RESOURCE_KINDS`: ``"helpline"``, ``"report"`` or ``"removal"``."""
    source: Optional[str] = None
    """For a country's helplines and reporting services: the URL of the organisation's own page
    (or an official government page) that confirms the number and link. ``None`` for the
    international services (Take It Down, StopNCII, the CyberTipline)."""


@dataclass(frozen=True)
class Prompt:
    """A question with two buttons: ``confirm_label`` goes ahead, ``cancel_label`` is the safe choice."""

    title: str
    body: str
    confirm_label: str
    cancel_label: str
    locale: str


@dataclass(frozen=True)
class SafetyNotice:
    """What a client shows when something may be wrong: a title, a body, tips and where to get
    help. Message warnings are notices; image and call warnings are :class:`SafetyWarning`
    notices, which add two buttons."""

    title: str
    body: str
    tips_title: str
    tips: Tuple[str, ...]
    """Don't pay, don't send more, stop replying, block, report, keep evidence, talk to someone."""
    resources: Tuple[Resource, ...]
    """Removal services for the person's age (Take It Down under 18, StopNCII 18+, both when
    the age is unknown), the NCMEC CyberTipline, then the helplines and reporting services of
    the locale's country."""
    locale: str
    """The catalogue the texts come from (``"en"``, ``"de"``, ``"es"``, ``"fr"``, ``"it"``, ``"pt"``)."""


@dataclass(frozen=True)
class SafetyWarning(SafetyNotice):
    """What a client shows before sending or viewing a sensitive image (or while a call's
    camera is veiled).

    Render ``title`` and ``body`` with two buttons: ``cancel_label`` (the safe default, e.g.
    "Don't send" / "Keep hidden") and ``confirm_label`` ("Send anyway" / "View photo").
    For an incoming image, tapping confirm shows ``confirmation`` ("are you sure?") before
    the image is revealed. ``tips`` (headed ``tips_title``) and ``resources`` belong on the
    same screen or one tap away.
    """

    confirm_label: str
    cancel_label: str
    confirmation: Optional[Prompt] = None
    """Incoming images (and a minor's call): the "view anyway?" question asked after ``confirm_label``."""


@functools.lru_cache(maxsize=1)
def _languages() -> Tuple[str, ...]:
    return tuple(sorted(path.stem for path in LOCALES_DIR.glob("*.json")))


def available_locales() -> List[str]:
    """Languages with a catalogue: ``["de", "en", "es", "fr", "it", "pt"]``."""
    return list(_languages())


def _subtags(locale: Optional[str]) -> List[str]:
    """``"de_AT.UTF-8@euro"`` → ``["de", "AT"]``: the tag without its encoding and modifier."""
    if not locale:
        return []
    if not isinstance(locale, str):
        raise TypeError(f"locale must be a string such as 'en' or 'de-AT', got {type(locale).__name__}")
    tag = re.split(r"[.@]", locale.strip(), maxsplit=1)[0]
    return [part for part in re.split(r"[-_]", tag) if part]


def resolve_locale(locale: Optional[str]) -> str:
    """The catalogue for a locale tag: ``"de-AT"`` → ``"de"``; unknown or ``None`` → ``"en"``."""
    subtags = _subtags(locale)
    language = subtags[0].lower() if subtags else DEFAULT_LOCALE
    return language if language in _languages() else DEFAULT_LOCALE


def resolve_country(locale: Optional[str]) -> Optional[str]:
    """The country whose helplines a locale tag gets, within its catalogue: ``"de-AT"`` → ``"AT"``,
    ``"fr_CA.UTF-8"`` → ``"CA"``; no region → the catalogue's default country (``"de"`` →
    ``"DE"``); a region the catalogue does not list (``"es-MX"``, ``"de-US"``, ``"es-419"``) →
    ``None``: another country's short codes would not work there, so only the international
    services are shown."""
    services = catalogue(resolve_locale(locale))["local_services"]
    # The region is the first subtag after the language that is not a script ("zh-Hant-TW").
    regions = [part.upper() for part in _subtags(locale)[1:] if _REGION.fullmatch(part)]
    if not regions:
        return services["default_country"]  # type: ignore[no-any-return]
    return regions[0] if regions[0] in services["countries"] else None


@functools.lru_cache(maxsize=None)
def catalogue(language: str) -> Dict[str, Any]:
    """The parsed catalogue of a resolved language (cached; do not mutate)."""
    with open(LOCALES_DIR / f"{language}.json", encoding="utf-8") as stream:
        return json.load(stream)  # type: ignore[no-any-return]


def _prompt(entry: Dict[str, str], locale: str) -> Prompt:
    return Prompt(entry["title"], entry["body"], entry["confirm"], entry["cancel"], locale)


def _resource(entry: Dict[str, str]) -> Resource:
    return Resource(name=entry["name"], url=entry.get("url"), description=entry["description"],
                    phone=entry.get("phone"), kind=entry["kind"], source=entry.get("source"))


def resources_for(group: AgeGroup, locale: Optional[str]) -> Tuple[Resource, ...]:
    """Help for a person of ``group``: Take It Down (under 18 or unknown), StopNCII (18+ or
    unknown), the NCMEC CyberTipline, then the helplines and reporting services of the
    locale's country (:func:`resolve_country`). Pass the full tag (``"de-AT"``), not just the
    language, or the country is the catalogue's default."""
    cat = catalogue(resolve_locale(locale))
    keys = []
    if group in (AgeGroup.MINOR, AgeGroup.UNKNOWN):
        keys.append("take_it_down")
    if group in (AgeGroup.ADULT, AgeGroup.UNKNOWN):
        keys.append("stopncii")
    keys.append("cybertipline")
    found = [_resource(cat["resources"][key]) for key in keys]
    country = resolve_country(locale)
    if country is not None:
        found += [_resource(entry) for entry in cat["local_services"]["countries"][country]]
    return tuple(found)


def _notice_fields(entry: Dict[str, str], group: AgeGroup, locale: Optional[str]) -> Dict[str, Any]:
    language = resolve_locale(locale)
    cat = catalogue(language)
    return dict(title=entry["title"], body=entry["body"], tips_title=cat["tips_title"],
                tips=tuple(cat["tips"][key] for key in TIP_KEYS), resources=resources_for(group, locale),
                locale=language)


@functools.lru_cache(maxsize=256)
def warning_for(direction: str, group: AgeGroup, locale: Optional[str]) -> SafetyWarning:
    """The warning for ``direction`` ``"outgoing"``, ``"incoming"``, ``"call"``, ``"blocked"``
    (an outgoing image on the hash list) or ``"reported"`` (an incoming one), built once per
    direction, age group and locale. Unknown ages get the minor wording; the locale's region
    picks the country of the helplines."""
    language = resolve_locale(locale)
    cat = catalogue(language)
    entry = cat[direction]["adult" if group is AgeGroup.ADULT else "minor"]
    confirmation = _prompt(cat["view_anyway"], language) if direction in ("incoming", "reported") else None
    return SafetyWarning(**_notice_fields(entry, group, locale), confirm_label=entry["confirm"],
                         cancel_label=entry["cancel"], confirmation=confirmation)


@functools.lru_cache(maxsize=256)
def conversation_notice(urgent: bool, group: AgeGroup, locale: Optional[str]) -> SafetyNotice:
    """The notice of a conversation at :attr:`~nudeguard.RiskLevel.WARN` (or ``urgent``),
    worded for the reader's age group (built once per level, age group and locale)."""
    cat = catalogue(resolve_locale(locale))
    entry = cat["conversation"]["urgent" if urgent else "warn"]["adult" if group is AgeGroup.ADULT else "minor"]
    return SafetyNotice(**_notice_fields(entry, group, locale))


def opt_in_prompt(locale: Optional[str]) -> Prompt:
    """The question to ask an adult before turning protection on."""
    language = resolve_locale(locale)
    return _prompt(catalogue(language)["opt_in"], language)
