"""Speed of the message warnings on one core: chat lines per second, and one monitor update.

    python benchmarks/messages.py

Everyday lines: short messages in the six covered languages, the traffic a chat client sends
through ``check_message`` all day (goal: 50 000 lines/s on one core). Baseline, measured in the
same run: ``_textnorm.normalize`` alone, the folding every approach pays before it reads a word;
the ratio says how many times that floor the whole reading costs. Also: the evaluation set's
lines (a third with warning signs, so slower than real traffic), and one
``ConversationMonitor.add`` with and without building the notice; best of 5 runs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from nudeguard import ConversationMonitor, check_message
from nudeguard.chat.textnorm import normalize

REPO = Path(__file__).resolve().parent.parent
GOAL_LINES_PER_SECOND = 50_000
EVERYDAY = [
    "hey whats up", "lol same", "are you coming to practice tomorrow?", "ok see you at 5",
    "did you finish the math homework", "omg that movie was so good", "brb dinner", "haha yes",
    "can you send me the notes from today", "i'm so tired", "wanna play fortnite later?", "gn",
    "Bist du morgen in der Schule?", "ja klar", "hab keine lust auf mathe", "kommst du mit ins kino?",
    "¿vienes mañana al entreno?", "jajaja sí", "no he hecho los deberes", "te veo a las 5",
    "tu viens ce soir ?", "mdr trop drôle", "j'ai pas fini le devoir de maths", "à demain",
    "domani vieni a scuola?", "ahah sì", "non ho fatto i compiti", "ci vediamo alle 5",
    "você vem amanhã?", "kkkkk verdade", "não fiz o dever de casa", "te vejo às 5",
    "where are you", "my mom said no :(", "that's hilarious 😂", "lol",
]


def per_second(function, lines, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for line in lines:
            function(line)
        best = min(best, time.perf_counter() - start)
    return len(lines) / best


def evaluation_lines():
    lines = []
    for path in sorted((REPO / "tests/data/conversations/dev").glob("*.jsonl")):
        for row in path.read_text(encoding="utf-8").splitlines():
            lines += [m["text"] for m in json.loads(row)["messages"] if "text" in m]
    return lines


def monitor_update_us(lines, with_notice):
    """Microseconds per ``add``; without the notice, an age of 18+ and no level above CAUTION
    is not guaranteed, so the notice cost is measured as the difference of two runs."""
    best = float("inf")
    for _ in range(5):
        monitor = ConversationMonitor(age=15, user="me")
        start = time.perf_counter()
        for i, text in enumerate(lines):
            monitor.add("me" if i % 2 else "them", text)
            if with_notice:
                monitor.risk.notice  # noqa: B018 - what a client reads after each update
        best = min(best, time.perf_counter() - start)
    return best / len(lines) * 1e6


def main():
    labelled = evaluation_lines()
    for text in labelled + EVERYDAY:  # warm the caches
        check_message(text)
    everyday = EVERYDAY * 500
    floor = per_second(normalize, everyday)
    rate = per_second(check_message, everyday)
    print(f"everyday chat lines : {rate:10,.0f} lines/s  (goal {GOAL_LINES_PER_SECOND:,}: "
          f"{rate / GOAL_LINES_PER_SECOND:.2f}x; normalize alone {floor:,.0f}/s, reading costs "
          f"{floor / rate:.1f}x that floor)")
    print(f"evaluation set lines: {per_second(check_message, labelled * 3):10,.0f} lines/s")
    print(f"monitor update      : {monitor_update_us(labelled, False):10.1f} µs per add(); "
          f"{monitor_update_us(labelled, True):.1f} µs reading the notice too ({len(labelled)} messages)")


if __name__ == "__main__":
    main()
