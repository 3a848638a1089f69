"""Text normalization for the message rules, with a map back to the original text.

``normalize(text)`` folds the usual evasions into plain lower-case Latin so that one rule
matches them all, and keeps for every output character the index of the input character it
came from, so a match in the normalized text is reported as a span of the original text.

What is folded, in this order:

* emoji that stand for words: 💰💵💸🤑 → `` money ``, 📸📷📹 → `` photo ``, 🍑🍆💦👅🔞 → `` sexy ``, 😂🤣💀 → `` haha ``;
* zero-width characters, variation selectors and combining marks are dropped;
* NFKC (fullwidth ``ｎｕｄｅｓ``, ligatures, superscripts), lower case, accents removed
  (``é`` → ``e``, ``ñ`` → ``n``); the German letters ``ä ö ü ß`` are kept, because folding them
  merges words ("zählen" and "zahlen", "schön" and "schon"); word lists write ``ä`` and match
  both ``ä`` and ``ae``;
* look-alike letters from Cyrillic and Greek (``а е о р с у х і ѕ`` …) → Latin;
* l33t inside words that contain letters: ``0→o 1→i 3→e 4→a 5→s 7→t @→a $→s``, and
  ``! |`` between letters → ``i l``; a number with a unit (``24h``, ``$500``, ``10k``) is kept;
* letters split by spaces, dots, dashes, stars or underscores (``n u d e s``, ``p.a.y``),
  three letters or more, are joined;
* a letter repeated three times or more is kept once (``pleeease`` → ``please``).

Plain ASCII or Latin-1 lines without digits-in-words, split letters or repeats take a fast
path: one ``str.lower`` and one ``str.translate``, offsets are the identity.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Dict, List, Optional, Tuple

__all__ = ["EMOJI_WORDS", "KEPT_LETTERS", "normalize", "original_span"]

#: Letters outside a-z that normalization keeps (German: folding them merges words).
KEPT_LETTERS = "äöüß"

EMOJI_WORDS: Dict[str, str] = {}
for _chars, _word in (
    ("💰💵💸🤑💲💶💷💴🏦", "money"),
    ("📸📷📹🎥🤳", "photo"),
    ("🍑🍆💦👅🔞🍒🥵", "sexy"),
    ("⏰⏳⌛⏱", "hurry"),
    ("🤫🤐", "secret"),
    ("😂🤣😆😹💀", "haha"),
):
    for _c in _chars:
        EMOJI_WORDS[_c] = f" {_word} "

# Cyrillic and Greek letters that look like Latin ones (lower case; upper case is lowered
# first). A small hand-made subset of Unicode's confusables.txt.
_CONFUSABLES = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ɡ": "g", "һ": "h", "ԛ": "q", "ԝ": "w", "ь": "b", "ı": "i",
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ς": "c", "μ": "u", "ζ": "z",
}
_PUNCT = {"’": "'", "‘": "'", "ʼ": "'", "´": "'", "`": "'", "“": '"', "”": '"', "„": '"',
          "–": "-", "—": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " "}
_DROP = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\ufe0e", "\ufe0f", "\u180e"}
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """One input character → its folded form (possibly empty or several characters)."""
    if ch in _DROP:
        return ""
    if ch in EMOJI_WORDS:
        return EMOJI_WORDS[ch]
    out = []
    for c in unicodedata.normalize("NFKC", ch).lower():
        if c in _CONFUSABLES:
            out.append(_CONFUSABLES[c])
        elif c in _PUNCT:
            out.append(_PUNCT[c])
        elif c.isascii() or c in KEPT_LETTERS:
            out.append(c)
        elif unicodedata.category(c) == "Mn":
            continue
        else:
            base = "".join(d for d in unicodedata.normalize("NFD", c) if unicodedata.category(d) != "Mn")
            out.append(base if base else c)
    return "".join(out)


def _build_table() -> Dict[int, str]:
    """Single characters that fold to a single character: the fast path's translate table."""
    table = {}
    candidates = [chr(i) for i in range(0xA0, 0x250)] + list(_CONFUSABLES) + list(_PUNCT)
    for ch in candidates:
        low = ch.lower()
        if len(low) != 1 or low in _DROP:
            continue
        folded = _fold_char(low)
        if len(folded) == 1 and (folded.isascii() or folded in KEPT_LETTERS) and folded != low:
            table[ord(low)] = folded
    return table


_TABLE = _build_table()
_FAST_OK = re.compile(r"[\x00-\x7fäöüß€£]*")
# Anything the slow path would change beyond the per-character table.
_TRICKS = re.compile(
    r"[0-9@$!|][a-z]|[a-z][0-9@$!|]"                      # l33t inside a word
    r"|(?<![a-z0-9])[a-z][ .*_\-]{1,2}[a-z][ .*_\-]{1,2}[a-z](?![a-z0-9])"  # s p l i t
    r"|([a-z])\1\1"                                        # repeats
)
_LEET_TOKEN = re.compile(r"[a-zäöüß0-9@$!|]+")
_NUMBER_WITH_UNIT = re.compile(r"[$€£]?\d+(?:[.,]\d+)*[a-z]{0,5}")
_SPLIT = re.compile(r"(?<![a-z0-9])[a-z](?:[ .*_\-]{1,2}[a-z](?![a-z0-9])){2,}")
_REPEAT = re.compile(r"([a-z])\1{2,}")


def normalize(text: str) -> Tuple[str, Optional[List[int]]]:
    """Fold ``text`` for matching.

    Returns ``(normalized, offsets)``. ``offsets`` is ``None`` when every normalized character
    sits at the same index as in ``text``; otherwise ``offsets[i]`` is the index in ``text``
    of the character normalized character ``i`` came from. Use :func:`original_span`.
    """
    low = text.lower()
    if len(low) == len(text):
        folded = low.translate(_TABLE)
        if _FAST_OK.fullmatch(folded) and not _TRICKS.search(folded):
            return folded, None
    return _slow(text)


def original_span(offsets: Optional[List[int]], start: int, end: int) -> Tuple[int, int]:
    """The span of ``text`` that normalized characters ``start:end`` came from."""
    if offsets is None:
        return start, end
    if end <= start:
        return offsets[start], offsets[start]
    return offsets[start], offsets[end - 1] + 1


def _slow(text: str) -> Tuple[str, List[int]]:
    chars: List[str] = []
    offs: List[int] = []
    for i, ch in enumerate(text):
        for c in _fold_char(ch):
            chars.append(c)
            offs.append(i)
    s = "".join(chars)

    # l33t: inside tokens that contain a letter and are not a number with a unit.
    if any(c in _LEET or c in "!|" for c in s):
        buf = list(s)
        for m in _LEET_TOKEN.finditer(s):
            tok = m.group()
            if tok.isalpha() or not any(c.isalpha() for c in tok) or _NUMBER_WITH_UNIT.fullmatch(tok):
                continue
            for j in range(m.start(), m.end()):
                c = buf[j]
                if c in _LEET:
                    buf[j] = _LEET[c]
                elif c in "!|" and m.start() < j < m.end() - 1 and buf[j - 1].isalpha() and s[j + 1].isalpha():
                    buf[j] = "i" if c == "!" else "l"
        s = "".join(buf)

    s, offs = _rewrite(s, offs, _SPLIT, lambda m: [k for k in range(m.start(), m.end()) if s[k].isalpha()])
    s, offs = _rewrite(s, offs, _REPEAT, lambda m: [m.start()])
    return s, offs


def _rewrite(s: str, offs: List[int], pattern: "re.Pattern[str]", keep) -> Tuple[str, List[int]]:  # type: ignore[no-untyped-def]
    """Replace every match of ``pattern`` by the characters at the indices ``keep(match)``."""
    pieces: List[str] = []
    new_offs: List[int] = []
    last = 0
    for m in pattern.finditer(s):
        pieces.append(s[last:m.start()])
        new_offs.extend(offs[last:m.start()])
        for k in keep(m):
            pieces.append(s[k])
            new_offs.append(offs[k])
        last = m.end()
    if last == 0:
        return s, offs
    pieces.append(s[last:])
    new_offs.extend(offs[last:])
    return "".join(pieces), new_offs
