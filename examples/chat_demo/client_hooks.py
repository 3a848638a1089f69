"""Every nudeguard call of the chat demo's chat, turned into what its web page renders (the
video call's are in ``call_hooks.py``).

The README's "Integrate nudeguard in your chat client" shows this file's functions
verbatim (tests/test_chat_demo.py checks that), so what a developer reads is what runs.
In a real client these run on the user's own device; the demo's server stands in for
both users' devices.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2

import nudeguard
from nudeguard import Action, Person, RiskLevel, SenderProfile


def speed_bump(guard: nudeguard.Guard, image: bytes, sender: Person, locale: str) -> Dict[str, Any]:
    """The speed bump: ``"confirm"`` with the warning to show before "send anyway", ``"block"``
    (the photo is on the guard's hash list: the warning, and no way to send it) or ``"allow"``."""
    verdict = guard.check_outgoing(image, sender=sender, locale=locale)
    return {
        "action": verdict.action.value,
        "warning": as_json(verdict.warning),
        "error": None if verdict.error is None else str(verdict.error),
    }


def received_photo(guard: nudeguard.Guard, image: bytes, recipient: Person,
                   locale: str) -> Tuple[Dict[str, Any], Optional[bytes]]:
    """What the recipient sees first: ``"show"``, or ``"veil"`` with the warning and a
    blurred JPEG preview (``None`` if the image could not even be decoded)."""
    verdict = guard.check_incoming(image, recipient=recipient, preview_size=480, locale=locale)
    if verdict.action is Action.SHOW:
        return {"action": "show", "warning": None}, None
    preview = None
    if verdict.veiled is not None:
        # veiled is BGR, the order cv2.imencode expects; encoded in memory, never on disk.
        _, encoded = cv2.imencode(".jpg", verdict.veiled, [cv2.IMWRITE_JPEG_QUALITY, 85])
        preview = encoded.tobytes()
    return {"action": "veil", "warning": as_json(verdict.warning)}, preview


def opt_in_question(guard: nudeguard.Guard, locale: str) -> Dict[str, Any]:
    """The question for an adult before protection is turned on (``Person(age, opted_in=True)``)."""
    return as_json(guard.policy.opt_in_prompt(locale))


def text_notice(monitor: nudeguard.ConversationMonitor, sender: str, text: str) -> Optional[Dict[str, Any]]:
    """The safety notice to show the reader when the conversation starts to look like
    sextortion (WARN) and again when it gets worse (URGENT)."""
    before = monitor.risk.level
    risk = monitor.add(sender, text)
    if risk.level >= RiskLevel.WARN and risk.level > before:
        return {"level": risk.level.name.lower(), **as_json(risk.notice)}
    return None


def incoming_message(sender: SenderProfile, recipient: Person, locale: str) -> Dict[str, Any]:
    """Where a message lands: ``"inbox"`` (the chat), ``"requests"`` or ``"hidden"`` (never
    shown unless the recipient opens that folder), whether it is delivered at all (if not, tell
    the sender), and the notice about the sender ("This account was created recently")."""
    routing = nudeguard.route_message(sender, recipient=recipient, locale=locale)
    return {
        "folder": routing.folder.value,
        "allowed": routing.allowed,
        "notice": as_json(routing.notice),
        "reasons": [reason.value for reason in routing.reasons],
    }


def threat_report(log: nudeguard.EvidenceLog, reporter: Person, sender_id: str, sender: SenderProfile, *,
                  messages: Sequence[int], images: List[Dict[str, str]], locale: str) -> nudeguard.ThreatReport:
    """The report of a threat to share images: the selected messages (the evidence log's
    ``seq`` numbers) verbatim, the log's chain verified, the photos by their hashes only
    (``pdq`` / ``sha256`` / ``md5``), and the next steps for the reporter's age (Take It
    Down under 18, StopNCII for adults); ``to_html()`` / ``to_json()`` for the page and the file."""
    return nudeguard.threat_report(log, reporter=reporter, sender_id=sender_id, sender=sender,
                                   messages=list(messages), images=images, locale=locale)


def hash_report(images: List[bytes], note: str) -> str:
    """The hash-only report (PDQ, MD5, SHA-256, sizes) the user downloads to send to
    Take It Down, StopNCII or the police: no pixels and no file bytes."""
    return nudeguard.report_bundle(images, note=note, include_names=False)


def as_json(value: Any) -> Any:
    """A warning, prompt or notice (frozen dataclasses) as plain JSON data."""
    return None if value is None else dataclasses.asdict(value)
