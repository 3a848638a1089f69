"""Soak: thousands of mixed checks from 8 threads and from asyncio give exactly the serial
results, and 10 000 checks after warm-up leave the resident memory within 5 MB.

Marked ``soak`` (minutes of inference): deselected by default, run by CI's soak step with
``python -m pytest -m soak``. Images are small (128 px) so the run stays around 3 minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, List, Tuple

import cv2
import pytest

import nudeguard
from conftest import benign_photos, synthetic_sensitive
from nudeguard import Person

pytestmark = pytest.mark.soak

TOTAL_CHECKS = 10_000
#: Checks before the memory baseline: pools, malloc's per-thread arenas and caches reach their
#: working size.
WARM_UP_CHECKS = 1000
RSS_GROWTH_LIMIT = 5 * 1024 * 1024
#: (width, height) of the mix's one wide picture, its largest model input.
WIDE_SIZE = (320, 96)
PEOPLE = [Person(age=15), Person(age=None), Person(age=30), Person(age=30, opted_in=True)]


def _images() -> list:
    """Small JPEG/PNG bytes of benign photos and sensitive fixtures, an array, a wide picture
    (another input shape), and undecodable ones (text, zeros, a decompression bomb's header, HEIC, a
    truncated JPEG): verdicts, input shapes and errors mixed, about a third of them errors."""
    def small(path, ext):
        image = cv2.resize(cv2.imread(str(path)), (128, 128), interpolation=cv2.INTER_AREA)
        return cv2.imencode(ext, image)[1].tobytes()

    images: list = [small(p, ".jpg") for p in benign_photos()[:4]]
    images += [small(p, ".png") for p in synthetic_sensitive()]
    wide = cv2.resize(cv2.imread(str(synthetic_sensitive()[0])), WIDE_SIZE)
    images += [cv2.imencode(".jpg", wide)[1].tobytes(), (cv2.imread(str(benign_photos()[5]))[:128, :128], "BGR")]
    bomb = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + (60000).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00"
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)
    images += [b"Hello, this is not a picture", b"\x00" * 300, bomb, heic, images[0][:len(images[0]) // 2]]
    return images


IMAGES = _images()


def _check(guard: nudeguard.Guard, i: int) -> Tuple:
    """Check number i of the mix, reduced to comparable values."""
    image = IMAGES[i % len(IMAGES)]
    image, order = image if isinstance(image, tuple) else (image, None)
    person = PEOPLE[(i // len(IMAGES)) % len(PEOPLE)]
    if i % 2 == 0:
        v = guard.check_outgoing(image, sender=person, color_order=order)
        return ("out", v.action, v.score, v.sensitive, v.warning, str(v.error))
    v = guard.check_incoming(image, recipient=person, color_order=order, preview_size=64)
    veil = None if v.veiled is None else hashlib.sha1(v.veiled.tobytes()).hexdigest()
    return ("in", v.action, v.score, v.sensitive, v.warning, str(v.error), veil)


async def _check_async(guard: nudeguard.Guard, i: int) -> Tuple:
    """:func:`_check` through the asyncio variants."""
    image = IMAGES[i % len(IMAGES)]
    image, order = image if isinstance(image, tuple) else (image, None)
    person = PEOPLE[(i // len(IMAGES)) % len(PEOPLE)]
    if i % 2 == 0:
        v = await guard.check_outgoing_async(image, sender=person, color_order=order)
        return ("out", v.action, v.score, v.sensitive, v.warning, str(v.error))
    v = await guard.check_incoming_async(image, recipient=person, color_order=order, preview_size=64)
    veil = None if v.veiled is None else hashlib.sha1(v.veiled.tobytes()).hexdigest()
    return ("in", v.action, v.score, v.sensitive, v.warning, str(v.error), veil)


async def _gather_async(guard: nudeguard.Guard, indices) -> List[Tuple]:
    return list(await asyncio.gather(*(_check_async(guard, i) for i in indices)))


def _threaded_checks(guard: nudeguard.Guard, indices: range) -> Iterator[Tuple[int, Tuple]]:
    """(i, result) of checks from 8 threads, submitted 400 at a time: a queue of thousands of
    futures would raise the heap's high-water mark by megabytes, which is not a leak."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        for start in range(indices.start, indices.stop, 400):
            burst = range(start, min(indices.stop, start + 400))
            yield from zip(burst, pool.map(lambda i: _check(guard, i), burst))


def _key(i: int) -> int:
    """Checks with the same key are the same call: the mix repeats every 2 * images * people."""
    return i % (2 * len(IMAGES) * len(PEOPLE))


def _resident_bytes(guard: nudeguard.Guard) -> int:
    """Resident memory with every interpreter planned for the mix's widest picture. An
    interpreter's activations follow its current input shape (the window model re-plans it
    per picture: 14.5 MB apart between the 128 px squares and the wide one), so memory is only
    comparable in one state."""
    widest = guard.engine.windows.input_size(*WIDE_SIZE)
    with contextlib.ExitStack() as stack:
        for _ in range(guard.options.workers):
            stack.enter_context(guard.engine.session()).resize(widest)
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Soak:
    def __init__(self) -> None:
        self.guard = nudeguard.Guard(nudeguard.GuardOptions(workers=2, threads=1))
        self.serial = {k: _check(self.guard, k) for k in range(2 * len(IMAGES) * len(PEOPLE))}
        # Warm-up along every path the tests take, so that what is measured afterwards is
        # growth, not start-up: malloc grows one arena per thread that allocates (8 pool
        # threads, asyncio's executor), and the interpreters size their buffers on first use.
        for _ in _threaded_checks(self.guard, range(WARM_UP_CHECKS)):
            pass
        asyncio.run(_gather_async(self.guard, range(200)))
        self.rss_after_warm_up = _resident_bytes(self.guard)
        self.checks = 0

    def expected(self, indices) -> List[Tuple]:
        return [self.serial[_key(i)] for i in indices]


@pytest.fixture(scope="module")
def soak():
    state = Soak()
    with state.guard:
        yield state


def test_the_mix_covers_verdicts_shapes_and_errors(soak):
    results = list(soak.serial.values())
    assert {r[1] for r in results} == {nudeguard.Action.ALLOW, nudeguard.Action.CONFIRM, nudeguard.Action.SHOW,
                                       nudeguard.Action.VEIL}
    assert any(r[5] != "None" for r in results) and any(r[3] for r in results)


def test_eight_threads_times_500_mixed_checks_equal_the_serial_results(soak):
    indices = range(8 * 500)
    for i, result in _threaded_checks(soak.guard, indices):
        assert result == soak.serial[_key(i)], i
    soak.checks += len(indices)


def test_500_asyncio_checks_equal_the_serial_results(soak):
    results = asyncio.run(_gather_async(soak.guard, range(500)))
    soak.checks += 500
    assert results == soak.expected(range(500))


def test_memory_stays_flat_over_10000_checks(soak):
    remaining = max(0, TOTAL_CHECKS - soak.checks)
    growth = []
    for start in range(0, remaining, 1000):
        chunk = range(start, min(remaining, start + 1000))
        for i, result in _threaded_checks(soak.guard, chunk):
            assert result == soak.serial[_key(i)], i
        growth.append((_resident_bytes(soak.guard) - soak.rss_after_warm_up) / 2**20)
    print(f"\nRSS growth (MB) after warm-up, every 1000 checks up to {TOTAL_CHECKS}: "
          + " ".join(f"{g:+.1f}" for g in growth))
    assert growth[-1] < RSS_GROWTH_LIMIT / 2**20, f"resident memory grew by {growth[-1]:.1f} MB"
