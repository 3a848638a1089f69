"""Shared fixtures: one guard per session (loading the model takes ~50 ms)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

import nudeguard

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def guard() -> Iterator[nudeguard.Guard]:
    with nudeguard.Guard() as shared_guard:
        yield shared_guard


@pytest.fixture(scope="session")
def golden() -> Dict[str, dict]:
    return json.loads((FIXTURES / "golden_scores.json").read_text())


def benign_photos() -> List[Path]:
    return sorted((FIXTURES / "benign").glob("*.jpg"))


def synthetic_sensitive() -> List[Path]:
    return sorted(FIXTURES.glob("synthetic_sensitive*.png"))
