"""Precision and recall of the message rules on the project's labelled set (issue 12).

tests/data/messages.jsonl: one message per line, grouped into conversations, English and
German, labelled per message with the signal kinds a person would mark (benign look-alikes
such as pizza debts, party photos, game purchases and family money talk carry no labels).

Conversation level: a conversation counts as flagged for a kind when the ConversationMonitor
ends at WARN or above (what a client shows) with a signal of that kind; it is truly positive
when any message is labelled with the kind. Run with ``-s`` to see the table.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from nudeguard import ConversationMonitor, RiskLevel, SignalKind, check_message
from nudeguard.chat import _find, _rule_sets

DATA = Path(__file__).resolve().parent / "data" / "messages.jsonl"


def load():
    records = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    conversations = collections.OrderedDict()
    for r in records:
        conversations.setdefault(r["conversation"], []).append(r)
    return records, conversations


def prf(tp, fp, fn):
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall


@pytest.fixture(scope="module")
def scores():
    records, conversations = load()
    msg = {k: [0, 0, 0] for k in SignalKind}
    conv = {k: [0, 0, 0] for k in SignalKind}
    alarms = {"sextortion": [0, 0], "benign": [0, 0]}  # [reached WARN, total]
    for messages in conversations.values():
        monitor = ConversationMonitor()
        for r in messages:
            predicted = check_message(r["text"]).kinds()
            truth = {SignalKind(k) for k in r["labels"]}
            for k in SignalKind:
                msg[k][0] += k in predicted and k in truth
                msg[k][1] += k in predicted and k not in truth
                msg[k][2] += k not in predicted and k in truth
            risk = monitor.add(r["sender"], r["text"])
        truth = {SignalKind(k) for r in messages for k in r["labels"]}
        flagged = risk.kinds() if risk.level >= RiskLevel.WARN else set()
        for k in SignalKind:
            conv[k][0] += k in flagged and k in truth
            conv[k][1] += k in flagged and k not in truth
            conv[k][2] += k not in flagged and k in truth
        group = alarms["sextortion" if truth else "benign"]
        group[0] += risk.level >= RiskLevel.WARN
        group[1] += 1
    print(f"\n{len(records)} messages, {len(conversations)} conversations")
    print(f"{'kind':15} {'msg P':>6} {'msg R':>6} {'conv P':>7} {'conv R':>7}  (conv tp/fp/fn)")
    for k in SignalKind:
        mp, mr = prf(*msg[k])
        cp, cr = prf(*conv[k])
        print(f"{k.value:15} {mp:6.2f} {mr:6.2f} {cp:7.2f} {cr:7.2f}  {conv[k]}")
    print(f"conversations at WARN or above: sextortion {alarms['sextortion'][0]}/{alarms['sextortion'][1]}, "
          f"benign {alarms['benign'][0]}/{alarms['benign'][1]}")
    return msg, conv, alarms


def test_labelled_set_is_big_enough_and_bilingual():
    records, conversations = load()
    assert len(records) >= 300
    assert {r["lang"] for r in records} == {"en", "de"}
    benign = [c for c in conversations.values() if not any(r["labels"] for r in c)]
    assert len(benign) >= 30


@pytest.mark.parametrize("kind", [SignalKind.THREAT, SignalKind.MONEY])
def test_threats_and_money_demands_meet_the_conversation_targets(scores, kind):
    _, conv, _ = scores
    precision, recall = prf(*conv[kind])
    assert recall >= 0.9 and precision >= 0.95, (kind, precision, recall)


def test_no_benign_conversation_reaches_warn(scores):
    _, _, alarms = scores
    assert alarms["benign"][0] <= 1


def test_prefilter_loses_nothing():
    records, _ = load()
    rule_sets = _rule_sets(None)
    for r in records:
        assert _find(r["text"], rule_sets, prefilter=True) == _find(r["text"], rule_sets, prefilter=False), r["text"]
