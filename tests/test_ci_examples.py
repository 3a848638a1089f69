"""examples/ci: the GitHub Actions workflow and the GitLab CI job run the same bench commands,
and those commands, run here as the files write them, measure, keep the report and gate."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from conftest import REPO
from nudeguard.bench import run as bench

CI = REPO / "examples" / "ci"
EXAMPLES = {"github": CI / "github-actions.yml", "gitlab": CI / "gitlab-ci.yml"}
BEGIN, END = "# bench commands: begin", "# bench commands: end"
VARIABLES = ("BENCH_SHAPES", "BENCH_SECONDS", "BENCH_MAX_SLOWDOWN")


def bench_commands(path: Path) -> List[str]:
    """The shell lines between the markers: a ``run: |`` block's lines, or a ``script:``
    list's items (``- `` removed)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(BEGIN))
    end = next(i for i, line in enumerate(lines) if line.strip() == END)
    commands = [line.strip() for line in lines[start + 1:end]]
    return [command[2:] if command.startswith("- ") else command for command in commands]


def variables(path: Path) -> Dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\s+(BENCH_\w+):\s*(\"[^\"]*\"|\S+)", line)
        if match:
            found[match.group(1)] = match.group(2).strip('"')
    return found


def run_commands(commands: List[str], folder: Path, **env: str) -> subprocess.CompletedProcess:
    # The venv's nudeguard, as `pip install .` puts it on a runner's PATH.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(["bash", "-e", "-c", "\n".join(commands)], cwd=folder, capture_output=True, text=True,
                          env={**os.environ, "PATH": path, **env}, timeout=300)


def test_both_examples_run_the_same_bench_commands_with_the_same_settings() -> None:
    github, gitlab = (bench_commands(path) for path in EXAMPLES.values())
    assert github == gitlab and len(github) == 3
    assert all(line.startswith(("nudeguard bench ", "if [ -f baseline/bench.json ]")) for line in github)
    settings = [variables(path) for path in EXAMPLES.values()]
    assert settings[0] == settings[1] and set(settings[0]) == set(VARIABLES)
    assert settings[0]["BENCH_SHAPES"] == "all" and float(settings[0]["BENCH_MAX_SLOWDOWN"]) > 1
    for path in EXAMPLES.values():
        text = path.read_text(encoding="utf-8")
        assert "pip install ." in text and "bench.json" in text and "benchmark-action.json" in text
        assert "\t" not in text  # YAML forbids tabs for indentation


def test_github_workflow_keeps_the_report_even_when_the_gate_fails() -> None:
    text = EXAMPLES["github"].read_text(encoding="utf-8")
    upload = text[text.index("- name: Keep the report"):]
    assert "if: always()" in upload.split("- name:")[1] and "actions/upload-artifact" in upload
    assert "--name nudeguard-bench" in text and "name: nudeguard-bench" in upload
    gitlab = EXAMPLES["gitlab"].read_text(encoding="utf-8")
    assert "when: always" in gitlab and f"job=$CI_JOB_NAME" in gitlab


def test_example_commands_measure_keep_the_report_and_gate(tmp_path: Path) -> None:
    commands = bench_commands(EXAMPLES["github"])
    # The files' commands with a smaller workload: one cheap shape, a one-second budget.
    small = {"BENCH_SHAPES": "camera", "BENCH_SECONDS": "1"}
    first = run_commands(commands, tmp_path, **small, BENCH_MAX_SLOWDOWN="1.15")
    assert first.returncode == 0, first.stderr
    assert "no baseline yet, this report becomes the first" in first.stdout and first.stderr == ""
    report = json.loads((tmp_path / "bench.json").read_text())
    assert report["options"]["shapes"] == ["camera"]
    chart = json.loads((tmp_path / "benchmark-action.json").read_text())
    assert [entry["name"] for entry in chart] == list(report["stages"])

    (tmp_path / "baseline").mkdir()
    (tmp_path / "bench.json").rename(tmp_path / "baseline" / "bench.json")
    # A limit no noise reaches: this checks the plumbing, not the speed.
    second = run_commands(commands, tmp_path, **small, BENCH_MAX_SLOWDOWN="50")
    assert second.returncode == 0, second.stderr
    assert "PASS: no stage slower than 50x the baseline" in second.stdout

    # The gate's self-test: decode made to cost 4 times its CPU time fails the job at 2x.
    slowed = run_commands(commands, tmp_path, **small, BENCH_MAX_SLOWDOWN="2",
                          **{bench.SLOWDOWN_ENV: "camera/decode=4"})
    assert slowed.returncode == 1, slowed.stderr
    assert "FAIL: " in slowed.stdout and "camera/decode (" in slowed.stdout
    assert (tmp_path / "bench.json").is_file() and (tmp_path / "benchmark-action.json").is_file()
