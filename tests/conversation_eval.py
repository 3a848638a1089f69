"""Recall and precision of the conversation warnings on the independent evaluation set.

    python tests/conversation_eval.py dev          # the development part (tuning is done on it)
    python tests/conversation_eval.py test         # test part of round 1 (report only)
    python tests/conversation_eval.py test2        # test part of round 2 (report only)
    python tests/conversation_eval.py test3        # test part of round 3 (report only)

The set (``tests/data/conversations/<part>/<language>.jsonl``, one conversation per line) was
written before the rules it judges, by people who did not see them; see the README beside it.
A conversation counts as flagged when the :class:`~nudeguard.ConversationMonitor` of the
protected user reaches ``WARN`` at any point; a positive is one labelled ``sextortion``
(financial sextortion, demands for more images, grooming, hacked-account or deepfake threats).
"""

from __future__ import annotations

import collections
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from nudeguard import ConversationMonitor, RiskLevel

DATA = Path(__file__).resolve().parent / "data" / "conversations"
PARTS = ("dev", "test", "test2", "test3")


@dataclass(frozen=True)
class Outcome:
    """How the monitor did on one conversation."""

    id: str
    language: str
    scenario: str
    positive: bool
    flagged: bool
    flagged_at: Optional[int]
    """Index of the message at which WARN was reached."""
    first_alarm: Optional[int]
    blamed: Optional[str]
    harm_by: Optional[str]


def load(part: str, languages: Optional[Sequence[str]] = None) -> List[dict]:
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    conversations = []
    for path in sorted((DATA / part).glob("*.jsonl")):
        if languages and path.stem.split("-")[0] not in languages:
            continue
        conversations += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return conversations


def run(conversation: dict) -> Outcome:
    monitor = ConversationMonitor(age=conversation["user_age"], user=conversation["user"])
    flagged_at = None
    for i, message in enumerate(conversation["messages"]):
        if "image" in message:
            monitor.add_image(message["from"], message["image"]["sensitive"], time=message["t"])
        if "text" in message:
            monitor.add(message["from"], message["text"], time=message["t"])
        if flagged_at is None and monitor.risk.level >= RiskLevel.WARN:
            flagged_at = i
    return Outcome(conversation["id"], conversation["lang"], conversation["scenario"], conversation["sextortion"],
                   flagged_at is not None, flagged_at, conversation["first_alarm"], monitor.risk.sender,
                   conversation["harm_by"])


def rates(outcomes: Sequence[Outcome]) -> Tuple[float, float, int, int, int, int]:
    """(recall, precision, tp, fp, fn, tn)."""
    tp = sum(o.positive and o.flagged for o in outcomes)
    fp = sum(not o.positive and o.flagged for o in outcomes)
    fn = sum(o.positive and not o.flagged for o in outcomes)
    tn = sum(not o.positive and not o.flagged for o in outcomes)
    recall = tp / (tp + fn) if tp + fn else 1.0
    precision = tp / (tp + fp) if tp + fp else 1.0
    return recall, precision, tp, fp, fn, tn


def table(outcomes: Sequence[Outcome]) -> str:
    lines = [f"{'group':26} {'n':>4} {'recall':>7} {'precision':>9}   tp  fp  fn  tn"]

    def row(name: str, group: Sequence[Outcome]) -> None:
        recall, precision, tp, fp, fn, tn = rates(group)
        lines.append(f"{name:26} {len(group):4d} {recall:7.2f} {precision:9.2f}  {tp:3d} {fp:3d} {fn:3d} {tn:3d}")

    by_language: Dict[str, List[Outcome]] = collections.defaultdict(list)
    by_scenario: Dict[str, List[Outcome]] = collections.defaultdict(list)
    for o in outcomes:
        by_language[o.language].append(o)
        by_scenario[o.scenario].append(o)
    for language in sorted(by_language):
        row(language, by_language[language])
    lines.append("")
    for scenario in sorted(by_scenario, key=lambda s: (not by_scenario[s][0].positive, s)):
        group = by_scenario[scenario]
        flagged = sum(o.flagged for o in group)
        lines.append(f"{scenario:26} {len(group):4d}  flagged {flagged}/{len(group)}"
                     f" ({'positive' if group[0].positive else 'benign'})")
    lines.append("")
    row("all", outcomes)
    hits = [o for o in outcomes if o.positive and o.flagged]
    if hits:
        early = sum(o.flagged_at <= o.first_alarm for o in hits)  # type: ignore[operator]
        delays = sorted(o.flagged_at - o.first_alarm for o in hits)  # type: ignore[operator]
        blamed = sum(o.blamed == o.harm_by for o in hits)
        lines.append(f"flagged positives: {early}/{len(hits)} at or before the labelled first alarm, "
                     f"median delay {delays[len(delays) // 2]} messages; right sender named {blamed}/{len(hits)}")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    part = argv[0] if argv else "dev"
    languages = argv[1:] or None
    outcomes = [run(c) for c in load(part, languages)]
    print(f"part {part}: {len(outcomes)} conversations")
    print(table(outcomes))
    if part == "dev" and "-v" in sys.argv:
        for o in outcomes:
            if o.positive != o.flagged:
                print(f"  {'MISS' if o.positive else 'FALSE ALARM'} {o.id} {o.scenario}")
    return 0


if __name__ == "__main__":
    sys.exit(main([a for a in sys.argv[1:] if a != "-v"]))
