"""The word lists behind the message warnings: loading, tokens, matching, language.

A language is one data file, ``nudeguard/chat/signals/<language>.json``::

    {"language": "en", "name": "English",
     "stopwords": ["the", "you", ...],
     "concepts": {"spread": ["send", "post*", "make it public", ...], ...},
     "reasons": {"threat": "threatens to share images", ...}}

An entry is one or more words matched as consecutive tokens of the normalized text (see
:mod:`nudeguard.chat.textnorm`: lower case, accents removed, l33t and split letters joined); a
word ending in ``*`` matches every word it begins (``post*``: post, posts, posted, posting),
one word starting with ``*`` every word it ends (``*gruppe``: Klassengruppe, for compounds).
Entries are normalized like the text, and ``ä ö ü`` in an entry also match ``ae oe ue``
(not ``a o u``: "zählen" is not "zahlen").
The concepts are the parts a warning sign is assembled from (:data:`CONCEPTS`); which parts
make which sign is code, in :mod:`nudeguard.chat.monitor`, the same for every language.

Matching is a dictionary look-up per token and per stem length, so the cost grows with the
length of a message, not with the number of entries.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from .textnorm import normalize

__all__ = ["CONCEPTS", "CONTEXT_CONCEPTS", "Hit", "Lexicon", "Tokens", "languages", "lexicon", "tokenize"]

SIGNALS_DIR = Path(__file__).resolve().parent / "signals"

#: Every concept a language file defines, and what it stands for.
CONCEPTS = {
    "spread": "sharing done by the writer: share, post, send on, leak, expose, publish",
    "exposure": "an audience receiving: will see, gets, receives, finds out, lands in (the audience acts)",
    "audience": "who would see it: your family, friends, school, followers, everyone, the internet",
    "intimate": "nudity and intimate images: nudes, naked, without clothes, in underwear",
    "photo": "pictures and recordings: pic, photo, video, selfie, screenshot, recording",
    "pointer": "words pointing back at images already mentioned: it, them, those, what you sent",
    "your": "possessives of the reader: your, ur",
    "first_person": "the writer as the one acting: I, I'll, I'm gonna, we",
    "third_person": "someone else as the one acting (reported speech): he, she, they, someone, the scammer",
    "speech": "verbs of reported speech: said, told, threatened, demanded, asked",
    "report_context": "words of someone warning about or recounting a scam: scam, careful, heard, happened to",
    "negation": "not, never, won't, don't",
    "ultimatum": "or, or else, unless, otherwise, if you don't",
    "conditional": "if: an ultimatum when a negation follows it in the sentence (si ... no ...)",
    "request": "asking to be sent or shown something: send me, show me, let me see, can I see",
    "wearing": "questions about clothes and body: what are you wearing, are you in bed",
    "claim": "claiming to hold material: I have your, I recorded, I hacked, I made (fakes)",
    "possess": "verbs of holding, a claim with the writer and an image in the sentence: have, got, kept, saved",
    "hacked": "access or fakes: hacked, webcam, cloud, AI, deepfake, edited",
    "pay": "paying and transferring: pay, send money, transfer, wire",
    "ask": "generic demands that are about money only next to an amount or payment: give me, I need",
    "payment": "payment services, gift cards, crypto",
    "currency": "currency words and signs: $, €, euros, dollars, bucks",
    "money_word": "money, cash, amount",
    "more": "again and more: more, again, another, the rest, not enough",
    "time_unit": "units that make a number a deadline: h, hours, minutes, pm",
    "deadline": "deadlines and urgency: tonight, by midnight, right now, last chance",
    "secrecy": "secrecy: don't tell anyone, between us, delete the chat",
    "platform": "other apps: snapchat, telegram, whatsapp, discord",
    "move": "moving the chat: add me, let's talk on, text me on, my username is",
    "flattery": "flattery: so mature for your age, so pretty, you're special",
    "probing": "personal questions: how old are you, are you alone, do your parents check your phone",
    "distress": "refusing, pleading and fear: please don't, I'm scared, leave me alone",
    "age_self": "telling one's age: I'm, I am, years old (followed or preceded by a number)",
    "age_unit": "years old",
    "joke": "laughter and jokes: lol, haha, jk, just kidding",
    "menace": "threats of consequences without a named act: you'll regret it, your life is over",
}


#: Concepts that only qualify others: a message with nothing but these has no sign.
CONTEXT_CONCEPTS = frozenset({"your", "first_person", "third_person", "negation", "ultimatum", "conditional",
                              "pointer", "joke", "more", "speech", "move", "hacked", "possess"})


@dataclass(frozen=True)
class Hit:
    """One concept found in a message: tokens ``start:end``."""

    concept: str
    start: int
    end: int


class Tokens:
    """A normalized message split into words, numbers, currency signs and sentence ends."""

    __slots__ = ("words", "normalized", "offsets", "foreign_letters", "has_number", "_spans")

    def __init__(self, words: Tuple[str, ...], normalized: str, offsets: Optional[List[int]],
                 foreign_letters: int, has_number: bool) -> None:
        self.words = words
        self.normalized = normalized
        self.offsets = offsets
        """Map of normalized characters to the original text (see ``_textnorm.original_span``)."""
        self.foreign_letters = foreign_letters
        """Letters outside the Latin alphabet that normalization left (Cyrillic, CJK, Arabic …)."""
        self.has_number = has_number
        self._spans: Optional[Tuple[Tuple[int, int], ...]] = None

    @property
    def spans(self) -> Tuple[Tuple[int, int], ...]:
        """Span of each token in the normalized text (computed when a sign is reported)."""
        if self._spans is None:
            self._spans = tuple(m.span() for m in _TOKEN.finditer(self.normalized))
        return self._spans


# Numbers: "300", "1,000.50", and thousands grouped by a space or an apostrophe ("2 000 €",
# "2'000 CHF", French and Swiss style).
_TOKEN = re.compile(r"[a-zäöüß]+|\d{1,3}(?:[ ']\d{3})+(?![\d.,])|\d+(?:[.,]\d+)*|[$€£]|[.!?;\n]+")
_SENTENCE_END = re.compile(r"[.!?;\n]+")
_FOREIGN = re.compile(r"[^\W\da-zäöüß_]")
_DIGIT = re.compile(r"\d")


def tokenize(text: str) -> Tokens:
    """Normalize ``text`` and split it into tokens."""
    norm, offsets = normalize(text)
    foreign = len(_FOREIGN.findall(norm)) if not norm.isascii() else 0
    return Tokens(tuple(_TOKEN.findall(norm)), norm, offsets, foreign, _DIGIT.search(norm) is not None)


def is_sentence_end(word: str) -> bool:
    return _SENTENCE_END.fullmatch(word) is not None


_Entry = Tuple[Tuple[Tuple[str, bool], ...], str]
"""The words of an entry after its first (or first two), as ``(text, is_prefix)``, and its concept."""

#: The shortest stem or word ending an entry may have: shorter ones match far too much.
MIN_STEM = 2

#: Distinct words whose candidate entries are remembered per language (a bound on memory).
_CANDIDATE_CACHE_SIZE = 50_000


class _Index:
    """Entries indexed for matching.

    Entries whose first two words are whole words are found by a look-up of the word pair,
    so a common first word ("i", "you", "ich") does not make every message try all entries
    that start with it; the others by their first word, its stem or its ending."""

    def __init__(self) -> None:
        self.by_word: Dict[str, List[_Entry]] = {}
        self.by_stem: Dict[str, List[_Entry]] = {}
        self.by_ending: Dict[str, List[_Entry]] = {}
        self.by_pair: Dict[Tuple[str, str], List[_Entry]] = {}
        self.stem_lengths: Tuple[int, ...] = ()
        self.ending_lengths: Tuple[int, ...] = ()
        # Entries that may start at a word (pairs aside), per word seen: chat vocabulary repeats.
        self._candidates: Dict[str, Tuple[_Entry, ...]] = {}
        self._pair_firsts: Set[str] = set()

    def add(self, words: List[str], concept: str) -> None:
        if words[0].startswith("*"):
            self.by_ending.setdefault(words[0][1:], []).append(((), concept))
            self.ending_lengths = tuple(sorted({len(k) for k in self.by_ending}))
            return
        parsed = tuple((w.rstrip("*"), w.endswith("*")) for w in words)
        if len(parsed) >= 2 and not parsed[0][1] and not parsed[1][1]:
            self.by_pair.setdefault((parsed[0][0], parsed[1][0]), []).append((parsed[2:], concept))
            self._pair_firsts.add(parsed[0][0])
            return
        (first, first_is_stem), rest = parsed[0], parsed[1:]
        (self.by_stem if first_is_stem else self.by_word).setdefault(first, []).append((rest, concept))
        self.stem_lengths = tuple(sorted({len(k) for k in self.by_stem}))

    def _starting_at(self, word: str) -> Tuple[_Entry, ...]:
        cached = self._candidates.get(word)
        if cached is not None:
            return cached
        found = list(self.by_word.get(word, ()))
        for length in self.stem_lengths:
            if length > len(word):
                break
            found.extend(self.by_stem.get(word[:length], ()))
        for length in self.ending_lengths:
            if length >= len(word):
                break
            found.extend(self.by_ending.get(word[-length:], ()))
        if len(self._candidates) >= _CANDIDATE_CACHE_SIZE:
            self._candidates.clear()
        self._candidates[word] = result = tuple(found)
        return result

    def find(self, words: Sequence[str], hits: List[Hit]) -> None:
        candidates, pairs, pair_firsts = self._candidates, self.by_pair, self._pair_firsts
        last = len(words) - 1
        for i, word in enumerate(words):
            entries = candidates.get(word)
            if entries is None:
                entries = self._starting_at(word)
            if entries:
                _match(words, i + 1, entries, i, hits)
            if i < last and word in pair_firsts:
                pair = pairs.get((word, words[i + 1]))
                if pair:
                    _match(words, i + 2, pair, i, hits)


@dataclass(frozen=True)
class Lexicon:
    """One language's word lists, indexed for matching: the concepts that make a sign apart
    from those that only qualify one (:data:`CONTEXT_CONCEPTS`), so an ordinary line is
    dismissed after looking up the first kind only."""

    language: str
    name: str
    stopwords: FrozenSet[str]
    reasons: Dict[str, str]
    _core: _Index
    _context: _Index

    def find(self, words: Sequence[str], context: bool = True) -> List[Hit]:
        """Every entry that matches, as hits (with ``context=False``, only entries of concepts
        outside :data:`CONTEXT_CONCEPTS`); overlapping hits of one concept keep the longest."""
        hits: List[Hit] = []
        self._core.find(words, hits)
        if context:
            self._context.find(words, hits)
        if len(hits) > 1:
            hits = _longest(hits)
        return hits

    def find_context(self, words: Sequence[str]) -> List[Hit]:
        """Only the hits of :data:`CONTEXT_CONCEPTS` (to add to those of ``find(context=False)``)."""
        hits: List[Hit] = []
        self._context.find(words, hits)
        if len(hits) > 1:
            hits = _longest(hits)
        return hits


def _match(words: Sequence[str], at: int, entries: Sequence[_Entry], start: int, hits: List[Hit]) -> None:
    """Append a hit for every entry whose remaining words follow at ``words[at:]``."""
    n = len(words)
    for rest, concept in entries:
        end = at
        for text, is_prefix in rest:
            if end >= n:
                break
            w = words[end]
            if not (w.startswith(text) if is_prefix else w == text):
                break
            end += 1
        else:
            hits.append(Hit(concept, start, end))


def _longest(hits: List[Hit]) -> List[Hit]:
    """Drop a hit that lies inside a longer one of the same concept ("pay" in "pay me")."""
    kept = []
    for h in hits:
        if not any(o is not h and o.concept == h.concept and o.start <= h.start and h.end <= o.end
                   and (o.end - o.start) > (h.end - h.start) for o in hits):
            kept.append(h)
    return kept


def _entry_variants(entry: str) -> List[List[str]]:
    """The entry as tokens of the normalized text (so ``i'll`` is ``i ll``), plus the spelling
    without apostrophes (``ill``) and the ``ae oe ue`` spellings of umlauts."""
    variants = {entry}
    if any(ch in entry for ch in "äöü"):
        variants.add(entry.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue"))
    if "'" in entry:
        variants |= {v.replace("'", "") for v in variants}
    out = []
    for v in sorted(variants):
        ending, stem = v.startswith("*"), v.endswith("*")
        words = _TOKEN.findall(normalize(v.strip("*"))[0])
        if words and stem:
            words[-1] += "*"
        if words and ending:
            words[0] = "*" + words[0]
        out.append(words)
    return out


@functools.lru_cache(maxsize=None)
def lexicon(language: str) -> Lexicon:
    """The parsed, indexed lexicon of ``language`` (cached)."""
    with open(SIGNALS_DIR / f"{language}.json", encoding="utf-8") as stream:
        data = json.load(stream)
    unknown = set(data["concepts"]) - set(CONCEPTS)
    if unknown:
        raise ValueError(f"signals/{language}.json: unknown concepts {sorted(unknown)}")
    core, context = _Index(), _Index()
    for concept, entries in data["concepts"].items():
        for raw in entries:
            for words in _entry_variants(raw):
                if not words:
                    raise ValueError(f"signals/{language}.json: {concept} entry {raw!r} has no words")
                if words[0].startswith("*") and len(words) > 1:
                    raise ValueError(f"signals/{language}.json: {raw!r}: a word ending is one word")
                if any(w.endswith("*") and len(w) < MIN_STEM + 1 or w.startswith("*") and len(w) < MIN_STEM + 1
                       for w in words):
                    raise ValueError(f"signals/{language}.json: {raw!r}: a stem or ending needs {MIN_STEM} letters "
                                     f"after normalization (repeated letters are folded: kkk* is k*)")
                (context if concept in CONTEXT_CONCEPTS else core).add(words, concept)
    stopwords = frozenset(w for s in data["stopwords"] for w in normalize(s)[0].split())
    return Lexicon(language=data["language"], name=data["name"], stopwords=stopwords,
                   reasons=dict(data["reasons"]), _core=core, _context=context)


#: Function words of languages without a word list (see the file's comment).
OTHER_LANGUAGES_FILE = SIGNALS_DIR / "_other_languages.json"


@functools.lru_cache(maxsize=1)
def languages() -> Tuple[str, ...]:
    """Languages with a lexicon, e.g. ``("de", "en", "es", ...)``."""
    return tuple(sorted(p.stem for p in SIGNALS_DIR.glob("*.json") if not p.stem.startswith("_")))


@functools.lru_cache(maxsize=1)
def _stopword_index() -> Dict[str, Tuple[float, Tuple[str, ...]]]:
    """Function word → (its part when shared by several languages, the languages)."""
    index: Dict[str, List[str]] = {}
    for language in languages():
        for word in lexicon(language).stopwords:
            index.setdefault(word, []).append(language)
    with open(OTHER_LANGUAGES_FILE, encoding="utf-8") as stream:
        for language, words in json.load(stream)["stopwords"].items():
            for word in {w for s in words for w in normalize(s)[0].split()}:
                index.setdefault(word, []).append(language)
    return {word: (1.0 / len(langs), tuple(langs)) for word, langs in index.items()}


def guess_language(tokens: Tokens) -> Tuple[Optional[str], float, int, Tuple[str, ...]]:
    """The language whose function words a message uses most, how sure, of how many words,
    and the languages tied for first place.

    Returns ``(language, share, words, tied)``: a covered language or one of
    :data:`OTHER_LANGUAGES_FILE`, with ``share`` the fraction of the message's ``words`` that
    are its function words; on a tie ``language`` is ``None`` and ``tied`` names the tied
    languages ("ok", "no" are words of several); ``(None, 0.0, words, ())`` when no function
    word occurs. To pick the language, a word shared by several languages counts a part to
    each, so a language's own words decide."""
    index = _stopword_index()
    counts: Dict[str, float] = {}
    present: Dict[str, int] = {}
    n = 0
    for word in tokens.words:
        # One letter is a piece of an elision ("don't", "l'envoyer"), not a word of its own.
        if len(word) < 2 or not word[0].isalpha():
            continue
        n += 1
        entry = index.get(word)
        if entry is not None:
            part, langs = entry
            for lang in langs:
                counts[lang] = counts.get(lang, 0.0) + part
                present[lang] = present.get(lang, 0) + 1
    if not counts:
        return None, 0.0, n, ()
    best = max(counts, key=counts.__getitem__)
    top = counts[best]
    tied = tuple(sorted(lang for lang, value in counts.items() if value == top))
    if len(tied) > 1:
        return None, present[best] / n, n, tied
    return best, present[best] / n, n, tied
