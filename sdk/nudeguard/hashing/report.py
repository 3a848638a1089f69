"""Hash-only reports: what a victim hands to a removal service, with no pixel in it."""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path
from typing import Iterable, Optional, Tuple, Union

from .. import _native
from ..errors import NudeguardError
from ..media.pixels import ImageInput
from .hashes import Fingerprint, VideoFingerprint
from .pdq import fingerprint

__all__ = ["report_bundle", "report_json"]


def _iso(timestamp: float) -> str:
    return _dt.datetime.fromtimestamp(timestamp, _dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def report_bundle(
    images: Iterable[ImageInput],
    note: Optional[str] = None,
    *,
    path: Optional[Union[str, "os.PathLike[str]"]] = None,
    include_names: bool = True,
    full_size: bool = False,
    fast: bool = False,
) -> str:
    """A JSON report of hashes only: PDQ, quality, MD5, SHA-256, pixel size, byte size
    and timestamps per image; never pixels or file bytes. Written to ``path`` if given;
    returned as text either way. ``include_names=False`` leaves out file names (which can
    say more than one wants to share). Inputs: paths, bytes or binary file objects of images
    or videos (a video: the PDQ hash of one frame per second, under ``"videos"``)."""
    entries = [(image, fingerprint(image, full_size=full_size, fast=fast)) for image in images]
    text = report_json(entries, note, include_names=include_names, full_size=full_size, fast=fast)
    if path is not None:
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        except OSError as exc:
            raise NudeguardError(f"{os.fspath(path)}: cannot write report: {exc.strerror or exc}") from None
    return text


def report_json(
    entries: Iterable[Tuple[ImageInput, Union["Fingerprint", "VideoFingerprint"]]],
    note: Optional[str] = None,
    *,
    include_names: bool = True,
    full_size: bool = False,
    fast: bool = False,
) -> str:
    """The report of :func:`report_bundle` from fingerprints already computed (``full_size``
    and ``fast`` must be the ones they were computed with), so a caller that fingerprinted
    the images does not decode and hash them again. Videos are listed under ``"videos"``
    with the vPDQ-style hashes of their frames (``timestamp_ms``, ``pdq``, ``pdq_quality``)."""
    items = []
    videos = []
    for image, fp in entries:
        item: dict
        if isinstance(fp, VideoFingerprint):
            item = {
                "frames": [{"timestamp_ms": f.timestamp_ms, "pdq": f.pdq, "pdq_quality": f.quality}
                           for f in fp.frames],
                "md5": fp.md5,
                "sha256": fp.sha256,
                "width": fp.width,
                "height": fp.height,
                "duration_ms": fp.duration_ms,
                "size_bytes": fp.size_bytes,
            }
        else:
            item = {
                "pdq": fp.pdq,
                "pdq_quality": fp.quality,
                "md5": fp.md5,
                "sha256": fp.sha256,
                "width": fp.width,
                "height": fp.height,
                "size_bytes": fp.size_bytes,
            }
        if isinstance(image, (str, os.PathLike)):
            if include_names:
                item["name"] = Path(image).name
            item["modified"] = _iso(os.stat(image).st_mtime)
        (videos if isinstance(fp, VideoFingerprint) else items).append(item)
    report = {
        "format": "nudeguard-hash-report",
        "format_version": 1,
        "created": _iso(_dt.datetime.now(_dt.timezone.utc).timestamp()),
        "generator": f"nudeguard {_native.__version__}",
        "hash_algorithms": {
            "pdq": "Meta PDQ, 256 bits, " + ("full-size pixels" if full_size else
                                              "DCT-scaled JPEG decode" if fast else "reference pipeline"),
            "video_pdq": "Meta PDQ of one frame per second (vPDQ-style), reference pipeline",
            "md5": "MD5 of the file bytes",
            "sha256": "SHA-256 of the file bytes",
        },
        "note": note,
        "images": items,
        "videos": videos,
    }
    return json.dumps(report, indent=2, ensure_ascii=False)
