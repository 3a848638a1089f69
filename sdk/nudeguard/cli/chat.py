"""``nudeguard message`` and ``nudeguard conversation``: try the chat rules from a shell."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict

from ..chat.monitor import ConversationMonitor, MessageRisk, RiskLevel, check_message
from .contract import EXIT_FOUND, EXIT_OK, age, locale


def _risk_json(risk: MessageRisk, text: str = "") -> Dict[str, Any]:
    return {
        "level": risk.level.name,
        "stage": risk.stage.name,
        "language": risk.language,
        "covered": risk.covered,
        "sender": risk.sender,
        "signals": [{"kind": s.kind.value, "start": s.start, "end": s.end, "reason": s.reason,
                     "weight": s.weight, "language": s.language, "message": s.message,
                     **({"match": text[s.start:s.end]} if text else {})} for s in risk.signals],
        "notice": None if risk.notice is None else {"title": risk.notice.title, "body": risk.notice.body,
                                                    "locale": risk.notice.locale},
    }


def _message(args: argparse.Namespace) -> int:
    risk = check_message(args.text, locale=args.locale, age=args.age, language=args.language)
    if args.json:
        print(json.dumps(_risk_json(risk, args.text), ensure_ascii=False))
    else:
        print(risk.level.name if risk.covered else f"{risk.level.name} (language not covered: no word list)")
        for s in risk.signals:
            print(f"  {s.kind.value}\t{args.text[s.start:s.end]!r}\t{s.reason}")
        if risk.notice is not None:
            print(f"notice: {risk.notice.title}")
    return _status(risk.level)


def _status(level: RiskLevel) -> int:
    """Found: a level at which a client shows the safety notice."""
    return EXIT_FOUND if level >= RiskLevel.WARN else EXIT_OK


def _conversation(args: argparse.Namespace) -> int:
    monitor = ConversationMonitor(locale=args.locale, age=args.age, user=args.user, language=args.language)
    try:
        stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{args.file}: cannot read: {exc.strerror or exc}") from None
    highest = RiskLevel.NONE
    with stream:
        number = 0
        for line_number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                sender = str(item["sender"])
                text, image = item.get("text"), item.get("image")
                if text is None and image is None:
                    raise KeyError("text")
                sensitive = None if image is None else image["sensitive"]
                if (text is not None and not isinstance(text, str)) or (image is not None and not isinstance(sensitive, bool)):
                    raise TypeError("text or image")
            except (ValueError, KeyError, TypeError):
                raise ValueError(f"{args.file}:{line_number}: expected {{\"sender\": …, \"text\": …, \"time\": …}} "
                                 f"or {{\"sender\": …, \"image\": {{\"sensitive\": true}}}}") from None
            number += 1
            try:
                if image is not None:
                    risk = monitor.add_image(sender, sensitive, item.get("time"))
                if text is not None:
                    risk = monitor.add(sender, text, item.get("time"))
            except TypeError as exc:
                raise ValueError(f"{args.file}:{line_number}: {exc}") from None
            highest = max(highest, risk.level)
            if args.json:
                print(json.dumps({"message": number, **_risk_json(risk)}, ensure_ascii=False))
            else:
                kinds = ",".join(sorted(k.value for k in risk.kinds()))
                print(f"{number}\t{risk.level.name}\t{risk.sender or '-'}\t{kinds or '-'}")
    return _status(highest)


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    message = commands.add_parser(
        "message", help="warning signs of sextortion in one message",
        description="Print the risk level and the signals found in TEXT (or JSON with --json). "
                    "Exit 0 below WARN, 1 at WARN or URGENT (a client shows the safety notice), 2 for bad usage.",
    )
    message.add_argument("text", metavar="TEXT")
    message.add_argument("--json", action="store_true", help="one JSON object")
    message.add_argument("--locale", type=locale, default=None,
                         help="the reader's locale: language and helplines of the notice (de, de-AT, en-GB …)")
    message.add_argument("--language", default=None, help="language of the text (default: recognised)")
    message.add_argument("--age", type=age, default=None, metavar="N", help="age of the reader (notice wording)")
    message.set_defaults(run=_message)
    conversation = commands.add_parser(
        "conversation", help="follow a conversation and print the level after each message",
        description="FILE holds JSON lines {\"sender\": ..., \"text\": ..., \"time\": ...} in order ('-': stdin); "
                    "a picture sent is {\"sender\": ..., \"image\": {\"sensitive\": true}}. "
                    "Prints message number, level, the sender the risk comes from and the kinds of their "
                    "signals (\"-\" for none), tab-separated, or with --json an object per message. "
                    "Exit 0 when no message reached WARN, 1 when one did, 2 for bad usage or an unreadable "
                    "FILE or line.",
    )
    conversation.add_argument("file", metavar="FILE")
    conversation.add_argument("--json", action="store_true", help="one JSON object per message")
    conversation.add_argument("--locale", type=locale, default=None,
                              help="the reader's locale: language and helplines of the notice (de, de-AT, en-GB …)")
    conversation.add_argument("--language", default=None, help="language of the text (default: recognised)")
    conversation.add_argument("--age", type=age, default=None, metavar="N", help="age of the reader (notice wording)")
    conversation.add_argument("--user", default=None, help="the sender this device protects (never blamed)")
    conversation.set_defaults(run=_conversation)
