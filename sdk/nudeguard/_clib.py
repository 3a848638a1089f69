"""Locations of the C library and header installed inside the package, for C/C++ and cffi users."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["header_path", "library_path"]

_HERE = Path(__file__).resolve().parent
_LIB_NAME = {"darwin": "libnudeguard.dylib", "win32": "nudeguard.dll"}.get(sys.platform, "libnudeguard.so")


def _existing(path: Path, what: str) -> Path:
    if not path.is_file():
        raise FileNotFoundError(
            f"nudeguard's {what} is missing at {path}; this installation was built without it, "
            "reinstall with `pip install nudeguard` or `pip install .` from a source checkout"
        )
    return path


def library_path() -> Path:
    """Path of the shared library exporting the ``ng_*`` C API."""
    return _existing(_HERE / "lib" / _LIB_NAME, "C library")


def header_path() -> Path:
    """Path of ``nudeguard.h`` declaring that API."""
    return _existing(_HERE / "include" / "nudeguard.h", "C header")
