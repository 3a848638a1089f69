"""Coverage-guided fuzzing (atheris) of the chat client's hooks on arbitrary bytes.

Whatever arrives, ``check_outgoing`` and ``check_incoming`` must return a verdict of their
type whose ``error`` is ``None`` or a :class:`nudeguard.NudeguardError`, fail closed for the
protected users they are asked about, and never raise. Any other outcome aborts with the
input saved. Run (``pip install '.[fuzz]'``)::

    python tests/fuzz/fuzz_guard.py -max_total_time=60 build/fuzz/corpus/guard tests/fuzz/corpus/guard

The first folder collects new inputs, the second holds the committed seeds (tiny images of
every format). Not collected by pytest: no ``test_`` prefix.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["nudeguard"]):
    import nudeguard
    from nudeguard import Action, IncomingVerdict, OutgoingVerdict, Person

# Small limits keep each input fast; the limits themselves are what is being exercised.
GUARD = nudeguard.Guard(nudeguard.GuardOptions(max_pixels=2_000_000, max_video_frames=2, threads=1))
PEOPLE = [Person(age=15), Person(age=None), Person(age=40), Person(age=40, opted_in=True)]


def check_error(error: object, data: bytes) -> None:
    if error is not None and not isinstance(error, nudeguard.NudeguardError):
        raise AssertionError(f"error of type {type(error).__name__} for {len(data)} bytes: {error!r}")


def test_one_input(data: bytes) -> None:
    person = PEOPLE[data[-1] % len(PEOPLE)] if data else PEOPLE[0]
    outgoing = GUARD.check_outgoing(data, sender=person)
    if not isinstance(outgoing, OutgoingVerdict):
        raise AssertionError(f"check_outgoing returned {type(outgoing).__name__}")
    check_error(outgoing.error, data)
    if outgoing.error is not None and person.protected and outgoing.action is not Action.CONFIRM:
        raise AssertionError("a failed check let a protected sender's image through")
    incoming = GUARD.check_incoming(data, recipient=person, preview_size=32)
    if not isinstance(incoming, IncomingVerdict):
        raise AssertionError(f"check_incoming returned {type(incoming).__name__}")
    check_error(incoming.error, data)
    if incoming.error is not None and person.protected and incoming.action is not Action.VEIL:
        raise AssertionError("a failed check showed a protected recipient the image")
    if incoming.veiled is not None and (incoming.veiled.ndim != 3 or incoming.veiled.shape[2] != 3
                                        or max(incoming.veiled.shape[:2]) != 32):
        raise AssertionError(f"veil of shape {incoming.veiled.shape}")
    if (outgoing.error is None) != (incoming.error is None) or outgoing.sensitive != incoming.sensitive:
        raise AssertionError("the two hooks disagree about the same bytes")


if __name__ == "__main__":
    atheris.Setup(sys.argv + ["-max_len=16384"], test_one_input)
    atheris.Fuzz()
