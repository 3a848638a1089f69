"""The chat demo (examples/chat_demo) in real headless Chromium, and its HTTP API.

Browser: Debian's ``chromium`` and ``chromium-driver`` (``apt-get install chromium
chromium-driver``; .ci/run installs them), driven by selenium with the driver's path given,
so selenium never looks for, or downloads, a browser of its own. Without them the browser
tests are skipped with that command as the reason; a CI run fails on that skip
(tests/skips_allowed.txt does not list it). Each flow runs at a desktop size (1366 x 768)
and, where layout matters, a phone's (360 x 740), and asserts that what the user must act on
is in view and focused. Screenshots go to ``$NUDEGUARD_ARTIFACTS`` (CI: build/test-artifacts)
as ``chat-demo-<desktop|phone>-<step>.png``, else to the test's temporary directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
import threading
from pathlib import Path
from typing import Callable, Iterator, List

import pytest

flask = pytest.importorskip("flask", reason="the chat demo needs Flask: pip install '.[test]'")
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
BLACKMAIL_EN = "I have your nudes. Pay me $500 or I send them to all your followers"
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


def test_a_viewed_photo_can_be_veiled_again(client):
    photo = SENSITIVE.read_bytes()
    send_photo(client, "alex", photo)
    message = client.get("/api/state?user=mia").get_json()["messages"][0]
    assert client.post(f"/api/messages/{message['id']}/reveal?user=mia").status_code == 200
    assert client.get(message["photo"]["src"]).status_code == 200
    assert client.post(f"/api/messages/{message['id']}/hide?user=mia").status_code == 200
    assert client.get("/api/state?user=mia").get_json()["messages"][0]["photo"]["revealed"] is False
    assert client.get(message["photo"]["src"]).status_code == 403


def test_text_notices_are_in_the_readers_page_language_whatever_the_message_is_in(client):
    assert client.post("/api/messages?user=alex", json={"text": BLACKMAIL_EN}).status_code == 200
    titles = {locale: client.get(f"/api/state?user=mia&locale={locale}").get_json()["messages"][0]["notice"]["title"]
              for locale in ("de", "en")}
    assert titles == {"de": "Das sieht nach Erpressung aus", "en": "This looks like blackmail"}
    assert "notice" not in client.get("/api/state?user=alex&locale=de").get_json()["messages"][0]


# --------------------------------------------------------------------------- browser

#: (width, height, mobile) of the emulated screens.
VIEWPORTS = {"desktop": (1366, 768, False), "phone": (360, 740, True)}
BOTH_SIZES = pytest.mark.parametrize("page", list(VIEWPORTS), indirect=True)


def find_chromium() -> tuple:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or ("/usr/lib/chromium/chromedriver"
                                              if os.path.exists("/usr/lib/chromium/chromedriver") else None)
    if not browser or not driver:
        pytest.skip("the chat demo's browser tests need Chromium and its driver: "
                    "apt-get install chromium chromium-driver")
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
                     "--window-size=1366,768", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@contextlib.contextmanager
def served(browser, app: "flask.Flask", viewport: str) -> Iterator["Page"]:
    """``app`` served on a free local port and freshly loaded on the emulated screen: a new,
    empty chat. Every HTTP answer over 399 is recorded."""
    width, height, mobile = VIEWPORTS[viewport]
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
    failed: List[str] = []

    @app.after_request
    def record(response):  # noqa: ANN001, ANN202 - Flask's hook
        if response.status_code >= 400:
            failed.append(f"{response.status_code} {flask.request.path}")
        return response

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        browser.get(f"http://127.0.0.1:{server.server_port}/")
        demo = Page(browser, viewport, failed)
        demo.wait_for("#pane-mia h2")
        yield demo
    finally:
        browser.get("about:blank")  # the page's loops stop before the server does
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture()
def page(browser, guard: nudeguard.Guard, request: pytest.FixtureRequest) -> Iterator["Page"]:
    """The demo on the emulated screen (desktop unless parametrized)."""
    with served(browser, chat_demo.create_app(guard), getattr(request, "param", "desktop")) as demo:
        yield demo


@pytest.fixture()
def screenshot(browser, page: "Page", tmp_path: Path) -> Callable[[str], None]:
    folder = Path(os.environ.get("NUDEGUARD_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def save(step: str) -> None:
        assert browser.save_screenshot(str(folder / f"chat-demo-{page.viewport}-{step}.png"))

    return save


class Page:
    """The demo page: finds elements afresh each time, since every action re-renders the panes."""

    def __init__(self, driver, viewport: str, failed: List[str]) -> None:
        self.driver = driver
        self.viewport = viewport
        self.failed_requests = failed

    def until(self, condition: Callable[[], object], what: str):
        def check(_driver):
            try:
                return condition()
            except StaleElementReferenceException:
                return False
        return WebDriverWait(self.driver, WAIT_SECONDS).until(check, message=f"waiting for {what}")

    def find_all(self, css: str) -> list:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def shown(self, css: str) -> bool:
        return any(e.is_displayed() for e in self.find_all(css))

    def wait_for(self, css: str) -> WebElement:
        return self.until(lambda: next((e for e in self.find_all(css) if e.is_displayed()), None), css)

    def wait_gone(self, css: str) -> None:
        self.until(lambda: not self.find_all(css), f"{css} to disappear")

    def text(self, css: str) -> str:
        return self.until(lambda: self.wait_for(css).text, css)

    def wait_text(self, css: str, expected: str) -> None:
        self.until(lambda: any(expected in e.text for e in self.find_all(css)), f"{expected!r} in {css}")

    def click(self, css: str) -> None:
        def click() -> bool:
            element = self.wait_for(css)
            # Mid-window, as a user scrolls it: selenium's own scrolling puts it under the sticky header.
            self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
            element.click()
            return True
        self.until(click, f"clicking {css}")

    def pick_photo(self, user: str, path: Path) -> None:
        self.settled()
        self.wait_for(f"#pane-{user} .photo-button")
        self.driver.find_element(By.CSS_SELECTOR, f"#pane-{user} .photo-input").send_keys(str(path))

    def settled(self) -> None:
        """Every request of the last action answered and the panes drawn again."""
        self.until(lambda: self.driver.execute_script("return document.body.dataset.ready") == "true", "the page")

    def type_message(self, user: str, text: str) -> None:
        self.settled()
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

    def box(self, css: str) -> dict:
        return self.driver.execute_script("const r = document.querySelector(arguments[0]).getBoundingClientRect();"
                                          "return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,"
                                          " width: r.width, height: r.height};", css)

    def in_view(self, css: str) -> bool:
        """Wholly inside the window, below the page's sticky header."""
        return bool(self.driver.execute_script(
            "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
            "const top = document.querySelector('header').getBoundingClientRect().bottom;"
            "return r.top >= top - 1 && r.left >= -1 && r.bottom <= innerHeight + 1"
            " && r.right <= innerWidth + 1;", css))

    def focused(self, css: str) -> bool:
        return bool(self.driver.execute_script("return document.activeElement.matches(arguments[0]);", css))


@BOTH_SIZES
def test_the_speed_bump_appears_in_view_and_focused_and_the_teen_chooses(page: Page, screenshot):
    # Enough messages that the chat scrolls: the speed bump must not open out of sight.
    for number in range(12):
        page.type_message("alex", f"message {number}: hey, did you see the match yesterday?")
    page.until(lambda: len(page.find_all("#pane-mia .message")) == 12, "the messages")
    page.pick_photo("mia", SENSITIVE)
    bump = "#pane-mia .speed-bump"
    assert page.text(f"{bump} .title") == "Think before you send this"
    assert "you lose control of it" in page.text(f"{bump} .body")
    page.until(lambda: page.focused(f"{bump} .dont-send"), "focus on Don't send")
    assert page.in_view(bump), page.box(bump)
    assert page.text(f"{bump} .send-anyway") == "Send anyway"
    assert page.shown(f"{bump} .get-help summary") and not page.shown(f"{bump} .tips")  # help folded
    screenshot("speed-bump")

    page.click(f"{bump} .dont-send")
    page.wait_text("#pane-mia .status", "Not sent.")
    assert not page.find_all(bump) and not page.find_all("#pane-mia .message.mine")
    page.type_message("mia", "hi")  # the next action clears the status line
    page.until(lambda: page.find_all("#pane-mia .status")[0].text == "", "the status to clear")

    page.pick_photo("mia", SENSITIVE)
    page.click(f"{bump} .send-anyway")
    page.wait_text("#pane-mia .status", "Sent.")
    page.wait_gone(bump)
    assert page.image_loaded("#pane-mia .message.mine img.original")
    page.until(lambda: page.find_all("#pane-mia .status")[0].text == "", "the status to go by itself")
    assert page.failed_requests == []


@BOTH_SIZES
def test_a_veiled_photo_offers_view_block_report_and_help_and_can_be_hidden_again(page: Page, screenshot):
    page.pick_photo("alex", SENSITIVE)  # an adult sender without opt-in: no speed bump
    page.wait_text("#pane-alex .status", "Sent.")
    assert not page.find_all("#pane-alex .speed-bump")

    preview = page.image_loaded("#pane-mia img.veiled")
    assert max(preview["width"], preview["height"]) == 480
    notice = "#pane-mia .veil-notice"
    assert page.text("#pane-mia .message.theirs .sender") == "Alex"
    assert page.text(f"{notice} .title") == "This photo may be sensitive"
    assert page.text(f"{notice} .block") == "Block Alex" and page.text(f"{notice} .report") == "Report"
    assert page.text(f"{notice} .get-help summary") == "Get help"
    assert not page.shown(f"{notice} .tips") and not page.shown(f"{notice} .resources")
    message = page.wait_for("#pane-mia .message.theirs")
    original_url = f"/api/messages/{message.get_attribute('data-id')}/photo?user=mia"
    assert page.fetch_status(original_url) == 403  # the original stays on the server until confirmed
    screenshot("veiled")

    page.click(f"{notice} .get-help summary")
    assert page.text(f"{notice} .tips-title") == "If someone is threatening you"
    assert "Keep evidence" in page.text(f"{notice} .tips")
    link = page.wait_for(f"{notice} .resources a")
    assert link.text == "Take It Down (NCMEC)" and link.get_attribute("href").startswith("https://takeitdown.ncmec.org")
    screenshot("help-open")
    page.type_message("alex", "did you get it?")  # both panes are drawn again: the help stays open
    page.wait_text("#pane-mia .message.theirs .text", "did you get it?")
    assert page.shown(f"{notice} .tips")

    page.click(f"{notice} .view")
    confirmation = "#pane-mia .confirmation"
    assert page.text(f"{confirmation} .title") == "Are you sure you want to view it?"
    page.until(lambda: page.focused(f"{confirmation} .go-back"), "focus on Go back")
    assert page.in_view(confirmation), page.box(confirmation)
    assert page.text(f"{confirmation} .confirm-view") == "View"
    assert not page.find_all("#pane-mia img.original")
    screenshot("view-confirmation")
    page.click(f"{confirmation} .confirm-view")
    original = page.image_loaded("#pane-mia img.original")
    assert (original["width"], original["height"]) == (256, 256)  # the fixture itself, not the preview

    page.click("#pane-mia .hide-photo")  # hidden again, as the notice promised
    page.image_loaded("#pane-mia img.veiled")
    assert not page.find_all("#pane-mia img.original")
    assert page.text("#pane-mia .kept-hidden span") == "Photo kept hidden."
    assert page.fetch_status(original_url) == 403
    page.click("#pane-mia .kept-hidden .view")
    page.wait_for(confirmation)
    page.click(f"{confirmation} .go-back")
    page.wait_gone(confirmation)
    assert page.failed_requests == ["403 " + original_url.split("?")[0]] * 2  # the two fetches above


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_at_phone_width_the_panes_stack_and_nothing_overflows(page: Page, screenshot):
    page.type_message("alex", BLACKMAIL_EN)
    page.wait_for("#pane-mia .notice")
    width = page.driver.execute_script("return innerWidth")
    assert width == 360
    assert page.driver.execute_script("return document.documentElement.scrollWidth") <= width
    mia, alex = page.box("#pane-mia"), page.box("#pane-alex")
    assert mia["right"] <= width and alex["top"] >= mia["bottom"]  # one above the other
    assert page.box("#pane-mia .message.theirs")["width"] > 0.6 * width  # lines of words, not a word a line
    assert page.shown("#pane-mia .photo-button") and not page.shown("#pane-mia .photo-input")
    for part in (".notice .block", ".notice .report", ".notice .get-help summary", ".send-text", ".photo-button"):
        box = page.box(f"#pane-mia {part}")
        assert box["left"] >= 0 and box["right"] <= width, part
    screenshot("sextortion-notice")


def test_at_desktop_size_both_phones_fit_the_window(page: Page, screenshot):
    page.pick_photo("alex", SENSITIVE)
    page.image_loaded("#pane-mia img.veiled")
    height = page.driver.execute_script("return innerHeight")
    mia, alex = page.box("#pane-mia"), page.box("#pane-alex")
    assert mia["top"] == alex["top"] and mia["right"] < alex["left"]  # side by side
    assert mia["bottom"] <= height and alex["bottom"] <= height
    assert page.in_view("#pane-mia .composer") and page.in_view("#pane-alex .composer")
    assert not page.shown(".photo-input")
    screenshot("both-phones")
    assert page.failed_requests == []  # the favicon too


def test_the_adult_is_asked_before_protection_is_turned_on(page: Page, screenshot):
    page.pick_photo("mia", BENIGN)
    page.wait_text("#pane-mia .status", "Sent.")
    assert page.image_loaded("#pane-alex .message.theirs img.original")
    assert page.text("#pane-alex .opt-in .title") == "Blur sensitive photos?"
    assert "nothing is uploaded" in page.text("#pane-alex .opt-in .body")
    screenshot("adult-opt-in-prompt")
    page.click("#pane-alex .opt-in-yes")
    page.wait_for("#pane-alex .protection")
    assert not page.find_all("#pane-alex .opt-in")
    page.pick_photo("mia", SENSITIVE)
    page.click("#pane-mia .speed-bump .send-anyway")
    page.image_loaded("#pane-alex .message.theirs img.veiled")
    assert page.text("#pane-alex .veil-notice .body").startswith("It was blurred")  # adult wording
    page.click("#pane-alex .veil-notice .get-help summary")
    resources = page.text("#pane-alex .veil-notice .resources")
    assert "StopNCII.org" in resources and "Take It Down" not in resources
    screenshot("adult-opted-in-veiled")


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


def test_an_english_threat_gets_a_german_notice_in_the_german_page(page: Page, screenshot):
    Select(page.wait_for("#language")).select_by_value("de")
    page.wait_text("#pane-mia .send-text", "Senden")
    assert page.text("#pane-alex .opt-in .title") == "Sensible Fotos unscharf machen?"

    page.type_message("alex", BLACKMAIL_EN)
    notice = "#pane-mia .message.theirs .notice"
    assert page.text(f"{notice} .title") == "Das sieht nach Erpressung aus"
    assert page.text(f"{notice} .block") == "Alex blockieren" and page.text(f"{notice} .report") == "Melden"
    page.click(f"{notice} .get-help summary")
    assert page.text(f"{notice} .tips-title") == "Wenn dich jemand bedroht"
    resources = page.text(f"{notice} .resources")
    assert "Nummer gegen Kummer" in resources and "116 111" in resources
    assert not page.find_all("#pane-alex .notice")  # the warning is for the one being threatened
    screenshot("german-notice")

    page.pick_photo("mia", SENSITIVE)
    bump = "#pane-mia .speed-bump"
    assert page.text(f"{bump} .title") == "Überleg gut, bevor du das sendest"
    assert page.text(f"{bump} .send-anyway") == "Trotzdem senden"
    assert page.text(f"{bump} .dont-send") == "Nicht senden"
    page.click(f"{bump} .dont-send")
    Select(page.wait_for("#language")).select_by_value("en")
    page.wait_text(f"{notice} .title", "This looks like blackmail")  # the same message, in the page's language
