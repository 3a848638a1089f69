"""The installed wheel holds the whole package: every module, the package data its globs
name, the bundled model and card, the native module, the C library and its header.

What is expected comes from the checkout itself (the modules and the package-data globs in
pyproject.toml), so a file added to sdk/nudeguard that the packaging misses fails here. The
checks need an installation from a wheel (``pip install .`` or a built wheel, as CI does);
an editable install is the source tree itself and skips them.
"""

from __future__ import annotations

import importlib.metadata
import json
import sysconfig
from pathlib import Path
from typing import Dict, List, Set

import pytest

import nudeguard
from nudeguard import _clib
from nudeguard.detect.model import BUNDLED_MODEL
from conftest import REPO

PACKAGE_SOURCE = REPO / "sdk" / "nudeguard"
HEADER_SOURCE = REPO / "native" / "include" / "nudeguard.h"


@pytest.fixture(scope="module")
def installed() -> Dict[str, Path]:
    """The files the installed distribution put in the package, by path inside site-packages."""
    try:
        distribution = importlib.metadata.distribution("nudeguard")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("nudeguard is imported from a source tree, not installed")
    direct_url = json.loads(distribution.read_text("direct_url.json") or "{}")
    if direct_url.get("dir_info", {}).get("editable"):
        pytest.skip("editable install: the package is the source tree, there is no wheel to check")
    files = {f.as_posix(): Path(str(distribution.locate_file(f))) for f in distribution.files or []}
    return {name: path for name, path in files.items()
            if name.startswith("nudeguard/") and "/__pycache__/" not in name}


def package_data_globs() -> List[str]:
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11 (tomllib)")
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["setuptools"]["package-data"]["nudeguard"]


def from_the_checkout() -> Dict[str, Path]:
    """Package files that the wheel copies from the checkout, with their source: every module
    (subpackages too, so a package missing from pyproject's list shows), the package data
    its globs match, and the bundled model with its card."""
    sources = set(PACKAGE_SOURCE.rglob("*.py"))
    for pattern in package_data_globs():
        sources |= set(PACKAGE_SOURCE.glob(pattern))
    files = {f"nudeguard/{p.relative_to(PACKAGE_SOURCE).as_posix()}": p for p in sources}
    for model_file in (BUNDLED_MODEL, BUNDLED_MODEL.with_suffix(".json")):
        files[f"nudeguard/models/{model_file.name}"] = REPO / "models" / model_file.name
    return files


def built() -> Set[str]:
    """Package files that the build makes: the native module and the C library with its header."""
    package = Path(nudeguard.__file__).resolve().parent
    return {
        f"nudeguard/_native{sysconfig.get_config_var('EXT_SUFFIX')}",
        f"nudeguard/{_clib.library_path().relative_to(package).as_posix()}",
        f"nudeguard/{_clib.header_path().relative_to(package).as_posix()}",
    }


def test_the_tests_import_the_installed_package(installed):
    imported = Path(nudeguard.__file__).resolve()
    assert imported == installed["nudeguard/__init__.py"].resolve(), f"nudeguard imported from {imported}"


def test_the_wheel_installed_exactly_the_package_files(installed):
    expected = set(from_the_checkout()) | built()
    missing, extra = sorted(expected - set(installed)), sorted(set(installed) - expected)
    assert not missing, f"missing from the installed package: {missing}"
    assert not extra, f"installed but not part of the package: {extra}"


def test_installed_files_are_the_checkout_s_bytes(installed):
    copied = dict(from_the_checkout(), **{"nudeguard/include/nudeguard.h": HEADER_SOURCE})
    differing = [name for name, source in sorted(copied.items())
                 if name in installed and installed[name].read_bytes() != source.read_bytes()]
    assert not differing, f"installed from another checkout or a stale build: {differing}"
