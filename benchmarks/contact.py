"""Speed of the contact rules on one core: routing decisions per second.

    python benchmarks/contact.py

A mix of senders a chat client sees (contacts, strangers, new accounts abroad, reported and
adult senders, with and without a conversation risk) to minor, unknown-age and adult
recipients, in two locales. Goal: 100 000 ``route_message`` decisions per second on one core.
Baseline, measured in the same run: ``check_message`` on everyday chat lines, the per-message
text check a client already runs on the same messages; the ratio says what routing adds to
it. Also: building the ``SenderProfile`` for every message (what a client that keeps no
profile objects pays on top). Best of 5 runs.
"""

from __future__ import annotations

import os
import time

from nudeguard import ContactPolicy, Person, RiskLevel, SenderProfile, check_message, route_message

GOAL_DECISIONS_PER_SECOND = 100_000

PROFILES = [
    {"is_contact": True, "mutual_contacts": 12, "account_age_days": 900},
    {"is_contact": True, "mutual_contacts": 3, "account_age_days": 40, "country": "DE", "recipient_country": "AT"},
    {"is_contact": False, "mutual_contacts": 5, "account_age_days": 700},
    {"is_contact": False, "mutual_contacts": 0, "account_age_days": 2, "country": "NG", "recipient_country": "US"},
    {"is_contact": False, "reports": 3, "blocks": 5, "stated_age": 24},
    {"is_contact": True, "stated_age": 45, "mutual_contacts": 20},
    {},
]
RECIPIENTS = [Person(age=15), Person(age=None), Person(age=34, opted_in=True)]
RISKS = [None, RiskLevel.CAUTION, RiskLevel.URGENT]
POLICIES = [ContactPolicy(), ContactPolicy(requests_from_strangers=True)]
LOCALES = ["en", "de-AT"]
LINES = ["hey whats up", "are you coming to practice tomorrow?", "Bist du morgen in der Schule?",
         "¿vienes mañana al entreno?", "tu viens ce soir ?", "domani vieni a scuola?", "você vem amanhã?"]


def cases():
    """Every combination once: 7 profiles x 3 recipients x 3 risks x 2 policies x 2 locales."""
    return [(profile, recipient, risk, policy, locale) for profile in PROFILES for recipient in RECIPIENTS
            for risk in RISKS for policy in POLICIES for locale in LOCALES]


def per_second(function, items, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            function(item)
        best = min(best, time.perf_counter() - start)
    return len(items) / best


def main():
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    mix = cases()
    built = [(SenderProfile(**profile), recipient, risk, policy, locale)
             for profile, recipient, risk, policy, locale in mix] * 200
    raw = mix * 200

    def decide(case):
        sender, recipient, risk, policy, locale = case
        route_message(sender, recipient=recipient, risk=risk, policy=policy, locale=locale)

    def build_and_decide(case):
        profile, recipient, risk, policy, locale = case
        route_message(SenderProfile(**profile), recipient=recipient, risk=risk, policy=policy, locale=locale)

    for case in built[:len(mix)]:  # warm the caches
        decide(case)
    for line in LINES:
        check_message(line)
    lines = LINES * 2000
    baseline = per_second(check_message, lines)
    rate = per_second(decide, built)
    with_profiles = per_second(build_and_decide, raw)
    print(f"routing decisions   : {rate:10,.0f} /s  (goal {GOAL_DECISIONS_PER_SECOND:,}: "
          f"{rate / GOAL_DECISIONS_PER_SECOND:.2f}x; baseline check_message {baseline:,.0f} lines/s, "
          f"routing is {rate / baseline:.1f}x as fast)")
    print(f"with SenderProfile  : {with_profiles:10,.0f} /s  (goal: {with_profiles / GOAL_DECISIONS_PER_SECOND:.2f}x;"
          f" {with_profiles / baseline:.1f}x check_message)  {len(mix)} distinct cases, one core")


if __name__ == "__main__":
    main()
