"""The chat demo's video call in headless Chromium, its camera a generated video file.

Chromium's fake camera (``--use-fake-device-for-media-stream
--use-file-for-fake-video-capture``) plays a Y4M file made here from the benign photos and
the held-out synthetic sensitive fixtures: benign frames, then the fixtures for a few seconds,
then benign frames again (Chromium loops the file; a call ends before the loop comes back
round). Each frame carries its index in a bar of black and white blocks along its bottom
edge, below what the model looks at (it centre-crops the bottom 1/16 away), so the test can
tell which camera frame the server received and which one left the call guard unveiled.

The page sends Mia's camera frames to the demo server as JPEGs; the server runs each through
a ``CallGuard`` and shows Alex the newest released frame. The test reads every frame that
went in and came out through ``create_app(call_observer=...)``, and Alex's and Mia's screens
through the page, and classifies what they show with the bundled model. Screenshots go to
``$NUDEGUARD_ARTIFACTS`` as ``chat-demo-desktop-call-<step>.png``, as in tests/test_chat_demo.py.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import cv2
import numpy as np
import pytest

flask = pytest.importorskip("flask", reason="the chat demo needs Flask: pip install '.[test]'")
webdriver = pytest.importorskip("selenium.webdriver", reason="the browser tests need selenium: pip install '.[test]'")

from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

import nudeguard  # noqa: E402
from conftest import benign_photos, synthetic_sensitive  # noqa: E402
from nudeguard import CallState  # noqa: E402
from test_chat_demo import Page, chat_demo, find_chromium, served  # noqa: E402

#: The fake camera: 640x480 (one view for the model), 10 frames a second, as the page sends them.
SIZE = (640, 480)
FPS = 10
#: Seconds of benign frames, of the sensitive fixtures, and of benign frames again. The fixtures
#: stay long enough for the test to look at both screens while veiled; the benign frames after
#: them outlast the veil's lifting rule (a clean second) with room for a slow machine.
BENIGN_BEFORE_S, SENSITIVE_S, BENIGN_AFTER_S = 2, 5, 6
SENSITIVE_FRAMES = range(BENIGN_BEFORE_S * FPS, (BENIGN_BEFORE_S + SENSITIVE_S) * FPS)
CAMERA_FRAMES = (BENIGN_BEFORE_S + SENSITIVE_S + BENIGN_AFTER_S) * FPS

#: The frame index bar: MARKER_BITS blocks across the bottom MARKER_ROWS rows (the model
#: resizes to 256 and crops 16 off each edge: the bottom 30 of 480 rows never reach it).
MARKER_BITS, MARKER_ROWS = 10, 24


def with_marker(frame: np.ndarray, index: int) -> np.ndarray:
    marked = frame.copy()
    block = SIZE[0] // MARKER_BITS
    for bit in range(MARKER_BITS):
        marked[-MARKER_ROWS:, bit * block:(bit + 1) * block] = 255 if index >> bit & 1 else 0
    return marked


def marker(frame: np.ndarray) -> Optional[int]:
    """The frame's index, from the centres of its blocks; ``None`` for a frame without a clear
    bar (a veiled frame's is blurred away)."""
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    block = gray.shape[1] // MARKER_BITS
    index = 0
    for bit in range(MARKER_BITS):
        level = gray[-MARKER_ROWS + 6:-6, bit * block + block // 4:(bit + 1) * block - block // 4].mean()
        if 64 < level < 192:
            return None
        index |= int(level >= 192) << bit
    return index


def camera_frames() -> List[np.ndarray]:
    """The fake camera's frames, marked with their index: benign photos changing every half
    second, the sensitive fixtures changing every second, benign photos again."""
    benign = [cv2.resize(cv2.imread(str(p)), SIZE, interpolation=cv2.INTER_AREA) for p in benign_photos()]
    sensitive = [cv2.resize(cv2.imread(str(p)), SIZE, interpolation=cv2.INTER_AREA) for p in synthetic_sensitive()]
    frames = []
    for index in range(CAMERA_FRAMES):
        if index in SENSITIVE_FRAMES:
            picture = sensitive[(index - SENSITIVE_FRAMES.start) // FPS % len(sensitive)]
        else:
            picture = benign[index * 2 // FPS % len(benign)]
        frames.append(with_marker(picture, index))
    return frames


def write_y4m(path: Path, frames: List[np.ndarray]) -> None:
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{SIZE[0]} H{SIZE[1]} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            out.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator["webdriver.Chrome"]:
    binary, driver_path = find_chromium()
    camera = tmp_path_factory.mktemp("camera") / "camera.y4m"
    write_y4m(camera, camera_frames())
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1366,768", "--no-first-run", "--disable-extensions",
                     "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                     f"--use-file-for-fake-video-capture={camera}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@dataclass
class Sent:
    """A frame that left the call guard: what Alex's phone would receive."""

    timestamp_ms: int
    veiled: bool
    state: CallState
    index: Optional[int]
    """The index read off the transmitted pixels (``None`` when veiled)."""


@dataclass
class Step:
    """A camera frame the server received, and what left the call guard on it."""

    timestamp_ms: int
    index: int
    checks_before: int
    checks_after: int
    sent: List[Sent]


class CallLog:
    """Everything that went through the demo's call guard, read as it happened."""

    def __init__(self) -> None:
        self.steps: List[Step] = []
        self.first_frames: Dict[bool, np.ndarray] = {}
        """The first camera frame received from each part of the video: {sensitive: frame}."""
        self.lock = threading.Lock()

    def observe(self, step: "chat_demo.CallStep") -> None:
        index = marker(step.camera_frame)
        assert index is not None, "every camera frame carries its index"
        self.first_frames.setdefault(index in SENSITIVE_FRAMES, step.camera_frame)
        sent = [Sent(f.timestamp_ms, f.veiled, f.state, None if f.veiled else marker(f.frame)) for f in step.released]
        with self.lock:
            self.steps.append(Step(step.timestamp_ms, index, step.checks_before, step.checks_after, sent))

    def sent(self) -> List[Sent]:
        with self.lock:
            return [frame for step in self.steps for frame in step.sent]

    def source(self) -> Dict[int, int]:
        """Camera frame index by timestamp."""
        with self.lock:
            return {step.timestamp_ms: step.index for step in self.steps}


@pytest.fixture()
def call_page(browser, guard: nudeguard.Guard) -> Iterator[Tuple[Page, CallLog]]:
    """The demo on a free local port with its call observed, loaded at desktop size."""
    log = CallLog()
    with served(browser, chat_demo.create_app(guard, call_observer=log.observe), "desktop") as demo:
        yield demo, log


def screen_pixels(page: Page, css: str) -> bytes:
    """What an <img> or <video> on the page shows now, as PNG bytes."""
    url = page.driver.execute_script(
        "const node = document.querySelector(arguments[0]);"
        "const canvas = document.createElement('canvas');"
        "canvas.width = node.naturalWidth || node.videoWidth; canvas.height = node.naturalHeight || node.videoHeight;"
        "canvas.getContext('2d').drawImage(node, 0, 0); return canvas.toDataURL('image/png');", css)
    return base64.b64decode(url.split(",", 1)[1])


@pytest.fixture()
def screenshot(browser, tmp_path: Path) -> Callable[[str, Optional[str]], None]:
    """Saves the window, or one element of it, as chat-demo-desktop-<step>.png."""
    folder = Path(os.environ.get("NUDEGUARD_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def save(step: str, css: Optional[str] = None) -> None:
        path = str(folder / f"chat-demo-desktop-{step}.png")
        if css is None:
            assert browser.save_screenshot(path)
        else:
            assert browser.find_element(By.CSS_SELECTOR, css).screenshot(path)

    return save


def next_frames(page: Page, css: str, count: int) -> None:
    """Waits until the <img> showed ``count`` more frames (each a new blob: URL)."""
    for _ in range(count):
        before = page.wait_for(css).get_attribute("src")
        page.until(lambda: page.wait_for(css).get_attribute("src") != before, f"a new frame in {css}")


def states(sent: List[Sent]) -> List[CallState]:
    """The states the frames left in, consecutive repeats folded."""
    folded: List[CallState] = []
    for frame in sent:
        if not folded or folded[-1] is not frame.state:
            folded.append(frame.state)
    return folded


def assert_the_camera_frames_are_what_the_video_claims(log: CallLog, guard: nudeguard.Guard) -> None:
    """After the page's capture, JPEG and the server's decode, the fixtures are still sensitive
    to the model and the photos benign: a test that nothing sensitive left can fail."""
    assert set(log.first_frames) == {False, True}
    for sensitive, frame in log.first_frames.items():
        assert guard.classify(frame, color_order="BGR").sensitive is sensitive


def assert_the_veil_lifted_after_the_fixtures_left(log: CallLog) -> None:
    sent = log.sent()
    assert states(sent)[:3] == [CallState.CLEAR, CallState.VEILED, CallState.CLEAR]
    first_veiled = next(i for i, frame in enumerate(sent) if frame.veiled)
    lifted = next(i for i in range(first_veiled, len(sent)) if not sent[i].veiled)
    assert all(not f.veiled and f.state is CallState.CLEAR and f.index >= SENSITIVE_FRAMES.stop
               for f in sent[lifted:lifted + 3])


def assert_no_failed_request_but_the_hang_up(page: Page) -> None:
    """Alex's phone learns that Mia hung up when it asks for the next frame (404)."""
    assert set(page.failed_requests) <= {"404 /api/call/video"}, page.failed_requests


def test_a_teen_resumes_her_camera_only_after_the_second_question(guard: nudeguard.Guard):
    client = chat_demo.create_app(guard).test_client()
    assert client.post("/api/call?user=mia", json={"mode": "strict"}).get_json() == {"state": "clear", "warning": None}
    nude = cv2.imencode(".jpg", camera_frames()[SENSITIVE_FRAMES.start])[1].tobytes()
    status: dict = {}
    deadline = time.monotonic() + 30
    for timestamp in range(0, 30_000, 100):  # the camera's clock, not the test's
        status = client.post(f"/api/call/frames?user=mia&t={timestamp}", data=nude).get_json()
        if status["state"] == "veiled" or time.monotonic() > deadline:
            break
        time.sleep(0.02)  # the checks run on the call guard's own thread
    assert status["state"] == "veiled" and status["warning"]["confirmation"]["title"] == "Are you sure?"
    assert not guard.classify(client.get("/api/call/video?user=alex").data).sensitive

    refused = client.post("/api/call/resume?user=mia", json={"confirmed": False})
    assert refused.status_code == 403 and "warning.confirmation" in refused.get_data(as_text=True)
    assert client.post("/api/call/resume?user=alex", json={"confirmed": True}).status_code == 404  # the caller's choice
    assert client.post("/api/call/resume?user=mia", json={"confirmed": True}).get_json()["state"] == "resumed"
    status = client.post(f"/api/call/frames?user=mia&t={timestamp + 100}", data=nude).get_json()
    assert status["state"] == "resumed"
    assert guard.classify(client.get("/api/call/video?user=alex").data).sensitive  # her choice, sent as it is

    assert client.delete("/api/call?user=alex").status_code == 200  # either one hangs up
    assert client.get("/api/call/video?user=alex").status_code == 404
    assert client.post(f"/api/call/frames?user=mia&t={timestamp + 200}", data=nude).status_code == 404
    assert client.get("/api/state?user=mia").get_json()["call"] is None


ALEX_VIEW = "#pane-alex img.remote-view"
MIA_CAMERA = "#pane-mia video.self-view"


def test_a_strict_call_transmits_no_sensitive_frame_and_warns_the_teen(call_page, guard, screenshot):
    page, log = call_page
    assert Select(page.wait_for("#pane-mia .call-mode")).first_selected_option.get_attribute("value") == "strict"
    page.click("#pane-mia .start-call")
    page.image_loaded(ALEX_VIEW)

    warning = "#pane-mia .call-warning"
    assert page.text(f"{warning} .title") == "Your camera is blurred"
    next_frames(page, ALEX_VIEW, 2)  # fetched after the veil came on
    mias_camera, alexs_screen = screen_pixels(page, MIA_CAMERA), screen_pixels(page, ALEX_VIEW)
    screenshot("call-strict-veiled")
    screenshot("call-alex-veiled", "#pane-alex .call")
    assert guard.classify(mias_camera).sensitive and not guard.classify(alexs_screen).sensitive
    assert "They could be recording this call" in page.text(f"{warning} .body")
    assert page.text(f"{warning} .show-anyway") == "Show my camera anyway"
    page.until(lambda: page.focused(f"{warning} .keep-blurred"), "focus on Keep it blurred")
    assert page.in_view(warning), page.box(warning)

    page.wait_text("#pane-mia .call-state", "Your camera is checked on this phone")  # the veil lifted
    page.wait_gone(warning)
    next_frames(page, ALEX_VIEW, 2)
    assert not guard.classify(screen_pixels(page, ALEX_VIEW)).sensitive
    screenshot("call-strict-lifted")
    page.click("#pane-mia .hang-up")
    page.wait_gone(".call")
    page.wait_for("#pane-mia .start-call")

    source = log.source()
    assert sum(index in SENSITIVE_FRAMES for index in source.values()) >= SENSITIVE_S * FPS // 2
    sent = log.sent()
    leaked = [f.index for f in sent if not f.veiled and f.index in SENSITIVE_FRAMES]
    assert leaked == []
    # Each unveiled frame is the camera frame it claims to be: its own pixels say which one.
    assert all(f.index == source[f.timestamp_ms] for f in sent if not f.veiled)
    assert any(f.veiled for f in sent if source[f.timestamp_ms] in SENSITIVE_FRAMES)
    assert_the_veil_lifted_after_the_fixtures_left(log)
    assert_the_camera_frames_are_what_the_video_claims(log, guard)
    assert_no_failed_request_but_the_hang_up(page)


def test_a_low_latency_call_veils_within_one_check_and_warns_in_the_teens_language(call_page, guard, screenshot):
    page, log = call_page
    Select(page.wait_for("#language")).select_by_value("de")
    page.wait_text("#pane-mia .start-call", "Videoanruf")
    Select(page.wait_for("#pane-mia .call-mode")).select_by_value("low_latency")
    page.click("#pane-mia .start-call")
    page.image_loaded(ALEX_VIEW)

    warning = "#pane-mia .call-warning"
    assert page.text(f"{warning} .title") == "Deine Kamera ist verschwommen"
    screenshot("call-low-latency-veiled-de")
    assert "Sie könnte diesen Anruf aufnehmen" in page.text(f"{warning} .body")
    # Under 18: "show my camera anyway" asks again first; keeping it blurred closes the warning.
    page.click(f"{warning} .show-anyway")
    confirmation = "#pane-mia .call-confirmation"
    assert page.text(f"{confirmation} .title") == "Bist du sicher?"
    page.click(f"{confirmation} .keep-blurred")
    page.wait_gone(confirmation)
    assert not page.find_all(warning)
    page.wait_text("#pane-mia .call-state", "Alex sieht ein verschwommenes Bild.")
    page.wait_text("#pane-mia .call-state", "Deine Kamera wird auf diesem Handy geprüft")  # lifted
    page.click("#pane-mia .hang-up")
    page.wait_gone(".call")

    with log.lock:
        steps = list(log.steps)
    first = next(step for step in steps if step.index in SENSITIVE_FRAMES)
    # Every frame leaves at once, the veil from the first frame after the sensitive frame's own
    # check (or a later one) came back: at most the check in progress when it went in, then that one.
    assert all(len(step.sent) == 1 and step.sent[0].timestamp_ms == step.timestamp_ms for step in steps)
    late = [step.index for step in steps if step.timestamp_ms > first.timestamp_ms
            and step.checks_before >= first.checks_after + 2 and step.index in SENSITIVE_FRAMES
            and not step.sent[0].veiled]
    assert late == []
    first_veiled = next(step for step in steps if step.sent[0].veiled)
    assert first_veiled.index in SENSITIVE_FRAMES, (
        f"veiled {first_veiled.timestamp_ms - first.timestamp_ms} ms after the first sensitive frame")
    assert_the_veil_lifted_after_the_fixtures_left(log)
    assert_the_camera_frames_are_what_the_video_claims(log, guard)
    assert_no_failed_request_but_the_hang_up(page)
