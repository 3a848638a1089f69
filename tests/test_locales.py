"""Message catalogues: identical keys and placeholders, required content, locale fallback."""

from __future__ import annotations

import json
import string

import pytest

import nudeguard
from nudeguard import AgeGroup
from nudeguard.messages import (
    LOCALES_DIR,
    TIP_KEYS,
    catalogue,
    opt_in_prompt,
    resolve_locale,
    resources_for,
    warning_for,
)

LOCALES = nudeguard.available_locales()


def flatten(tree, prefix=""):
    """{dotted key: string} of a catalogue, without the per-locale helplines."""
    out = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if path == "helplines":
            continue
        if isinstance(value, dict):
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


def placeholders(text: str):
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def test_english_and_german_ship_with_the_package():
    assert {"en", "de"} <= set(LOCALES)
    assert sorted(p.stem for p in LOCALES_DIR.glob("*.json")) == LOCALES


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_has_the_same_keys_and_placeholders_as_english(locale):
    english, other = flatten(catalogue("en")), flatten(catalogue(locale))
    assert sorted(other) == sorted(english)
    for key, text in english.items():
        assert placeholders(other[key]) == placeholders(text), key


@pytest.mark.parametrize("locale", LOCALES)
def test_every_text_is_a_non_empty_string(locale):
    for key, text in flatten(catalogue(locale)).items():
        assert isinstance(text, str) and text.strip() == text and text, key
    for helpline in catalogue(locale)["helplines"].values():
        assert helpline["name"] and helpline["description"] and (helpline.get("phone") or helpline.get("url"))


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_files_are_valid_utf8_json(locale):
    json.loads((LOCALES_DIR / f"{locale}.json").read_bytes().decode("utf-8"))


@pytest.mark.parametrize("tag, expected", [
    ("en", "en"), ("en-US", "en"), ("de", "de"), ("de-AT", "de"), ("de_CH", "de"), ("DE", "de"),
    ("de_DE.UTF-8", "de"), ("fr-FR", "en"), ("", "en"), (None, "en"), ("x", "en"),
])
def test_locale_resolution_falls_back_to_english(tag, expected):
    assert resolve_locale(tag) == expected


def test_sender_warning_says_what_matters():
    teen = warning_for("outgoing", AgeGroup.MINOR, "en")
    adult = warning_for("outgoing", AgeGroup.ADULT, "en")
    for warning in (teen, adult):
        body = warning.body.lower()
        assert "lose control" in body and "crime" in body and "money" in body
    assert "think" in teen.title.lower()
    german = warning_for("outgoing", AgeGroup.MINOR, "de")
    assert "Kontrolle" in german.body and "Straftat" in german.body and "Geld" in german.body


@pytest.mark.parametrize("locale", LOCALES)
def test_tips_cover_the_advice(locale):
    tips = catalogue(locale)["tips"]
    assert tuple(tips) == TIP_KEYS
    english = {key: text.lower() for key, text in catalogue("en")["tips"].items()}
    assert "pay" in english["dont_pay"] and "send more" in english["dont_send_more"]
    assert "replying" in english["stop_replying"] and "block" in english["block"]
    assert "report" in english["report"] and "trust" in english["talk"]
    assert "chat" in english["keep_evidence"] and "profile" in english["keep_evidence"]


@pytest.mark.parametrize("locale", LOCALES)
def test_take_it_down_only_for_under_18_and_stopncii_only_for_adults(locale):
    def urls(group):
        return [r.url for r in resources_for(group, locale)]

    assert "https://takeitdown.ncmec.org" in urls(AgeGroup.MINOR)
    assert "https://stopncii.org" not in urls(AgeGroup.MINOR)
    assert "https://stopncii.org" in urls(AgeGroup.ADULT)
    assert "https://takeitdown.ncmec.org" not in urls(AgeGroup.ADULT)
    # Age unknown: the image may have been taken before 18, or not.
    assert {"https://takeitdown.ncmec.org", "https://stopncii.org"} <= set(urls(AgeGroup.UNKNOWN))
    for group in AgeGroup:
        assert "https://report.cybertip.org" in urls(group)


def test_german_helplines():
    helplines = {r.name: r.phone for r in resources_for(AgeGroup.MINOR, "de") if r.phone}
    assert helplines == {"Hilfetelefon Sexueller Missbrauch": "0800 22 55 530", "Nummer gegen Kummer": "116 111"}
    assert not [r for r in resources_for(AgeGroup.MINOR, "en") if r.phone]


def test_incoming_warning_has_the_view_anyway_confirmation():
    for locale in LOCALES:
        warning = warning_for("incoming", AgeGroup.ADULT, locale)
        assert warning.confirmation is not None and warning.confirmation.locale == locale
        assert warning_for("outgoing", AgeGroup.ADULT, locale).confirmation is None


def test_opt_in_prompt_per_locale():
    assert opt_in_prompt("de").title != opt_in_prompt("en").title
    assert opt_in_prompt("pt-BR") == opt_in_prompt("en")


def test_warnings_are_frozen_and_hashable():
    warning = warning_for("incoming", AgeGroup.MINOR, "de")
    with pytest.raises(AttributeError):
        warning.title = "x"  # type: ignore[misc]
    assert hash(warning) == hash(warning_for("incoming", AgeGroup.MINOR, "de"))
