"""The age policy: every (age bucket, opted in, sensitive, check failed) combination, for
sending and for receiving, through a real guard."""

from __future__ import annotations

import itertools

import pytest

import nudeguard
import nudeguard.safety.wording
from conftest import FIXTURES
from nudeguard import Action, AgeGroup, Person, Policy, PolicyError

SENSITIVE = FIXTURES / "synthetic_sensitive.png"
BENIGN = FIXTURES / "benign" / "china.jpg"

AGES = {"minor": 15, "unknown": None, "adult": 30}
ERRORS = ["none", "model", "undecodable"]


@pytest.fixture(scope="module")
def broken_guard():
    """A guard whose every inference fails, as a damaged interpreter would."""

    def fail(pixels):
        raise nudeguard.ModelError(f"inference failed on {pixels.source}: simulated")

    with nudeguard.Guard() as guard:
        guard.engine.classify = fail  # type: ignore[method-assign]
        yield guard


def expected_protected(bucket: str, opted_in: bool) -> bool:
    return bucket != "adult" or opted_in


COMBINATIONS = [
    pytest.param(bucket, opted_in, sensitive, error, id=f"{bucket}-{'opted_in' if opted_in else 'default'}-"
                 f"{'sensitive' if sensitive else 'benign'}-error_{error}")
    for bucket, opted_in, sensitive, error in itertools.product(AGES, [False, True], [False, True], ERRORS)
    # An undecodable input has no content to be sensitive or not.
    if not (error == "undecodable" and sensitive)
]


def pick(guard, broken_guard, sensitive: bool, error: str):
    image = SENSITIVE if sensitive else BENIGN
    if error == "undecodable":
        return guard, b"\xff\xd8\xff\xe0 not really a jpeg"
    return (broken_guard if error == "model" else guard), image


@pytest.mark.parametrize("bucket, opted_in, sensitive, error", COMBINATIONS)
def test_outgoing_action_for_every_combination(guard, broken_guard, bucket, opted_in, sensitive, error):
    person = Person(age=AGES[bucket], opted_in=opted_in)
    checker, image = pick(guard, broken_guard, sensitive, error)
    verdict = checker.check_outgoing(image, sender=person)
    protected = expected_protected(bucket, opted_in)
    blocked = protected and (sensitive or error != "none")
    assert verdict.action is (Action.CONFIRM if blocked else Action.ALLOW)
    assert (verdict.warning is not None) is blocked
    if error == "none":
        assert verdict.error is None
        assert verdict.sensitive is sensitive and verdict.score is not None
        assert (verdict.score >= 0.6) is sensitive
    else:
        expected = nudeguard.ModelError if error == "model" else nudeguard.ImageError
        assert isinstance(verdict.error, expected)
        assert verdict.score is None and verdict.sensitive is False
    if blocked:
        group = AgeGroup.ADULT if bucket == "adult" else AgeGroup.MINOR
        assert verdict.warning == nudeguard.safety.wording.warning_for("outgoing", person.age_group, "en")
        assert verdict.warning.title == nudeguard.safety.wording.warning_for("outgoing", group, "en").title


@pytest.mark.parametrize("bucket, opted_in, sensitive, error", COMBINATIONS)
def test_incoming_action_for_every_combination(guard, broken_guard, bucket, opted_in, sensitive, error):
    person = Person(age=AGES[bucket], opted_in=opted_in)
    checker, image = pick(guard, broken_guard, sensitive, error)
    verdict = checker.check_incoming(image, recipient=person, preview_size=64)
    protected = expected_protected(bucket, opted_in)
    veiled = protected and (sensitive or error != "none")
    assert verdict.action is (Action.VEIL if veiled else Action.SHOW)
    assert (verdict.warning is not None) is veiled
    if veiled and error != "undecodable":
        assert verdict.veiled is not None and verdict.veiled.shape[2] == 3 and max(verdict.veiled.shape[:2]) == 64
    else:
        assert verdict.veiled is None
    assert (verdict.error is None) is (error == "none")
    if veiled:
        assert verdict.warning.confirmation is not None  # the "view anyway?" step


@pytest.mark.parametrize("age", [0, 5, 12, 15, 17, None])
def test_minors_and_unknown_ages_are_protected_whatever_the_caller_passes(age):
    for opted_in in (False, True):
        assert Person(age=age, opted_in=opted_in).protected
        assert Policy.outgoing_action(Person(age=age, opted_in=opted_in), sensitive=True) is Action.CONFIRM
        assert Policy.incoming_action(Person(age=age, opted_in=opted_in), sensitive=True) is Action.VEIL


@pytest.mark.parametrize("age", [18, 30, 130])
def test_adults_are_protected_only_when_opted_in(age):
    assert not Person(age=age).protected
    assert Person(age=age, opted_in=True).protected
    assert Policy.outgoing_action(Person(age=age), sensitive=True, failed=True) is Action.ALLOW
    assert Policy.incoming_action(Person(age=age), sensitive=True, failed=True) is Action.SHOW


def test_age_groups():
    assert Person(17).age_group is AgeGroup.MINOR
    assert Person(18).age_group is AgeGroup.ADULT
    assert Person(None).age_group is AgeGroup.UNKNOWN


@pytest.mark.parametrize("age", [-3, -1, 131, 300, 17.5, "15", True, float("nan")])
def test_person_rejects_impossible_ages(age):
    with pytest.raises(PolicyError, match="Person.age"):
        Person(age=age)


def test_person_rejects_a_non_boolean_opt_in():
    with pytest.raises(PolicyError, match="opted_in"):
        Person(age=20, opted_in="yes")  # type: ignore[arg-type]


def test_person_is_frozen():
    person = Person(age=15)
    with pytest.raises(AttributeError):
        person.age = 30  # type: ignore[misc]


def test_checks_refuse_anything_but_a_person(guard):
    with pytest.raises(PolicyError, match="sender must be a nudeguard.Person"):
        guard.check_outgoing(BENIGN, sender=15)  # type: ignore[arg-type]
    with pytest.raises(PolicyError, match="recipient must be a nudeguard.Person"):
        guard.check_incoming(BENIGN, recipient=None)  # type: ignore[arg-type]


def test_policy_error_is_a_nudeguard_error_and_a_value_error():
    assert issubclass(PolicyError, nudeguard.NudeguardError) and issubclass(PolicyError, ValueError)


def test_opt_in_prompt_is_localized(guard):
    english = Policy().opt_in_prompt()
    german = Policy("de-DE").opt_in_prompt()
    assert english.locale == "en" and german.locale == "de"
    assert english.title != german.title and german.confirm_label == "Einschalten"
    assert guard.policy.opt_in_prompt() == english
    assert Policy().opt_in_prompt("de") == german
