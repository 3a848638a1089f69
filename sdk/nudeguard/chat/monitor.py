"""Warning signs of sextortion and grooming in chat text: single messages and conversations.

    >>> import nudeguard
    >>> risk = nudeguard.check_message("pay me $300 or I send your nudes to all your followers")
    >>> risk.level
    <RiskLevel.URGENT: 3>
    >>> sorted(s.kind.value for s in risk.signals)
    ['money', 'threat']

How it reads a message. Each covered language has a word list, ``nudeguard/chat/signals/<language>
.json`` (see :mod:`nudeguard.chat.lexicon`), that names the *parts* a warning sign is made of:
verbs of spreading (the writer's: "post", "schick") and of receiving (the audience's: "will
see", "bekommt"), audiences, intimate images, pointers back ("it", "what you sent"), ultimatum
words ("or", "sonst", "si no", "sinon"), payments and amounts, deadlines, and the words of
reported speech, jokes and negation. A sign is assembled from parts found in one sentence, in
any order: a threat is a spreading verb with an audience or an intimate image ("…, bekommt
deine ganze Klasse die Bilder"), strongest when the audience is the reader's ("your family",
not "the family group") or with an ultimatum; it is dropped when someone else is the one
acting ("he said he'd post them": reported speech) or the verb is negated, and weakened in a
joke. So a new phrasing of a known threat needs no new rule.

How it reads a conversation (:class:`ConversationMonitor`). Per sender, it remembers the
strongest sign of each kind and when it came; signs fade with conversation time (half-life
:data:`HALF_LIFE_SECONDS`), so a "pay me back" of two weeks ago does not combine with a photo
request today. The other side's words count for the sender's risk: a disclosed age under 18,
refusals and fear ("please don't"), and images the client reports with
:meth:`ConversationMonitor.add_image` (a sensitive image sent makes "it" and "them" point at
it, and turns a money demand into leverage). The stages a sender has reached (contact →
isolation → images → leverage → threat → demand → repeated demands) decide the level.

Languages: English, German, Spanish, French, Italian and Portuguese. A message in another
language is never scored with these lists: its risk says ``covered=False``.

Everything runs on the device; nothing is sent anywhere.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from ..safety.policy import ADULT_AGE, AgeGroup, age_group
from ..safety.wording import SafetyNotice, conversation_notice
from . import lexicon as _lexicon
from .lexicon import CONTEXT_CONCEPTS, Hit, Lexicon, Tokens
from .textnorm import original_span

__all__ = [
    "HALF_LIFE_SECONDS",
    "ConversationMonitor",
    "MessageRisk",
    "RiskLevel",
    "Signal",
    "SignalKind",
    "Stage",
    "check_message",
    "signal_languages",
]

#: How fast a sign fades: after this much conversation time it counts half.
HALF_LIFE_SECONDS = 7 * 24 * 3600.0

#: A sender who laughed in the message just before is taken to be joking (the "lol" often
#: comes in the line before the mock threat); longer memory lets an extorter's "kkk" excuse
#: a real threat.
JOKE_MEMORY = 1

#: Someone who recounted a scam or warned about one ("did you see the article?") is taken to
#: quote, not threaten, for this many messages after: a warning runs over a few lines, but
#: one "bad news" must not excuse an extorter's threats for the rest of the conversation.
RECOUNT_MEMORY = 3

#: Weak signs of two kinds (a vague threat, a money demand) combine when at most this many
#: messages apart.
COMBINE_WINDOW = 4

#: How many words after a spreading verb its audience may stand ("je partage ta photo à toute
#: ton école"), or around a receiving verb ("your whole class gets them"): further away it is a
#: word of another part of the sentence ("signed by your mum before I post").
AUDIENCE_REACH = 6

#: How many words an audience may stand before the verb that sends to it (German verb-last).
AUDIENCE_BEFORE = 2

#: How many words before a verb a negation reaches ("no las voy a enseñar").
NEGATION_WINDOW = 4

#: A message is read in another language than the conversation's only when at least this share
#: of its words are that language's function words.
SWITCH_LANGUAGE_SHARE = 0.5

#: Amounts below this are pocket money ("venmo me $5 for the lemonade"): a demand of them is
#: an ambiguous sign at most.
SMALL_AMOUNT = 20

#: A number with a time unit above this is a duration, not a deadline ("847 minutes" of music).
MAX_DEADLINE = 72

#: Share of a message's words that must be function words of a covered language before a
#: message of four words or more counts as written in it (below: another language).
MIN_LANGUAGE_SHARE = 0.2


class SignalKind(enum.Enum):
    """What a matched piece of text does."""

    THREAT = "threat"
    """Threatens to share or publish images or videos of the person."""
    MONEY = "money"
    """Demands money: payment services, gift cards, crypto, amounts."""
    IMAGE_REQUEST = "image_request"
    """Asks for intimate or nude images, or about what the person is wearing."""
    PRESSURE = "pressure"
    """Urgency and deadlines: "you have 2 hours", "last chance", "answer now"."""
    SECRECY = "secrecy"
    """Asks to keep it secret: "don't tell your parents", "delete the chat"."""
    PLATFORM = "platform"
    """Moves the conversation to another app: "add me on snap", "let's talk on telegram"."""
    CLAIMS_IMAGES = "claims_images"
    """Claims to already have images or recordings of the person, or access to their device."""
    FLATTERY = "flattery"
    """Flattery that builds trust: "you're so mature for your age"."""
    PROBING = "probing"
    """Personal questions: age, being alone, whether parents check the phone."""
    DISTRESS = "distress"
    """Refusal, pleading or fear: "please don't", "I'm scared" (the person at risk)."""
    MINOR_AGE = "minor_age"
    """Someone says they are under 18: "im 14"."""


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


class Stage(enum.IntEnum):
    """How far a sender has gone, in the order sextortion and grooming usually unfold."""

    NONE = 0
    CONTACT = 1
    """Flattery, personal questions."""
    ISOLATION = 2
    """Secrecy, moving to another app."""
    IMAGES = 3
    """Asking for intimate images, or images exchanged."""
    LEVERAGE = 4
    """Claims to hold images or access to the person's accounts."""
    THREAT = 5
    """Threatens to share images."""
    DEMAND = 6
    """A threat or claim together with a demand: money, more images, a deadline."""
    REPEATED = 7
    """Demands again after the first ("now I need 300 more")."""


@dataclass(frozen=True)
class Signal:
    """One warning sign found in a message."""

    kind: SignalKind
    start: int
    """Span of the sign in the original message text: ``text[start:end]``."""
    end: int
    reason: str
    """A short explanation in the word list's language, e.g. "threatens to share images"."""
    weight: int = 2
    """1 for signs ordinary chats produce too ("pay me"), 2 for clear ones."""
    language: str = ""
    """The word list that matched (``"en"``, ``"de"`` …)."""
    message: Optional[int] = None
    """In a :class:`ConversationMonitor`: the index of the message (0 = first added)."""


@dataclass(frozen=True)
class MessageRisk:
    """The risk of one message, or of a conversation so far."""

    level: RiskLevel
    signals: Tuple[Signal, ...] = ()
    sender: Optional[str] = None
    """:class:`ConversationMonitor`: the sender the risk comes from."""
    notice: Optional[SafetyNotice] = None
    """Set from ``WARN`` up: the localized safety notice."""
    stage: Stage = Stage.NONE
    """How far the sender has gone."""
    language: Optional[str] = None
    """The language the text was read in; ``None`` when it could not be told (very short
    messages are then read in every covered language). With ``covered=False``, the language
    recognised (``"nl"``, ``"tr"`` …) or ``None``."""
    covered: bool = True
    """``False`` when the text is in a language without a word list: nothing was scored, and the
    level says nothing about it."""

    def kinds(self) -> frozenset:  # type: ignore[type-arg]
        """The distinct kinds of signal present."""
        return frozenset(s.kind for s in self.signals)


def signal_languages() -> List[str]:
    """Languages with a word list, e.g. ``["de", "en", "es", "fr", "it", "pt"]``."""
    return list(_lexicon.languages())


# --------------------------------------------------------------------------- reading one message


@dataclass(frozen=True)
class _Reading:
    """What one message says: its signs, and the facts the conversation keeps."""

    signals: Tuple[Signal, ...]
    language: Optional[str]
    covered: bool
    images_mentioned: bool = False
    """Intimate images are spoken of, or someone claims to hold images: later "it" and "them"
    may point at them."""
    repeated_demand: bool = False
    """A demand marked as another one: "300 more", "again"."""
    recounts: bool = False
    """The writer recounts a scam or warns about one ("he said he'd send them", "be careful")."""
    laughs: bool = False
    """The message laughs or jokes: "lol", "haha", 😂."""
    language_evidence: int = 0
    """How many function words told the language (0 when it was forced or taken from the
    conversation): what the conversation's language is voted with."""


_NUMBER = re.compile(r"\d{1,3}(?:[ ']\d{3})+|\d+(?:[.,]\d+)*")


def _number(word: str) -> Optional[float]:
    """The value of a number token: "300", "2 000", "2'000", "1,000", "1.000", "9,99"."""
    if not word[0].isdigit() or not _NUMBER.fullmatch(word):
        return None
    digits = word.replace(" ", "").replace("'", "")
    if "," in digits and "." in digits:  # 1,000.50 or 1.000,50: the first sign groups thousands
        digits = digits.replace(digits[min(digits.index(","), digits.index("."))], "")
    elif len(digits) > 3 and digits[-4] in ".,":  # 1,000 or 1.000: thousands
        digits = digits.replace(",", "").replace(".", "")
    try:
        return float(digits.replace(",", "."))
    except ValueError:
        return None


class _Clause:
    """The hits of one sentence, by concept."""

    __slots__ = ("start", "end", "by_concept")

    def __init__(self, start: int, end: int, hits: Sequence[Hit]) -> None:
        self.start, self.end = start, end
        self.by_concept: Dict[str, List[Hit]] = {}
        for h in hits:
            self.by_concept.setdefault(h.concept, []).append(h)

    def has(self, concept: str) -> bool:
        return concept in self.by_concept

    def first(self, concept: str) -> Hit:
        return self.by_concept[concept][0]


#: A sentence this short ("heute noch.", "10pm.", "ohne bh") belongs to the one before it:
#: extortion is often typed in fragments.
FRAGMENT_WORDS = 3


def _clauses(tokens: Tokens, hits: List[Hit]) -> Iterator[_Clause]:
    """The sentences of a message, with fragments joined to the sentence before them."""
    words = tokens.words
    ranges: List[List[int]] = []
    start = 0
    for i, word in enumerate(words + ("\n",)):
        if i == len(words) or _lexicon.is_sentence_end(word):
            if i > start:
                if ranges and i - start <= FRAGMENT_WORDS:
                    ranges[-1][1] = i
                else:
                    ranges.append([start, i])
            start = i + 1
    for start, end in ranges:
        yield _Clause(start, end, [h for h in hits if start <= h.start < end])


def _number_hits(words: Sequence[str], hits: List[Hit]) -> List[Hit]:
    """What the numbers of a message are: amounts of money, deadlines and ages.

    * An amount: a number next to a currency word or sign, or any number that is not a time
      or an age in a message about paying ("send 200 on paypal").
    * A deadline: a number and a time unit ("2 hours", "24h", "9pm") up to :data:`MAX_DEADLINE`.
    * An age under 18 stated by the writer: "I'm 14", "14 years old".
    """
    numbers = [(i, value) for i, value in ((i, _number(w)) for i, w in enumerate(words)) if value is not None]
    if not numbers:
        return []
    starts: Dict[str, Set[int]] = {}
    ends: Dict[str, Set[int]] = {}
    for h in hits:
        starts.setdefault(h.concept, set()).add(h.start)
        ends.setdefault(h.concept, set()).add(h.end)
    empty: Set[int] = set()
    currency = starts.get("currency", empty) | {e - 1 for e in ends.get("currency", empty)}
    paying = any(c in starts for c in ("pay", "ask", "payment", "money_word"))
    time_units, age_units = starts.get("time_unit", empty), starts.get("age_unit", empty)
    age_selves = ends.get("age_self", empty)
    found = []
    for i, value in numbers:
        is_age = i in age_selves or (i + 1) in age_units
        if (i + 1) in time_units:
            if value <= MAX_DEADLINE:
                found.append(Hit("deadline", i, i + 2))
        elif (i - 1) in currency or (i + 1) in currency or (paying and not is_age):
            found.append(Hit("amount" if value >= SMALL_AMOUNT else "small_amount", i, i + 1))
        if is_age and 8 <= value < ADULT_AGE:
            found.append(Hit("minor_age", i, i + 1))
    return found


def _before(clause: _Clause, concept: str, hit: Hit, window: int, ignore: Sequence[Hit] = ()) -> bool:
    """A hit of ``concept`` within ``window`` tokens before ``hit``, outside ``ignore`` (a
    negation inside an ultimatum, "if you're not", negates nothing)."""
    return any(hit.start - window <= h.start < hit.start and not _overlaps(h, ignore)
               for h in clause.by_concept.get(concept, ()))


def _overlaps(hit: Hit, others: Sequence[Hit]) -> bool:
    return any(h.start < hit.end and hit.start < h.end for h in others)


class _Builder:
    """Collects signals with their spans in the original text."""

    def __init__(self, tokens: Tokens, lexicon: Lexicon) -> None:
        self.tokens, self.lexicon = tokens, lexicon
        self.signals: List[Signal] = []

    def add(self, kind: SignalKind, weight: int, parts: Sequence[Hit]) -> None:
        if weight <= 0 or not parts:
            return
        spans = self.tokens.spans
        start = spans[min(h.start for h in parts)][0]
        end = spans[max(h.end for h in parts) - 1][1]
        start, end = original_span(self.tokens.offsets, start, end)
        self.signals.append(Signal(kind, start, end, self.lexicon.reasons.get(kind.value, kind.value),
                                   min(weight, 2), self.lexicon.language))


def _reader_owned(clause: _Clause, hit: Hit) -> bool:
    """An audience or image that belongs to the reader: "your family", "deine Klasse", "tus fotos"."""
    return any(h.end <= hit.start <= h.end + 1 or hit.start <= h.start < hit.end
               for h in clause.by_concept.get("your", ()))


def _goes_to(verb: Hit, audience: Hit) -> bool:
    """The audience is where the verb sends: just after it ("je partage ta photo à toute ton
    école"), or just before it in verb-last word order ("…, dass ich sie deinen Eltern schicke")."""
    return 0 <= audience.start - verb.end <= AUDIENCE_REACH or 0 <= verb.start - audience.end <= AUDIENCE_BEFORE


def _ultimatum(clause: _Clause) -> List[Hit]:
    """Ultimatum words, or an "if" with a negation after it ("si a las 12 no te conectas")."""
    hits = list(clause.by_concept.get("ultimatum", ()))
    for cond in clause.by_concept.get("conditional", ()):
        hits += [h for h in clause.by_concept.get("negation", ()) if cond.end <= h.start <= cond.end + NEGATION_WINDOW]
    return hits


def _read_clause(clause: _Clause, out: _Builder, image_context: bool, joking: bool, reporting: bool) -> None:
    """The signs of one sentence, assembled from its parts."""
    has = clause.has
    get = clause.by_concept.get
    requests = get("request", [])
    audiences = get("audience", [])
    ultimatums = _ultimatum(clause)
    ultimatum = bool(ultimatums)
    # "send it" asks for an image, unless it is to go to an audience.
    spreads = get("spread", []) if audiences else [h for h in get("spread", []) if not _overlaps(h, requests)]
    # Not doing it, or someone else doing it as told by the writer: negation and reported speech.
    speech = has("speech")
    acting_spreads = [h for h in spreads
                      if not _before(clause, "negation", h, NEGATION_WINDOW, ultimatums)
                      and not (speech and _before(clause, "third_person", h, 4)
                               and not _before(clause, "first_person", h, 3))]
    intimate, photo = has("intimate"), has("photo")
    pointer = has("pointer") and (image_context or ultimatum or intimate or photo)
    # A joke, or a price of pocket money ("5 bucks or mom sees this"): not blackmail.
    damp = 1 if joking or (has("small_amount") and not has("amount")) else 0
    if reporting:
        acting_spreads = []

    # Threat: spreading with an audience or an intimate image, in any order. A photo going to
    # "the family group" is news; to "your family", or with an ultimatum, it is a threat.
    if acting_spreads:
        first_person = has("first_person")
        aimed = first_person or ultimatum
        pointed = photo or pointer
        near = [h for h in audiences if any(_goes_to(v, h) for v in acting_spreads)]
        owned = any(_reader_owned(clause, h) for h in near + get("photo", []))
        weight = 0
        if ((intimate and (near or aimed or has("your")))
                or (near and owned and (pointed or aimed))
                or (near and pointer and image_context)
                or (ultimatum and pointed and first_person and (owned or image_context))):
            weight = 2
        elif (near and pointed) or (first_person and ultimatum):
            weight = 1
        parts = acting_spreads + near + get("intimate", []) + get("photo", []) + get("pointer", [])
        out.add(SignalKind.THREAT, weight - damp, parts)
    # Or an audience receiving it: "deine Kollegen bekommen es", "your mom will see these".
    exposures = [] if reporting else [h for h in get("exposure", [])
                                       if not _before(clause, "negation", h, NEGATION_WINDOW, ultimatums)]
    receivers = [h for h in audiences if any(abs(h.start - v.start) <= AUDIENCE_REACH for v in exposures)]

    if receivers:
        owned = any(_reader_owned(clause, h) for h in receivers)
        shown = photo or has("pointer")
        weight = 0
        if (intimate or (owned and (shown or image_context or ultimatum)) or (has("pointer") and image_context)
                or (shown and ultimatum)):
            weight = 2
        elif owned or shown or ultimatum:
            weight = 1
        parts = exposures + receivers + get("intimate", []) + get("photo", []) + get("pointer", [])
        out.add(SignalKind.THREAT, weight - damp, parts)
    if has("menace") and not reporting:
        out.add(SignalKind.THREAT, (2 if ultimatum else 1) - damp, get("menace", []))

    # Claims to hold images or access: a claim phrase, or the writer holding an image.
    claims = get("claim", [])
    if not claims and has("first_person") and (intimate or photo or (pointer and image_context)):
        claims = get("possess", [])
    if claims and not reporting and not any(_before(clause, "negation", h, 2, ultimatums) for h in claims):
        weight = 2 if (intimate or has("hacked") or (pointer and image_context)) else 1
        out.add(SignalKind.CLAIMS_IMAGES, weight - damp, claims + get("intimate", []) + get("photo", []))

    # Image requests: asking to be sent or shown, or an imperative "send nudes"; after images
    # were exchanged, "your turn" asks for one without naming it.
    if not reporting:
        if requests or (spreads and intimate and not audiences and not has("first_person")):
            if intimate:
                out.add(SignalKind.IMAGE_REQUEST, 2, (requests or spreads) + get("intimate", []))
            elif requests and (photo or image_context):
                out.add(SignalKind.IMAGE_REQUEST, 1, requests + get("photo", []))
        paying = has("amount") or has("pay") or has("payment") or has("money_word")
        if image_context and has("more") and (requests or has("ask") or photo or intimate) and not paying:
            out.add(SignalKind.IMAGE_REQUEST, 2, get("more", []) + requests + get("ask", []) + get("photo", []))
        if has("wearing"):
            out.add(SignalKind.IMAGE_REQUEST, 2 if intimate else 1, get("wearing", []) + get("intimate", []))

    # Money.
    amount, money_word = has("amount"), has("money_word")
    if has("pay") or has("payment") or amount or money_word or has("small_amount"):
        pay = has("pay") or has("payment") or (has("ask") and (amount or money_word))
        clear = (pay and (amount or money_word or has("payment"))) or (amount and ultimatum)
        if clear and not (has("small_amount") and not amount):
            weight = 2
        elif pay or amount or has("small_amount"):
            weight = 1
        else:
            weight = 1 if ultimatum else 0
        parts = (get("pay", []) + get("ask", []) + get("payment", []) + get("amount", []) + get("small_amount", [])
                 + get("money_word", []))
        out.add(SignalKind.MONEY, weight - damp - (1 if reporting else 0), parts)

    if has("deadline"):
        out.add(SignalKind.PRESSURE, 2 if ultimatum else 1, get("deadline", []))
    if has("secrecy"):
        out.add(SignalKind.SECRECY, 1, get("secrecy", []))
    if has("platform") and has("move"):
        out.add(SignalKind.PLATFORM, 1, get("move", []) + get("platform", []))
    if has("flattery"):
        out.add(SignalKind.FLATTERY, 1, get("flattery", []))
    if has("probing"):
        out.add(SignalKind.PROBING, 1, get("probing", []))
    if has("distress"):
        out.add(SignalKind.DISTRESS, 1, get("distress", []))
    if has("minor_age"):
        out.add(SignalKind.MINOR_AGE, 2, get("minor_age", []))


def _read(tokens: Tokens, lexicon: Lexicon, image_context: bool, reporting: bool, joking: bool,
          language_evidence: int = 0) -> _Reading:
    """What a message says, read in one language (``language_evidence``: see :class:`_Reading`).

    ``reporting``: the writer has been recounting or warning about a scam earlier in the
    conversation, so threats they quote are not theirs. ``joking``: the writer laughed in one
    of their last messages."""
    words = tokens.words
    hits = lexicon.find(words, context=False)
    # Without a word of a sign-making concept there is no sign (a number means something only
    # next to a currency, a time unit, "give me", "I'm") — unless images are in play, where
    # "I still have them" is made of context words alone.
    if not hits and not image_context:
        return _Reading((), lexicon.language, True, language_evidence=language_evidence)
    hits += lexicon.find_context(words)
    if tokens.has_number:
        hits += _number_hits(words, hits)
    concepts = {h.concept for h in hits}
    recounts = "report_context" in concepts or {"third_person", "speech"} <= concepts
    laughs = "joke" in concepts
    if concepts <= CONTEXT_CONCEPTS:
        return _Reading((), lexicon.language, True, recounts=recounts, laughs=laughs,
                        language_evidence=language_evidence)
    out = _Builder(tokens, lexicon)
    repeated = False
    for clause in _clauses(tokens, hits):
        if clause.by_concept.keys() <= CONTEXT_CONCEPTS:
            continue
        _read_clause(clause, out, image_context, joking or laughs, reporting or recounts)
        if clause.has("more") and (clause.has("amount") or clause.has("pay") or clause.has("payment")
                                   or clause.has("request") or clause.has("photo") or clause.has("intimate")):
            repeated = True
    mentioned = "intimate" in concepts or any(s.kind is SignalKind.CLAIMS_IMAGES and s.weight >= 2
                                              for s in out.signals)
    out.signals.sort(key=lambda s: (s.start, s.kind.value))
    return _Reading(tuple(out.signals), lexicon.language, True, mentioned, repeated, recounts, laughs,
                    language_evidence)


def _reading(text: str, languages: Sequence[str], conversation_language: Optional[str],
             image_context: bool, reporting: bool = False, joking: bool = False) -> _Reading:
    """Read ``text`` in the language it is written in (or in ``languages`` when forced).

    A message in a language without a word list (:data:`~nudeguard.chat.lexicon.OTHER_LANGUAGES_FILE`),
    or of four words or more without one function word of a known language, is not read
    (``covered=False``) unless the conversation's language is known; one without a clear
    language is read in the covered languages tied for it ("ok") or, with no clue at all
    ("300€ now"), in every covered language."""
    tokens = _lexicon.tokenize(text)
    if tokens.foreign_letters and tokens.foreign_letters > sum(len(w) for w in tokens.words if w[0].isalpha()):
        return _Reading((), None, False)
    language: Optional[str] = languages[0] if len(languages) == 1 else None
    guess, share, word_count, tied = None, 0.0, 0, ()
    if language is None:
        guess, share, word_count, tied = _lexicon.guess_language(tokens)
        wordy = word_count >= 4
        if conversation_language is not None and guess != conversation_language and share < SWITCH_LANGUAGE_SHARE:
            language = conversation_language  # people rarely switch languages in one chat
        elif guess is not None and (share >= MIN_LANGUAGE_SHARE or not wordy):
            if guess not in languages:
                return _Reading((), guess, False)
            language = guess
        elif conversation_language is not None:
            language = conversation_language
        elif wordy and share == 0.0:
            return _Reading((), None, False)  # not one function word of any language known here
    if language is not None:
        evidence = round(share * word_count) if guess == language and len(languages) > 1 else 0
        return _read(tokens, _lexicon.lexicon(language), image_context, reporting, joking, evidence)
    candidates = [lang for lang in tied if lang in languages] or languages
    readings = [_read(tokens, _lexicon.lexicon(lang), image_context, reporting, joking) for lang in candidates]
    signals = sorted(_dedupe([s for r in readings for s in r.signals]), key=lambda s: (s.start, s.kind.value))
    return _Reading(tuple(signals), None, True, any(r.images_mentioned for r in readings),
                    any(r.repeated_demand for r in readings), any(r.recounts for r in readings),
                    any(r.laughs for r in readings))


def _dedupe(signals: List[Signal]) -> List[Signal]:
    """Several languages matching the same span with the same kind: keep the heaviest."""
    best: Dict[Tuple[SignalKind, int, int], Signal] = {}
    for s in signals:
        key = (s.kind, s.start, s.end)
        if key not in best or s.weight > best[key].weight:
            best[key] = s
    return list(best.values())


# --------------------------------------------------------------------------- scoring


_OFFENDER_KINDS = (SignalKind.THREAT, SignalKind.MONEY, SignalKind.IMAGE_REQUEST, SignalKind.PRESSURE,
                   SignalKind.SECRECY, SignalKind.PLATFORM, SignalKind.CLAIMS_IMAGES, SignalKind.FLATTERY,
                   SignalKind.PROBING)


@dataclass
class _Evidence:
    """What is known about one sender, and about the person they write to."""

    weights: Dict[SignalKind, Tuple[float, float]]
    """Strongest weight per kind, with the time it was seen."""
    signals: List[Signal]
    seen_at: Dict[SignalKind, int] = dataclasses.field(default_factory=dict)
    """The message the strongest weight of each kind was seen in."""
    demands: int = 0
    """Messages with a demand (money or images) after a threat or claim."""
    repeated: bool = False
    sent_sensitive: bool = False
    """This sender sent a sensitive image."""
    received_sensitive: bool = False
    """The other side sent this sender a sensitive image."""


def _faded(entry: Optional[Tuple[float, float]], now: float) -> float:
    if entry is None:
        return 0.0
    weight, seen = entry
    return weight * 0.5 ** (max(0.0, now - seen) / HALF_LIFE_SECONDS)


def _assess(ev: _Evidence, other: Dict[SignalKind, float], minor: bool, now: float) -> Tuple[RiskLevel, Stage]:
    """The level and stage of one sender from faded weights (a weight counts as 2 from 1.5, as
    1 from 0.75). ``other`` holds the faded signs of the person they write to."""
    def w(kind: SignalKind) -> int:
        value = _faded(ev.weights.get(kind), now)
        return 2 if value >= 1.5 else 1 if value >= 0.75 else 0

    T, M, R, C = w(SignalKind.THREAT), w(SignalKind.MONEY), w(SignalKind.IMAGE_REQUEST), w(SignalKind.CLAIMS_IMAGES)
    P, S, X = w(SignalKind.PRESSURE), w(SignalKind.SECRECY), w(SignalKind.PLATFORM)
    F, Q = w(SignalKind.FLATTERY), w(SignalKind.PROBING)
    distress = other.get(SignalKind.DISTRESS, 0.0) >= 0.75
    # Between adults, an intimate image exchanged is no leverage by itself: couples do it.
    leverage = C >= 2 or (minor and (ev.received_sensitive or ev.sent_sensitive))
    stage = Stage.NONE
    if F or Q:
        stage = Stage.CONTACT
    if S or X:
        stage = Stage.ISOLATION
    if R or ev.received_sensitive or ev.sent_sensitive:
        stage = Stage.IMAGES
    if C:
        stage = Stage.LEVERAGE
    if T:
        stage = Stage.THREAT
    if (T or C >= 2) and (M or R or P):
        stage = Stage.DEMAND
    if stage >= Stage.THREAT and ev.repeated:
        stage = Stage.REPEATED

    def near(a: SignalKind, b: SignalKind) -> bool:
        """Two weak signs combine only when said close together, not ten messages apart."""
        return abs(ev.seen_at.get(a, 0) - ev.seen_at.get(b, 0)) <= COMBINE_WINDOW

    grooming_signs = sum(1 for x in (F, Q, S, X) if x)
    urgent = ((T >= 2 and (M or R or C or P))
              or (C >= 2 and (M or R >= 2))
              or (C and M >= 2 and P)
              or (T and M >= 2 and (leverage or distress))
              or stage is Stage.REPEATED)
    if urgent:
        return RiskLevel.URGENT, stage
    warn = (T >= 2
            or (T and (distress or leverage or (M >= 2 and minor and near(SignalKind.THREAT, SignalKind.MONEY))
                       or (R >= 2 and near(SignalKind.THREAT, SignalKind.IMAGE_REQUEST))))
            or C >= 2
            or (C and ((M >= 2 and near(SignalKind.CLAIMS_IMAGES, SignalKind.MONEY))
                       or (R >= 2 and near(SignalKind.CLAIMS_IMAGES, SignalKind.IMAGE_REQUEST))))
            or (R >= 2 and minor)
            or (R and minor and (grooming_signs >= 2 or ev.sent_sensitive))
            or (M >= 2 and P and (leverage or R >= 2 or distress))
            or (leverage and (R >= 2 or M >= 2) and (P or distress))
            or (minor and grooming_signs >= 3 and (S or X))
            or (minor and ev.sent_sensitive))
    if warn:
        return RiskLevel.WARN, stage
    if any(ev.weights.get(k) for k in _OFFENDER_KINDS) or ev.sent_sensitive:
        return RiskLevel.CAUTION, stage
    return RiskLevel.NONE, stage


# --------------------------------------------------------------------------- notices


def _notice(level: RiskLevel, locale: str, group: AgeGroup) -> Optional[SafetyNotice]:
    """The notice a client shows from :attr:`RiskLevel.WARN` on."""
    return conversation_notice(level >= RiskLevel.URGENT, group, locale) if level >= RiskLevel.WARN else None


# --------------------------------------------------------------------------- public API


def _languages_for(language: Optional[str]) -> Tuple[Tuple[str, ...], Optional[str]]:
    """The word lists to read with, and the requested language when it has none."""
    if language is None:
        return _lexicon.languages(), None
    if not isinstance(language, str):
        raise TypeError(f"language must be a string such as 'en' or 'de-AT', got {type(language).__name__}")
    code = re.split(r"[-_.@]", language.strip(), maxsplit=1)[0].lower()
    if code in _lexicon.languages():
        return (code,), None
    return (), code


def _check_locale(locale: Optional[str]) -> Optional[str]:
    if locale is not None and not isinstance(locale, str):
        raise TypeError(f"locale must be a string such as 'en' or 'de-AT', got {type(locale).__name__}")
    return locale


def _check_age(age: Optional[int]) -> Optional[int]:
    if age is not None and (isinstance(age, bool) or not isinstance(age, int) or age < 0):
        raise ValueError(f"age must be a whole number of years (0 or more) or None, got {age!r}")
    return age


def check_message(text: str, locale: Optional[str] = None, age: Optional[int] = None,
                  language: Optional[str] = None) -> MessageRisk:
    """Warning signs in one message.

    The message is read in the covered language it is written in, or in ``language``
    (``"en"``, ``"de"`` …) when given. A language without a word list gives ``covered=False``
    and level ``NONE``. ``locale`` is the reader's (``"de-AT"``): the notice's language and its
    country's helplines; ``None`` words the notice in the message's language. ``age`` of the
    person reading it picks the notice's wording and resources (``None``: treated as a minor).
    The level follows the same scoring as :class:`ConversationMonitor`, for one message with no
    history.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    _check_age(age)
    _check_locale(locale)
    languages, uncovered = _languages_for(language)
    if not languages:
        return MessageRisk(RiskLevel.NONE, language=uncovered, covered=False)
    reading = _reading(text, languages, None, False)
    if not reading.covered:
        return MessageRisk(RiskLevel.NONE, language=reading.language, covered=False)
    if not reading.signals:
        return MessageRisk(RiskLevel.NONE, language=reading.language)
    ev = _Evidence({}, list(reading.signals))
    for s in reading.signals:
        if s.kind in _OFFENDER_KINDS and s.weight > ev.weights.get(s.kind, (0, 0))[0]:
            ev.weights[s.kind] = (float(s.weight), 0.0)
    ev.repeated = reading.repeated_demand
    level, stage = _assess(ev, {}, age is None or age < 18, 0.0)
    notice_locale = locale or reading.language or _majority_language(reading.signals)
    return MessageRisk(level, reading.signals, None, _notice(level, notice_locale, age_group(age)), stage,
                       reading.language)


def _majority_language(signals: Sequence[Signal]) -> str:
    counts: Dict[str, int] = {}
    for s in signals:
        counts[s.language] = counts.get(s.language, 0) + 1
    return max(sorted(counts), key=lambda k: counts[k]) if counts else "en"


def _seconds(time: Any) -> Optional[float]:
    if time is None:
        return None
    if isinstance(time, datetime.datetime):
        return time.timestamp()
    if isinstance(time, (int, float)) and not isinstance(time, bool):
        return float(time)
    raise TypeError(f"time must be seconds (int or float), a datetime or None, got {type(time).__name__}")


class ConversationMonitor:
    """Follows a conversation and raises the level as one sender's warning signs add up.

    ``user`` names the person this device protects; their own messages are never scored as a
    threat, and what they say (an age under 18, "please don't", fear) and the images they send
    count for the risk of the others. Without ``user``, every sender is watched and the other
    senders' words play that part. ``age`` is the user's age (``None``: unknown, protected
    like a minor). ``locale`` is the user's (``"de-AT"``): the notice's language and its
    country's helplines; ``None`` words the notice in the conversation's language.
    ``language`` forces one word list; ``None`` reads each message in the covered language
    it is written in (the conversation's, when a message alone does not tell).

    Levels, per sender, from the stages reached (:class:`Stage`) and faded weights (1 =
    ambiguous such as "pay me", 2 = clear such as "send nudes"):

    * ``URGENT``: a clear threat with a demand, a claim or a deadline; a clear claim to hold
      images with a money demand or a clear image request; a claim with a clear money demand
      and a deadline; any threat with a clear money demand when there is leverage (a clear
      claim, or an intimate image exchanged with a minor) or the user pleaded; demands
      repeated after a threat or claim.
    * ``WARN``: a clear threat; a weak threat with leverage, pleading, or (to a minor) a clear
      demand within :data:`COMBINE_WINDOW` messages; a clear claim, or a weak one with a clear
      demand close by; a clear image request to a minor; any image request to a minor with two
      grooming signs (flattery, personal questions, secrecy, another app) or after sending them
      a sensitive image; a clear money demand with a deadline and leverage, a clear image
      request or pleading; leverage with a clear demand and a deadline or pleading; three
      grooming signs to a minor including secrecy or another app; a sensitive image sent to a
      minor.

    Minors (and users of unknown age, protected like them) and adults differ where adults'
    own lives differ: between adults, asking for a photo and exchanging intimate images are
    not warning signs, and an image exchanged is no leverage by itself.
    * ``CAUTION``: any other sign.

    The conversation's level is the highest over senders and never goes down, so a notice
    once shown stays valid; signs fade only for what they combine with later.
    """

    def __init__(self, locale: Optional[str] = None, age: Optional[int] = None,
                 user: Optional[str] = None, language: Optional[str] = None) -> None:
        self.locale = _check_locale(locale)
        self.age = _check_age(age)
        self.user = user
        self._languages, self._uncovered = _languages_for(language)
        self._evidence: Dict[str, _Evidence] = {}
        self._victim: Dict[str, Dict[SignalKind, Tuple[float, float]]] = {}
        self._language_counts: Dict[str, int] = {}
        self._covered_messages = 0
        self._images = False
        """Images were exchanged or spoken of: "it" and "them" may point at them."""
        self._user_images = False
        """The user sent a sensitive image: leverage in the hands of everyone they write to."""
        self._image_senders: Set[str] = set()
        """Without a known user: senders of sensitive images (leverage for the others)."""
        self._last_recount: Dict[str, int] = {}
        """Index of each sender's last message recounting or warning about a scam: the threats
        they quote next are not theirs."""
        self._last_laugh: Dict[str, int] = {}
        """Index of each sender's last message that laughed ("lol", 😂)."""
        self._count = 0
        self._now = 0.0
        self._risk = MessageRisk(RiskLevel.NONE, language=self._uncovered, covered=not self._uncovered)

    @property
    def risk(self) -> MessageRisk:
        """The conversation's current risk."""
        return self._risk

    @property
    def _language(self) -> Optional[str]:
        counts = self._language_counts
        return max(sorted(counts), key=lambda k: counts[k]) if counts else None

    def _tick(self, time: Any) -> int:
        seconds = _seconds(time)
        if seconds is not None:
            self._now = max(self._now, seconds)
        index = self._count
        self._count += 1
        return index

    def add(self, sender: str, text: str, time: Any = None) -> MessageRisk:
        """Add the next message (in order); returns the conversation's current risk.

        ``time``: when it was sent, in seconds (any epoch) or as a ``datetime``; signs fade
        with the time between messages. ``None`` keeps the last time.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        index = self._tick(time)
        if not self._languages:
            return self._risk
        joking = index - self._last_laugh.get(sender, -JOKE_MEMORY - 1) <= JOKE_MEMORY
        recounting = index - self._last_recount.get(sender, -RECOUNT_MEMORY - 1) <= RECOUNT_MEMORY
        reading = _reading(text, self._languages, self._language, self._images, recounting, joking)
        if not reading.covered:
            if self._covered_messages == 0 and self._risk.covered:
                self._risk = MessageRisk(RiskLevel.NONE, language=reading.language, covered=False)
            return self._risk
        self._covered_messages += 1
        if reading.language_evidence:
            self._language_counts[reading.language] = (self._language_counts.get(reading.language, 0)
                                                       + reading.language_evidence)
        self._images = self._images or reading.images_mentioned
        if reading.recounts:
            self._last_recount[sender] = index
        if reading.laughs:
            self._last_laugh[sender] = index
        if not reading.signals:
            return self._settle(sender)
        signals = [Signal(s.kind, s.start, s.end, s.reason, s.weight, s.language, index) for s in reading.signals]
        is_user = self.user is not None and sender == self.user
        victim = self._victim.setdefault(sender, {})
        for s in signals:
            if s.kind in (SignalKind.DISTRESS, SignalKind.MINOR_AGE):
                victim[s.kind] = (float(s.weight), self._now)
            # The user pleading or afraid: what the other side calls "it" is worth fearing.
            if s.kind is SignalKind.DISTRESS and (self.user is None or sender == self.user):
                self._images = True
        if not is_user:
            ev = self._evidence.setdefault(sender, _Evidence({}, []))
            had_leverage = any(k in ev.weights for k in (SignalKind.THREAT, SignalKind.CLAIMS_IMAGES))
            offender_signals = [s for s in signals if s.kind in _OFFENDER_KINDS]
            ev.signals.extend(offender_signals)
            for s in offender_signals:
                if s.weight >= _faded(ev.weights.get(s.kind), self._now):
                    ev.weights[s.kind] = (float(s.weight), self._now)
                    ev.seen_at[s.kind] = index
            demands = any(s.kind in (SignalKind.MONEY, SignalKind.IMAGE_REQUEST) for s in offender_signals)
            if had_leverage and demands:
                ev.demands += 1
            ev.repeated = ev.repeated or (had_leverage and (reading.repeated_demand or ev.demands >= 3))
        return self._settle(sender)

    def add_image(self, sender: str, sensitive: Any, time: Any = None) -> MessageRisk:
        """Tell the monitor that ``sender`` sent an image, with its verdict.

        ``sensitive``: a bool, or any result with a ``sensitive`` attribute (the verdicts of
        :meth:`Guard.check_outgoing` / :meth:`Guard.check_incoming`, a ``Classification``).
        A sensitive image from the user to another sender is leverage in that sender's hands;
        one sent to a minor is a warning sign of its own."""
        flag = getattr(sensitive, "sensitive", sensitive)
        if not isinstance(flag, bool):
            raise TypeError("sensitive must be a bool or a verdict with a 'sensitive' attribute")
        self._tick(time)
        if not flag:
            return self._risk
        self._images = True
        if self.user is not None and sender == self.user:
            self._user_images = True
        else:
            self._evidence.setdefault(sender, _Evidence({}, [])).sent_sensitive = True
            if self.user is None:
                self._image_senders.add(sender)
        return self._settle(sender)

    def _settle(self, sender: str) -> MessageRisk:
        """Re-assess every watched sender and keep the highest level."""
        best: Optional[Tuple[RiskLevel, Stage, str]] = None
        for name, ev in self._evidence.items():
            ev.received_sensitive = self._user_images or bool(self._image_senders - {name})
            other: Dict[SignalKind, float] = {}
            for victim_name, signs in self._victim.items():
                if victim_name == name or (self.user is not None and victim_name != self.user):
                    continue
                for kind, entry in signs.items():
                    other[kind] = max(other.get(kind, 0.0), _faded(entry, self._now))
            minor = self.age is None or self.age < 18 or other.get(SignalKind.MINOR_AGE, 0.0) >= 0.75
            level, stage = _assess(ev, other, minor, self._now)
            if best is None or (level, stage) > best[:2] or ((level, stage) == best[:2] and name == sender):
                best = (level, stage, name)
        if best is None:
            return self._risk
        level, stage, name = best
        current = self._risk
        if level > current.level or (level == current.level and (stage > current.stage or name == current.sender)):
            language = self.locale or self._language or _majority_language(self._evidence[name].signals)
            self._risk = MessageRisk(level, tuple(self._evidence[name].signals), name,
                                     _notice(level, language, age_group(self.age)), stage, self._language)
        return self._risk
