"""Message signals, normalization and the conversation monitor (issue 12)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import nudeguard
from nudeguard import ConversationMonitor, RiskLevel, SignalKind, check_message
from nudeguard._textnorm import normalize, original_span


def kinds(text: str, locale=None):
    return {s.kind for s in check_message(text, locale).signals}


def test_classic_threat_with_money_demand_is_urgent():
    risk = check_message("pay me $300 or I send your nudes to all your followers")
    assert risk.level is RiskLevel.URGENT
    assert {SignalKind.THREAT, SignalKind.MONEY} <= risk.kinds()
    assert risk.notice is not None and risk.notice.tips and risk.notice.resources


def test_spans_point_into_the_original_text_after_normalization():
    text = "ok. І will sеnd your nudеs to your schооl!!"  # Cyrillic І, е, о
    risk = check_message(text)
    threat = [s for s in risk.signals if s.kind is SignalKind.THREAT][0]
    matched = text[threat.start:threat.end]
    assert matched.startswith("І will") and "nudеs" in matched


@pytest.mark.parametrize("text", [
    "send me nudes", "SEND ME NUDES", "s3nd me n00dz", "send me n u d e s", "send me n.u.d.e.s",
    "ｓｅｎｄ ｍｅ ｎｕｄｅｓ", "sеnd mе nudеs", "send me nuuuudes", "send me 🍑 📸",
])
def test_image_request_survives_evasions(text):
    assert SignalKind.IMAGE_REQUEST in kinds(text)


@pytest.mark.parametrize("text", ["p a y me 200 or i post them", "p.a.y 200 or i leak", "💰💰 or i post it",
                                  "P@y 200 or 1 p0st them"])
def test_money_demand_survives_evasions(text):
    assert SignalKind.MONEY in kinds(text)


def test_normalize_maps_every_character_back():
    text = "Ｓ3nd  ＮＵＤＥＳ 💰 n u d e s straße Über"
    norm, offsets = normalize(text)
    assert offsets is not None and len(offsets) == len(norm)
    i = norm.index("nudes")
    start, end = original_span(offsets, i, i + 5)
    assert text[start:end] == "ＮＵＤＥＳ"
    j = norm.index("money")
    assert text[original_span(offsets, j, j + 5)[0]] == "💰"


def test_normalize_fast_path_is_identity_for_plain_lines():
    assert normalize("Hey, how are you?") == ("hey, how are you?", None)
    assert normalize("$500 in 24h")[0] == "$500 in 24h"  # numbers with units are not l33t


@pytest.mark.parametrize("text", [
    "pay me back for the pizza", "I'll share the pics from the party", "send me the homework pic",
    "mom can you send me 20 for lunch", "the new iphone leaked", "everyone will see how drunk tom was",
    "Du schuldest mir 10 Euro für die Pizza", "ich schick dir die bilder von der party",
])
def test_one_ambiguous_line_does_not_warn(text):
    assert check_message(text).level <= RiskLevel.CAUTION


def test_german_rules_and_notice():
    risk = check_message("Zahl 200 € oder ich schicke deine Nacktbilder an alle deine Freunde")
    assert risk.level is RiskLevel.URGENT
    assert risk.notice is not None and risk.notice.locale == "de"
    phones = {r.phone for r in risk.notice.resources}
    assert "116 111" in phones and "0800 22 55 530" in phones


def test_locale_selects_one_rule_file():
    assert kinds("schick mir nacktbilder", "de") == {SignalKind.IMAGE_REQUEST}
    assert kinds("schick mir nacktbilder", "en") == set()


def test_monitor_accumulates_the_classic_script_per_sender():
    monitor = ConversationMonitor(age=15)
    levels = [monitor.add(sender, text).level for sender, text in [
        ("x", "hey, you seem mature for your age"),
        ("x", "send me a pic of you in the shower"),
        ("v", "no"),
        ("x", "I already have your nudes"),
        ("x", "I will post them everywhere and send them to your family"),
        ("x", "unless you pay 300 through cashapp"),
    ]]
    assert levels[0] is RiskLevel.NONE
    assert levels == sorted(levels)
    assert levels[-1] is RiskLevel.URGENT
    risk = monitor.risk
    assert risk.sender == "x" and risk.notice is not None
    assert {s.message for s in risk.signals} >= {1, 3, 4, 5}
    assert risk.notice.resources[0].name.startswith("Take It Down")


def test_monitor_keeps_senders_apart():
    monitor = ConversationMonitor()
    monitor.add("a", "you owe me 12, pay me back")
    risk = monitor.add("b", "don't post the pics from the party on insta")
    assert risk.level <= RiskLevel.CAUTION


def test_adult_notice_lists_stopncii():
    monitor = ConversationMonitor(locale="en", age=30)
    risk = monitor.add("x", "I have a recording of you naked. I will send it to your wife unless you pay")
    assert risk.level is RiskLevel.URGENT
    names = [r.name for r in risk.notice.resources]
    assert any("StopNCII" in n for n in names) and not any("Take It Down" in n for n in names)


def test_check_message_rejects_bytes():
    with pytest.raises(TypeError):
        check_message(b"pay me")  # type: ignore[arg-type]


def test_cli_message_and_conversation(tmp_path):
    out = subprocess.run([sys.executable, "-m", "nudeguard.cli", "message", "--json",
                          "pay 200 or I post your pics online"], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert data["level"] == "URGENT" and {s["kind"] for s in data["signals"]} >= {"threat", "money"}
    conv = tmp_path / "c.jsonl"
    conv.write_text("\n".join(json.dumps(m) for m in [
        {"sender": "x", "text": "hi", "time": 1}, {"sender": "x", "text": "i have your nudes", "time": 2},
        {"sender": "x", "text": "send $200 or everyone sees them", "time": 3}]) + "\n")
    out = subprocess.run([sys.executable, "-m", "nudeguard.cli", "conversation", str(conv)],
                         capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("1\tNONE") and lines[-1].startswith("3\tURGENT")


def test_public_names_are_exported():
    for name in ("check_message", "ConversationMonitor", "MessageRisk", "RiskLevel", "Signal", "SignalKind",
                 "EvidenceLog"):
        assert name in nudeguard.__all__
