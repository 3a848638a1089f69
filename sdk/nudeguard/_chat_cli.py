"""``nudeguard message`` and ``nudeguard conversation``: try the chat rules from a shell."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict

from .chat import ConversationMonitor, MessageRisk, check_message

EXIT_OK = 0
EXIT_BAD_INPUT = 2


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
        return EXIT_OK
    print(risk.level.name if risk.covered else f"{risk.level.name} (language not covered: no word list)")
    for s in risk.signals:
        print(f"  {s.kind.value}\t{args.text[s.start:s.end]!r}\t{s.reason}")
    if risk.notice is not None:
        print(f"notice: {risk.notice.title}")
    return EXIT_OK


def _conversation(args: argparse.Namespace) -> int:
    monitor = ConversationMonitor(locale=args.locale, age=args.age, user=args.user, language=args.language)
    try:
        stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{args.file}: cannot read: {exc.strerror or exc}") from None
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
            if args.json:
                print(json.dumps({"message": number, **_risk_json(risk)}, ensure_ascii=False))
            else:
                kinds = ",".join(sorted(k.value for k in risk.kinds()))
                print(f"{number}\t{risk.level.name}\t{risk.sender or '-'}\t{kinds}")
    return EXIT_OK


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    message = commands.add_parser(
        "message", help="warning signs of sextortion in one message",
        description="Print the risk level and the signals found in TEXT (or JSON with --json).",
    )
    message.add_argument("text", metavar="TEXT")
    message.add_argument("--json", action="store_true", help="one JSON object")
    message.add_argument("--locale", default=None, help="the reader's locale: language and helplines of the notice")
    message.add_argument("--language", default=None, help="language of the text (default: recognised)")
    message.add_argument("--age", type=int, default=None, help="age of the reader (notice wording)")
    message.set_defaults(run=_message)
    conversation = commands.add_parser(
        "conversation", help="follow a conversation and print the level after each message",
        description="FILE holds JSON lines {\"sender\": ..., \"text\": ..., \"time\": ...} in order ('-': stdin); "
                    "a picture sent is {\"sender\": ..., \"image\": {\"sensitive\": true}}. "
                    "Prints message number, level, the sender the risk comes from and the kinds of their signals.",
    )
    conversation.add_argument("file", metavar="FILE")
    conversation.add_argument("--json", action="store_true", help="one JSON object per message")
    conversation.add_argument("--locale", default=None, help="the reader's locale: language and helplines of the notice")
    conversation.add_argument("--language", default=None, help="language of the text (default: recognised)")
    conversation.add_argument("--age", type=int, default=None, help="age of the reader (notice wording)")
    conversation.add_argument("--user", default=None, help="the sender this device protects (never blamed)")
    conversation.set_defaults(run=_conversation)
