"""Reported images stay down: a guard with ``GuardOptions(hash_list=...)`` blocks a listed image on
its way out and veils it on its way in, for every age, after re-encoding at JPEG quality 70,
halving its size, rotating it by 90 degrees or mirroring it; the verdict names the entry."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import nudeguard
from nudeguard import Action, Guard, GuardOptions, HashList, Person, pdq_hash
from nudeguard.hashing import DEFAULT_MAX_DISTANCE
from nudeguard.media import reader
from nudeguard.safety.wording import AgeGroup, catalogue, warning_for

BENIGN = Path(__file__).resolve().parent / "fixtures" / "benign"
LISTED = ["chelsea.jpg", "coffee.jpg", "rocket.jpg"]
NOT_LISTED = sorted(p.name for p in BENIGN.glob("*.jpg") if p.name not in LISTED)
EVERY_AGE = [Person(age=15), Person(age=None), Person(age=30), Person(age=30, opted_in=True)]


def jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


def altered(name: str, change: str) -> bytes:
    """The listed photo as it comes back after being passed around."""
    image = cv2.imread(str(BENIGN / name))
    if change == "jpeg_q70":
        return jpeg(image, 70)
    if change == "half_size":
        return jpeg(cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA))
    if change == "rotate_90":
        return jpeg(cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE))
    if change == "mirror":
        return jpeg(cv2.flip(image, 1))
    raise AssertionError(change)


CHANGES = ["jpeg_q70", "half_size", "rotate_90", "mirror"]


@pytest.fixture(scope="module")
def guard():
    # The list as Take It Down would hold it: the reference PDQ of the originals, with ids,
    # among entries that match nothing here.
    rng = np.random.default_rng(17)
    noise = [(bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex(), f"other-{i}") for i in range(2000)]
    listed = [(pdq_hash(str(BENIGN / name)).hex, f"report-{name}") for name in LISTED]
    with Guard(GuardOptions(hash_list=HashList.from_hashes(noise + listed))) as created:
        yield created


# Each photo and change once, the sender's age taking turns: every age meets every change.
CASES = [(name, change, EVERY_AGE[i % len(EVERY_AGE)])
         for i, (name, change) in enumerate((name, change) for name in LISTED for change in CHANGES)]


@pytest.mark.parametrize("name, change, sender", CASES, ids=[f"{n}-{c}-{p.age}-{p.opted_in}" for n, c, p in CASES])
def test_a_listed_photo_is_blocked_on_its_way_out_for_every_age(guard, name, change, sender):
    verdict = guard.check_outgoing(altered(name, change), sender=sender)
    assert verdict.action is Action.BLOCK
    assert verdict.hash_match is not None and verdict.hash_match.id == f"report-{name}"
    assert verdict.hash_match.distance <= DEFAULT_MAX_DISTANCE
    wording = "adult" if sender.age == 30 else "minor"
    assert verdict.warning.title == catalogue("en")["blocked"][wording]["title"]
    assert verdict.warning.confirmation is None


def test_the_match_names_the_transform(guard):
    def transform(change):
        return guard.check_outgoing(altered("coffee.jpg", change), sender=Person(age=30)).hash_match.transform

    assert transform("jpeg_q70") == "original"
    assert transform("rotate_90") in ("rotate90", "rotate270")
    assert transform("mirror") in ("flipx", "flipy")


@pytest.mark.parametrize("change, recipient", list(zip(CHANGES, EVERY_AGE)), ids=CHANGES)
def test_a_listed_photo_is_veiled_on_its_way_in_for_every_age(guard, change, recipient):
    verdict = guard.check_incoming(altered("chelsea.jpg", change), recipient=recipient, preview_size=200)
    assert verdict.action is Action.VEIL and verdict.hash_match.id == "report-chelsea.jpg"
    assert verdict.veiled is not None and max(verdict.veiled.shape[:2]) == 200
    wording = "adult" if recipient.age == 30 else "minor"
    assert verdict.warning.title == catalogue("en")["reported"][wording]["title"]
    assert "without consent" in verdict.warning.body or "without the consent" in verdict.warning.body
    assert verdict.warning.confirmation is not None  # "view anyway?" after "View photo"


@pytest.mark.parametrize("name", NOT_LISTED)
def test_other_photos_pass(guard, name):
    verdict = guard.check_outgoing((BENIGN / name).read_bytes(), sender=Person(age=30))
    assert (verdict.action, verdict.hash_match) == (Action.ALLOW, None)


def test_other_photos_are_shown(guard):
    verdict = guard.check_incoming((BENIGN / NOT_LISTED[0]).read_bytes(), recipient=Person(age=30))
    assert (verdict.action, verdict.hash_match) == (Action.SHOW, None)


def test_arrays_are_matched_too(guard):
    image = cv2.imread(str(BENIGN / "rocket.jpg"))
    verdict = guard.check_outgoing(np.ascontiguousarray(image[::-1]), sender=Person(age=30), color_order="BGR")
    assert verdict.action is Action.BLOCK and verdict.hash_match.id == "report-rocket.jpg"


def test_the_block_and_the_reported_veil_speak_the_user_s_language(guard):
    data = altered("rocket.jpg", "jpeg_q70")
    outgoing = guard.check_outgoing(data, sender=Person(age=15), locale="de-AT")
    assert outgoing.warning.title == "Dieses Foto kann nicht gesendet werden"
    assert any(resource.phone == "147" for resource in outgoing.warning.resources)
    incoming = guard.check_incoming(data, recipient=Person(age=40), locale="fr")
    assert incoming.warning.title == "Cette photo a été signalée"


@pytest.mark.parametrize("locale", nudeguard.available_locales())
def test_every_catalogue_words_the_block_and_the_reported_veil(locale):
    texts = catalogue(locale)
    for direction in ("blocked", "reported"):
        titles = {warning_for(direction, group, locale).title for group in AgeGroup}
        assert titles == {texts[direction]["minor"]["title"], texts[direction]["adult"]["title"]}
    assert warning_for("blocked", AgeGroup.MINOR, locale).confirmation is None
    assert warning_for("reported", AgeGroup.MINOR, locale).confirmation is not None


def test_the_image_is_decoded_once_for_the_model_and_the_hash(guard, monkeypatch):
    decoded = []
    real_decode = reader.decode

    def counting_decode(*args, **kwargs):
        decoded.append(1)
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(reader, "decode", counting_decode)
    verdict = guard.check_outgoing(altered("chelsea.jpg", "half_size"), sender=Person(age=30))
    assert verdict.action is Action.BLOCK and len(decoded) == 1


def test_a_guard_without_a_list_matches_nothing():
    with Guard() as plain:
        verdict = plain.check_outgoing((BENIGN / "chelsea.jpg").read_bytes(), sender=Person(age=30))
    assert (verdict.action, verdict.hash_match) == (Action.ALLOW, None)


def test_the_options_keep_the_list_and_check_it():
    listed = HashList.from_hashes([pdq_hash(str(BENIGN / "chelsea.jpg")).hex])
    with Guard(GuardOptions(hash_list=listed, hash_max_distance=20)) as strict:
        assert strict.options.hash_list is listed and strict.options.hash_max_distance == 20
    with pytest.raises(ValueError, match="hash_list must be a nudeguard.HashList"):
        Guard(GuardOptions(hash_list=["ab" * 32]))  # type: ignore[arg-type]
    for distance in (-1, 257, 3.5, True):
        with pytest.raises(ValueError, match="hash_max_distance"):
            Guard(GuardOptions(hash_list=listed, hash_max_distance=distance))  # type: ignore[arg-type]


def test_a_long_list_is_matched_across_its_scan_blocks():
    """Entries past the first block (65 536 entries) keep their own index and id."""
    rng = np.random.default_rng(5)
    hashes = rng.integers(0, 256, (140_000, 32), dtype=np.uint8)
    wanted = pdq_hash(str(BENIGN / "coffee.jpg"))
    for index in (0, 65_535, 65_536, 139_999):
        listed = hashes.copy()
        listed[index] = np.frombuffer(bytes.fromhex(wanted.hex), np.uint8)
        matches = HashList(listed).match(nudeguard.pdq_dihedral(altered("coffee.jpg", "rotate_90")))
        assert [match.index for match in matches] == [index]
        assert matches[0].transform in ("rotate90", "rotate270")
