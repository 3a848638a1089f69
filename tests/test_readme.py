"""The README's Python examples run (imagehash's test_readme, one namespace for all blocks).

Convention: every ```python block runs, in order, from the repository root, with ``ask`` and
``show`` (the chat client's own UI in the quick start) as recording stubs; a block fenced
```python norun is an illustration and is skipped.
"""

from __future__ import annotations

import re
from typing import List, Tuple

import numpy as np

from conftest import REPO

FENCE = re.compile(r"^```python([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks() -> List[Tuple[str, str]]:
    """(info after 'python', code) of every python block of the README."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [(info.strip(), code) for info, code in FENCE.findall(text)]


def test_readme_marks_every_python_block_as_runnable_or_norun():
    blocks = python_blocks()
    assert len([b for b in blocks if b[0] == ""]) >= 4
    assert {info for info, _ in blocks} <= {"", "norun"}


def test_readme_python_examples_run(monkeypatch):
    monkeypatch.chdir(REPO)
    asked: List[str] = []
    shown: List[object] = []

    def ask(title: str, body: str, *, yes: str, no: str) -> bool:
        assert title and body and yes and no
        asked.append(title)
        return True  # the user taps "send anyway" / "view"

    def show(image: object) -> None:
        shown.append(image)

    namespace = {"__name__": "readme", "ask": ask, "show": show}
    for info, code in python_blocks():
        if info == "norun":
            continue
        exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README

    # The quick start's calls: a German warning for the 15-year-old sender, the veil first
    # for the recipient of unknown age, then the image after two confirmations.
    assert asked[0] == "Überleg gut, bevor du das sendest"
    assert asked[1:] == ["Dieses Foto ist vielleicht heikel", "Wirklich ansehen?"]
    assert isinstance(shown[0], np.ndarray) and max(shown[0].shape[:2]) == 480 and shown[0].shape[2] == 3
    assert isinstance(shown[1], bytes)
    namespace["guard"].close()
