"""The README's Python examples run (imagehash's test_readme, one namespace for all blocks).

Convention: every ```python block runs, in order, from the repository root, with ``ask`` and
``show`` (the chat client's own UI in the quick start) as recording stubs; a block fenced
```python norun is an illustration and is skipped.
"""

from __future__ import annotations

import re
import subprocess
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


def readme_commands() -> List[str]:
    """The lines of the README's first code block: the two commands a newcomer runs."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.match(r"# nudeguard\n\n```bash\n(.*?)\n```\n", text, re.DOTALL)
    assert block, "the README starts with its commands"
    return block.group(1).splitlines()


def test_ci_runs_the_readme_commands_as_they_stand():
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[0].startswith("python3 -m venv .venv && ") and commands[0].endswith(" && nudeguard check examples/sample.jpg")
    assert commands[1].endswith("pip install '.[test]' && python -m pytest")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    # CI reads the lines from the README (no copy to drift) and runs each once, as it stands.
    assert ci.count('eval "$(readme_command 1)"') == 1 and ci.count('bash -c "$(readme_command 2)"') == 1
    (definition,) = [line for line in ci.splitlines() if line.startswith("readme_command() ")]
    for number, command in enumerate(commands, start=1):
        extracted = subprocess.run(["bash", "-c", f"{definition}\nreadme_command {number}"], cwd=REPO,
                                   capture_output=True, text=True, check=True).stdout
        assert extracted == command + "\n"
