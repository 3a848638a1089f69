"""Warning signs of sextortion in chat text: single messages and whole conversations.

    >>> import nudeguard
    >>> risk = nudeguard.check_message("pay me $300 or I send your nudes to all your followers")
    >>> risk.level
    <RiskLevel.URGENT: 3>
    >>> sorted(s.kind.value for s in risk.signals)
    ['money', 'threat']

Rules are data: ``nudeguard/signals/<language>.json`` holds, per :class:`SignalKind`, a list
of regular expressions written against normalized text (see :mod:`nudeguard._textnorm`:
lower case, Latin letters, l33t and split letters joined, emoji as words). A new language
is a new file. In a pattern a space means "one or more non-word characters", ``" ?"``
"zero or more", and ``ä ö ü ß`` also match ``ae oe ue ss``. Every pattern is anchored at a
word start. ``triggers`` lists word prefixes of which at least one must occur for any rule
of the file to run (the fast path for ordinary chat lines; a test checks it loses nothing).

Everything runs on the device; nothing is sent anywhere.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ._textnorm import normalize, original_span

__all__ = [
    "ConversationMonitor",
    "MessageRisk",
    "RiskLevel",
    "SafetyNotice",
    "Signal",
    "SignalKind",
    "check_message",
    "signal_languages",
]

SIGNALS_DIR = Path(__file__).resolve().parent / "signals"


class SignalKind(enum.Enum):
    """What a matched piece of text does."""

    THREAT = "threat"
    """Threatens to share or publish images or videos of the person."""
    MONEY = "money"
    """Demands money: payment services, gift cards, crypto, amounts."""
    IMAGE_REQUEST = "image_request"
    """Asks for intimate or nude images."""
    PRESSURE = "pressure"
    """Urgency and deadlines: "you have 2 hours", "last chance", "answer now"."""
    SECRECY = "secrecy"
    """Asks to keep it secret: "don't tell your parents", "delete the chat"."""
    PLATFORM = "platform"
    """Moves the conversation to another app: "add me on snap", "let's talk on telegram"."""
    CLAIMS_IMAGES = "claims_images"
    """Claims to already have images or recordings of the person."""


class RiskLevel(enum.IntEnum):
    """How worried to be. A client shows the safety notice from ``WARN``."""

    NONE = 0
    CAUTION = 1
    """Some warning sign, but ordinary conversations produce these too. Show nothing."""
    WARN = 2
    """Looks like grooming or a threat: show the safety notice."""
    URGENT = 3
    """Looks like sextortion in progress (a threat together with a demand): show the notice
    prominently, offer to report and to save evidence."""


@dataclass(frozen=True)
class Signal:
    """One warning sign found in a message."""

    kind: SignalKind
    start: int
    """Span of the sign in the original message text: ``text[start:end]``."""
    end: int
    reason: str
    """A short explanation in the rule file's language, e.g. "threatens to share images"."""
    weight: int = 2
    """1 for signs ordinary chats produce too ("pay me"), 2 for clear ones."""
    language: str = ""
    """The rule file that matched (``"en"``, ``"de"``)."""
    message: Optional[int] = None
    """In a :class:`ConversationMonitor`: the index of the message (0 = first added)."""


@dataclass(frozen=True)
class SafetyNotice:
    """What a client shows from :attr:`RiskLevel.WARN`: a title, a body, tips and where to get help."""

    title: str
    body: str
    tips_title: str
    tips: Tuple[str, ...]
    """Don't pay, don't send more, stop replying, block, report, keep evidence, get help."""
    resources: Tuple[Any, ...]
    """Take It Down (under 18 or age unknown), StopNCII (18+ or unknown), NCMEC CyberTipline,
    then the locale's helplines (Germany: Nummer gegen Kummer, Hilfetelefon Sexueller Missbrauch)."""
    locale: str


@dataclass(frozen=True)
class MessageRisk:
    """The risk of one message, or of a conversation so far."""

    level: RiskLevel
    signals: Tuple[Signal, ...] = ()
    sender: Optional[str] = None
    """:class:`ConversationMonitor`: the sender the level comes from."""
    notice: Optional[SafetyNotice] = None
    """Set from ``WARN`` up: the localized safety notice."""

    def kinds(self) -> frozenset:  # type: ignore[type-arg]
        """The distinct kinds of signal present."""
        return frozenset(s.kind for s in self.signals)


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class _Rules:
    language: str
    by_kind: Tuple[Tuple[SignalKind, "re.Pattern[str]", Tuple[Tuple[int, str], ...]], ...]
    triggers: "re.Pattern[str]"
    notice: Dict[str, Any] = field(hash=False, compare=False)


def _translate_pattern(pattern: str) -> str:
    out = pattern.replace(" ?", r"\W*").replace(" ", r"\W+")
    for ch, alt in (("ä", "(?:ae|a)"), ("ö", "(?:oe|o)"), ("ü", "(?:ue|u)"), ("ß", "(?:ss|ß)")):
        out = out.replace(ch, alt)
    return out


def signal_languages() -> List[str]:
    """Languages with a rule file, e.g. ``["de", "en"]``."""
    return list(_languages())


@functools.lru_cache(maxsize=1)
def _languages() -> Tuple[str, ...]:
    return tuple(sorted(p.stem for p in SIGNALS_DIR.glob("*.json")))


@functools.lru_cache(maxsize=None)
def _rules(language: str) -> _Rules:
    with open(SIGNALS_DIR / f"{language}.json", encoding="utf-8") as stream:
        data = json.load(stream)
    reasons = data.get("reasons", {})
    by_kind = []
    for kind in SignalKind:
        entries = data["rules"].get(kind.value, [])
        if not entries:
            continue
        alternatives = []
        meta = []
        for i, entry in enumerate(entries):
            if isinstance(entry, str):
                entry = {"pattern": entry}
            alternatives.append(f"(?P<r{i}>{_translate_pattern(entry['pattern'])})")
            meta.append((int(entry.get("weight", 2)), entry.get("reason", reasons.get(kind.value, kind.value))))
        regex = re.compile(r"(?<![a-zß])(?:" + "|".join(alternatives) + ")")
        by_kind.append((kind, regex, tuple(meta)))
    triggers = re.compile(r"(?<![a-zß])(?:" + "|".join(_translate_pattern(t) for t in data["triggers"]) + r")|[$€£]")
    return _Rules(language, tuple(by_kind), triggers, data.get("notice", {}))


@functools.lru_cache(maxsize=64)
def _rule_sets(locale: Optional[str]) -> Tuple[_Rules, ...]:
    languages = _languages()
    if locale:
        language = re.split(r"[-_.@]", locale.strip(), maxsplit=1)[0].lower()
        if language in languages:
            return (_rules(language),)
    return tuple(_rules(lang) for lang in languages)


def _find(text: str, rule_sets: Sequence[_Rules], prefilter: bool = True) -> List[Signal]:
    norm, offsets = normalize(text)
    found: List[Signal] = []
    for rules in rule_sets:
        if prefilter and rules.triggers.search(norm) is None:
            continue
        for kind, regex, meta in rules.by_kind:
            for m in regex.finditer(norm):
                weight, reason = meta[int(m.lastgroup[1:])]  # type: ignore[index]
                start, end = original_span(offsets, m.start(), m.end())
                found.append(Signal(kind, start, end, reason, weight, rules.language))
    if len(found) > 1:
        found = _dedupe(found)
    found.sort(key=lambda s: (s.start, s.kind.value))
    return found


def _dedupe(signals: List[Signal]) -> List[Signal]:
    """Two languages matching the same span with the same kind: keep the heavier one (on a tie,
    the one in the language most signals came from)."""
    majority = _language_of(signals)
    best: Dict[Tuple[SignalKind, int, int], Signal] = {}
    for s in signals:
        key = (s.kind, s.start, s.end)
        old = best.get(key)
        if old is None or (s.weight, s.language == majority) > (old.weight, old.language == majority):
            best[key] = s
    kept = list(best.values())
    # A sign inside a stronger or equal sign of the same kind adds nothing ("$300" in "pay me $300").
    return [s for s in kept if not any(t is not s and t.kind is s.kind and t.start <= s.start and s.end <= t.end
                                       and t.weight >= s.weight for t in kept)]


# --------------------------------------------------------------------------- scoring


def _assess(weights: Dict[SignalKind, int], minor: bool) -> RiskLevel:
    """The level for the strongest weight seen per kind (see ConversationMonitor)."""
    if not weights:
        return RiskLevel.NONE
    K = SignalKind
    t, m, r = weights.get(K.THREAT, 0), weights.get(K.MONEY, 0), weights.get(K.IMAGE_REQUEST, 0)
    c, p = weights.get(K.CLAIMS_IMAGES, 0), weights.get(K.PRESSURE, 0)
    s, x = weights.get(K.SECRECY, 0), weights.get(K.PLATFORM, 0)
    demand = max(m, r, c)
    if t and demand and t + demand >= 3:
        return RiskLevel.URGENT
    if c >= 2 and m >= 2:
        return RiskLevel.URGENT
    if t >= 2:
        return RiskLevel.WARN
    if r >= 2 and (s or x or p or minor):
        return RiskLevel.WARN
    if c >= 2 and (p or s or m):
        return RiskLevel.WARN
    if len(weights) >= 3 and sum(weights.values()) >= 5:
        return RiskLevel.WARN
    return RiskLevel.CAUTION


def _weights(signals: Iterable[Signal]) -> Dict[SignalKind, int]:
    weights: Dict[SignalKind, int] = {}
    for s in signals:
        if s.weight > weights.get(s.kind, 0):
            weights[s.kind] = s.weight
    return weights


def _language_of(signals: Sequence[Signal], fallback: str = "en") -> str:
    counts: Dict[str, int] = {}
    for s in signals:
        counts[s.language] = counts.get(s.language, 0) + 1
    return max(sorted(counts), key=lambda k: counts[k]) if counts else fallback


def _notice(level: RiskLevel, language: str, age: Optional[int]) -> Optional[SafetyNotice]:
    if level < RiskLevel.WARN:
        return None
    from . import messages as catalogues  # the image warnings' catalogue: tips and resources

    language = catalogues.resolve_locale(language)
    if language not in signal_languages():
        language = "en"
    texts = _rules(language).notice
    wording = "adult" if age is not None and age >= 18 else "minor"
    group = (catalogues.AgeGroup.UNKNOWN if age is None
             else catalogues.AgeGroup.ADULT if age >= 18 else catalogues.AgeGroup.MINOR)
    entry = texts["urgent" if level >= RiskLevel.URGENT else "warn"][wording]
    cat = catalogues.catalogue(language)
    return SafetyNotice(
        title=entry["title"],
        body=entry["body"],
        tips_title=cat["tips_title"],
        tips=tuple(cat["tips"][key] for key in catalogues.TIP_KEYS),
        resources=catalogues.resources_for(group, language),
        locale=language,
    )


def check_message(text: str, locale: Optional[str] = None, age: Optional[int] = None) -> MessageRisk:
    """Warning signs in one message.

    ``locale`` (``"en"``, ``"de-AT"`` …) picks one rule file; ``None`` runs every language's
    rules (auto-detection: the notice is in the language whose rules matched). ``age`` of the
    person reading it picks the notice's wording and resources (``None``: treated as a minor).
    The level of a single message follows the same scoring as :class:`ConversationMonitor`.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    signals = _find(text, _rule_sets(locale))
    if not signals:
        return MessageRisk(RiskLevel.NONE)
    minor = age is None or age < 18
    level = _assess(_weights(signals), minor)
    return MessageRisk(level, tuple(signals), None, _notice(level, locale or _language_of(signals), age))


class ConversationMonitor:
    """Follows a conversation and raises the level as warning signs pile up from one sender.

    Scoring, per sender, from the strongest weight seen for each kind (1 = ambiguous such as
    "pay me", 2 = clear such as "send nudes"):

    * ``URGENT``: a threat together with a demand or a claim (money, images, "I have your
      pics") with weights adding up to 3 or more; or a clear claim to have images together
      with a clear money demand.
    * ``WARN``: a clear threat; a clear request for intimate images together with secrecy,
      a move to another platform or pressure (or on its own when the reader is under 18 or
      of unknown age); a clear claim to have images with pressure, secrecy or money; three
      or more kinds with weights adding up to 5 or more.
    * ``CAUTION``: any other sign. One ambiguous line ("pay me back for the pizza", "I'll
      share the pics from the party") stays here or at ``NONE``.

    The conversation's level is the highest over senders, and never goes down. Signals of
    different senders are never combined: the person being threatened saying "please don't
    share them" does not add to the threat.
    """

    def __init__(self, locale: Optional[str] = None, age: Optional[int] = None) -> None:
        self.locale = locale
        self.age = age
        self._rule_sets = _rule_sets(locale)
        self._signals: Dict[str, List[Signal]] = {}
        self._weights: Dict[str, Dict[SignalKind, int]] = {}
        self._count = 0
        self._level = RiskLevel.NONE
        self._risk = MessageRisk(RiskLevel.NONE)

    @property
    def risk(self) -> MessageRisk:
        """The conversation's current risk."""
        return self._risk

    def add(self, sender: str, text: str, time: Any = None) -> MessageRisk:
        """Add the next message (in order); returns the conversation's current risk.

        ``time`` is accepted for the client's bookkeeping; the scoring ignores it.
        """
        index = self._count
        self._count += 1
        found = _find(text, self._rule_sets)
        if not found:
            return self._risk
        signals = self._signals.setdefault(sender, [])
        signals.extend(Signal(s.kind, s.start, s.end, s.reason, s.weight, s.language, index) for s in found)
        weights = self._weights.setdefault(sender, {})
        for kind, weight in _weights(found).items():
            if weight > weights.get(kind, 0):
                weights[kind] = weight
        level = _assess(weights, self.age is None or self.age < 18)
        if level > self._level or (level == self._level and self._risk.sender == sender) or self._risk.sender is None:
            if level >= self._level:
                self._level = level
                language = self.locale or _language_of(signals)
                self._risk = MessageRisk(level, tuple(signals), sender, _notice(level, language, self.age))
        return self._risk
