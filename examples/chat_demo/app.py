"""nudeguard chat demo: a local web chat between a 15-year-old and an adult.

    pip install '.[demo]' && python examples/chat_demo/app.py     # then open http://127.0.0.1:8000

Picking a photo runs ``check_outgoing`` (a sensitive one brings up the speed bump), a
received photo runs ``check_incoming`` (veiled, with "view", block, report and help), chat
text runs through a ``ConversationMonitor`` (sextortion warnings, in the reader's language),
and the adult is asked before protection is turned on. The nudeguard calls are in
``client_hooks.py``; the page (``static/``) renders what this server's API returns, one pane
per person, so a pane can grow a part (a video call) without touching the others.

Privacy as in a real client: photos live in this process's memory only and are gone when
it stops. Photos arrive as raw request bodies rather than multipart forms because werkzeug
spools multipart uploads over 500 KB to a temporary file.
"""

from __future__ import annotations

import argparse
import itertools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

from flask import Flask, Response, abort, jsonify, request, send_from_directory

import nudeguard
from nudeguard import Person

import client_hooks

STATIC = Path(__file__).resolve().parent / "static"

#: Largest photo accepted, in bytes.
MAX_PHOTO_BYTES = 25 * 1024 * 1024

#: Who chats in the demo, and their ages (set by the app at sign-up in a real client).
USERS = {"mia": ("Mia", 15), "alex": ("Alex", 34)}

#: The page's languages (static/app.js has its labels in these).
PAGE_LANGUAGES = ("en", "de")


@dataclass
class Message:
    id: int
    sender: str
    text: Optional[str] = None
    photo: Optional[bytes] = None
    notices: Dict[Tuple[str, str], Dict[str, Any]] = field(default_factory=dict)
    """By reader and page language: the safety notice, when this text raised the reader's
    conversation to WARN or URGENT. Worded in the reader's language, whatever language the
    message was written in."""


@dataclass
class ChatRoom:
    """The two users' conversation, held in memory only."""

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

    def __post_init__(self) -> None:
        self.monitors = {(name, locale): nudeguard.ConversationMonitor(locale=locale, age=person.age, user=name)
                         for name, person in self.people.items() for locale in PAGE_LANGUAGES}

    @staticmethod
    def other(user: str) -> str:
        return "alex" if user == "mia" else "mia"

    def received(self, message: Message, user: str, locale: str) -> Tuple[Dict[str, Any], Optional[bytes]]:
        """``client_hooks.received_photo`` for ``user``, once per message, person and language."""
        key = (message.id, self.people[user], locale)
        if key not in self.seen_by:
            assert message.photo is not None
            self.seen_by[key] = client_hooks.received_photo(self.guard, message.photo, self.people[user], locale)
        return self.seen_by[key]

    def view(self, message: Message, user: str, locale: str) -> Dict[str, Any]:
        item: Dict[str, Any] = {"id": message.id, "mine": message.sender == user,
                                "sender": USERS[message.sender][0], "text": message.text}
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


def create_app(guard: nudeguard.Guard) -> Flask:
    """The demo's web app, checking with ``guard`` (which the caller closes)."""
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
            messages = [] if blocked else [room.view(m, user, locale) for m in room.messages]
            return jsonify({
                "user": {"id": user, "name": name, "age": age, "protected": person.protected},
                "other": {"id": other, "name": USERS[other][0]},
                "opt_in": client_hooks.opt_in_question(room.guard, locale)
                if person.age_group is nudeguard.AgeGroup.ADULT and not person.opted_in else None,
                "blocked": blocked,
                "messages": messages,
            })

    @app.post("/api/drafts")
    def check_photo() -> Response:
        """The photo the user picked: checked before it is sent, kept as a draft until then."""
        user, locale = user_arg(), locale_arg()
        photo = request.get_data(cache=False)
        if not photo:
            abort(400, "the request body must be the photo's bytes")
        verdict = client_hooks.speed_bump(room.guard, photo, room.people[user], locale)
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
            message = Message(next(room.ids), user, photo=photo)
            room.messages.append(message)
        return jsonify({"message": message.id})

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
            notices = {key: client_hooks.text_notice(monitor, user, text) for key, monitor in room.monitors.items()}
            message = Message(next(room.ids), user, text=text[:2000],
                              notices={key: notice for key, notice in notices.items() if notice is not None})
            room.messages.append(message)
        return jsonify({"message": message.id})

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

    return app


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
    with nudeguard.Guard(nudeguard.GuardOptions(workers=2)) as guard:
        print(f"nudeguard chat demo: open http://{args.host}:{args.port}")
        create_app(guard).run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
