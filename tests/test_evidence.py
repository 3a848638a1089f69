"""EvidenceLog: append-only hash chain, tamper detection and exports (issue 12)."""

from __future__ import annotations

import json

import pytest

from nudeguard import EvidenceLog


def make_log(tmp_path):
    log = EvidenceLog(tmp_path / "evidence.jsonl")
    log.add_profile("stranger42", {"display_name": "Jess <3", "profile_url": "https://example.test/jess"})
    log.add_message("stranger42", "send me a pic", time=1718000000)
    log.add_message("stranger42", "pay $300 or <b>everyone</b> sees them", time="2024-06-10T08:00:00+00:00")
    log.add_media("stranger42", sha256="ab" * 32, md5="cd" * 16, pdq="ef" * 32)
    log.add_note("blocked the account")
    return log


def lines(log):
    return log.path.read_text(encoding="utf-8").splitlines()


def write(log, new_lines):
    log.path.write_text("\n".join(new_lines) + "\n", encoding="utf-8")


def test_intact_log_verifies_and_reopens(tmp_path):
    log = make_log(tmp_path)
    result = log.verify()
    assert result.ok and result.records == 5 and result.head == log.head
    again = EvidenceLog(log.path)
    again.add_message("me", "stop")
    assert again.verify().ok and len(again) == 6


def test_edited_record_is_detected(tmp_path):
    log = make_log(tmp_path)
    rows = lines(log)
    record = json.loads(rows[2])
    record["data"]["text"] = "hello"
    rows[2] = json.dumps(record)
    write(log, rows)
    result = log.verify()
    assert not result.ok and result.line == 3 and "edited" in result.reason


def test_edited_record_with_recomputed_hash_breaks_the_next_link(tmp_path):
    import hashlib
    log = make_log(tmp_path)
    rows = lines(log)
    record = json.loads(rows[1])
    record["data"]["text"] = "hello"
    body = {k: v for k, v in record.items() if k != "hash"}
    record["hash"] = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                               ensure_ascii=False).encode()).hexdigest()
    rows[1] = json.dumps(record)
    write(log, rows)
    result = log.verify()
    assert not result.ok and result.line == 3


def test_deleted_record_is_detected(tmp_path):
    log = make_log(tmp_path)
    rows = lines(log)
    del rows[1]
    write(log, rows)
    result = log.verify()
    assert not result.ok and result.line == 2


def test_reordered_records_are_detected(tmp_path):
    log = make_log(tmp_path)
    rows = lines(log)
    rows[1], rows[2] = rows[2], rows[1]
    write(log, rows)
    assert log.verify().line == 2


def test_truncated_end_is_detected_with_the_kept_head(tmp_path):
    log = make_log(tmp_path)
    head = log.head
    write(log, lines(log)[:-1])
    assert log.verify().ok
    assert not log.verify(expected_head=head).ok


def test_media_is_recorded_by_hash_only(tmp_path):
    log = make_log(tmp_path)
    media = [r for r in log.records() if r["type"] == "media"][0]
    assert set(media["data"]["hashes"]) == {"pdq", "md5", "sha256"}
    with pytest.raises(ValueError):
        log.add_media("x")


def test_exports_escape_html_and_carry_the_chain(tmp_path):
    log = make_log(tmp_path)
    log.export_html(tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;everyone&lt;/b&gt;" in page and "<b>everyone</b>" not in page
    assert "Jess &lt;3" in page and "intact" in page
    log.export_json(tmp_path / "r.json")
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["verified"] and report["head"] == log.head and len(report["records"]) == 5
