"""Who may message a person, and where a message from someone lands.

    >>> from nudeguard import Person, SenderProfile, route_message
    >>> routing = route_message(SenderProfile(account_age_days=3, mutual_contacts=0), recipient=Person(age=15))
    >>> routing.folder, routing.allowed
    (<Folder.HIDDEN: 'hidden'>, False)
    >>> [reason.value for reason in routing.reasons]
    ['stranger', 'requests_off', 'new_account', 'no_mutual_contacts']

The rules follow what Instagram ships against sextortion: under 18 (and when the age is not
known, which the age rule of :mod:`nudeguard.safety.policy` treats like under 18) strangers
cannot start a chat unless the person's setting allows message requests; requests land in a
requests folder; requests from likely perpetrators land in a hidden folder that is never
displayed unless the person opens it; and the person is told what the client knows about
a sender it should worry about (a new account, another country, no contacts in common).

What the client knows about the sender goes into a :class:`SenderProfile`; every field is
optional, and a rule only fires on what is known, except one: a sender not known to be a
contact (``is_contact`` not ``True``) is a stranger.

Facts (each a stable :class:`ContactReason` code in ``Routing.reasons``, in this order):

=====================  ======================================================================
``contact``            ``is_contact=True``: the recipient follows the sender or saved them as
                       a contact (the sender following the recipient does not count).
``stranger``           anyone else.
``requests_off``       a stranger, and the recipient's setting allows no message requests.
``reported``           ``reports >= 1``.
``often_blocked``      ``blocks >= ContactPolicy.hide_blocked_from``.
``new_account``        ``account_age_days < ContactPolicy.new_account_days``.
``no_mutual_contacts`` ``mutual_contacts == 0``.
``adult_to_minor``     the recipient is under 18 or of unknown age, and ``stated_age`` is adult.
``other_country``      ``country`` and ``recipient_country`` are both known and differ.
``conversation_risk``  the conversation risk is at ``ContactPolicy.hide_at_risk`` or above.
=====================  ======================================================================

The routing table, with the default :class:`ContactPolicy`. "Minor" is under 18 or of unknown
age; a *likely perpetrator* is a sender who is reported (``reports >=
hide_reported_from``, 1), often blocked (``blocks >= 3``), in a conversation at risk ``WARN``
or above, or, for a stranger only, a new account (under 30 days) without mutual contacts, or
an adult writing to a minor.

=======================  ==========================  ===========  =======  =====================
recipient                sender                      folder       allowed  notice
=======================  ==========================  ===========  =======  =====================
minor                    contact, nothing known      ``INBOX``    yes      none
minor                    contact with a fact [#f]_   ``INBOX``    yes      inbox notice + facts
minor                    contact, likely perpetrator ``HIDDEN``   yes      hidden notice + facts
minor                    stranger (requests off)     ``HIDDEN``   no       hidden notice + facts
minor, requests on       stranger                    ``REQUESTS`` yes      requests notice + facts
minor, requests on       stranger, likely perp.      ``HIDDEN``   yes      hidden notice + facts
adult                    contact, nothing known      ``INBOX``    yes      none
adult                    contact with a fact [#f]_   ``INBOX``    yes      inbox notice + facts
adult                    contact, likely perpetrator ``HIDDEN``   yes      hidden notice + facts
adult                    stranger                    ``REQUESTS`` yes      requests notice + facts
adult                    stranger, likely perp.      ``HIDDEN``   yes      hidden notice + facts
adult, requests off      stranger                    ``HIDDEN``   no       hidden notice + facts
=======================  ==========================  ===========  =======  =====================

.. [#f] A fact that makes no likely perpetrator on its own: a new account, another country,
   no mutual contacts.

``allowed=False`` means the message is not delivered: the client tells the sender that this
person cannot be messaged, and keeps the message, if it keeps it at all, in ``HIDDEN``.

Every threshold is a :class:`ContactPolicy` field, but one rule holds whatever the caller
passes: a sender reported even once never lands in a minor's ``INBOX`` (with
``hide_reported_from`` raised, a reported contact lands in ``REQUESTS``).

The notice (:class:`ContactNotice`) comes from the same catalogue as the image warnings, in the
minor or the adult wording, with one line per fact worth telling; contacts with nothing to
tell get none. Everything runs on the device.
"""

from __future__ import annotations

import enum
import functools
import math
import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import FrozenSet, Optional, Tuple, Union

from ..chat.monitor import MessageRisk, RiskLevel
from .policy import ADULT_AGE, MAX_AGE, Person
from .wording import AgeGroup, catalogue, resolve_locale

__all__ = ["ContactNotice", "ContactPolicy", "ContactReason", "Folder", "Routing", "SenderProfile", "country_codes",
           "route_message"]

COUNTRIES_FILE = Path(__file__).resolve().parent / "countries.txt"


@functools.lru_cache(maxsize=1)
def country_codes() -> FrozenSet[str]:
    """The ISO 3166-1 alpha-2 codes a profile's countries are checked against (249 of them,
    shipped with the package: ``nudeguard/safety/countries.txt``)."""
    with open(COUNTRIES_FILE, encoding="utf-8") as stream:
        return frozenset(line.split("\t", 1)[0] for line in stream if line.strip() and not line.startswith("#"))


class Folder(enum.Enum):
    """Where a client files a message."""

    INBOX = "inbox"
    """The chat list: shown and notified."""
    REQUESTS = "requests"
    """Message requests: listed, the sender cannot see whether it was read until accepted."""
    HIDDEN = "hidden"
    """Hidden requests: never displayed or notified; the person sees them only by opening the
    folder on purpose."""


class ContactReason(str, enum.Enum):
    """A fact behind a routing decision. The values are stable codes for logs and analytics."""

    CONTACT = "contact"
    STRANGER = "stranger"
    REQUESTS_OFF = "requests_off"
    REPORTED = "reported"
    OFTEN_BLOCKED = "often_blocked"
    NEW_ACCOUNT = "new_account"
    NO_MUTUAL_CONTACTS = "no_mutual_contacts"
    ADULT_TO_MINOR = "adult_to_minor"
    OTHER_COUNTRY = "other_country"
    CONVERSATION_RISK = "conversation_risk"


#: Facts the person is told about, in the notice's order: the ones that say who the sender may be.
TOLD = (ContactReason.REPORTED, ContactReason.OFTEN_BLOCKED, ContactReason.ADULT_TO_MINOR, ContactReason.NEW_ACCOUNT,
        ContactReason.OTHER_COUNTRY, ContactReason.NO_MUTUAL_CONTACTS, ContactReason.CONVERSATION_RISK)


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"SenderProfile.{name} must be a whole number or None, got {value!r}")
    if value < 0:
        raise ValueError(f"SenderProfile.{name} cannot be negative, got {value}")
    return int(value)


def _days(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value or value == math.inf:
        raise ValueError(f"SenderProfile.account_age_days must be a number of days or None, got {value!r}")
    if value < 0:
        raise ValueError(f"SenderProfile.account_age_days cannot be negative, got {value}")
    return float(value)


def _country(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"SenderProfile.{name} must be an ISO 3166-1 alpha-2 code such as 'US', got {value!r}")
    code = value.strip().upper()
    if code not in country_codes():
        hint = " (the United Kingdom is 'GB')" if code == "UK" else ""
        raise ValueError(f"SenderProfile.{name} {value!r} is not an ISO 3166-1 alpha-2 country code{hint}")
    return code


@dataclass(frozen=True)
class SenderProfile:
    """What a client knows about the sender of a message. Every field is optional: leave out
    what the client does not know. Raises ``ValueError`` for impossible values (negative ages
    or counts, a country that is no ISO 3166-1 alpha-2 code)."""

    account_age_days: Optional[float] = None
    """Days since the sender's account was created."""
    mutual_contacts: Optional[int] = None
    """Contacts (or followers followed back) the sender and the recipient have in common."""
    is_contact: Optional[bool] = None
    """``True`` when the recipient follows the sender or saved them as a contact; the sender
    following the recipient does not count. ``None`` (not known) is treated like ``False``."""
    reports: Optional[int] = None
    """Times the account was reported, by the recipient or by anyone on the platform."""
    blocks: Optional[int] = None
    """Times other people blocked the account."""
    country: Optional[str] = None
    """Where the sender appears to be (ISO 3166-1 alpha-2, any case: ``"ng"`` → ``"NG"``)."""
    recipient_country: Optional[str] = None
    """Where the recipient is (ISO 3166-1 alpha-2)."""
    stated_age: Optional[int] = None
    """The age the sender's account states, in years."""

    def __post_init__(self) -> None:
        # Profiles are built per message: values that are already clean (a whole number >= 0,
        # an upper-case code) are checked without being rewritten.
        for name in _COUNT_FIELDS:
            value = getattr(self, name)
            if value is not None and (type(value) is not int or value < 0):
                object.__setattr__(self, name, _count(value, name))
        if self.stated_age is not None and self.stated_age > MAX_AGE:
            raise ValueError(f"SenderProfile.stated_age must lie in 0..{MAX_AGE}, got {self.stated_age}")
        days = self.account_age_days
        if days is not None and (type(days) not in (int, float) or not 0 <= days < math.inf):
            object.__setattr__(self, "account_age_days", _days(days))
        if self.is_contact is not None and not isinstance(self.is_contact, bool):
            raise ValueError(f"SenderProfile.is_contact must be True, False or None, got {self.is_contact!r}")
        for name in ("country", "recipient_country"):
            value = getattr(self, name)
            if value is not None and (type(value) is not str or value not in country_codes()):
                object.__setattr__(self, name, _country(value, name))


_COUNT_FIELDS = ("mutual_contacts", "reports", "blocks", "stated_age")


@dataclass(frozen=True)
class ContactPolicy:
    """The thresholds of the contact rules. The defaults are the strict setting; a reported
    sender never lands in a minor's ``INBOX``, whatever is set here."""

    requests_from_strangers: Optional[bool] = None
    """The recipient's setting: may strangers send message requests? ``None``: no under 18 or
    when the age is unknown, yes for adults."""
    new_account_days: float = 30.0
    """An account younger than this many days is new."""
    hide_reported_from: int = 1
    """Reports from which a sender is hidden (at least 1)."""
    hide_blocked_from: Optional[int] = 3
    """Blocks by others from which a sender is hidden; ``None`` never hides for blocks. One
    block is everyday life (a falling-out); several are a pattern."""
    hide_at_risk: Optional[RiskLevel] = RiskLevel.WARN
    """Conversation risk from which a sender is hidden; ``None`` ignores the risk."""
    hide_new_without_mutuals: bool = True
    """Hide strangers whose account is new and who share no contact with the recipient."""
    hide_adults_from_minors: bool = True
    """Hide adult strangers writing to someone under 18 (or of unknown age)."""

    def __post_init__(self) -> None:
        if self.requests_from_strangers is not None and not isinstance(self.requests_from_strangers, bool):
            raise ValueError("ContactPolicy.requests_from_strangers must be True, False or None, "
                             f"got {self.requests_from_strangers!r}")
        days = self.new_account_days
        if isinstance(days, bool) or not isinstance(days, numbers.Real) or not 0 <= days < math.inf:
            raise ValueError(f"ContactPolicy.new_account_days must be a number of days >= 0, got {days!r}")
        reported = self.hide_reported_from
        if isinstance(reported, bool) or not isinstance(reported, numbers.Integral) or reported < 1:
            raise ValueError("ContactPolicy.hide_reported_from must be a whole number >= 1 (a reported sender is "
                             f"never shown in a minor's inbox anyway), got {reported!r}")
        blocked = self.hide_blocked_from
        if blocked is not None and (isinstance(blocked, bool) or not isinstance(blocked, numbers.Integral)
                                    or blocked < 1):
            raise ValueError(f"ContactPolicy.hide_blocked_from must be a whole number >= 1 or None, got {blocked!r}")
        if self.hide_at_risk is not None and not isinstance(self.hide_at_risk, RiskLevel):
            raise ValueError(f"ContactPolicy.hide_at_risk must be a nudeguard.RiskLevel or None, "
                             f"got {self.hide_at_risk!r}")
        for name in ("hide_new_without_mutuals", "hide_adults_from_minors"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"ContactPolicy.{name} must be True or False, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class ContactNotice:
    """What the recipient is told about a sender: a title, a sentence on where the message is,
    and one line per fact worth knowing ("This account was created recently")."""

    title: str
    body: str
    facts: Tuple[str, ...]
    locale: str


@dataclass(frozen=True)
class Routing:
    """Where a message goes, whether it is delivered at all, what to tell the recipient, and why."""

    folder: Folder
    allowed: bool
    """``False``: not delivered; tell the sender this person cannot be messaged."""
    notice: Optional[ContactNotice]
    """``None`` for a contact with nothing to tell."""
    reasons: Tuple[ContactReason, ...]


DEFAULT_POLICY = ContactPolicy()


def route_message(sender: SenderProfile, recipient: Person, risk: Union[MessageRisk, RiskLevel, None] = None,
                  policy: ContactPolicy = DEFAULT_POLICY, locale: Optional[str] = None) -> Routing:
    """Decide where a message from ``sender`` to ``recipient`` lands (see the module's table).

    ``risk`` is the conversation risk from :class:`nudeguard.ConversationMonitor` (its
    ``risk``) or a :class:`nudeguard.RiskLevel`; ``locale`` picks the notice's catalogue.
    """
    if not isinstance(sender, SenderProfile):
        raise ValueError(f"sender must be a nudeguard.SenderProfile, got {type(sender).__name__}")
    if not isinstance(recipient, Person):
        raise ValueError(f"recipient must be a nudeguard.Person, e.g. Person(age=15), got {type(recipient).__name__}")
    if not isinstance(policy, ContactPolicy):
        raise ValueError(f"policy must be a nudeguard.ContactPolicy, got {type(policy).__name__}")
    if isinstance(risk, MessageRisk):
        risk = risk.level
    elif risk is not None and not isinstance(risk, RiskLevel):
        raise ValueError(f"risk must be a nudeguard.MessageRisk, a RiskLevel or None, got {type(risk).__name__}")

    minor = recipient.age_group is not AgeGroup.ADULT
    contact = sender.is_contact is True
    # The facts as bits of ``ContactReason`` order: the decision is then one cached lookup.
    facts = _CONTACT if contact else _STRANGER
    requests_open = policy.requests_from_strangers
    if not (contact or (not minor if requests_open is None else requests_open)):
        facts |= _REQUESTS_OFF
    reports = sender.reports
    hidden = False
    if reports:
        facts |= _REPORTED
        hidden = reports >= policy.hide_reported_from
    if sender.blocks and policy.hide_blocked_from is not None and sender.blocks >= policy.hide_blocked_from:
        facts |= _OFTEN_BLOCKED
        hidden = True
    new_account = sender.account_age_days is not None and sender.account_age_days < policy.new_account_days
    if new_account:
        facts |= _NEW_ACCOUNT
    if sender.mutual_contacts == 0:
        facts |= _NO_MUTUAL_CONTACTS
        hidden |= new_account and not contact and policy.hide_new_without_mutuals
    if minor and sender.stated_age is not None and sender.stated_age >= ADULT_AGE:
        facts |= _ADULT_TO_MINOR
        hidden |= not contact and policy.hide_adults_from_minors
    if sender.country is not None and sender.recipient_country not in (None, sender.country):
        facts |= _OTHER_COUNTRY
    if risk is not None and policy.hide_at_risk is not None and risk >= policy.hide_at_risk:
        facts |= _CONVERSATION_RISK
        hidden = True
    return _decide(facts, hidden, minor, _language(locale))


_REASONS = tuple(ContactReason)
(_CONTACT, _STRANGER, _REQUESTS_OFF, _REPORTED, _OFTEN_BLOCKED, _NEW_ACCOUNT, _NO_MUTUAL_CONTACTS, _ADULT_TO_MINOR,
 _OTHER_COUNTRY, _CONVERSATION_RISK) = (1 << index for index in range(len(_REASONS)))
_TOLD_BITS = tuple((1 << _REASONS.index(reason), reason) for reason in TOLD)


@functools.lru_cache(maxsize=256)
def _language(locale: Optional[str]) -> str:
    return resolve_locale(locale)


@functools.lru_cache(maxsize=8192)
def _decide(facts: int, hidden: bool, minor: bool, language: str) -> Routing:
    """The routing for a set of facts. Routings are immutable, and the combinations few (at most
    2^10 x 2 x 2 per language), so each is built once."""
    allowed = not facts & _REQUESTS_OFF
    if hidden or not allowed:
        folder = Folder.HIDDEN
    elif facts & _CONTACT and not (minor and facts & _REPORTED):
        folder = Folder.INBOX
    else:
        folder = Folder.REQUESTS
    told = tuple(reason for bit, reason in _TOLD_BITS if facts & bit)
    notice = None
    if folder is not Folder.INBOX or told:
        texts = catalogue(language)["contact"]
        entry = texts[folder.value]["minor" if minor else "adult"]
        notice = ContactNotice(entry["title"], entry["body"], tuple(texts["facts"][reason.value] for reason in told),
                               language)
    reasons = tuple(reason for index, reason in enumerate(_REASONS) if facts >> index & 1)
    return Routing(folder, allowed, notice, reasons)
