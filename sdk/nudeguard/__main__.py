"""``python -m nudeguard``: a build report, like ``python -m PIL``."""

from __future__ import annotations

import platform
import sys

from . import __version__, available_isas, isa
from ._runtime import load_runtime
from .errors import NudeguardError
from .model import BUNDLED_MODEL, load_card


def report() -> str:
    lines = [
        f"nudeguard {__version__}",
        f"python     {platform.python_version()} ({platform.machine()})",
        f"isa        {isa()} (available: {', '.join(available_isas())})",
    ]
    try:
        runtime = load_runtime()
        lines.append(f"runtime    {runtime.name} {runtime.version}")
    except NudeguardError as exc:
        lines.append(f"runtime    unavailable: {exc}")
    try:
        card = load_card(BUNDLED_MODEL)
        lines.append(f"model      {card.name} ({card.model_path.name}, sha256 {card.sha256[:16]}…, threshold {card.threshold})")
    except NudeguardError as exc:
        lines.append(f"model      unavailable: {exc}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
    sys.exit(0)
