"""Message catalogues: identical keys and placeholders, required content, locale fallback, and
the helplines and reporting services each country gets."""

from __future__ import annotations

import json
import string

import pytest

import nudeguard
from nudeguard import AgeGroup
from nudeguard.safety.wording import (
    LOCALES_DIR,
    RESOURCE_KINDS,
    TIP_KEYS,
    catalogue,
    opt_in_prompt,
    resolve_country,
    resolve_locale,
    resources_for,
    warning_for,
)

LOCALES = nudeguard.available_locales()


def flatten(tree, prefix=""):
    """{dotted key: string} of a catalogue, without its countries' services (those differ)."""
    out = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if path == "local_services":
            continue
        if isinstance(value, dict):
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


def placeholders(text: str):
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def local_entries(locale):
    """(country, entry) for every helpline and reporting service of a catalogue."""
    countries = catalogue(locale)["local_services"]["countries"]
    return [(country, entry) for country, entries in countries.items() for entry in entries]


def test_the_six_languages_ship_with_the_package():
    assert LOCALES == ["de", "en", "es", "fr", "it", "pt"]
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


@pytest.mark.parametrize("locale", LOCALES)
def test_every_local_service_has_a_source_a_way_to_reach_it_a_kind_and_a_description(locale):
    entries = local_entries(locale)
    assert entries
    for country, entry in entries:
        assert set(entry) <= {"name", "phone", "url", "description", "kind", "source"}, (country, entry)
        assert entry["name"].strip() and entry["description"].strip(), (country, entry)
        assert entry.get("phone") or entry.get("url"), (country, entry)
        assert entry["kind"] in ("helpline", "report"), (country, entry)
        assert entry["source"].startswith(("https://", "http://")), (country, entry)
        if "url" in entry:
            assert entry["url"].startswith("https://"), (country, entry)


@pytest.mark.parametrize("locale", LOCALES)
def test_countries_are_region_codes_and_include_the_default(locale):
    services = catalogue(locale)["local_services"]
    assert services["default_country"] in services["countries"]
    for country in services["countries"]:
        assert len(country) == 2 and country.isupper(), country


@pytest.mark.parametrize("locale", LOCALES)
def test_international_resources_have_a_kind(locale):
    for key, resource in catalogue(locale)["resources"].items():
        assert resource["kind"] in RESOURCE_KINDS, key
    shown = resources_for(AgeGroup.UNKNOWN, locale)
    assert all(resource.kind in RESOURCE_KINDS for resource in shown)
    international, local = shown[:3], shown[3:]
    assert [r.name for r in international] == ["Take It Down (NCMEC)", "StopNCII.org", "NCMEC CyberTipline"]
    assert all(r.source is None for r in international) and all(r.source for r in local)


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_files_are_strict_utf8_json_and_what_the_sdk_loads(locale):
    strict = json.loads((LOCALES_DIR / f"{locale}.json").read_bytes().decode("utf-8", errors="strict"))
    assert isinstance(strict, dict) and strict == catalogue(locale)


@pytest.mark.parametrize("tag, expected", [
    ("en", "en"), ("en-US", "en"), ("de", "de"), ("de-AT", "de"), ("de_CH", "de"), ("DE", "de"),
    ("de_DE.UTF-8", "de"), ("fr-FR", "fr"), ("fr_CA.UTF-8", "fr"), ("es-419", "es"), ("it", "it"),
    ("pt-BR", "pt"), ("PT_pt", "pt"), ("nl-NL", "en"), ("", "en"), (None, "en"), ("x", "en"),
])
def test_locale_resolution_falls_back_to_english(tag, expected):
    assert resolve_locale(tag) == expected


@pytest.mark.parametrize("tag, expected", [
    ("de", "DE"), ("de-DE", "DE"), ("de-AT", "AT"), ("de_CH.UTF-8", "CH"), ("de-ch", "CH"),
    ("pt-BR", "BR"), ("pt-PT", "PT"), ("pt", "BR"), ("fr-CA", "CA"), ("fr_CA.UTF-8", "CA"), ("fr-BE", "BE"),
    ("fr", "FR"), ("es-CO", "CO"), ("es-AR", "AR"), ("it-CH", "CH"), ("en-GB", "GB"), ("en_AU", "AU"),
    ("it-IT@euro", "IT"), (None, "US"), ("", "US"),
    # Regions a catalogue does not list get no country: another country's short codes would not work.
    ("es-MX", None), ("es-419", None), ("de-US", None), ("en-NZ", None), ("nl-BE", None), ("zh-Hant-TW", None),
])
def test_the_region_picks_the_country(tag, expected):
    assert resolve_country(tag) == expected


def test_the_region_picks_the_services_shown():
    def phones(tag):
        return {r.phone for r in resources_for(AgeGroup.MINOR, tag) if r.phone}

    assert {"116 111", "0800 22 55 530"} <= phones("de") == phones("de-DE")
    assert "147" in phones("de-AT") and "116 111" not in phones("de-AT")
    assert "147" in phones("de-CH") and "0800 22 55 530" not in phones("de-CH")
    assert "100" in phones("pt-BR") and "116 111" not in phones("pt-BR")
    assert {"116 111", "800 21 90 90"} <= phones("pt-PT") and "100" not in phones("pt-PT")
    assert "1 800 668-6868" in phones("fr-CA") and "3018" not in phones("fr-CA")
    assert "3018" in phones("fr") and "119" in phones("fr-FR")
    # No Mexican service was confirmed: Mexico gets the international services, not Spain's 017.
    assert phones("es-ES") == phones("es") == {"017"}
    assert [r.name for r in resources_for(AgeGroup.MINOR, "es-MX")] == [
        r.name for r in resources_for(AgeGroup.MINOR, "es-MX") if r.source is None]
    assert phones("es-CO") == {"141"}


def test_warnings_and_their_resources_follow_the_region():
    austria = warning_for("outgoing", AgeGroup.MINOR, "de-AT")
    assert austria.locale == "de" and austria.title == warning_for("outgoing", AgeGroup.MINOR, "de").title
    assert [r.name for r in austria.resources][-2:] == ["147 Rat auf Draht", "Stopline"]
    brazil = warning_for("incoming", AgeGroup.ADULT, "pt_BR.UTF-8")
    assert brazil.locale == "pt" and any(r.name == "Disque 100" for r in brazil.resources)


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
    kinds = {r.name: r.kind for r in resources_for(AgeGroup.MINOR, "de")}
    assert kinds["Nummer gegen Kummer"] == "helpline" and kinds["jugendschutz.net"] == "report"
    assert kinds["Take It Down (NCMEC)"] == "removal" and kinds["NCMEC CyberTipline"] == "report"
    # English without a region is the United States, served by the NCMEC resources alone.
    assert not [r for r in resources_for(AgeGroup.MINOR, "en") if r.phone]
    assert all(r.source for r in resources_for(AgeGroup.MINOR, "en-GB")[2:])


def test_chat_notices_are_in_every_catalogue():
    for locale in LOCALES:
        notices = catalogue(locale)["conversation"]
        for level in ("warn", "urgent"):
            for wording in ("minor", "adult"):
                assert notices[level][wording]["title"] and notices[level][wording]["body"], (locale, level)
    assert catalogue("en")["conversation"]["urgent"]["minor"]["title"] == "This looks like blackmail"
    assert catalogue("de")["conversation"]["urgent"]["minor"]["title"] == "Das sieht nach Erpressung aus"


def test_incoming_warning_has_the_view_anyway_confirmation():
    for locale in LOCALES:
        warning = warning_for("incoming", AgeGroup.ADULT, locale)
        assert warning.confirmation is not None and warning.confirmation.locale == locale
        assert warning_for("outgoing", AgeGroup.ADULT, locale).confirmation is None


def test_opt_in_prompt_per_locale():
    titles = {opt_in_prompt(locale).title for locale in LOCALES}
    assert len(titles) == len(LOCALES)
    assert opt_in_prompt("pt-BR").locale == "pt"
    assert opt_in_prompt("nl-NL") == opt_in_prompt("en")


@pytest.mark.parametrize("locale", [locale for locale in LOCALES if locale != "en"])
def test_every_text_is_translated(locale):
    """No text is left in English (names of services and labels like "Chat" aside)."""
    english, other = flatten(catalogue("en")), flatten(catalogue(locale))
    same = {key for key, text in english.items()
            if other[key] == text and not key.endswith((".name", ".url", ".kind"))}
    assert not same, same


def test_warnings_are_frozen_and_hashable():
    warning = warning_for("incoming", AgeGroup.MINOR, "de")
    with pytest.raises(AttributeError):
        warning.title = "x"  # type: ignore[misc]
    assert hash(warning) == hash(warning_for("incoming", AgeGroup.MINOR, "de"))
