"""Contact rules: every row of the routing table for minor, unknown-age and adult recipients,
each fact code, the notices in every catalogue, the one rule no setting can switch off (a
reported sender never reaches a minor's inbox), and clear errors for impossible profiles."""

from __future__ import annotations

import itertools

import pytest

import nudeguard
from nudeguard import (ContactPolicy, ContactReason, Folder, Person, RiskLevel, SenderProfile, check_message,
                       route_message)
from nudeguard.safety.contact import TOLD, country_codes
from nudeguard.safety.policy import ADULT_AGE
from nudeguard.safety.wording import catalogue

MINOR, UNKNOWN, ADULT = Person(age=15), Person(age=None), Person(age=30)
PROTECTED = [MINOR, UNKNOWN]
EVERYONE = [MINOR, UNKNOWN, ADULT]


def codes(routing):
    return [reason.value for reason in routing.reasons]


# --------------------------------------------------------------------------- the routing table

@pytest.mark.parametrize("recipient", EVERYONE, ids=["minor", "unknown", "adult"])
def test_a_contact_with_nothing_known_lands_in_the_inbox_without_a_notice(recipient):
    routing = route_message(SenderProfile(is_contact=True), recipient=recipient)
    assert (routing.folder, routing.allowed, routing.notice) == (Folder.INBOX, True, None)
    assert codes(routing) == ["contact"]


@pytest.mark.parametrize("recipient", EVERYONE, ids=["minor", "unknown", "adult"])
def test_a_contact_on_a_new_account_abroad_stays_in_the_inbox_with_the_notice(recipient):
    sender = SenderProfile(is_contact=True, account_age_days=5, mutual_contacts=0, country="NG",
                           recipient_country="US")
    routing = route_message(sender, recipient=recipient)
    assert routing.folder is Folder.INBOX and routing.allowed
    assert codes(routing) == ["contact", "new_account", "no_mutual_contacts", "other_country"]
    assert routing.notice.facts == ("This account was created recently.", "This person may be in another country.",
                                    "You have no contacts in common.")
    wording = "adult" if recipient is ADULT else "minor"
    assert routing.notice.title == catalogue("en")["contact"]["inbox"][wording]["title"]


@pytest.mark.parametrize("recipient", PROTECTED, ids=["minor", "unknown"])
def test_a_stranger_cannot_start_a_chat_with_a_minor_by_default(recipient):
    routing = route_message(SenderProfile(is_contact=False, mutual_contacts=4, account_age_days=900),
                            recipient=recipient)
    assert (routing.folder, routing.allowed) == (Folder.HIDDEN, False)
    assert codes(routing) == ["stranger", "requests_off"]
    assert routing.notice.title == "We hid this message request"


@pytest.mark.parametrize("recipient", PROTECTED, ids=["minor", "unknown"])
def test_an_unknown_relation_is_a_stranger(recipient):
    assert route_message(SenderProfile(), recipient=recipient).reasons[:2] == (ContactReason.STRANGER,
                                                                               ContactReason.REQUESTS_OFF)


@pytest.mark.parametrize("recipient", PROTECTED, ids=["minor", "unknown"])
def test_with_requests_allowed_a_stranger_lands_in_a_minor_s_requests(recipient):
    open_requests = ContactPolicy(requests_from_strangers=True)
    routing = route_message(SenderProfile(mutual_contacts=3, account_age_days=400), recipient=recipient,
                            policy=open_requests)
    assert (routing.folder, routing.allowed) == (Folder.REQUESTS, True)
    assert codes(routing) == ["stranger"]
    assert routing.notice.title == "New message request" and routing.notice.facts == ()


def test_an_adult_gets_requests_from_strangers_without_the_ban():
    routing = route_message(SenderProfile(mutual_contacts=3), recipient=ADULT)
    assert (routing.folder, routing.allowed) == (Folder.REQUESTS, True)
    assert codes(routing) == ["stranger"] and routing.notice.title == "Message request"


def test_an_adult_may_turn_requests_off():
    routing = route_message(SenderProfile(), recipient=ADULT, policy=ContactPolicy(requests_from_strangers=False))
    assert (routing.folder, routing.allowed) == (Folder.HIDDEN, False)
    assert codes(routing) == ["stranger", "requests_off"]


LIKELY_PERPETRATORS = {
    "reported": (SenderProfile(reports=1), ["reported"]),
    "often_blocked": (SenderProfile(blocks=3), ["often_blocked"]),
    "new_without_mutuals": (SenderProfile(account_age_days=2, mutual_contacts=0),
                            ["new_account", "no_mutual_contacts"]),
}


@pytest.mark.parametrize("recipient", EVERYONE, ids=["minor", "unknown", "adult"])
@pytest.mark.parametrize("case", sorted(LIKELY_PERPETRATORS))
def test_a_likely_perpetrator_stranger_lands_in_hidden(recipient, case):
    profile, facts = LIKELY_PERPETRATORS[case]
    routing = route_message(profile, recipient=recipient, policy=ContactPolicy(requests_from_strangers=True))
    assert (routing.folder, routing.allowed) == (Folder.HIDDEN, True)
    assert codes(routing) == ["stranger"] + facts


@pytest.mark.parametrize("recipient", EVERYONE, ids=["minor", "unknown", "adult"])
@pytest.mark.parametrize("profile", [SenderProfile(is_contact=True, reports=2), SenderProfile(is_contact=True, blocks=7)],
                         ids=["reported", "often_blocked"])
def test_a_reported_or_often_blocked_contact_lands_in_hidden(recipient, profile):
    routing = route_message(profile, recipient=recipient)
    assert (routing.folder, routing.allowed) == (Folder.HIDDEN, True)
    assert routing.reasons[0] is ContactReason.CONTACT


@pytest.mark.parametrize("recipient", EVERYONE, ids=["minor", "unknown", "adult"])
def test_a_new_contact_without_mutuals_is_not_hidden(recipient):
    """The new-account rule is about requests: someone the person chose to follow stays visible."""
    routing = route_message(SenderProfile(is_contact=True, account_age_days=1, mutual_contacts=0),
                            recipient=recipient)
    assert routing.folder is Folder.INBOX


def test_an_adult_stranger_writing_to_a_minor_is_hidden():
    policy = ContactPolicy(requests_from_strangers=True)
    for recipient in PROTECTED:
        routing = route_message(SenderProfile(stated_age=ADULT_AGE), recipient=recipient, policy=policy)
        assert routing.folder is Folder.HIDDEN and codes(routing) == ["stranger", "adult_to_minor"]
        assert routing.notice.facts == ("This person says they are an adult.",)
    # The age rule of the policy module decides who is adult: one year younger is not.
    younger = route_message(SenderProfile(stated_age=ADULT_AGE - 1), recipient=MINOR, policy=policy)
    assert younger.folder is Folder.REQUESTS and codes(younger) == ["stranger"]
    # An adult writing to an adult is ordinary.
    assert codes(route_message(SenderProfile(stated_age=40), recipient=ADULT)) == ["stranger"]
    # A contact who is an adult (a parent, a coach) is told about, not hidden.
    parent = route_message(SenderProfile(is_contact=True, stated_age=45), recipient=MINOR)
    assert parent.folder is Folder.INBOX and codes(parent) == ["contact", "adult_to_minor"]


@pytest.mark.parametrize("recipient", EVERYONE, ids=["minor", "unknown", "adult"])
def test_a_conversation_at_warn_or_above_is_hidden_even_from_a_contact(recipient):
    for level in (RiskLevel.WARN, RiskLevel.URGENT):
        routing = route_message(SenderProfile(is_contact=True), recipient=recipient, risk=level)
        assert routing.folder is Folder.HIDDEN and codes(routing) == ["contact", "conversation_risk"]
    for level in (RiskLevel.NONE, RiskLevel.CAUTION, None):
        assert route_message(SenderProfile(is_contact=True), recipient=recipient, risk=level).folder is Folder.INBOX


def test_the_risk_of_a_real_message_routes():
    threat = check_message("pay me $300 or I send your nudes to all your followers")
    assert threat.level >= RiskLevel.WARN
    routing = route_message(SenderProfile(is_contact=True), recipient=MINOR, risk=threat)
    assert routing.folder is Folder.HIDDEN and ContactReason.CONVERSATION_RISK in routing.reasons
    harmless = check_message("are you coming to practice tomorrow?")
    assert route_message(SenderProfile(is_contact=True), recipient=MINOR, risk=harmless).folder is Folder.INBOX


def test_other_country_needs_both_countries():
    assert "other_country" in codes(route_message(SenderProfile(country="ci", recipient_country="FR"),
                                                  recipient=ADULT))
    assert "other_country" not in codes(route_message(SenderProfile(country="FR", recipient_country="fr"),
                                                      recipient=ADULT))
    assert "other_country" not in codes(route_message(SenderProfile(country="NG"), recipient=ADULT))
    assert "other_country" not in codes(route_message(SenderProfile(recipient_country="NG"), recipient=ADULT))


# --------------------------------------------------------------------------- the thresholds

def test_thresholds_are_configurable():
    policy = ContactPolicy(requests_from_strangers=True)
    assert "new_account" in codes(route_message(SenderProfile(account_age_days=29.9), recipient=ADULT))
    assert "new_account" not in codes(route_message(SenderProfile(account_age_days=30), recipient=ADULT))
    week = ContactPolicy(new_account_days=7)
    assert "new_account" not in codes(route_message(SenderProfile(account_age_days=10), recipient=ADULT,
                                                    policy=week))
    assert route_message(SenderProfile(blocks=2), recipient=MINOR, policy=policy).folder is Folder.REQUESTS
    assert route_message(SenderProfile(blocks=50), recipient=ADULT,
                         policy=ContactPolicy(hide_blocked_from=None)).folder is Folder.REQUESTS
    assert route_message(SenderProfile(is_contact=True), recipient=MINOR, risk=RiskLevel.WARN,
                         policy=ContactPolicy(hide_at_risk=RiskLevel.URGENT)).folder is Folder.INBOX
    assert route_message(SenderProfile(is_contact=True), recipient=MINOR, risk=RiskLevel.URGENT,
                         policy=ContactPolicy(hide_at_risk=None)).folder is Folder.INBOX
    relaxed = ContactPolicy(requests_from_strangers=True, hide_new_without_mutuals=False, hide_adults_from_minors=False)
    assert route_message(SenderProfile(account_age_days=1, mutual_contacts=0, stated_age=30), recipient=MINOR,
                         policy=relaxed).folder is Folder.REQUESTS
    # Reported adults' contacts are shown once the threshold is raised; a minor's are not.
    lenient = ContactPolicy(hide_reported_from=3)
    assert route_message(SenderProfile(is_contact=True, reports=2), recipient=ADULT, policy=lenient).folder \
        is Folder.INBOX
    capped = route_message(SenderProfile(is_contact=True, reports=2), recipient=MINOR, policy=lenient)
    assert capped.folder is Folder.REQUESTS and codes(capped) == ["contact", "reported"]


def every_policy():
    """Every combination of the ContactPolicy settings, each at its edges."""
    for values in itertools.product([None, True, False], [0, 30, 10_000], [1, 2, 1_000_000], [None, 1, 3],
                                    [None, RiskLevel.NONE, RiskLevel.WARN, RiskLevel.URGENT], [True, False],
                                    [True, False]):
        yield ContactPolicy(*values)


def every_reported_sender():
    for reports, contact, days, mutuals, age, countries in itertools.product(
            [1, 10_000], [True, False, None], [None, 0], [None, 0], [None, 60], [(None, None), ("NG", "US")]):
        yield SenderProfile(reports=reports, is_contact=contact, account_age_days=days, mutual_contacts=mutuals,
                            stated_age=age, country=countries[0], recipient_country=countries[1], blocks=0)


def test_no_setting_routes_a_reported_sender_into_a_minor_s_inbox():
    """Every policy against every reported sender, the recipient (every age under 18, or unknown)
    and the conversation risk (none or below the hiding level) taking turns."""
    recipients = [Person(age=age) for age in range(ADULT_AGE)] + [Person(age=None), Person(age=None, opted_in=True)]
    risks = [None, RiskLevel.NONE, RiskLevel.CAUTION]
    cases = itertools.product(every_policy(), every_reported_sender())
    checked = 0
    for turn, (policy, sender) in enumerate(cases):
        recipient, risk = recipients[turn % len(recipients)], risks[turn % len(risks)]
        routing = route_message(sender, recipient=recipient, risk=risk, policy=policy)
        assert routing.folder is not Folder.INBOX, (policy, sender, recipient, risk)
        assert ContactReason.REPORTED in routing.reasons
        checked += 1
    assert checked == 1296 * 96


# --------------------------------------------------------------------------- notices

@pytest.mark.parametrize("locale", nudeguard.available_locales())
def test_notices_come_from_every_catalogue(locale):
    sender = SenderProfile(reports=1, blocks=4, stated_age=30, account_age_days=1, country="NG", recipient_country="DE",
                           mutual_contacts=0)
    routing = route_message(sender, recipient=MINOR, risk=RiskLevel.URGENT, locale=f"{locale}-XX")
    texts = catalogue(locale)["contact"]
    assert routing.notice.locale == locale
    assert routing.notice.title == texts["hidden"]["minor"]["title"]
    assert routing.notice.facts == tuple(texts["facts"][reason.value] for reason in TOLD)
    adult = route_message(sender, recipient=ADULT, locale=locale).notice
    assert adult.title == texts["hidden"]["adult"]["title"] != routing.notice.title
    assert texts["facts"]["adult_to_minor"] not in adult.facts


def test_notices_are_in_the_language_asked_for():
    sender = SenderProfile(account_age_days=3, country="NG", recipient_country="DE", mutual_contacts=0)
    german = route_message(sender, recipient=MINOR, locale="de-AT").notice
    assert german.facts == ("Dieses Konto wurde erst vor Kurzem erstellt.",
                            "Diese Person ist vielleicht in einem anderen Land.", "Ihr habt keine gemeinsamen Kontakte.")
    assert route_message(sender, recipient=MINOR, locale="nl-NL").notice.locale == "en"


def test_routing_is_frozen_and_reasons_are_stable_strings():
    routing = route_message(SenderProfile(reports=1), recipient=MINOR)
    with pytest.raises(AttributeError):
        routing.folder = Folder.INBOX  # type: ignore[misc]
    assert [reason.value for reason in ContactReason] == [
        "contact", "stranger", "requests_off", "reported", "often_blocked", "new_account", "no_mutual_contacts",
        "adult_to_minor", "other_country", "conversation_risk"]
    assert ContactReason.REPORTED == "reported"


# --------------------------------------------------------------------------- bad values

@pytest.mark.parametrize("field, value, message", [
    ("account_age_days", -1, "cannot be negative"),
    ("account_age_days", float("nan"), "number of days"),
    ("account_age_days", float("inf"), "number of days"),
    ("account_age_days", "3", "number of days"),
    ("mutual_contacts", -2, "cannot be negative"),
    ("mutual_contacts", 1.5, "whole number"),
    ("mutual_contacts", "3", "whole number"),
    ("reports", -1, "cannot be negative"),
    ("reports", True, "whole number"),
    ("blocks", -5, "cannot be negative"),
    ("stated_age", -1, "cannot be negative"),
    ("stated_age", 131, "0..130"),
    ("country", "XX", "not an ISO 3166-1 alpha-2"),
    ("country", "UK", "'GB'"),
    ("country", "USA", "not an ISO 3166-1 alpha-2"),
    ("country", 840, "ISO 3166-1 alpha-2 code"),
    ("country", ["NG"], "ISO 3166-1 alpha-2 code"),
    ("recipient_country", "EU", "not an ISO 3166-1 alpha-2"),
    ("is_contact", "yes", "True, False or None"),
])
def test_impossible_profiles_get_a_clear_value_error(field, value, message):
    with pytest.raises(ValueError, match=f"SenderProfile.{field}") as raised:
        SenderProfile(**{field: value})
    assert message in str(raised.value)


def test_profiles_take_keyword_arguments_and_normalise_countries():
    profile = SenderProfile(country=" ng", recipient_country="us", account_age_days=3)
    assert (profile.country, profile.recipient_country, profile.account_age_days) == ("NG", "US", 3.0)
    assert len(country_codes()) == 249 and {"GB", "NG", "CI", "US", "DE"} <= country_codes()
    assert "UK" not in country_codes()


@pytest.mark.parametrize("settings", [
    {"requests_from_strangers": "no"}, {"new_account_days": -1}, {"new_account_days": float("nan")},
    {"hide_reported_from": 0}, {"hide_reported_from": None}, {"hide_blocked_from": 0}, {"hide_blocked_from": 1.5},
    {"hide_at_risk": 2}, {"hide_new_without_mutuals": None}, {"hide_adults_from_minors": 1},
])
def test_impossible_policies_get_a_clear_value_error(settings):
    with pytest.raises(ValueError, match=f"ContactPolicy.{next(iter(settings))}"):
        ContactPolicy(**settings)


def test_route_message_names_a_wrong_argument():
    with pytest.raises(ValueError, match="SenderProfile"):
        route_message({"reports": 1}, recipient=MINOR)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Person"):
        route_message(SenderProfile(), recipient=15)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="RiskLevel"):
        route_message(SenderProfile(), recipient=MINOR, risk="urgent")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ContactPolicy"):
        route_message(SenderProfile(), recipient=MINOR, policy={})  # type: ignore[arg-type]


def test_the_contact_rules_are_exported_lazily():
    for name in ("SenderProfile", "ContactPolicy", "ContactReason", "ContactNotice", "Folder", "Routing",
                 "route_message"):
        assert name in nudeguard.__all__
    from nudeguard.safety import contact

    assert nudeguard.route_message is contact.route_message
