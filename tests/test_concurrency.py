"""A guard shared between threads and asyncio tasks gives the same answers as serial calls."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import nudeguard
from conftest import benign_photos, synthetic_sensitive
from nudeguard import Action, Person

IMAGES = [*benign_photos(), *synthetic_sensitive()]


@pytest.fixture(scope="module")
def pooled():
    with nudeguard.Guard(nudeguard.GuardOptions(workers=2, threads=1)) as guard:
        yield guard


def test_options_report_the_pool(pooled):
    assert pooled.options.workers == 2 and pooled.options.threads == 1


@pytest.mark.parametrize("workers", [1, 2])
def test_eight_threads_give_the_same_results_as_serial(guard, workers):
    serial = [guard.scan(path) for path in IMAGES]
    with nudeguard.Guard(nudeguard.GuardOptions(workers=workers)) as shared:
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(2):
                parallel = list(pool.map(shared.scan, IMAGES))
                assert parallel == serial


def _timed(session, spans, lock) -> None:
    """Make ``session`` record when each of its invocations ran."""
    invoke = session.invoke

    def timed_invoke(*args, **kwargs):
        start = time.perf_counter()
        invoke(*args, **kwargs)
        with lock:
            spans.append((start, time.perf_counter(), id(session)))

    session.invoke = timed_invoke


def test_two_workers_run_two_inferences_at_once_and_never_more():
    """With 2 workers and 8 threads, some invocation of one interpreter overlaps one of the
    other in time (the pool really runs in parallel), and never more than 2 run at once."""
    spans, lock = [], threading.Lock()
    with nudeguard.Guard(nudeguard.GuardOptions(workers=2, threads=1)) as guard:
        for session in guard.engine._idle:
            _timed(session, spans, lock)
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(guard.classify, IMAGES * 4))
    assert len({owner for _, _, owner in spans}) == 2
    edges = sorted([(start, 1) for start, _, _ in spans] + [(end, -1) for _, end, _ in spans])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    assert peak == 2, f"no two of {len(spans)} inferences overlapped"


def test_async_variants_match_the_sync_ones(pooled):
    teen = Person(age=15)

    async def main():
        outgoing = await asyncio.gather(*(pooled.check_outgoing_async(p, sender=teen) for p in IMAGES))
        incoming = await asyncio.gather(*(pooled.check_incoming_async(p, recipient=teen, preview_size=64)
                                          for p in IMAGES))
        return outgoing, incoming

    outgoing, incoming = asyncio.run(main())
    assert outgoing == [pooled.check_outgoing(p, sender=teen) for p in IMAGES]
    assert [v.action for v in incoming] == [pooled.check_incoming(p, recipient=teen).action for p in IMAGES]
    assert {v.action for v in outgoing} == {Action.ALLOW, Action.CONFIRM}


def test_close_while_threads_are_checking_finishes_or_refuses_cleanly():
    guard = nudeguard.Guard(nudeguard.GuardOptions(workers=2, threads=1))
    outcomes = []

    def check(path):
        try:
            outcomes.append(guard.classify(path))
        except ValueError as exc:
            assert "closed" in str(exc)
            outcomes.append(None)

    threads = [threading.Thread(target=check, args=(IMAGES[i % len(IMAGES)],)) for i in range(16)]
    for thread in threads:
        thread.start()
    guard.close()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 16
    with pytest.raises(ValueError, match="closed"):
        guard.classify(IMAGES[0])


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_invalid_worker_counts_are_refused(workers):
    with pytest.raises(ValueError, match="workers"):
        nudeguard.Guard(nudeguard.GuardOptions(workers=workers))


def test_eight_threads_of_mixed_checks_equal_the_serial_results(pooled):
    """The default suite's short version of tests/test_soak.py: outgoing and incoming checks,
    sensitive, benign and undecodable images, four kinds of people, from 8 threads at once."""
    people = [Person(age=15), Person(age=None), Person(age=30), Person(age=30, opted_in=True)]
    images = [IMAGES[0], IMAGES[-1], b"not an image"]

    def check(i):
        image, person = images[i % len(images)], people[i // len(images) % len(people)]
        if i % 2:
            verdict = pooled.check_outgoing(image, sender=person)
            return verdict.action, verdict.score, verdict.warning, str(verdict.error)  # errors compare by identity
        verdict = pooled.check_incoming(image, recipient=person, preview_size=48)
        veil = None if verdict.veiled is None else verdict.veiled.tobytes()
        return verdict.action, verdict.score, verdict.warning, str(verdict.error), veil

    indices = range(8 * 20)
    serial = {i: check(i) for i in range(2 * len(images) * len(people))}
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(check, indices))
    assert parallel == [serial[i % len(serial)] for i in indices]
