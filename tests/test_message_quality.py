"""How well the message warnings work, on data they were not written against (issue 23).

Two sets:

* ``tests/data/conversations``: the independent evaluation set, written before the rules were
  tuned by writers who did not see them, in six languages and twelve scenario types, split
  content-blind into a development part (tuned on) and test parts (never looked at while
  tuning). It grew in three rounds: the new conversations of rounds 1 and 2 went half to
  ``dev`` and half to a fresh test part (``test``, ``test2``), those of round 3 all to
  ``test3``; each test part was measured once the rules were frozen (see its README). The figures below are the numbers the README
  reports, so a change to the rules that moves them fails here until the README says so too.
* ``tests/data/messages.jsonl``: the project's own 72 conversations (issue 12), which the
  first rules were written against: a regression set, not a result.

Run ``python tests/conversation_eval.py PART`` for the full table.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

import conversation_eval as evaluation
from nudeguard import ConversationMonitor, RiskLevel, SignalKind
from nudeguard.chat import lexicon as _lexicon
from nudeguard.chat import monitor as chat

LEGACY = Path(__file__).resolve().parent / "data" / "messages.jsonl"
LANGUAGES = ("de", "en", "es", "fr", "it", "pt")
RISKY = {"financial_sextortion", "sexual_image_demands", "grooming", "hacked_or_deepfake"}

#: part → language → (true positives, false positives, false negatives, true negatives) at WARN,
#: as the README reports them.
FIGURES = {
    "dev": {"de": (20, 0, 0, 32), "en": (20, 0, 0, 32), "es": (19, 0, 1, 32),
        "fr": (20, 1, 0, 31), "it": (20, 0, 0, 32), "pt": (20, 2, 0, 30)},
    "test": {"de": (10, 3, 2, 13), "en": (11, 2, 1, 14), "es": (12, 0, 0, 16),
        "fr": (11, 0, 1, 16), "it": (11, 1, 1, 15), "pt": (9, 4, 3, 12)},
    "test2": {"de": (8, 0, 0, 16), "en": (8, 2, 0, 14), "es": (8, 4, 0, 12),
        "fr": (8, 0, 0, 16), "it": (5, 1, 3, 15), "pt": (8, 2, 0, 14)},
    "test3": {"de": (15, 4, 1, 28), "en": (13, 6, 3, 26), "es": (14, 4, 2, 28),
        "fr": (13, 2, 3, 30), "it": (14, 6, 2, 26), "pt": (13, 5, 3, 27)},
}

#: Conversations per language in each part: (risky, benign).
SIZES = {"dev": (20, 32), "test": (12, 16), "test2": (8, 16), "test3": (16, 32)}


@pytest.fixture(scope="module")
def outcomes():
    return {part: [evaluation.run(c) for c in evaluation.load(part)] for part in evaluation.PARTS}


def test_the_evaluation_set_is_complete_and_split_without_overlap():
    parts = {part: evaluation.load(part) for part in evaluation.PARTS}
    ids = [c["id"] for part in parts.values() for c in part]
    assert len(ids) == len(set(ids)) == sum(6 * (r + b) for r, b in SIZES.values())
    for part, conversations in parts.items():
        risky, benign = SIZES[part]
        for language in LANGUAGES:
            mine = [c for c in conversations if c["lang"] == language]
            assert sum(c["sextortion"] for c in mine) == risky and sum(not c["sextortion"] for c in mine) == benign
            assert {c["scenario"] for c in mine} >= RISKY and len({c["scenario"] for c in mine}) == 12


@pytest.mark.parametrize("part", evaluation.PARTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_part_gives_the_figures_the_readme_reports(outcomes, part, language):
    _, _, tp, fp, fn, tn = evaluation.rates([o for o in outcomes[part] if o.language == language])
    assert (tp, fp, fn, tn) == FIGURES[part][language]


def test_a_warning_names_the_person_who_wrote_the_threat(outcomes):
    flagged = [o for part in outcomes.values() for o in part if o.positive and o.flagged]
    assert all(o.blamed == o.harm_by for o in flagged), [o.id for o in flagged if o.blamed != o.harm_by]


def _legacy_conversations():
    records = [json.loads(line) for line in LEGACY.read_text(encoding="utf-8").splitlines() if line.strip()]
    conversations = collections.OrderedDict()
    for r in records:
        conversations.setdefault(r["conversation"], []).append(r)
    return records, conversations


def test_the_projects_own_conversations_still_separate():
    _, conversations = _legacy_conversations()
    flagged = {"sextortion": 0, "benign": 0}
    totals = collections.Counter()
    for messages in conversations.values():
        monitor = ConversationMonitor()  # these conversations do not say who the user is
        for r in messages:
            monitor.add(r["sender"], r["text"])
        group = "sextortion" if any(r["labels"] for r in messages) else "benign"
        totals[group] += 1
        flagged[group] += monitor.risk.level >= RiskLevel.WARN
    assert totals == {"sextortion": 32, "benign": 40}
    assert flagged == {"sextortion": 32, "benign": 0}


def test_the_fast_way_out_loses_no_sign():
    """Outside an image context, a message in which no word starts an entry of a sign-making
    concept is dismissed before context words and numbers are matched; on every message of
    both sets, in every language, reading such a message in full anyway finds no sign."""
    records, _ = _legacy_conversations()
    texts = [r["text"] for r in records]
    texts += [m["text"] for part in evaluation.PARTS for c in evaluation.load(part) for m in c["messages"] if "text" in m]
    dismissed = 0
    for language in LANGUAGES:
        lexicon = _lexicon.lexicon(language)
        for text in texts:
            tokens = _lexicon.tokenize(text)
            if lexicon.find(tokens.words, context=False):
                continue
            dismissed += 1
            hits = lexicon.find(tokens.words) + chat._number_hits(tokens.words, lexicon.find(tokens.words))
            out = chat._Builder(tokens, lexicon)
            for clause in chat._clauses(tokens, hits):
                chat._read_clause(clause, out, image_context=False, joking=False, reporting=False)
            assert out.signals == [], (language, text)
    assert dismissed > len(texts)  # the way out is taken, across the languages a line is not in


def test_signal_kinds_have_a_reason_in_every_language():
    for language in LANGUAGES:
        reasons = _lexicon.lexicon(language).reasons
        assert set(reasons) == {k.value for k in SignalKind}, language
