"""The threat report: one call from the evidence log, the selected messages, the sender profile
and image hashes to JSON and an escaped HTML page; the chain verified (and a broken chain
reported, not hidden); next steps for the reporter's age; every catalogue; never pixels."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import numpy as np
import pytest

import nudeguard
from nudeguard import EvidenceLog, Person, SenderProfile, threat_report
from nudeguard.safety.report import REPORT_FORMAT
from nudeguard.safety.wording import catalogue

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "sample.jpg"
TAKE_IT_DOWN, STOPNCII, CYBERTIPLINE = "https://takeitdown.ncmec.org", "https://stopncii.org", "https://report.cybertip.org"
INJECTION = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def make_log(tmp_path):
    """seq 0 profile, 1-4 messages (3 from the reporter), 5 media."""
    log = EvidenceLog(tmp_path / "evidence.jsonl")
    log.add_profile("stranger42", {"display_name": f"Jess {INJECTION}", "profile_url": "https://example.test/jess"})
    log.add_message("stranger42", "hey cutie, send me a pic", time=1718000000)
    log.add_message("stranger42", f"pay $300 or everyone sees them {INJECTION}", time=1718000600)
    log.add_message("me", "please don't", time=1718000700)
    log.add_message("stranger42", "you have 2 hours", time=1718000800)
    log.add_media("stranger42", sha256="ab" * 32, pdq="ef" * 32)
    return log


def report_for(log, reporter=Person(age=15), **options):
    options.setdefault("sender_id", "stranger42")
    options.setdefault("sender", SenderProfile(account_age_days=4, mutual_contacts=0, country="NG",
                                               recipient_country="AT", reports=2, is_contact=False))
    return threat_report(log, reporter=reporter, **options)


def step_urls(report):
    return [step["url"] for step in report.data["next_steps"]]


# --------------------------------------------------------------------------- content

def test_the_report_holds_the_selected_messages_verbatim_with_the_verified_chain(tmp_path):
    log = make_log(tmp_path)
    image = nudeguard.fingerprint(str(SAMPLE))
    report = report_for(log, messages=[4, 2], images=[image, {"sha256": "AB" * 32, "label": "the photo he asked for"}],
                        locale="de-AT")
    data = json.loads(report.to_json())
    assert data == report.data and data["format"] == REPORT_FORMAT
    records = log.records()
    assert [m["seq"] for m in data["messages"]] == [2, 4]
    assert [{k: v for k, v in m.items() if k != "intact"} for m in data["messages"]] == [records[2], records[4]]
    assert all(m["intact"] for m in data["messages"])
    assert data["evidence"] == {"source": str(log.path), "verified": True, "records": 6, "line": None, "reason": "",
                                "head": log.head, "expected_head": None}
    assert report.verified
    assert data["sender"]["id"] == "stranger42"
    assert data["sender"]["profile"] == {"account_age_days": 4.0, "mutual_contacts": 0, "is_contact": False,
                                         "reports": 2, "country": "NG", "recipient_country": "AT"}
    assert data["sender"]["recorded_profiles"] == [records[0]["data"]["details"]]
    assert data["images"] == [{"pdq": image.pdq, "quality": image.quality, "sha256": image.sha256, "md5": image.md5},
                              {"sha256": "ab" * 32, "label": "the photo he asked for"}]
    assert (data["reporter"], data["locale"], data["country"]) == ({"age_group": "minor"}, "de", "AT")


def test_without_a_selection_the_sender_s_messages_are_taken(tmp_path):
    log = make_log(tmp_path)
    assert [m["seq"] for m in report_for(log).data["messages"]] == [1, 2, 4]
    assert [m["seq"] for m in report_for(log, sender_id=None).data["messages"]] == [1, 2, 3, 4]


def test_next_steps_follow_the_reporter_s_age(tmp_path):
    log = make_log(tmp_path)
    minor, adult, unknown = (report_for(log, reporter=Person(age=age)) for age in (15, 30, None))
    assert TAKE_IT_DOWN in step_urls(minor) and STOPNCII not in step_urls(minor)
    assert STOPNCII in step_urls(adult) and TAKE_IT_DOWN not in step_urls(adult)
    assert {TAKE_IT_DOWN, STOPNCII} <= set(step_urls(unknown))
    english = catalogue("en")
    for report in (minor, adult, unknown):
        steps = report.data["next_steps"]
        assert [step["text"] for step in steps[:3]] == [english["tips"]["dont_pay"], english["tips"]["dont_send_more"],
                                                        english["threat_report"]["platform"]]
        assert CYBERTIPLINE in step_urls(report)
        police = [step["text"] for step in steps].index(english["threat_report"]["police"])
        assert step_urls(report)[police - 1] == CYBERTIPLINE


def test_the_country_s_services_come_after_the_police(tmp_path):
    steps = report_for(make_log(tmp_path), locale="de-AT").data["next_steps"]
    names = [step["name"] for step in steps]
    assert names[-2:] == ["147 Rat auf Draht", "Stopline"]
    assert {"phone": "147", "kind": "helpline"}.items() <= steps[-2].items()
    assert steps[-3]["text"] == catalogue("de")["threat_report"]["police"]


@pytest.mark.parametrize("locale", nudeguard.available_locales())
def test_the_page_is_in_every_catalogue_s_language(tmp_path, locale):
    page = report_for(make_log(tmp_path), locale=locale).to_html()
    texts = catalogue(locale)["threat_report"]
    assert f'<html lang="{locale}">' in page
    for key in ("title", "integrity", "sender", "messages", "next_steps", "police"):
        assert texts[key].replace("'", "&#x27;") in page, key
    assert texts["chain_ok"].format(records=6).replace("'", "&#x27;") in page
    assert texts["relation"]["stranger"].replace("'", "&#x27;") in page
    assert catalogue(locale)["tips"]["dont_pay"].replace("'", "&#x27;") in page


# --------------------------------------------------------------------------- escaping

def test_every_text_from_the_log_profile_and_caller_is_escaped(tmp_path):
    log = make_log(tmp_path)
    report = report_for(log, sender_id="stranger42", images=[{"pdq": "ef" * 32, "label": INJECTION}])
    page = report.to_html()
    assert "<script" not in page and "<img" not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") == 3  # message, recorded profile, image label
    hostile = report_for(log, sender_id='"><b>x</b>')
    assert '"><b>' not in hostile.to_html() and "&quot;&gt;&lt;b&gt;x&lt;/b&gt;" in hostile.to_html()


# --------------------------------------------------------------------------- a broken chain

def test_an_edited_log_is_reported_with_the_line_and_the_messages_after_it(tmp_path):
    log = make_log(tmp_path)
    lines = log.path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("pay $300", "pay $3")
    log.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = report_for(log, messages=[1, 2, 4], locale="fr")
    evidence = report.data["evidence"]
    assert not report.verified and (evidence["line"], evidence["records"]) == (3, 2)
    assert "edited" in evidence["reason"]
    assert [m["intact"] for m in report.data["messages"]] == [True, False, False]
    page = report.to_html()
    broken = catalogue("fr")["threat_report"]["chain_broken"].format(line=3, reason=evidence["reason"])
    assert html_text(broken) in page and html_text(catalogue("fr")["threat_report"]["chain_ok"][:20]) not in page


def html_text(text):
    return html.escape(text, quote=True)


def test_a_damaged_line_does_not_stop_the_report(tmp_path):
    log = make_log(tmp_path)
    lines = log.path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3][:40]
    log.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = report_for(log)
    assert not report.verified and report.data["evidence"]["reason"] == "not valid JSON"
    assert [m["seq"] for m in report.data["messages"]] == [1, 2, 4]


def test_records_cut_off_the_end_are_caught_with_the_kept_head(tmp_path):
    log = make_log(tmp_path)
    head = log.head
    lines = log.path.read_text(encoding="utf-8").splitlines()
    log.path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    report = report_for(log, expected_head=head)
    assert not report.verified and "removed from the end" in report.data["evidence"]["reason"]
    assert report.data["evidence"]["expected_head"] == head
    assert report_for(log, expected_head=report_for(log).data["evidence"]["head"]).verified


# --------------------------------------------------------------------------- never pixels

@pytest.mark.parametrize("image", [
    np.zeros((8, 8, 3), np.uint8), SAMPLE.read_bytes(), str(SAMPLE), SAMPLE,
    {"pdq": "ef" * 32, "pixels": [[0, 0, 0]]}, {"jpeg": "/9j/4AAQ"}, {"label": "no hash"},
], ids=["array", "bytes", "path-string", "path", "mapping-with-pixels", "mapping-with-jpeg", "no-hash"])
def test_images_are_accepted_only_as_hashes(tmp_path, image):
    with pytest.raises(ValueError, match="images\\[0\\]"):
        report_for(make_log(tmp_path), images=[image])


@pytest.mark.parametrize("image", [{"pdq": "ef" * 31}, {"sha256": "zz" * 32}, {"md5": "ab" * 32},
                                   {"pdq": "ef" * 32, "quality": 101}])
def test_malformed_hashes_are_refused(tmp_path, image):
    with pytest.raises(ValueError, match="images\\[0\\]"):
        report_for(make_log(tmp_path), images=[image])


def test_no_pixel_data_reaches_the_report(tmp_path):
    jpeg = SAMPLE.read_bytes()
    report = report_for(make_log(tmp_path), images=[nudeguard.fingerprint(jpeg)])
    written = report.to_json() + report.to_html()
    assert len(written) < 12_000 < len(jpeg)  # two pages of text, a third of the photo
    for chunk in (jpeg[200:248], jpeg[-48:]):
        assert base64.b64encode(chunk).decode() not in written and chunk.hex() not in written
    assert "data:image" not in written and "<img" not in report.to_html()


# --------------------------------------------------------------------------- the call

def test_save_writes_both_files(tmp_path):
    report = report_for(make_log(tmp_path))
    report.save(tmp_path / "r.json", tmp_path / "r.html")
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8")) == report.data
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == report.to_html()
    with pytest.raises(ValueError, match="json_path"):
        report.save()


@pytest.mark.parametrize("options, message", [
    ({"messages": [99]}, "record 99 is not a message"),
    ({"messages": [0]}, "record 0 is not a message"),
    ({"messages": "1"}, "seq numbers"),
    ({"messages": [True]}, "seq numbers"),
    ({"sender": {"reports": 1}}, "SenderProfile"),
    ({"sender_id": 42}, "sender_id"),
])
def test_a_wrong_selection_gets_a_clear_value_error(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        report_for(make_log(tmp_path), **options)


def test_the_reporter_must_be_a_person(tmp_path):
    with pytest.raises(ValueError, match="Person"):
        threat_report(make_log(tmp_path), reporter=15)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="EvidenceLog"):
        threat_report(str(tmp_path / "evidence.jsonl"), reporter=Person(age=15))  # type: ignore[arg-type]
