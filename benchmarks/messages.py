"""Speed of the chat rules: messages per second on one core, and one ConversationMonitor update.

    python benchmarks/messages.py

Typical chat lines: the labelled set's messages (English and German, a third of them with
warning signs, so slower than real traffic) and a set of everyday lines; best of 5 runs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from nudeguard import ConversationMonitor, check_message

REPO = Path(__file__).resolve().parent.parent
EVERYDAY = [
    "hey whats up", "lol same", "are you coming to practice tomorrow?", "ok see you at 5",
    "did you finish the math homework", "omg that movie was so good", "brb dinner", "haha yes",
    "can you send me the notes from today", "i'm so tired", "wanna play fortnite later?", "gn",
    "Bist du morgen in der Schule?", "ja klar", "hab keine lust auf mathe", "lol", "kommst du mit ins kino?",
    "where are you", "my mom said no :(", "that's hilarious 😂",
]


def rate(lines, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for line in lines:
            check_message(line)
        best = min(best, time.perf_counter() - start)
    return len(lines) / best


def main():
    labelled = [json.loads(l)["text"] for l in (REPO / "tests/data/messages.jsonl").read_text(encoding="utf-8").splitlines()]
    for text in labelled + EVERYDAY:  # warm the caches
        check_message(text)
    everyday = EVERYDAY * 500
    print(f"everyday chat lines : {rate(everyday):10,.0f} messages/s")
    print(f"labelled set lines  : {rate(labelled * 20):10,.0f} messages/s")
    mixed = EVERYDAY * 10 + labelled
    monitor = ConversationMonitor()
    best = float("inf")
    for _ in range(5):
        monitor = ConversationMonitor()
        start = time.perf_counter()
        for i, text in enumerate(mixed):
            monitor.add("ab"[i % 2], text)
        best = min(best, time.perf_counter() - start)
    print(f"ConversationMonitor : {best / len(mixed) * 1e6:10.1f} µs per add() ({len(mixed)} messages)")


if __name__ == "__main__":
    main()
