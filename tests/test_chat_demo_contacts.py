"""The chat demo's contact rules, threat report and hash list in headless Chromium (issue 17).

A third account, jay_22 (a stranger to Mia: a new account, no contacts in common, stated age
22), writes to Mia, 15: the message must not reach her chat but her hidden requests, with the
notices about the sender in the page's language. "Report threat" on a conversation makes the
report from Mia's evidence log, holding only the messages she selected. The demo's guard has
a hash list with the PDQ hash of the photo the demo draws at start-up
(``chat_demo.reported_photo``): that photo, re-encoded at JPEG quality 70 or rotated, is
blocked on send, with no "send anyway". Browser, fixtures and ``Page`` as in
tests/test_chat_demo.py; screenshots go to ``$NUDEGUARD_ARTIFACTS`` as
``chat-demo-desktop-contacts-<step>.png``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Iterator, List

import cv2
import numpy as np
import pytest

flask = pytest.importorskip("flask", reason="the chat demo needs Flask: pip install '.[test]'")
pytest.importorskip("selenium.webdriver", reason="the browser tests need selenium: pip install '.[test]'")

from selenium.webdriver.support.ui import Select  # noqa: E402

import nudeguard  # noqa: E402
from test_chat_demo import (BENIGN, BLACKMAIL_EN, SENSITIVE, Page, browser, chat_demo, downloads,  # noqa: E402,F401
                            served)

STRANGER_TEXT = "hey cutie, you look so mature for your age. add me on snap?"


@pytest.fixture(scope="module")
def listed_guard() -> Iterator[nudeguard.Guard]:
    """A guard as the demo's ``main`` makes it: its hash list holds the demo's reported photo."""
    options = nudeguard.GuardOptions(hash_list=chat_demo.demo_hash_list([chat_demo.reported_photo()]))
    with nudeguard.Guard(options) as guard:
        yield guard


@pytest.fixture()
def page(browser, listed_guard: nudeguard.Guard) -> Iterator[Page]:  # noqa: F811 - the imported fixture
    """The demo with the listed guard, freshly loaded at desktop size, the stranger's pane too."""
    with served(browser, chat_demo.create_app(listed_guard), "desktop") as demo:
        demo.wait_for("#pane-jay h2")
        yield demo


@pytest.fixture()
def screenshot(browser, tmp_path: Path) -> Callable[[str], None]:  # noqa: F811 - the imported fixture
    folder = Path(os.environ.get("NUDEGUARD_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def save(step: str) -> None:
        assert browser.save_screenshot(str(folder / f"chat-demo-desktop-contacts-{step}.png"))

    return save


def pane_text(page: Page, user: str) -> str:
    return page.driver.execute_script("return document.querySelector(arguments[0]).innerText", f"#pane-{user}")


def test_a_strangers_message_lands_in_hidden_requests_with_the_notices(page: Page, screenshot):
    page.type_message("alex", "see you at practice tomorrow?")
    page.type_message("jay", STRANGER_TEXT)
    page.wait_text("#pane-jay .message.mine .not-delivered", "Not delivered: Mia can't get messages from you.")
    page.driver.execute_script("document.querySelector('#pane-jay').scrollIntoView({block: 'end'})")
    screenshot("stranger-not-delivered")
    page.wait_text("#pane-mia .message.theirs .text", "see you at practice tomorrow?")
    page.settled()
    assert STRANGER_TEXT not in pane_text(page, "mia")  # not in her chat, nor anywhere she sees unasked
    assert [e.text for e in page.find_all("#pane-mia .message .text")] == ["see you at practice tomorrow?"]
    assert page.text("#pane-mia .folder.hidden") == "Hidden requests (1)"
    assert page.text("#pane-mia .folder.requests") == "Requests (0)"
    assert not page.find_all("#pane-alex .folder-view") and "jay_22" not in pane_text(page, "alex")

    page.click("#pane-mia .folder.hidden")
    request = '#pane-mia .request[data-sender="jay"]'
    assert page.text(f"{request} .sender") == "jay_22"
    assert page.text(f"{request} .text") == STRANGER_TEXT
    assert page.text(f"{request} .contact-notice .title") == "We hid this message request"
    facts = [e.text for e in page.find_all(f"{request} .facts li")]
    assert facts == ["This person says they are an adult.", "This account was created recently.",
                     "You have no contacts in common."]
    assert not page.find_all("#pane-mia .message")  # the folder, not the chat
    screenshot("hidden-request")

    Select(page.wait_for("#language")).select_by_value("de")
    page.wait_text("#pane-mia .folder.hidden", "Verborgene Anfragen (1)")
    assert page.text(f"{request} .contact-notice .title") == "Wir haben diese Nachrichtenanfrage ausgeblendet"
    facts = [e.text for e in page.find_all(f"{request} .facts li")]
    assert "Dieses Konto wurde erst vor Kurzem erstellt." in facts and "Ihr habt keine gemeinsamen Kontakte." in facts
    page.wait_text("#pane-jay .not-delivered", "Nicht zugestellt")
    screenshot("hidden-request-de")
    Select(page.wait_for("#language")).select_by_value("en")

    page.click("#pane-mia .folder.requests")
    assert page.text("#pane-mia .folder-view .empty") == "Nothing here."
    page.click("#pane-mia .back-to-chat")
    page.wait_text("#pane-mia .message.theirs .text", "see you at practice tomorrow?")
    assert page.failed_requests == []


def test_report_threat_makes_the_report_of_the_selected_messages(page: Page, screenshot, downloads):  # noqa: F811
    first = "hey, how was school?"
    page.type_message("alex", first)
    page.type_message("alex", BLACKMAIL_EN)
    page.pick_photo("alex", SENSITIVE)  # an adult without opt-in: sent as it is
    page.wait_text("#pane-alex .status", "Sent.")
    page.image_loaded("#pane-mia img.veiled")

    page.click("#pane-mia .report-threat.chat")
    choice = "#pane-mia .report-choice"
    assert page.text(f"{choice} .title") == "Report a threat: Alex"
    picks = page.find_all(f"{choice} .pick")
    assert len(picks) == 3 and all(p.is_selected() for p in picks)
    assert page.in_view(choice) and page.focused(f"{choice} .make-report")
    page.click(f"{choice} li:first-child .pick")  # not the small talk
    page.until(lambda: not page.find_all(f"{choice} .pick")[0].is_selected(), "the first message unchecked")
    screenshot("report-choice")
    page.click(f"{choice} .make-report")

    ready = "#pane-mia .threat-report"
    assert page.text(f"{ready} .body") == "Report made from your evidence log: 2 message(s), chain verified."
    page.until(lambda: page.focused(f"{ready} .close"), "focus on Close")
    frame = page.wait_for(f"{ready} iframe.report-page")
    page.driver.switch_to.frame(frame)
    try:
        shown = page.until(lambda: page.driver.execute_script(
            "return document.querySelector('h1') && document.body.innerText"), "the report's page")
    finally:
        page.driver.switch_to.default_content()
    photo = SENSITIVE.read_bytes()
    assert "Report of threats to share intimate images" in shown and "hash chain is intact" in shown
    assert BLACKMAIL_EN in shown and first not in shown
    assert "Take It Down (NCMEC)" in shown and "StopNCII" not in shown  # the next steps for 15
    assert hashlib.sha256(photo).hexdigest() in shown
    screenshot("threat-report")

    saved = downloads / "nudeguard-threat-report.json"
    saved.unlink(missing_ok=True)
    page.click(f"{ready} .download-json")
    page.until(lambda: saved.is_file() and saved.stat().st_size > 0 and json.loads(saved.read_text()), "the JSON")
    report = json.loads(saved.read_text(encoding="utf-8"))
    assert [m["data"]["text"] for m in report["messages"]] == [BLACKMAIL_EN]
    assert all(m["intact"] and m["data"]["sender"] == "alex" for m in report["messages"])
    assert [image["sha256"] for image in report["images"]] == [hashlib.sha256(photo).hexdigest()]
    assert report["evidence"]["verified"] and report["evidence"]["records"] >= 4  # profile, 2 messages, photo
    assert report["reporter"] == {"age_group": "minor"} and report["sender"]["id"] == "alex"
    steps = [step["name"] for step in report["next_steps"]]
    assert "Take It Down (NCMEC)" in steps and "StopNCII.org" not in steps
    assert max(map(len, json.dumps(report).split('"'))) < 200  # texts and hashes, no pixels
    page.click(f"{ready} .close")
    page.wait_gone(ready)

    page.type_message("jay", STRANGER_TEXT)  # a hidden request can be reported from its folder too
    page.click("#pane-mia .folder.hidden")
    page.click('#pane-mia .request[data-sender="jay"] .report-threat')
    page.click(f"{choice} .make-report")
    page.wait_for(ready)
    report_id = page.driver.execute_script("return ui.mia.threatReport.id")
    page.settled()
    stranger = json.loads(page.driver.execute_async_script(
        "fetch(arguments[0]).then(r => r.text()).then(arguments[1])",
        f"/api/threat_reports/{report_id}/json?user=mia"))
    assert [m["data"]["text"] for m in stranger["messages"]] == [STRANGER_TEXT]
    assert stranger["sender"]["profile"] == {"account_age_days": 2, "mutual_contacts": 0, "is_contact": False,
                                             "stated_age": 22}
    assert page.failed_requests == []


def copies_of_the_listed_photo(folder: Path) -> List[Path]:
    """The demo's listed photo as it is, re-encoded at JPEG quality 70 and rotated by 90°."""
    original = chat_demo.reported_photo()
    pixels = cv2.imdecode(np.frombuffer(original, np.uint8), cv2.IMREAD_COLOR)
    copies = {"listed.jpg": original,
              "listed-q70.jpg": cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 70])[1].tobytes(),
              "listed-rotated.png": cv2.imencode(".png", cv2.rotate(pixels, cv2.ROTATE_90_CLOCKWISE))[1].tobytes()}
    assert len(set(copies.values())) == 3
    for name, data in copies.items():
        (folder / name).write_bytes(data)
    return [folder / name for name in copies]


def test_a_listed_photo_is_blocked_without_send_anyway_even_re_encoded_or_rotated(page: Page, screenshot,
                                                                                   tmp_path: Path):
    blocked = "#pane-mia .blocked-photo"
    for number, path in enumerate(copies_of_the_listed_photo(tmp_path)):
        page.pick_photo("mia", path)
        assert page.text(f"{blocked} .title") == "This photo can't be sent", path.name
        assert "reported as shared without consent" in page.text(f"{blocked} .body")
        page.until(lambda: page.focused(f"{blocked} .close"), "focus on Close")
        assert page.in_view(blocked)
        assert not page.find_all("#pane-mia .send-anyway") and not page.find_all("#pane-mia .speed-bump")
        assert [e.text for e in page.find_all(f"{blocked} button")] == ["Close"]
        assert page.shown(f"{blocked} .get-help summary")
        if number == 0:
            screenshot("blocked-photo")
        page.click(f"{blocked} .close")
        page.wait_text("#pane-mia .status", "Not sent.")
        page.wait_gone(blocked)
    assert not page.find_all("#pane-alex .message") and not page.find_all("#pane-mia .message")

    page.pick_photo("alex", tmp_path / "listed-q70.jpg")  # for every age: an adult's wording
    page.wait_text("#pane-alex .blocked-photo .body", "without the consent of the person in it")
    assert not page.find_all("#pane-alex .send-anyway")
    page.click("#pane-alex .blocked-photo .close")

    page.pick_photo("mia", BENIGN)  # the list blocks what is on it, not every photo
    page.wait_text("#pane-mia .status", "Sent.")
    assert page.image_loaded("#pane-alex .message.theirs img.original")
    assert page.failed_requests == []


def test_a_listed_photo_leaves_no_draft_that_could_be_sent(listed_guard: nudeguard.Guard):
    client = chat_demo.create_app(listed_guard).test_client()
    verdict = client.post("/api/drafts?user=mia", data=chat_demo.reported_photo()).get_json()
    assert verdict["action"] == "block" and verdict["draft"] is None
    assert verdict["warning"]["confirm_label"] == "Get help" and verdict["warning"]["cancel_label"] == "Close"
    assert client.get("/api/state?user=alex").get_json()["messages"] == []
