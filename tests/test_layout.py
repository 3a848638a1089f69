"""The package's layout keeps its promises: every module says what it is for and exports only
what it defines, the public names resolve, and ``import nudeguard`` loads only what a check
of an image needs (message warnings, hashing, calls, the evidence log and asyncio load on
first use)."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import nudeguard

PACKAGE = Path(nudeguard.__file__).parent
MODULES = sorted(info.name for info in pkgutil.walk_packages([str(PACKAGE)], "nudeguard.")
                 if not info.name.endswith("._native"))


def test_every_module_has_an_opening_docstring_and_no_backslash_continuation():
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert ast.get_docstring(ast.parse(source)), f"{path.relative_to(PACKAGE)} says not what it is for"
        tokens = [line for line in source.splitlines() if line.rstrip().endswith("\\") and '"""' not in line]
        assert not tokens, f"{path.relative_to(PACKAGE)}: backslash continuation {tokens[0]!r}"


def test_every_all_names_only_what_the_module_has():
    for name in MODULES:
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None)
        if exported is None:
            continue
        assert len(set(exported)) == len(exported), name
        missing = [item for item in exported if not hasattr(module, item)]
        assert not missing, f"{name}.__all__ names what it lacks: {missing}"


def test_the_public_names_resolve():
    for name in nudeguard.__all__:
        assert getattr(nudeguard, name) is not None, name


def test_import_loads_only_what_an_image_check_needs():
    script = ("import json, sys, nudeguard; "
              "print(json.dumps(sorted(m for m in sys.modules if m.startswith('nudeguard') or m == 'asyncio')))")
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                           check=True).stdout))
    for lazy in ("asyncio", "nudeguard.chat", "nudeguard.hashing", "nudeguard.detect.call", "nudeguard.media.video",
                 "nudeguard.safety.evidence", "nudeguard.cli", "nudeguard.bench"):
        assert lazy not in loaded, f"import nudeguard loads {lazy}"
    assert "nudeguard.detect.guard" in loaded and "nudeguard.media.reader" in loaded
