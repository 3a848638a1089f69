"""The chat demo (examples/chat_demo) in real headless Chromium, and its HTTP API.

Browser: Debian's ``chromium`` and ``chromium-driver`` (``apt-get install chromium
chromium-driver``; .ci/run installs them), driven by selenium with the driver's path given,
so selenium never looks for, or downloads, a browser of its own. A missing browser fails the
tests rather than skipping them: CI must really run them. Screenshots of each step go to
``$NUDEGUARD_ARTIFACTS`` when set, else to the test's temporary directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import threading
from pathlib import Path
from typing import Callable, Iterator

import pytest

pytest.importorskip("flask", reason="the chat demo needs Flask: pip install '.[test]'")
webdriver = pytest.importorskip("selenium.webdriver", reason="the browser tests need selenium: pip install '.[test]'")

from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

import nudeguard  # noqa: E402
from conftest import FIXTURES, REPO  # noqa: E402

DEMO = REPO / "examples" / "chat_demo"
sys.path.insert(0, str(DEMO))
import app as chat_demo  # noqa: E402

SENSITIVE = FIXTURES / "synthetic_sensitive.png"
BENIGN = FIXTURES / "benign" / "coffee.jpg"
#: Generous: the machine may be shared with other jobs; every wait ends as soon as its condition holds.
WAIT_SECONDS = 30


# --------------------------------------------------------------------------- HTTP API


@pytest.fixture()
def client(guard: nudeguard.Guard):
    return chat_demo.create_app(guard).test_client()


def send_photo(client, user: str, photo: bytes) -> dict:
    verdict = client.post(f"/api/drafts?user={user}", data=photo).get_json()
    assert client.post(f"/api/drafts/{verdict['draft']}/send?user={user}").status_code == 200
    return verdict


def test_veiled_photo_is_not_served_to_the_recipient_before_view_is_confirmed(client):
    photo = SENSITIVE.read_bytes()
    assert send_photo(client, "alex", photo)["action"] == "allow"  # an adult without opt-in
    message = client.get("/api/state?user=mia").get_json()["messages"][0]
    assert message["photo"]["action"] == "veil" and not message["photo"]["revealed"]
    assert client.get(message["photo"]["src"]).status_code == 403
    preview = client.get(message["photo"]["preview"])
    assert preview.mimetype == "image/jpeg" and preview.data[:2] == b"\xff\xd8" and preview.data != photo
    assert client.post(f"/api/messages/{message['id']}/reveal?user=mia").status_code == 200
    original = client.get(message["photo"]["src"])
    assert original.status_code == 200 and original.data == photo and original.mimetype == "image/png"


def test_undecodable_photo_from_a_teen_fails_closed(client):
    verdict = client.post("/api/drafts?user=mia", data=b"not an image at all").get_json()
    assert verdict["action"] == "confirm" and verdict["error"]
    assert verdict["warning"]["title"] == "Think before you send this"


def test_report_endpoint_returns_hashes_of_the_received_photos_only(client):
    photo = SENSITIVE.read_bytes()
    send_photo(client, "alex", photo)
    send_photo(client, "mia", BENIGN.read_bytes())  # Mia's own photo is not in her report
    response = client.get("/api/report?user=mia")
    assert response.headers["Content-Disposition"] == 'attachment; filename="nudeguard-report.json"'
    assert_hash_only_report(response.get_data(as_text=True), [photo])


def test_readme_integration_section_is_the_demos_code():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Integrate nudeguard in your chat client", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert block, "the section has a python block"
    assert block.group(1) in (DEMO / "client_hooks.py").read_text(encoding="utf-8")


def assert_hash_only_report(text: str, photos: list) -> None:
    report = json.loads(text)
    assert report["format"] == "nudeguard-hash-report"
    assert [item["sha256"] for item in report["images"]] == [hashlib.sha256(p).hexdigest() for p in photos]
    for item in report["images"]:
        assert re.fullmatch(r"[0-9a-f]{64}", item["pdq"]) and "name" not in item
    # No pixels or file bytes: nothing long enough to carry them (hashes are 64 hex digits).
    strings = re.findall(r'"((?:[^"\\]|\\.)*)"', text)
    assert max(len(s) for s in strings) < 120
    assert len(text) < 1500 + 400 * len(photos)


# --------------------------------------------------------------------------- browser


def find_chromium() -> tuple:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or ("/usr/lib/chromium/chromedriver"
                                              if os.path.exists("/usr/lib/chromium/chromedriver") else None)
    if not browser or not driver:
        pytest.fail("the chat demo's browser tests need Chromium and its driver: "
                    "apt-get install chromium chromium-driver (Debian/Ubuntu)", pytrace=False)
    return browser, driver


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads: Path) -> Iterator["webdriver.Chrome"]:
    binary, driver_path = find_chromium()
    # Both paths given: selenium skips Selenium Manager, which would otherwise look for (and
    # download) a browser and driver of its own.
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1400,1800", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture()
def page(browser, guard: nudeguard.Guard) -> Iterator["Page"]:
    """The demo served on a free local port, freshly loaded: a new, empty chat."""
    server = make_server("127.0.0.1", 0, chat_demo.create_app(guard), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        browser.get(f"http://127.0.0.1:{server.server_port}/")
        demo = Page(browser)
        demo.wait_for("#pane-mia h2")
        yield demo
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture()
def screenshot(browser, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[str], None]:
    folder = Path(os.environ.get("NUDEGUARD_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def save(step: str) -> None:
        assert browser.save_screenshot(str(folder / f"{request.node.name}-{step}.png"))

    return save


class Page:
    """The demo page: finds elements afresh each time, since every action re-renders the panes."""

    def __init__(self, driver) -> None:
        self.driver = driver

    def until(self, condition: Callable[[], object], what: str):
        def check(_driver):
            try:
                return condition()
            except StaleElementReferenceException:
                return False
        return WebDriverWait(self.driver, WAIT_SECONDS).until(check, message=f"waiting for {what}")

    def find_all(self, css: str) -> list:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_for(self, css: str) -> WebElement:
        return self.until(lambda: next((e for e in self.find_all(css) if e.is_displayed()), None), css)

    def wait_gone(self, css: str) -> None:
        self.until(lambda: not self.find_all(css), f"{css} to disappear")

    def text(self, css: str) -> str:
        return self.until(lambda: self.wait_for(css).text, css)

    def wait_text(self, css: str, expected: str) -> None:
        self.until(lambda: any(expected in e.text for e in self.find_all(css)), f"{expected!r} in {css}")

    def click(self, css: str) -> None:
        self.until(lambda: self.wait_for(css).click() is None, f"clicking {css}")

    def pick_photo(self, user: str, path: Path) -> None:
        self.wait_for(f"#pane-{user} .photo-label")
        self.driver.find_element(By.CSS_SELECTOR, f"#pane-{user} .photo-input").send_keys(str(path))

    def type_message(self, user: str, text: str) -> None:
        self.wait_for(f"#pane-{user} .text-input").send_keys(text)
        self.click(f"#pane-{user} .send-text")

    def image_loaded(self, css: str) -> dict:
        """naturalWidth/Height of a visible, fully loaded image."""
        def loaded():
            image = self.wait_for(css)
            size = self.driver.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth ?"
                " [arguments[0].naturalWidth, arguments[0].naturalHeight] : null", image)
            return size and {"width": size[0], "height": size[1], "src": image.get_attribute("src")}
        return self.until(loaded, f"{css} loaded")

    def fetch_status(self, url: str) -> int:
        return int(self.driver.execute_async_script(
            "fetch(arguments[0]).then(r => arguments[1](r.status))", url))


def test_teen_sender_gets_the_speed_bump_and_chooses(page: Page, screenshot):
    page.pick_photo("mia", SENSITIVE)
    bump = "#pane-mia .speed-bump"
    assert page.text(f"{bump} .title") == "Think before you send this"
    assert "you lose control of it" in page.text(f"{bump} .body")
    assert page.text(f"{bump} .send-anyway") == "Send anyway"
    assert page.text(f"{bump} .dont-send") == "Don't send"
    assert "Don't pay." in page.text(f"{bump} .tips")
    assert "Take It Down (NCMEC)" in page.text(f"{bump} .resources")
    screenshot("speed-bump")

    page.click(f"{bump} .dont-send")
    page.wait_text("#pane-mia .status", "Not sent.")
    assert not page.find_all(bump) and not page.find_all(".message")

    page.pick_photo("mia", SENSITIVE)
    page.click(f"{bump} .send-anyway")
    page.wait_text("#pane-mia .status", "Sent.")
    page.wait_gone(bump)
    assert page.image_loaded("#pane-mia .message.mine img.original")
    # The adult has not turned protection on: the photo shows, and the opt-in prompt asks.
    assert page.image_loaded("#pane-alex .message.theirs img.original")
    assert page.text("#pane-alex .opt-in .title") == "Blur sensitive photos?"
    assert "nothing is uploaded" in page.text("#pane-alex .opt-in .body")
    screenshot("adult-opt-in-prompt")

    page.click("#pane-alex .opt-in-yes")
    page.wait_for("#pane-alex .protection")
    assert not page.find_all("#pane-alex .opt-in")
    page.image_loaded("#pane-alex .message.theirs img.veiled")
    assert page.text("#pane-alex .veil-notice .body").startswith("It was blurred")  # adult wording
    resources = page.text("#pane-alex .veil-notice .resources")
    assert "StopNCII.org" in resources and "Take It Down" not in resources
    screenshot("adult-opted-in-veiled")


def test_teen_recipient_sees_the_veil_and_views_only_after_confirming(page: Page, screenshot):
    page.pick_photo("alex", SENSITIVE)  # an adult sender without opt-in: no speed bump
    page.wait_text("#pane-alex .status", "Sent.")
    assert not page.find_all("#pane-alex .speed-bump")

    preview = page.image_loaded("#pane-mia img.veiled")
    assert max(preview["width"], preview["height"]) == 480
    notice = "#pane-mia .veil-notice"
    assert page.text(f"{notice} .title") == "This photo may be sensitive"
    assert page.text(f"{notice} .tips-title") == "If someone is threatening you"
    assert "Keep evidence" in page.text(f"{notice} .tips")
    link = page.wait_for(f"{notice} .resources a")
    assert link.text == "Take It Down (NCMEC)" and link.get_attribute("href").startswith("https://takeitdown.ncmec.org")
    assert page.text(f"{notice} .block") == "Block" and page.text(f"{notice} .report") == "Report"
    message = page.wait_for("#pane-mia .message.theirs")
    original_url = f"/api/messages/{message.get_attribute('data-id')}/photo?user=mia"
    assert page.fetch_status(original_url) == 403  # the original stays on the server until confirmed
    screenshot("veiled")

    page.click(f"{notice} .view")
    assert page.text(f"{notice} .confirmation-title") == "Are you sure you want to view it?"
    assert page.text(f"{notice} .confirm-view") == "View" and page.text(f"{notice} .go-back") == "Go back"
    assert not page.find_all("#pane-mia img.original")
    screenshot("view-confirmation")
    page.click(f"{notice} .confirm-view")
    original = page.image_loaded("#pane-mia img.original")
    assert (original["width"], original["height"]) == (256, 256)  # the fixture itself, not the preview
    assert not page.find_all(notice)

    page.pick_photo("alex", BENIGN)  # an ordinary photo is shown as it is
    page.until(lambda: len(page.find_all("#pane-mia .message.theirs")) == 2, "the second photo")
    page.image_loaded("#pane-mia .message.theirs:last-child img.original")
    assert len(page.find_all("#pane-mia img.veiled")) == 0
    screenshot("viewed")


def test_report_downloads_a_hash_only_bundle_and_block_hides_the_conversation(page: Page, screenshot, downloads):
    report = downloads / "nudeguard-report.json"
    report.unlink(missing_ok=True)
    page.pick_photo("alex", SENSITIVE)
    page.image_loaded("#pane-mia img.veiled")
    page.click("#pane-mia .veil-notice .report")
    page.wait_text("#pane-mia .status", "hashes of 1 photo(s), no pictures")
    page.until(lambda: report.is_file() and report.stat().st_size > 0 and json.loads(report.read_text()),
               "the downloaded report")
    assert_hash_only_report(report.read_text(encoding="utf-8"), [SENSITIVE.read_bytes()])
    screenshot("reported")

    page.click("#pane-mia .veil-notice .block")
    assert page.text("#pane-mia .blocked") == "You blocked Alex. The conversation is hidden."
    assert not page.find_all("#pane-mia .message") and not page.find_all("#pane-mia .composer")
    assert page.find_all("#pane-alex .message")  # only Mia's view is hidden
    screenshot("blocked")
    page.click("#pane-mia .unblock")
    page.wait_for("#pane-mia img.veiled")


def test_german_texts_and_a_sextortion_message_warning(page: Page, screenshot):
    Select(page.wait_for("#language")).select_by_value("de")
    page.wait_text("#pane-mia .send-text", "Senden")
    assert page.text("#pane-alex .opt-in .title") == "Sensible Fotos unscharf machen?"

    page.type_message("alex", "Ich habe deine Nacktbilder. Zahl mir 500 Euro oder ich schicke sie an alle deine Freunde")
    notice = "#pane-mia .message.theirs .notice"
    assert page.text(f"{notice} .title") == "Das sieht nach Erpressung aus"
    assert page.text(f"{notice} .tips-title") == "Wenn dich jemand bedroht"
    resources = page.text(f"{notice} .resources")
    assert "Nummer gegen Kummer" in resources and "116 111" in resources
    assert not page.find_all("#pane-alex .notice")  # the warning is for the one being threatened

    page.pick_photo("mia", SENSITIVE)
    bump = "#pane-mia .speed-bump"
    assert page.text(f"{bump} .title") == "Überleg gut, bevor du das sendest"
    assert page.text(f"{bump} .send-anyway") == "Trotzdem senden"
    assert page.text(f"{bump} .dont-send") == "Nicht senden"
    screenshot("german")
