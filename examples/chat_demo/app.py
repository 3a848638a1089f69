"""nudeguard chat demo: a local web chat between a 15-year-old and an adult, and a stranger.

    pip install '.[demo]' && python examples/chat_demo/app.py     # then open http://127.0.0.1:8000

Picking a photo runs ``check_outgoing`` (a sensitive one brings up the speed bump), a
received photo runs ``check_incoming`` (veiled, with "view", block, report and help), chat
text runs through a ``ConversationMonitor`` (sextortion warnings, in the reader's language),
and the adult is asked before protection is turned on. A video call sends the caller's
camera through a ``CallGuard``: the page posts its camera frames as JPEGs (ten a second),
the other pane shows what would be transmitted (each frame as it is, or veiled) and the
caller's pane the warning when the camera is veiled. A third account, jay_22 (a stranger to
Mia: a new account, no contacts in common, stated age 22), writes to Mia: ``route_message``
files it in her hidden requests, which she sees only by opening that folder, with the
notices about the sender. "Report threat" on a conversation makes the threat report
(``threat_report``) from the reader's evidence log. The demo's guard has a hash list holding
one photo, drawn at start-up (``reported_photo``): sending it, re-encoded or rotated too, is
blocked. The nudeguard calls are in ``client_hooks.py`` (the chat's) and ``call_hooks.py``
(the call's); the page (``static/``) renders what this server's API returns, one pane per
person, so a pane can grow a part without touching the others.

Privacy as in a real client: photos live in this process's memory only and are gone when
it stops; each reader's evidence log (texts and photo hashes, no pixels) is a file in a
temporary directory, deleted with it; of a call, only the newest transmitted frame is kept,
until hang-up. Photos and camera frames arrive as raw request bodies rather than multipart
forms because werkzeug spools multipart uploads over 500 KB to a temporary file.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import shutil
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import cv2
import numpy as np
from flask import Flask, Response, abort, jsonify, request, send_from_directory

import nudeguard
from nudeguard import CallFrame, CallGuard, Person, SenderProfile

import call_hooks
import client_hooks

STATIC = Path(__file__).resolve().parent / "static"

#: Largest photo accepted, in bytes.
MAX_PHOTO_BYTES = 25 * 1024 * 1024

#: Who is in the demo, and their ages (set by the app at sign-up in a real client).
USERS = {"mia": ("Mia", 15), "alex": ("Alex", 34), "jay": ("jay_22", 22)}

#: Mia and Alex chat (and call); jay_22 writes to Mia without being her contact.
CHAT = ("mia", "alex")
PARTNERS = {"mia": "alex", "alex": "mia", "jay": "mia"}

#: What the recipient's phone knows about whoever writes to them (a real client: from its
#: server and the address book), by (recipient, sender).
SENDER_PROFILES = {
    ("mia", "alex"): SenderProfile(is_contact=True, mutual_contacts=9, account_age_days=1400),
    ("alex", "mia"): SenderProfile(is_contact=True, mutual_contacts=9, account_age_days=600),
    ("mia", "jay"): SenderProfile(is_contact=False, mutual_contacts=0, account_age_days=2, stated_age=22),
}

#: The page's languages (static/app.js has its labels in these).
PAGE_LANGUAGES = ("en", "de")


@dataclass
class Message:
    id: int
    sender: str
    to: str
    folder: str
    """Where ``route_message`` filed it for the recipient: ``inbox``, ``requests`` or ``hidden``."""
    allowed: bool
    """``False``: not delivered (the sender is told); kept in the recipient's hidden requests."""
    evidence: int
    """Its ``seq`` in the recipient's evidence log."""
    text: Optional[str] = None
    photo: Optional[bytes] = None
    hashes: Optional[Dict[str, str]] = None
    """The photo's hashes, as its recipient's evidence log and threat reports hold it."""
    notices: Dict[Tuple[str, str], Dict[str, Any]] = field(default_factory=dict)
    """By reader and page language: the safety notice, when this text raised the reader's
    conversation to WARN or URGENT. Worded in the reader's language, whatever language the
    message was written in."""


@dataclass(frozen=True, eq=False)
class CallStep:
    """One camera frame through the call guard, as ``create_app``'s ``call_observer`` sees it."""

    camera_frame: np.ndarray
    """The caller's frame as decoded (BGR)."""
    timestamp_ms: int
    checks_before: int
    """The guard's check results (``CallGuard.checks``) before this frame went in ..."""
    checks_after: int
    """... and right after: the check in progress then (if any) and the checks of this frame
    or later ones are counted after this."""
    released: List[CallFrame]
    """What left the guard on this frame: the frames to transmit, oldest first."""


@dataclass
class Call:
    """A video call: the caller's camera, checked, goes to the other person."""

    caller: str
    guard: CallGuard
    transmitted: Optional[bytes] = None
    """The newest frame that left the guard, as JPEG: what the other person's screen shows."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    """``CallGuard.process`` is called from one thread at a time."""


@dataclass
class ChatRoom:
    """The users' messages, held in memory only, and each reader's evidence log."""

    guard: nudeguard.Guard
    people: Dict[str, Person] = field(default_factory=lambda: {n: Person(age) for n, (_, age) in USERS.items()})
    messages: List[Message] = field(default_factory=list)
    drafts: Dict[int, Tuple[str, bytes]] = field(default_factory=dict)
    revealed: Set[Tuple[int, str]] = field(default_factory=set)
    blocked: Set[str] = field(default_factory=set)
    """Users who blocked the other one."""
    monitors: Dict[Tuple[str, str], nudeguard.ConversationMonitor] = field(init=False)
    """Each reader's monitor of the conversation, by page language. A real client has one, on
    its user's device and in their language; the demo's page can switch language at any time."""
    lock: threading.RLock = field(default_factory=threading.RLock)
    ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))
    seen_by: Dict[Tuple[int, Person, str], Tuple[Dict[str, Any], Optional[bytes]]] = field(default_factory=dict)
    """``received_photo`` results by message, recipient (age, opt-in) and language."""
    call: Optional[Call] = None
    """The call in progress: one at a time."""
    evidence_folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="nudeguard-demo-evidence-")))
    """A temporary directory, deleted with the room (or at exit)."""
    evidence: Dict[str, nudeguard.EvidenceLog] = field(init=False)
    """Each reader's evidence log: every message they received, the photos' hashes, who sent them."""
    profiled: Set[Tuple[str, str]] = field(default_factory=set)
    """(reader, sender): the sender's profile is in the reader's evidence log."""
    threat_reports: Dict[int, Tuple[str, nudeguard.ThreatReport]] = field(default_factory=dict)
    """Reports made, by id: (the reporter, the report)."""

    def __post_init__(self) -> None:
        self.monitors = {(name, locale): nudeguard.ConversationMonitor(locale=locale, age=self.people[name].age,
                                                                       user=name)
                         for name in CHAT for locale in PAGE_LANGUAGES}
        weakref.finalize(self, shutil.rmtree, self.evidence_folder, True)
        self.evidence = {name: nudeguard.EvidenceLog(self.evidence_folder / f"{name}.jsonl") for name in USERS}

    @staticmethod
    def other(user: str) -> str:
        """Whom ``user`` writes to."""
        return PARTNERS[user]

    def deliver(self, sender: str, *, text: Optional[str] = None, photo: Optional[bytes] = None) -> Message:
        """A message from ``sender`` to the person they write to: filed by ``route_message``,
        recorded in the recipient's evidence log, and (in Mia and Alex's chat) read by the
        conversation monitors."""
        to = self.other(sender)
        routing = client_hooks.incoming_message(SENDER_PROFILES[to, sender], self.people[to], "en")
        log = self.evidence[to]
        if (to, sender) not in self.profiled:
            log.add_profile(sender, {"display_name": USERS[sender][0], "reasons": routing["reasons"]})
            self.profiled.add((to, sender))
        now = time.time()
        hashes = None
        if photo is not None:
            hashes = photo_hashes(photo)
            record = log.add_media(sender, **hashes, time=now)
        else:
            record = log.add_message(sender, text or "", time=now, folder=routing["folder"])
        notices: Dict[Tuple[str, str], Dict[str, Any]] = {}
        if text is not None and routing["folder"] == "inbox" and {sender, to} == set(CHAT):
            found = {key: client_hooks.text_notice(monitor, sender, text) for key, monitor in self.monitors.items()}
            notices = {key: notice for key, notice in found.items() if notice is not None}
        message = Message(next(self.ids), sender, to, routing["folder"], routing["allowed"], record["seq"],
                          text=text, photo=photo, hashes=hashes, notices=notices)
        self.messages.append(message)
        return message

    def in_chat(self, message: Message, user: str) -> bool:
        """Whether ``message`` shows in ``user``'s chat: what they wrote to the person they
        write to, and whatever ``route_message`` filed in their inbox, from anyone."""
        return (message.sender, message.to) == (user, self.other(user)) or (
            message.to == user and message.folder == "inbox")

    def requests(self, user: str, locale: str) -> Dict[str, List[Dict[str, Any]]]:
        """``user``'s message requests and hidden requests, by sender, each with the notice."""
        folders: Dict[str, List[Dict[str, Any]]] = {"requests": [], "hidden": []}
        for message in self.messages:
            if message.to != user or message.folder == "inbox":
                continue
            group = next((g for g in folders[message.folder] if g["id"] == message.sender), None)
            if group is None:
                routing = client_hooks.incoming_message(SENDER_PROFILES[user, message.sender], self.people[user],
                                                        locale)
                group = {"id": message.sender, "name": USERS[message.sender][0], "notice": routing["notice"],
                         "reasons": routing["reasons"], "messages": []}
                folders[message.folder].append(group)
            group["messages"].append({"id": message.id, "text": message.text, "photo": message.photo is not None})
        return folders

    def received(self, message: Message, user: str, locale: str) -> Tuple[Dict[str, Any], Optional[bytes]]:
        """``client_hooks.received_photo`` for ``user``, once per message, person and language."""
        key = (message.id, self.people[user], locale)
        if key not in self.seen_by:
            assert message.photo is not None
            self.seen_by[key] = client_hooks.received_photo(self.guard, message.photo, self.people[user], locale)
        return self.seen_by[key]

    def hang_up(self) -> None:
        with self.lock:
            call, self.call = self.call, None
        if call is not None:
            with call.lock:
                call.guard.close()

    def call_view(self, user: str) -> Optional[Dict[str, Any]]:
        call = self.call
        if call is None or user not in (call.caller, self.other(call.caller)):
            return None
        if call.caller != user:
            return {"mine": False}
        return dict(call_hooks.call_status(call.guard), mine=True)

    def view(self, message: Message, user: str, locale: str) -> Dict[str, Any]:
        item: Dict[str, Any] = {"id": message.id, "mine": message.sender == user,
                                "sender": USERS[message.sender][0], "text": message.text,
                                "delivered": message.allowed}
        if (user, locale) in message.notices:
            item["notice"] = message.notices[user, locale]
        if message.photo is not None:
            photo = f"/api/messages/{message.id}/photo?user={user}"
            if message.sender == user:
                item["photo"] = {"action": "show", "src": photo}
            else:
                seen, preview = self.received(message, user, locale)
                item["photo"] = dict(seen, src=photo, revealed=(message.id, user) in self.revealed,
                                     preview=None if preview is None else f"/api/messages/{message.id}/preview?user={user}")
        return item


def create_app(guard: nudeguard.Guard, *, call_observer: Optional[Callable[[CallStep], None]] = None) -> Flask:
    """The demo's web app, checking photos with ``guard`` (which the caller closes).
    ``call_observer`` sees every camera frame of a call and what the call guard released on
    it (tests check what was transmitted with it); a real client has no such hook."""
    room = ChatRoom(guard)
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_PHOTO_BYTES

    def user_arg() -> str:
        user = request.args.get("user", "")
        if user not in USERS:
            abort(400, f"user must be one of {sorted(USERS)}")
        return user

    def bool_field(name: str) -> bool:
        choice = (request.get_json(silent=True) or {}).get(name)
        if not isinstance(choice, bool):
            abort(400, f'send {{"{name}": true}} or false')
        return choice

    def locale_arg() -> str:
        locale = request.args.get("locale", "en")
        return locale if locale in PAGE_LANGUAGES else "en"

    def message_for(message_id: int) -> Message:
        found = [m for m in room.messages if m.id == message_id]
        if not found:
            abort(404)
        return found[0]

    @app.get("/")
    def index() -> Response:
        return send_from_directory(STATIC, "index.html")

    @app.get("/static/<path:name>")
    def static_file(name: str) -> Response:
        return send_from_directory(STATIC, name)

    @app.get("/api/state")
    def state() -> Response:
        user, locale = user_arg(), locale_arg()
        with room.lock:
            person = room.people[user]
            name, age = USERS[user]
            other = room.other(user)
            blocked = user in room.blocked
            messages = [] if blocked else [room.view(m, user, locale) for m in room.messages if room.in_chat(m, user)]
            chatting = user in CHAT
            return jsonify({
                "user": {"id": user, "name": name, "age": age, "protected": person.protected},
                "other": {"id": other, "name": USERS[other][0]},
                "stranger": not chatting,
                "opt_in": client_hooks.opt_in_question(room.guard, locale)
                if chatting and person.age_group is nudeguard.AgeGroup.ADULT and not person.opted_in else None,
                "blocked": blocked,
                "messages": messages,
                "requests": room.requests(user, locale),
                "call": room.call_view(user),
            })

    @app.post("/api/drafts")
    def check_photo() -> Response:
        """The photo the user picked: checked before it is sent, kept as a draft until then."""
        user, locale = user_arg(), locale_arg()
        photo = request.get_data(cache=False)
        if not photo:
            abort(400, "the request body must be the photo's bytes")
        verdict = client_hooks.speed_bump(room.guard, photo, room.people[user], locale)
        if verdict["action"] == "block":  # on the hash list: nothing to send later
            return jsonify(dict(verdict, draft=None))
        with room.lock:
            draft = next(room.ids)
            room.drafts[draft] = (user, photo)
        return jsonify(dict(verdict, draft=draft))

    @app.post("/api/drafts/<int:draft>/send")
    def send_draft(draft: int) -> Response:
        user = user_arg()
        with room.lock:
            owner, photo = room.drafts.get(draft, (None, b""))
            if owner != user:
                abort(404)
            del room.drafts[draft]
            message = room.deliver(user, photo=photo)
        return jsonify({"message": message.id, "delivered": message.allowed})

    @app.delete("/api/drafts/<int:draft>")
    def discard_draft(draft: int) -> Response:
        user = user_arg()
        with room.lock:
            if room.drafts.get(draft, (None,))[0] == user:
                del room.drafts[draft]
        return jsonify({})

    @app.post("/api/messages")
    def send_text() -> Response:
        user = user_arg()
        text = str((request.get_json(silent=True) or {}).get("text", "")).strip()
        if not text:
            abort(400, 'send {"text": "..."}')
        with room.lock:
            message = room.deliver(user, text=text[:2000])
        return jsonify({"message": message.id, "delivered": message.allowed})

    @app.get("/api/messages/<int:message_id>/preview")
    def preview(message_id: int) -> Response:
        user, locale = user_arg(), locale_arg()
        with room.lock:
            message = message_for(message_id)
            if message.photo is None or message.sender == user:
                abort(404)
            _, jpeg = room.received(message, user, locale)
        if jpeg is None:
            abort(404)
        return Response(jpeg, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})

    @app.post("/api/messages/<int:message_id>/reveal")
    def reveal(message_id: int) -> Response:
        """The recipient tapped "view" and confirmed: the original may now be fetched."""
        user = user_arg()
        with room.lock:
            message_for(message_id)
            room.revealed.add((message_id, user))
        return jsonify({})

    @app.post("/api/messages/<int:message_id>/hide")
    def hide(message_id: int) -> Response:
        """The recipient hid a photo they had viewed: veiled again, the original withheld again."""
        user = user_arg()
        with room.lock:
            message_for(message_id)
            room.revealed.discard((message_id, user))
        return jsonify({})

    @app.get("/api/messages/<int:message_id>/photo")
    def photo(message_id: int) -> Response:
        user, locale = user_arg(), locale_arg()
        with room.lock:
            message = message_for(message_id)
            if message.photo is None:
                abort(404)
            if message.sender != user and (message_id, user) not in room.revealed:
                seen, _ = room.received(message, user, locale)
                if seen["action"] != "show":
                    abort(403, "veiled: confirm 'view' first")
            data = message.photo
        return Response(data, mimetype=image_type(data), headers={"Cache-Control": "no-store"})

    def current_call(user: str, *, caller: bool) -> Call:
        call = room.call
        if call is None or (call.caller == user) != caller:
            abort(404, "no call" if call is None else "only the caller does that")
        return call

    @app.post("/api/call")
    def start_call() -> Response:
        """The user calls the other one: their camera goes through a call guard from now on."""
        user, locale = user_arg(), locale_arg()
        if user not in CHAT:
            abort(403, "only Mia and Alex call each other")
        mode = (request.get_json(silent=True) or {}).get("mode", "strict")
        if mode not in [m.value for m in nudeguard.CallMode]:
            abort(400, 'send {"mode": "strict"} or "low_latency"')
        room.hang_up()
        call_guard = call_hooks.start_call(room.people[user], mode, locale)
        with room.lock:
            room.call = Call(user, call_guard)
        return jsonify(call_hooks.call_status(call_guard))

    @app.post("/api/call/frames")
    def camera_frame() -> Response:
        """A frame of the caller's camera (a JPEG, ``t``: its capture time in ms)."""
        user = user_arg()
        call = current_call(user, caller=True)
        timestamp = request.args.get("t", "")
        if not timestamp.isdigit():
            abort(400, "t must be the frame's capture time in whole milliseconds")
        with call.lock:
            if room.call is not call:
                abort(404, "the call ended")
            checks_before = call.guard.checks
            try:
                frame, released = call_hooks.camera_frame(call.guard, request.get_data(cache=False), int(timestamp))
            except (nudeguard.ImageError, ValueError) as error:
                abort(400, str(error))
            if released:
                # Encoded in memory, never on disk.
                call.transmitted = cv2.imencode(".jpg", released[-1].frame, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()
            if call_observer is not None:
                call_observer(CallStep(frame, int(timestamp), checks_before, call.guard.checks, released))
            return jsonify(call_hooks.call_status(call.guard))

    @app.get("/api/call/video")
    def transmitted_video() -> Response:
        """The other person's screen: the newest frame the caller's call guard released."""
        call = current_call(user_arg(), caller=False)
        if call.transmitted is None:
            return Response(status=204)
        return Response(call.transmitted, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})

    @app.post("/api/call/resume")
    def resume_call() -> Response:
        """The caller chose "show my camera anyway" (a teen: and then confirmed it)."""
        user, confirmed = user_arg(), bool_field("confirmed")
        call = current_call(user, caller=True)
        try:
            call_hooks.resume_call(call.guard, confirmed)
        except nudeguard.PolicyError as error:
            abort(403, str(error))
        except ValueError as error:  # nothing veiled (any more)
            abort(409, str(error))
        return jsonify(call_hooks.call_status(call.guard))

    @app.delete("/api/call")
    def hang_up() -> Response:
        """Either person hangs up: the call guard stops, the last transmitted frame is dropped."""
        user_arg()
        room.hang_up()
        return jsonify({})

    @app.post("/api/opt_in")
    def opt_in() -> Response:
        user, choice = user_arg(), bool_field("opted_in")
        with room.lock:
            room.people[user] = Person(room.people[user].age, opted_in=choice)
        return jsonify({})

    @app.post("/api/block")
    def block() -> Response:
        user, choice = user_arg(), bool_field("blocked")
        with room.lock:
            (room.blocked.add if choice else room.blocked.discard)(user)
        return jsonify({})

    @app.get("/api/report")
    def report() -> Response:
        """Hashes of every photo the other user sent this one: what Take It Down, StopNCII
        or the police need, without the photos themselves."""
        user = user_arg()
        with room.lock:
            other = room.other(user)
            photos = [m.photo for m in room.messages if m.sender == other and m.photo is not None]
        note = f"{USERS[user][0]} reports {len(photos)} photo(s) received from {USERS[other][0]} in the nudeguard chat demo"
        return Response(client_hooks.hash_report(photos, note), mimetype="application/json",
                        headers={"Content-Disposition": 'attachment; filename="nudeguard-report.json"'})

    @app.post("/api/threat_reports")
    def make_threat_report() -> Response:
        """ "Report threat" on a conversation: the report of the messages the user selected
        (``{"sender": "jay", "messages": [ids]}``), from the user's evidence log."""
        user, locale = user_arg(), locale_arg()
        choice = request.get_json(silent=True) or {}
        sender, chosen = choice.get("sender"), choice.get("messages")
        if sender not in USERS or (user, sender) not in SENDER_PROFILES:
            abort(400, "sender must be someone who wrote to this user")
        if not isinstance(chosen, list) or not chosen:
            abort(400, 'send {"messages": [ids]}: the messages to report')
        with room.lock:
            received = {m.id: m for m in room.messages if (m.sender, m.to) == (sender, user)}
            if any(message_id not in received for message_id in chosen):
                abort(400, f"messages must be ids of messages {sender} sent this user")
            selected = [received[message_id] for message_id in sorted(set(chosen))]
            report = client_hooks.threat_report(
                room.evidence[user], room.people[user], sender, SENDER_PROFILES[user, sender],
                messages=[m.evidence for m in selected if m.photo is None],
                images=[m.hashes for m in selected if m.hashes is not None], locale=locale)
            report_id = next(room.ids)
            room.threat_reports[report_id] = (user, report)
        return jsonify({"id": report_id, "verified": report.verified})

    @app.get("/api/threat_reports/<int:report_id>/<kind>")
    def threat_report(report_id: int, kind: str) -> Response:
        """The report as its readable page (``html``) or as JSON (``json``, a download)."""
        user = user_arg()
        owner, report = room.threat_reports.get(report_id, (None, None))
        if owner != user or report is None or kind not in ("html", "json"):
            abort(404)
        if kind == "html":
            return Response(report.to_html(), mimetype="text/html", headers={"Cache-Control": "no-store"})
        return Response(report.to_json(), mimetype="application/json", headers={
            "Cache-Control": "no-store", "Content-Disposition": 'attachment; filename="nudeguard-threat-report.json"'})

    return app


def photo_hashes(photo: bytes) -> Dict[str, str]:
    """PDQ, SHA-256 and MD5 of a photo; without the PDQ hash when it cannot be decoded."""
    try:
        fingerprint = nudeguard.fingerprint(photo)
    except nudeguard.ImageError:
        return {"sha256": hashlib.sha256(photo).hexdigest(), "md5": hashlib.md5(photo).hexdigest()}
    return {"pdq": fingerprint.pdq, "sha256": fingerprint.sha256, "md5": fingerprint.md5}


def reported_photo() -> bytes:
    """The demo's stand-in for a photo reported as shared without consent (as Take It Down
    lists hold them): drawn here, a JPEG in memory, so the demo ships and downloads no file."""
    height, width = 480, 640
    rows, columns = np.mgrid[0:height, 0:width]
    picture = np.dstack([columns * 255 // width, rows * 255 // height, 255 - columns * 255 // width])
    picture = np.ascontiguousarray(picture, dtype=np.uint8)
    cv2.circle(picture, (220, 200), 110, (40, 40, 200), -1)
    cv2.rectangle(picture, (380, 90), (590, 380), (30, 160, 60), -1)
    cv2.ellipse(picture, (330, 380), (150, 55), 20, 0, 360, (240, 240, 240), -1)
    cv2.putText(picture, "reported photo (demo)", (24, 456), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (20, 20, 20), 3)
    return cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()


def demo_hash_list(photos: List[bytes]) -> nudeguard.HashList:
    """The demo's hash list: the PDQ hashes of ``photos``, computed here at start-up."""
    return nudeguard.HashList.from_hashes([(nudeguard.pdq_hash(photo).hex, f"demo-reported-{index}")
                                           for index, photo in enumerate(photos)])


def image_type(data: bytes) -> str:
    """The MIME type of a photo from its first bytes (browsers need it to display bytes)."""
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data.startswith(b"GIF8"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this computer only)")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    photo = reported_photo()
    options = nudeguard.GuardOptions(workers=2, hash_list=demo_hash_list([photo]))
    with tempfile.TemporaryDirectory(prefix="nudeguard-demo-") as folder, nudeguard.Guard(options) as guard:
        listed = Path(folder) / "reported-photo.jpg"
        listed.write_bytes(photo)
        print(f"nudeguard chat demo: open http://{args.host}:{args.port}")
        print(f"A photo on the demo's hash list (pick it to see it blocked): {listed}")
        create_app(guard).run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
