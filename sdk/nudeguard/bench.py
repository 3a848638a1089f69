"""``nudeguard bench``: latency per stage of a check, for pipelines that track it over time.

By default the image is made here, deterministically (a 12 MP photo-like JPEG: smooth
colour fields, hard edges and sensor grain), so every run measures the same work and
nothing is read from or written to disk; ``run(image=...)`` measures given encoded bytes
instead. Each stage runs for its share of the time budget after a warm-up,
and reports the 50th, 90th and 99th percentile of its samples in milliseconds:

* ``decode``: the encoded bytes to pixels (a JPEG at the DCT scale the model needs;
  ``load_pixels``);
* ``preprocess``: the native kernel writing the model's input tensor;
* ``inference``: one interpreter ``invoke``;
* ``veil``: :func:`nudeguard.veil` of the decoded pixels to the preview size;
* ``hash``: the PDQ hash of the encoded bytes on the fast path (``pdq_hash(fast=True)``);
* ``end_to_end``: ``check_incoming`` of the encoded bytes for a protected recipient (every
  view the guard classifies; the veil only when the verdict is ``VEIL``).

Needs only the package's own dependencies; the comparisons with other detectors live in the
repository's ``benchmarks/`` and are not shipped.
"""

from __future__ import annotations

import datetime
import math
import os
import platform
import time
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional

import cv2
import numpy as np

from . import _native
from .blur import veil
from .guard import Guard, GuardOptions, tile_offsets
from .hashing import pdq_hash
from .image import load_pixels
from .policy import Person

__all__ = ["StageTiming", "machine_facts", "photo_jpeg", "photo_like", "run", "format_report"]

#: Stages in the order they run and are reported.
STAGES = ("decode", "preprocess", "inference", "veil", "hash", "end_to_end")

#: The picture measured by default: a 12 MP phone photo, 4:3 landscape.
DEFAULT_SIZE = (4000, 3000)

#: Longer side of the veil, as in the README's receive hook.
PREVIEW_SIZE = 480

#: Fewest timed samples per stage, whatever the budget.
MIN_SAMPLES = 3


@dataclass(frozen=True)
class StageTiming:
    """Percentiles of one stage's samples, in milliseconds."""

    p50_ms: float
    p90_ms: float
    p99_ms: float
    samples: int


def photo_like(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A deterministic BGR uint8 picture with a photo's statistics: smooth colour fields at
    several scales, hard-edged shapes and per-pixel grain. The grain matters: a JPEG's
    entropy decoding, most of the cost of a check, grows with the fine detail it encodes."""
    rng = np.random.default_rng(seed)
    # The smooth fields are computed at 1/8 of the size and scaled up: same look, a fraction
    # of the float work and memory of a full-size float image.
    small = (max(2, width // 8), max(2, height // 8))
    base = np.full((small[1], small[0], 3), 128.0, np.float32)
    longest = max(small)
    for cells, amplitude in ((4, 90.0), (16, 40.0), (64, 20.0), (256, 8.0)):
        shape = (cells * small[1] // longest + 2, cells * small[0] // longest + 2, 3)
        field = rng.normal(0.0, 1.0, shape).astype(np.float32)
        base += amplitude * cv2.resize(field, small, interpolation=cv2.INTER_CUBIC)
    image = cv2.resize(np.clip(base, 0, 255).astype(np.uint8), (width, height), interpolation=cv2.INTER_CUBIC)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        x1 = x0 + int(rng.integers(20, max(21, width // 4)))
        y1 = y0 + int(rng.integers(20, max(21, height // 4)))
        cv2.rectangle(image, (x0, y0), (x1, y1), color, -1)
        end = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.line(image, (x0, y0), end, color, max(1, width // 400))
    grain = rng.integers(0, 13, image.shape, dtype=np.uint8)
    return cv2.subtract(cv2.add(image, grain), np.full_like(image, 6))


def photo_jpeg(width: int, height: int, seed: int = 0, quality: int = 90) -> bytes:
    """:func:`photo_like` encoded as a baseline JPEG (in memory)."""
    ok, encoded = cv2.imencode(".jpg", photo_like(width, height, seed), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV could not encode the benchmark JPEG")
    return encoded.tobytes()


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith(("model name", "Model", "Hardware")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_facts(guard: Guard) -> Dict[str, object]:
    """What the numbers depend on: CPU, cores, kernel ISA, interpreter, versions."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "system": platform.system(),
        "python": platform.python_version(),
        "isa": _native.isa(),
        "runtime": guard.runtime.name,
        "runtime_version": guard.runtime.version,
        "interpreter_threads": guard.options.threads,
        "opencv": cv2.__version__,
        "numpy": np.__version__,
        "nudeguard": _native.__version__,
    }


def _timing(samples: List[float]) -> StageTiming:
    p50, p90, p99 = np.percentile(np.array(samples) * 1e3, [50, 90, 99])
    return StageTiming(float(p50), float(p90), float(p99), len(samples))


def _sample(fn: Callable[[], object], budget_s: float) -> List[float]:
    fn()  # warm-up: allocations, thread start, first-touch page faults
    times: List[float] = []
    deadline = time.perf_counter() + budget_s
    while len(times) < MIN_SAMPLES or time.perf_counter() < deadline:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def run(seconds: float = 10.0, *, image: Optional[bytes] = None, threads: Optional[int] = None) -> Dict[str, object]:
    """Measure every stage within about ``seconds`` in all and return the report as a dict
    (``date``, ``seconds``, ``machine``, ``image``, and ``stages``: name → :class:`StageTiming`
    as a dict). ``image`` (encoded bytes) replaces the generated 12 MP photo; ``threads`` is
    the interpreter's (``None``: the guard's default). Raises ``ValueError`` for a budget
    that is not a positive number, :class:`ImageError` for an image that cannot be decoded."""
    if not seconds > 0 or not math.isfinite(seconds):
        raise ValueError(f"seconds must be a positive number, got {seconds}")
    data = image if image is not None else photo_jpeg(*DEFAULT_SIZE)
    share = seconds / len(STAGES)
    recipient = Person(age=15)
    with Guard(GuardOptions(threads=threads)) as guard:
        card = guard.model_card
        pixels = load_pixels(data, min_size=card.resize_size)
        # The stages below reach into the guard's first interpreter so that preprocessing
        # and inference are timed apart; check_incoming runs them together.
        worker = guard._acquire()
        try:
            def preprocess() -> None:
                tensor = worker.input_tensor()
                _native.preprocess(pixels.array, pixels.format, tensor, resize=card.resize_size,
                                   dst_order=guard._tensor_order, mul=guard._mul, add=guard._add)

            preprocess()
            samples = {
                "decode": _sample(lambda: load_pixels(data, min_size=card.resize_size), share),
                "preprocess": _sample(preprocess, share),
                "inference": _sample(worker.interpreter.invoke, share),
            }
        finally:
            guard._release(worker)
        samples["veil"] = _sample(lambda: veil(pixels.array, PREVIEW_SIZE), share)
        samples["hash"] = _sample(lambda: pdq_hash(data, fast=True), share)
        samples["end_to_end"] = _sample(
            lambda: guard.check_incoming(data, recipient=recipient, preview_size=PREVIEW_SIZE), share)
        verdict = guard.check_incoming(data, recipient=recipient, preview_size=PREVIEW_SIZE)
        facts = machine_facts(guard)
    width, height = pixels.size
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "seconds": seconds,
        "machine": facts,
        "image": {
            "width": width, "height": height, "bytes": len(data), "generated": image is None,
            "decoded": f"{pixels.array.shape[1]}x{pixels.array.shape[0]}",
            "end_to_end_action": verdict.action.name,
            # The full frame and, for pictures wider than guard.TILE_ASPECT, square tiles: one inference each.
            "end_to_end_views": 1 + len(tile_offsets(max(pixels.array.shape[:2]), min(pixels.array.shape[:2]))),
        },
        "stages": {name: asdict(_timing(samples[name])) for name in STAGES},
    }


def format_report(report: Dict[str, object]) -> str:
    """The report as a short human-readable table."""
    machine = report["machine"]
    image = report["image"]
    assert isinstance(machine, dict) and isinstance(image, dict)
    lines = [
        f"nudeguard {machine['nudeguard']} · {machine['cpu']} · {machine['cores']} cores · ISA {machine['isa']} · "
        f"{machine['runtime']} {machine['runtime_version']} ({machine['interpreter_threads']} threads)",
        f"image {image['width']}x{image['height']}, {image['bytes']} bytes, decoded at {image['decoded']}; "
        f"end to end: check_incoming ({image['end_to_end_views']} views), protected recipient → "
        f"{image['end_to_end_action']}",
        "",
        f"{'stage':12} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'samples':>8}",
    ]
    stages = report["stages"]
    assert isinstance(stages, dict)
    for name, timing in stages.items():
        lines.append(f"{name:12} {timing['p50_ms']:8.2f} {timing['p90_ms']:8.2f} {timing['p99_ms']:8.2f} "
                     f"{timing['samples']:8d}")
    return "\n".join(lines)
