"""``nudeguard bench``: latency per stage of a check, for pipelines that track it over time.

The images are made here, deterministically, in the shapes a chat client meets
(:data:`SHAPES`: camera photos, a 1080p frame, a phone screenshot as PNG, a panorama, a
640x480 camera frame), encoded like real files, and never written to disk;
``run(image=...)`` measures given encoded bytes instead. For each shape these stages are timed:

* ``decode``: the encoded bytes to pixels (a JPEG at the DCT scale the model needs;
  ``load_pixels``);
* ``preprocess``: the native kernel writing the model's input tensor from those pixels;
* ``veil``: :func:`nudeguard.veil` of the decoded pixels to the preview size;
* ``hash``: the PDQ hash of the encoded bytes on the fast path (``pdq_hash(fast=True)``);
* ``end_to_end``: ``check_incoming`` of the encoded bytes for a protected recipient (every
  view the guard classifies; the veil only when the verdict is ``VEIL``);

and once, ``inference``: one interpreter ``invoke``, at the input size of the first shape's
picture (a fixed-size model's input is the same for every picture; the bundled window model's
follows the picture's aspect ratio: time one shape at a time to see each size's cost). With
several shapes, the window model's one interpreter is re-planned whenever the shape changes
(4-25 ms), and rounds alternate shapes, so each shape's ``preprocess`` and ``end_to_end`` then
include that re-plan, as a client alternating shapes pays it.

The measurement runs in rounds: each round times every stage and the calibration workload
(:mod:`nudeguard.bench.calibration`) once, as a block of back-to-back calls for stages under a
few milliseconds, in an order rotated from round to round. A burst of load from another
process therefore lands on all stages alike instead of on whichever stage happened to be
running, and the calibration measured in the same rounds moves with it. Every round's block
median is kept in the report, so a later comparison (:mod:`nudeguard.bench.report`) can judge
noise from the samples themselves.

Self-test of the regression gate: ``NUDEGUARD_BENCH_SLOWDOWN=STAGE=FACTOR[,STAGE=FACTOR]``
(``STAGE`` a stage name such as ``inference`` or ``decode``, or one shape's stage such as
``1080p/decode``) makes every timed call of that stage use ``FACTOR`` times its CPU time by
spinning after it (for a single-threaded stage also ``FACTOR`` times its wall time), so a
pipeline can check that its gate fails on a real, measured slowdown.
Only this module reads the variable, and the report records it under ``options``.

Needs only the package's own dependencies; the comparisons with other detectors live in the
repository's ``benchmarks/`` and are not shipped.
"""

from __future__ import annotations

import datetime
import functools
import gc
import math
import os
import platform
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from .. import _native
from ..detect.engine import Session
from ..detect.guard import Guard
from ..detect.options import GuardOptions
from ..detect.scanner import tile_offsets
from ..hashing import pdq_hash
from ..media.blur import veil
from ..media.reader import load_pixels
from ..safety.policy import Person
from .calibration import Calibration
from .report import MIN_ROUNDS_TO_COMPARE, SCHEMA_VERSION, rounded, timing_summary

__all__ = ["SHAPES", "Shape", "machine_facts", "photo_jpeg", "photo_like", "run", "screenshot_like", "shape_image"]

#: Stages in the order they are reported; ``inference`` is measured once (at the first shape's
#: input size), the others per shape.
STAGES = ("decode", "preprocess", "inference", "veil", "hash", "end_to_end")


@dataclass(frozen=True)
class Shape:
    """A picture a chat client meets: its size and how it is encoded."""

    width: int
    height: int
    encoding: str
    """``"jpeg"`` (quality 90, like a phone camera) or ``"png"`` (like a screenshot)."""
    what: str


#: The shapes ``--shape`` accepts, by name.
SHAPES: Mapping[str, Shape] = {
    "12mp-4x3": Shape(4000, 3000, "jpeg", "12 MP phone photo, 4:3"),
    "12mp-16x9": Shape(4624, 2600, "jpeg", "12 MP phone photo, 16:9"),
    "1080p": Shape(1920, 1080, "jpeg", "1080p frame or photo, 16:9"),
    "screenshot": Shape(1170, 2532, "png", "phone screenshot, 1170x2532 PNG"),
    "panorama": Shape(4000, 1000, "jpeg", "panorama, 4:1"),
    "camera": Shape(640, 480, "jpeg", "640x480 camera frame"),
}

#: Measured when no shape is named: the common camera photo.
DEFAULT_SHAPES = ("12mp-4x3",)

#: Longer side of the veil, as in the README's receive hook.
PREVIEW_SIZE = 480

#: Fewest rounds, whatever the budget: what a comparison needs at least (it wants many more).
MIN_ROUNDS = MIN_ROUNDS_TO_COMPARE

#: A stage faster than this is timed as a block of calls per round, so that one preempted
#: call does not make the round's figure.
BLOCK_SECONDS = 0.003

#: Most calls in one block.
MAX_BLOCK = 64

#: The calibration's JPEG: 1 MP, decoded at full size.
CALIBRATION_JPEG_SIZE = (1152, 864)

#: The self-test variable; see the module docstring.
SLOWDOWN_ENV = "NUDEGUARD_BENCH_SLOWDOWN"


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
        noise = rng.normal(0.0, 1.0, shape).astype(np.float32)
        base += amplitude * cv2.resize(noise, small, interpolation=cv2.INTER_CUBIC)
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


def screenshot_like(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A deterministic BGR uint8 picture with a chat screenshot's statistics: flat
    background, a title bar, message bubbles of text and one photo in the thread. Flat areas
    and sharp text are what make a screenshot's PNG small and its inflate cheap per pixel."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 246, np.uint8)
    unit = max(1, width // 40)  # scales the layout with the screen's width
    cv2.rectangle(image, (0, 0), (width, 5 * unit), (250, 250, 250), -1)
    cv2.putText(image, "Chat", (2 * unit, 3 * unit), cv2.FONT_HERSHEY_SIMPLEX, unit / 20, (20, 20, 20), max(1, unit // 10),
                cv2.LINE_AA)
    y = 7 * unit
    photo_drawn = False
    while y < height - 8 * unit:
        mine = bool(rng.integers(0, 2))
        if not photo_drawn and y > height // 3:
            side = width * 3 // 5
            side = min(side, height - 8 * unit - y)
            if side > 2 * unit:
                x = width - side - unit if mine else unit
                image[y:y + side, x:x + side] = photo_like(side, side, seed + 1)
                y += side + 2 * unit
            photo_drawn = True
            continue
        lines = int(rng.integers(1, 4))
        bubble_w = int(rng.integers(width // 3, width * 3 // 4))
        bubble_h = lines * 2 * unit + unit
        x = width - bubble_w - unit if mine else unit
        color = (246, 132, 10) if mine else (233, 233, 233)  # BGR: the sender's blue, the other's grey
        cv2.rectangle(image, (x, y), (x + bubble_w, y + bubble_h), color, -1, cv2.LINE_AA)
        ink = (255, 255, 255) if mine else (20, 20, 20)
        for line in range(lines):
            words = "".join(chr(int(c)) for c in rng.integers(97, 123, int(rng.integers(8, 24))))
            cv2.putText(image, words, (x + unit, y + (2 * line + 2) * unit), cv2.FONT_HERSHEY_SIMPLEX, unit / 24, ink,
                        max(1, unit // 12), cv2.LINE_AA)
        y += bubble_h + unit
    cv2.rectangle(image, (0, height - 6 * unit), (width, height), (250, 250, 250), -1)
    return image


def photo_jpeg(width: int, height: int, seed: int = 0, quality: int = 90) -> bytes:
    """:func:`photo_like` encoded as a baseline JPEG (in memory)."""
    return _encode(".jpg", photo_like(width, height, seed), [cv2.IMWRITE_JPEG_QUALITY, quality])


@functools.lru_cache(maxsize=None)
def shape_image(name: str) -> bytes:
    """The encoded picture measured for the shape ``name`` (one of :data:`SHAPES`)."""
    shape = SHAPES[name]
    if shape.encoding == "png":
        return _encode(".png", screenshot_like(shape.width, shape.height), [])
    return photo_jpeg(shape.width, shape.height)


def _encode(extension: str, image: np.ndarray, params: List[int]) -> bytes:
    ok, encoded = cv2.imencode(extension, image, params)
    if not ok:
        raise RuntimeError(f"OpenCV could not encode the benchmark image as {extension}")
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


def _usable_cpus() -> int:
    """CPUs this process may run on (``taskset``, container CPU sets), not the machine's."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


def machine_facts(guard: Guard) -> Dict[str, object]:
    """What the numbers depend on: CPU, cores, kernel ISA, interpreter, versions."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cpus": _usable_cpus(),
        "machine": platform.machine(),
        "system": platform.system(),
        "python": platform.python_version(),
        "isa": _native.isa(),
        "available_isas": list(_native.available_isas()),
        "runtime": guard.runtime.name,
        "runtime_version": guard.runtime.version,
        "interpreter_threads": guard.options.threads,
        "opencv": cv2.__version__,
        "numpy": np.__version__,
        "nudeguard": _native.__version__,
    }


def slowdown_from_env() -> Dict[str, float]:
    """The self-test slowdowns ``NUDEGUARD_BENCH_SLOWDOWN`` asks for: stage → factor (> 1)."""
    text = os.environ.get(SLOWDOWN_ENV, "").strip()
    slowdowns: Dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        stage, _, factor = item.rpartition("=")
        try:
            value = float(factor)
        except ValueError:
            value = math.nan
        if not stage or not (1.0 <= value <= 100.0):
            raise ValueError(f"{SLOWDOWN_ENV}: expected STAGE=FACTOR with a factor from 1 to 100, got {item!r}")
        slowdowns[stage] = value
    return slowdowns


@dataclass
class _Case:
    """One timed thing: a stage of a shape, inference, or a part of the calibration."""

    key: str
    call: Callable[[], object]
    block: int = 1
    wall_calls: List[float] = field(default_factory=list)
    cpu_rounds: List[float] = field(default_factory=list)


def _slowed(call: Callable[[], object], factor: float) -> Callable[[], object]:
    def slowed_call() -> None:
        start = time.process_time()
        call()
        # Spin on CPU time, the clock the gate compares: being preempted while spinning adds
        # nothing, so the slowdown is the factor asked for however loaded the machine is.
        until = start + (time.process_time() - start) * factor
        while time.process_time() < until:
            pass

    return slowed_call


def _measure(cases: Sequence[_Case], seconds: float) -> int:
    """Time every case in rounds until ``seconds`` have passed (at least :data:`MIN_ROUNDS`);
    return the number of rounds. Each call's wall time and the process's CPU time (all
    threads) are taken; a round keeps the median CPU time of its block."""
    for case in cases:  # warm-up: allocations, thread start, first-touch page faults
        case.call()
    for case in cases:
        start = time.perf_counter()
        case.call()
        once = time.perf_counter() - start
        case.block = max(1, min(MAX_BLOCK, math.ceil(BLOCK_SECONDS / max(once, 1e-7))))
    gc.collect()
    deadline = time.perf_counter() + seconds
    rounds = 0
    while rounds < MIN_ROUNDS or time.perf_counter() < deadline:
        shift = rounds % len(cases)
        for case in (*cases[shift:], *cases[:shift]):
            cpu_block = []
            for _ in range(case.block):
                cpu_start = time.process_time()
                start = time.perf_counter()
                case.call()
                case.wall_calls.append(time.perf_counter() - start)
                cpu_block.append(time.process_time() - cpu_start)
            case.cpu_rounds.append(float(np.median(cpu_block)))
        rounds += 1
    return rounds


def _stage_cases(guard: Guard, session: Session, shape: str, data: bytes,
                 slowdowns: Mapping[str, float]) -> Tuple[List[_Case], Dict[str, object]]:
    """The timed calls of one shape's stages, and the facts about its picture."""
    decode_size = guard.engine.decode_size
    pixels = load_pixels(data, min_size=decode_size)
    recipient = Person(age=15)
    calls: Dict[str, Callable[[], object]] = {
        "decode": lambda: load_pixels(data, min_size=decode_size),
        "preprocess": lambda: session.preprocess(pixels),
        "veil": lambda: veil(pixels.array, PREVIEW_SIZE),
        "hash": lambda: pdq_hash(data, fast=True),
        "end_to_end": lambda: guard.check_incoming(data, recipient=recipient, preview_size=PREVIEW_SIZE),
    }
    cases = []
    for stage, call in calls.items():
        factor = slowdowns.get(f"{shape}/{stage}", slowdowns.get(stage))
        cases.append(_Case(f"{shape}/{stage}", _slowed(call, factor) if factor else call))
    verdict = guard.check_incoming(data, recipient=recipient, preview_size=PREVIEW_SIZE)
    height, width = pixels.array.shape[:2]
    full_width, full_height = pixels.size
    facts = {
        "width": full_width, "height": full_height, "bytes": len(data),
        "encoding": "png" if data.startswith(b"\x89PNG") else "jpeg" if data.startswith(b"\xff\xd8") else "other",
        "decoded": f"{width}x{height}",
        # One inference each: a window model's whole frame; a fixed-size model's full frame and,
        # for pictures wider than scanner.TILE_ASPECT, square tiles.
        "views": 1 if guard.engine.windows is not None else 1 + len(tile_offsets(max(width, height), min(width, height))),
        "end_to_end_action": verdict.action.name,
    }
    return cases, facts


def run(
    seconds: float = 10.0,
    *,
    shapes: Sequence[str] = DEFAULT_SHAPES,
    image: Optional[bytes] = None,
    threads: Optional[int] = None,
    runtime: str = "auto",
    model_path: Optional[Union[str, "os.PathLike[str]"]] = None,
) -> Dict[str, object]:
    """Measure every stage of every shape (or of ``image``, encoded bytes, reported as the
    shape ``"image"``) and the calibration within about ``seconds`` in all, and return the
    report as a dict (the schema is in :mod:`nudeguard.bench.report`). ``threads``,
    ``runtime`` and ``model_path`` are :class:`GuardOptions`'. Raises ``ValueError`` for a
    budget that is not a positive number, an unknown shape or a malformed
    ``NUDEGUARD_BENCH_SLOWDOWN``, :class:`ImageError` for an image that cannot be decoded and
    :class:`ModelError` for a model that cannot be used."""
    if not seconds > 0 or not math.isfinite(seconds):
        raise ValueError(f"seconds must be a positive number, got {seconds}")
    unknown = [name for name in shapes if name not in SHAPES]
    if unknown or not shapes:
        raise ValueError(f"unknown shape {unknown[0] if unknown else '(none)'!r}; choose from {', '.join(SHAPES)}")
    slowdowns = slowdown_from_env()
    images = {"image": image} if image is not None else {name: shape_image(name) for name in dict.fromkeys(shapes)}
    options = GuardOptions(threads=threads, runtime=runtime, model_path=model_path)
    # Two guards: the stages below hold a session of the first one's engine (to time
    # preprocessing and inference apart, which check_incoming runs together), the second one
    # runs check_incoming.
    with Guard(options) as timed, Guard(options) as guard:
        card = timed.model_card  # a model that cannot be used raises its ModelError here
        calibration = Calibration(timed.runtime, photo_jpeg(*CALIBRATION_JPEG_SIZE, seed=7))
        with timed.engine.session() as session:
            factor = slowdowns.get("inference")
            cases = [_Case(f"calibration/{part}", call) for part, call in calibration.parts.items()]
            cases.append(_Case("inference", _slowed(session.invoke, factor) if factor else session.invoke))
            shape_facts = {}
            for shape, data in images.items():
                stage_cases, shape_facts[shape] = _stage_cases(guard, session, shape, data, slowdowns)
                cases += stage_cases
            started = time.perf_counter()
            rounds = _measure(cases, seconds)
            elapsed = time.perf_counter() - started
        facts = machine_facts(timed)
        engine_options = timed.options
    by_key = {case.key: case for case in cases}
    parts = [by_key[f"calibration/{part}"] for part in calibration.parts]
    # Geometric mean per round: every part weighs the same whatever its length.
    calibration_rounds = np.exp(np.mean([np.log(part.cpu_rounds) for part in parts], axis=0))
    stages: Dict[str, object] = {}
    for shape in images:
        for stage in STAGES:
            key = "inference" if stage == "inference" else f"{shape}/{stage}"
            if key not in stages:
                case = by_key[key]
                stages[key] = {"stage": stage, "shape": None if key == "inference" else shape,
                               **timing_summary(case.wall_calls, case.cpu_rounds)}
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": "nudeguard bench",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "seconds": seconds,
        "elapsed_seconds": rounded(elapsed),
        "rounds": rounds,
        "machine": facts,
        "options": {
            "runtime": facts["runtime"],
            "runtime_version": facts["runtime_version"],
            "threads": engine_options.threads,
            "isa": facts["isa"],
            "forced_isa": os.environ.get("NUDEGUARD_FORCE_ISA") or None,
            "model": {"path": str(card.model_path), "name": card.name, "sha256": card.sha256},
            "shapes": list(images),
            "image_given": image is not None,
            "slowdown": slowdowns,
        },
        "calibration": {
            "version": calibration.version,
            "cpu_ms": rounded(float(np.median(calibration_rounds)) * 1e3),
            "round_cpu_ms": [rounded(value * 1e3) for value in calibration_rounds],
            "parts": {part.key.split("/", 1)[1]: timing_summary(part.wall_calls, part.cpu_rounds) for part in parts},
        },
        "shapes": shape_facts,
        "stages": stages,
    }
