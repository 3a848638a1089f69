"""Message signals, normalization and the conversation monitor (issues 12 and 23)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import nudeguard
from nudeguard import ConversationMonitor, RiskLevel, SignalKind, check_message
from nudeguard.chat.textnorm import normalize, original_span


def kinds(text: str, language=None):
    return {s.kind for s in check_message(text, language=language).signals}


def test_classic_threat_with_money_demand_is_urgent():
    risk = check_message("pay me $300 or I send your nudes to all your followers")
    assert risk.level is RiskLevel.URGENT
    assert {SignalKind.THREAT, SignalKind.MONEY} <= risk.kinds()
    assert risk.notice is not None and risk.notice.tips and risk.notice.resources


def test_spans_point_into_the_original_text_after_normalization():
    text = "ok. І will sеnd your nudеs to your schооl!!"  # Cyrillic І, е, о
    risk = check_message(text)
    threat = [s for s in risk.signals if s.kind is SignalKind.THREAT][0]
    # The span runs from the first part of the threat to the last: the verb to the audience.
    assert text[threat.start:threat.end] == "sеnd your nudеs to your schооl"


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


def test_language_selects_one_word_list():
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
    assert levels[0] is RiskLevel.CAUTION  # flattery alone: a sign, nothing to show
    assert levels == sorted(levels)
    assert levels[-1] is RiskLevel.URGENT
    risk = monitor.risk
    assert risk.sender == "x" and risk.notice is not None
    assert {s.message for s in risk.signals} >= {1, 3, 4, 5}
    assert risk.stage is nudeguard.Stage.DEMAND
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
    out = subprocess.run([sys.executable, "-m", "nudeguard", "message", "--json",
                          "pay 200 or I post your pics online"], capture_output=True, text=True)
    assert out.returncode == 1, out.stderr  # found: a level that shows the notice
    data = json.loads(out.stdout)
    assert data["level"] == "URGENT" and {s["kind"] for s in data["signals"]} >= {"threat", "money"}
    conv = tmp_path / "c.jsonl"
    conv.write_text("\n".join(json.dumps(m) for m in [
        {"sender": "x", "text": "hi", "time": 1}, {"sender": "x", "text": "i have your nudes", "time": 2},
        {"sender": "x", "text": "send $200 or everyone sees them", "time": 3}]) + "\n")
    out = subprocess.run([sys.executable, "-m", "nudeguard", "conversation", str(conv)],
                         capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("1\tNONE") and lines[-1].startswith("3\tURGENT")


def test_public_names_are_exported():
    for name in ("check_message", "ConversationMonitor", "MessageRisk", "RiskLevel", "Signal", "SignalKind",
                 "EvidenceLog"):
        assert name in nudeguard.__all__


# --------------------------------------------------------------------------- issue 23


@pytest.mark.parametrize("text", ["pay 300 € or I post them", "pay 200€ or I post them", "pay 300$ or I post them",
                                  "300 bucks on cashapp or i post them"])
def test_amounts_with_the_currency_after_the_number_are_money(text):
    assert SignalKind.MONEY in kinds(text, "en")


def test_a_deadline_without_keywords_is_pressure():
    assert SignalKind.PRESSURE in kinds("300 by 9pm", "en")


@pytest.mark.parametrize("text", [
    "ich will neue bilder. heute noch. sonst bekommt deine ganze klasse die alten",  # German word order
    "…, bekommt deine ganze klasse die bilder",
    "die bilder landen bei deiner schule",
    "your school's group chat gets it if you don't pay",
])
def test_threats_are_matched_as_parts_in_any_order(text):
    assert SignalKind.THREAT in kinds(text)


@pytest.mark.parametrize("text", [
    "i'll expose you as the biggest taylor swift fan lmao",
    "he said he would post her pics unless she paid 500",
    "watch out, scammers threaten to send your pics to your friends unless you pay",
    "i would never send your pics to anyone",
])
def test_jokes_reported_speech_and_negation_do_not_threaten(text):
    assert check_message(text).level <= RiskLevel.CAUTION
    assert SignalKind.THREAT not in kinds(text)


@pytest.mark.parametrize("locale, text", [
    ("en", "send me 300 or your nudes go to all your followers"),
    ("de", "überweis mir 300 euro sonst schick ich deine nacktbilder an deine ganze klasse"),
    ("es", "mándame 300 euros o envío tus fotos desnuda a todos tus amigos"),
    ("fr", "envoie-moi 300 euros sinon j'envoie tes nudes à tous tes amis"),
    ("it", "mandami 300 euro o invio le tue foto nuda a tutti i tuoi amici"),
    ("pt", "me manda 300 reais senão eu mando suas fotos pelada pra todos os seus amigos"),
])
def test_every_covered_language_reads_a_classic_threat_in_its_own_words(locale, text):
    assert locale in nudeguard.chat.signal_languages()
    risk = check_message(text)
    assert risk.level is RiskLevel.URGENT and risk.language == locale and risk.covered
    assert risk.notice is not None and risk.notice.locale == locale


@pytest.mark.parametrize("text", [
    "gönder bana çıplak fotoğraflarını yoksa herkese gönderirim",  # Turkish
    "пришли мне свои фото или я отправлю их всем",  # Russian
    "stuur me je naaktfoto's of ik stuur ze naar al je vrienden",  # Dutch
])
def test_a_language_without_a_word_list_is_reported_not_guessed(text):
    risk = check_message(text)
    assert risk.covered is False and risk.level is RiskLevel.NONE and risk.signals == ()


def test_a_forced_language_without_a_word_list_is_reported():
    risk = check_message("pay me or I post your nudes", language="nl-NL")
    assert risk.covered is False and risk.language == "nl"
    monitor = ConversationMonitor(language="tr")
    assert monitor.add("x", "pay me or I post your nudes").covered is False


def test_the_notice_speaks_the_readers_locale_whatever_the_messages_language():
    risk = check_message("pay me $300 or I send your nudes to all your followers", locale="de-AT")
    assert risk.language == "en" and risk.notice.locale == "de"
    assert "147" in {r.phone for r in risk.notice.resources}
    assert check_message("pay me $300 or I send your nudes to all your followers").notice.locale == "en"


def test_the_user_is_never_blamed_and_their_words_count_against_the_other():
    monitor = ConversationMonitor(age=15, user="mia")
    monitor.add("mia", "please don't send them to my mom, I'm scared")
    assert monitor.risk.level is RiskLevel.NONE  # the user's own words are no threat
    risk = monitor.add("x", "then do what i say. everyone will see it")
    assert risk.sender == "x" and risk.level >= RiskLevel.WARN


def test_an_image_the_user_sent_turns_a_money_demand_into_leverage():
    plain = ConversationMonitor(age=16, user="leo")
    plain.add("x", "send 200 on paypal before 9pm")
    assert plain.risk.level <= RiskLevel.CAUTION
    monitor = ConversationMonitor(age=16, user="leo")
    monitor.add_image("leo", True)
    risk = monitor.add("x", "send 200 on paypal before 9pm")
    assert risk.level >= RiskLevel.WARN and risk.stage >= nudeguard.Stage.IMAGES


def test_add_image_takes_a_verdict_and_rejects_other_values():
    class Verdict:
        sensitive = True

    monitor = ConversationMonitor(age=14, user="ana")
    assert monitor.add_image("stranger", Verdict()).level is RiskLevel.WARN  # a nude sent to a minor
    with pytest.raises(TypeError):
        monitor.add_image("stranger", "yes")


def test_signs_fade_with_conversation_time():
    day = 24 * 3600.0

    def level(gap):
        monitor = ConversationMonitor(age=30, user="me")
        monitor.add("x", "I recorded our video call", time=0.0)
        return monitor.add("x", "send 500 on paypal", time=gap).level

    assert level(60.0) >= RiskLevel.WARN
    assert level(60 * day) <= RiskLevel.CAUTION
    with pytest.raises(TypeError):
        ConversationMonitor().add("x", "hi", time="yesterday")


def test_repeated_demands_after_a_threat_are_urgent():
    monitor = ConversationMonitor(age=17, user="sam")
    monitor.add("x", "i have your nudes")
    monitor.add("sam", "i paid, please delete them")
    assert monitor.add("x", "now i need 300 more").stage is nudeguard.Stage.REPEATED
    assert monitor.risk.level is RiskLevel.URGENT


def test_grooming_without_a_threat_warns_a_minor_but_not_an_adult():
    script = [("x", "you're so mature for your age"), ("x", "do your parents check your phone?"),
              ("x", "add me on snap, it's more private"), ("x", "keep it between us ok"),
              ("x", "what are you wearing? send a pic")]
    levels = {}
    for age in (13, 30):
        monitor = ConversationMonitor(age=age, user="me")
        for sender, text in script:
            monitor.add(sender, text)
        levels[age] = monitor.risk.level
    assert levels[13] >= RiskLevel.WARN and levels[30] <= RiskLevel.WARN


def test_a_disclosed_age_under_18_protects_even_when_the_app_says_adult():
    monitor = ConversationMonitor(age=19, user="kim")
    monitor.add("x", "send me a pic in your pjs")
    assert monitor.risk.level <= RiskLevel.CAUTION
    monitor.add("kim", "im 14 tho")
    assert monitor.add("x", "send me a pic in your pjs").level >= RiskLevel.WARN


def test_the_notice_is_built_once_per_level_locale_and_age():
    first = check_message("pay me $300 or I send your nudes to all your followers").notice
    second = ConversationMonitor().add("y", "pay me $300 or I send your nudes to all your followers").notice
    assert first is second


def test_the_notice_follows_the_region_of_the_locale():
    risk = ConversationMonitor(locale="de-AT", age=15).add("x", "zahl 200 € oder ich schick deine nacktbilder an alle")
    phones = {r.phone for r in risk.notice.resources if r.phone}
    assert "147" in phones and "116 111" not in phones


@pytest.mark.parametrize("age", [-1, 3.5, True, "15"])
def test_bad_ages_are_rejected(age):
    with pytest.raises(ValueError):
        check_message("hi", age=age)
    with pytest.raises(ValueError):
        ConversationMonitor(age=age)


def test_cli_conversation_takes_images_and_the_user_and_names_the_one_at_risk(tmp_path):
    conv = tmp_path / "c.jsonl"
    conv.write_text("\n".join(json.dumps(m) for m in [
        {"sender": "mia", "text": "no"}, {"sender": "mia", "image": {"sensitive": True}, "time": 10},
        {"sender": "x", "text": "pay 200 or everyone sees it", "time": 20}]) + "\n")
    out = subprocess.run([sys.executable, "-m", "nudeguard", "conversation", "--user", "mia", "--age", "15",
                          str(conv)], capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    assert out.stdout.splitlines() == ["1\tNONE\t-\t-", "2\tNONE\t-\t-", "3\tURGENT\tx\tmoney,threat"]
    conv.write_text(json.dumps({"sender": "x", "text": "hi", "time": "noon"}) + "\n")
    bad = subprocess.run([sys.executable, "-m", "nudeguard", "conversation", str(conv)],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "c.jsonl:1" in bad.stderr and "Traceback" not in bad.stderr
