"""Hashes, not images: PDQ and MD5 on the device, hash-list matching, hash-only reports.

Take It Down (under 18) and StopNCII (18+) let a victim report an intimate image
without uploading it: the image is hashed on the device and only the hash leaves.

PDQ is Meta's perceptual hash (256 bits and a quality 0-100). The native core
computes it bit-exactly like Meta's C++ reference (and the ``pdqhash`` package on
the same pixels). Images wider or taller than 512 px are first shrunk the way Meta's
published hashes were made (its Python port: a JPEG opened at the DCT scale PIL's
``draft`` picks, then ``Image.thumbnail((512, 512))``, bicubic, aspect kept); 18 of
Meta's 19 published test-photo hashes come out bit for bit, the last 2 bits off
(tests/test_pdq_vectors.py). ``full_size=True`` hashes the decoded pixels as they
are instead, which is what ``pdqhash.compute`` does on a full-size decode.
``fast=True`` decodes JPEGs at a reduced DCT scale (sides >= 512 px) first: much
less work for camera photos, with hashes a few bits from the reference (Meta's
criterion for a correct port is a distance of at most 10).

A video file gets a :class:`VideoFingerprint` the way Meta's vPDQ hashes videos: the PDQ
hash of one frame per second (with its timestamp), plus MD5 and SHA-256 of the file.

    >>> import nudeguard
    >>> fp = nudeguard.fingerprint("examples/sample.jpg")
    >>> len(fp.pdq), fp.quality >= 50
    (64, True)
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _native
from ..errors import NudeguardError
from ..media.image import ImageInput, Pixels, _decode, _from_array, _read_bytes, describe
from ..media.video import VideoReader, sample_interval_ms, video_container

__all__ = [
    "DEFAULT_MAX_DISTANCE",
    "DEFAULT_MIN_QUALITY",
    "DIHEDRAL_NAMES",
    "Fingerprint",
    "FramePdq",
    "HashList",
    "HashListError",
    "HashMatch",
    "PdqHash",
    "VideoFingerprint",
    "fingerprint",
    "hamming_distance",
    "pdq_dihedral",
    "pdq_hash",
    "report_bundle",
]

#: Meta's recommended match threshold for PDQ (bits of 256).
DEFAULT_MAX_DISTANCE = 31
#: Meta's advice: hashes of quality below 50 are too flat to match on.
DEFAULT_MIN_QUALITY = 50
#: The reference's dihedral order (pdqDihedralHash256esFromFloatLuma); rotations are
#: counter-clockwise (numpy.rot90), flips about the horizontal (x) and vertical (y) axes and
#: the two diagonals.
DIHEDRAL_NAMES = ("original", "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flipplus1", "flipminus1")
#: Meta's reference pipeline shrinks pictures to fit a square of this side before hashing.
_REFERENCE_SIDE = 512
#: Smallest side a fast (DCT-scaled) JPEG decode keeps: the reference's working size.
_FAST_MIN_SIZE = (_REFERENCE_SIDE, _REFERENCE_SIDE)
#: vPDQ's rate: one hashed frame per second of video.
VIDEO_HASHES_PER_SECOND = 1.0
#: Most frames hashed in one video (an hour at vPDQ's rate); longer ones are spread evenly.
MAX_VIDEO_HASHES = 3600

_HEX_DIGITS = re.compile("[0-9a-fA-F]{64}")


class HashListError(NudeguardError, ValueError):
    """A hash list or hash string is malformed; the message names the file and line."""


@dataclass(frozen=True)
class PdqHash:
    """A PDQ hash: 64 hex digits (the reference's format) and its quality 0..100."""

    hex: str
    quality: int

    @property
    def bytes(self) -> bytes:
        return bytes.fromhex(self.hex)

    def distance(self, other: Union["PdqHash", str, bytes]) -> int:
        """Hamming distance in bits (0..256)."""
        return hamming_distance(self.hex, other)


@dataclass(frozen=True)
class Fingerprint:
    """What may leave the device instead of an image.

    Attributes:
        pdq: PDQ hash, 64 hex digits.
        quality: PDQ quality 0..100 (below 50: too flat to match reliably).
        md5: MD5 of the exact input bytes (hex), for file or bytes input; else None.
        sha256: SHA-256 of the exact input bytes (hex), for file or bytes input; else None.
        width, height: size of the decoded image in pixels.
        size_bytes: length of the input bytes, for file or bytes input; else None.
    """

    pdq: str
    quality: int
    md5: Optional[str]
    sha256: Optional[str]
    width: int
    height: int
    size_bytes: Optional[int] = None

    @property
    def pdq_hash(self) -> PdqHash:
        return PdqHash(self.pdq, self.quality)


@dataclass(frozen=True)
class FramePdq:
    """The PDQ hash of one frame of a video and when the frame is shown."""

    timestamp_ms: int
    pdq: str
    quality: int

    @property
    def pdq_hash(self) -> PdqHash:
        return PdqHash(self.pdq, self.quality)


@dataclass(frozen=True)
class VideoFingerprint:
    """What may leave the device instead of a video (vPDQ-style).

    Attributes:
        frames: PDQ hash of one frame per second (up to 3600, then spread evenly), in order.
        md5, sha256: of the exact file bytes (hex).
        width, height: frame size in pixels.
        duration_ms: length of the video.
        size_bytes: length of the file.
    """

    frames: Tuple[FramePdq, ...]
    md5: str
    sha256: str
    width: int
    height: int
    duration_ms: int
    size_bytes: int


@dataclass(frozen=True)
class HashMatch:
    """A list entry within the distance limit of a query."""

    index: int  #: line order in the list, from 0
    id: Optional[str]  #: the entry's id column, if it had one
    hex: str  #: the entry's hash
    distance: int  #: bits (0..256)
    transform: str = "original"  #: which dihedral variant of the query matched


def _as_bytes(h: Union[PdqHash, Fingerprint, str, bytes], what: str = "hash") -> bytes:
    if isinstance(h, Fingerprint):
        return bytes.fromhex(h.pdq)
    if isinstance(h, PdqHash):
        return h.bytes
    if isinstance(h, (bytes, bytearray)):
        if len(h) != 32:
            raise HashListError(f"{what} must be 32 bytes, got {len(h)}")
        return bytes(h)
    if isinstance(h, str):
        return _parse_hex(h, what)
    raise TypeError(f"{what} must be a PdqHash, Fingerprint, hex string or 32 bytes, got {type(h).__name__}")


def _parse_hex(text: str, what: str) -> bytes:
    text = text.strip()
    if len(text) != 64:
        raise HashListError(f"{what}: a PDQ hash has 64 hex digits, got {len(text)} ({text[:80]!r})")
    # Not bytes.fromhex alone: it skips inner whitespace, so "ab cd..." would give 31 bytes.
    if not _HEX_DIGITS.fullmatch(text):
        raise HashListError(f"{what}: not a hex string: {text!r}")
    return bytes.fromhex(text)


def hamming_distance(a: Union[PdqHash, Fingerprint, str, bytes], b: Union[PdqHash, Fingerprint, str, bytes]) -> int:
    """Bits (0..256) in which two PDQ hashes differ."""
    return bin(int.from_bytes(_as_bytes(a), "big") ^ int.from_bytes(_as_bytes(b), "big")).count("1")


def _pixels(image: ImageInput, color_order: Optional[str], fast: bool, max_pixels: Optional[int],
            full_size: bool, accepts_video: bool = False) -> Tuple[Pixels, Optional[bytes]]:
    """Decoded pixels and, for encoded input, the exact bytes. ``accepts_video``: the error for
    bytes that do not decode names the video formats too."""
    from ..media.image import DEFAULT_MAX_PIXELS

    limit = DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels
    source = describe(image)
    if isinstance(image, np.ndarray):
        return _from_array(image, color_order, source), None
    if color_order is not None:
        from ..errors import ImageError

        raise ImageError(f"{source}: color_order applies to numpy arrays only; encoded images carry their own")
    data = _read_bytes(image, source)
    if fast:
        return _decode(data, source, _FAST_MIN_SIZE, limit, accepts_video=accepts_video), data
    if full_size:
        return _decode(data, source, None, limit, accepts_video=accepts_video), data
    header = _native.probe_image(data)
    # Meta's tool opens a large JPEG at a reduced DCT scale (PIL's draft) before shrinking it.
    draft_size = _thumbnail_size(header[1], header[2]) if header is not None and header[1] > 0 else None
    return _decode(data, source, None, limit, draft_size=draft_size, accepts_video=accepts_video), data


def _thumbnail_size(width: int, height: int) -> Optional[Tuple[int, int]]:
    """The size the native reference pipeline shrinks a picture to (PIL 6's
    ``Image.thumbnail((512, 512))``), or ``None`` when it fits in 512 x 512 already."""
    if width <= _REFERENCE_SIDE and height <= _REFERENCE_SIDE:
        return None
    if width > _REFERENCE_SIDE:
        width, height = _REFERENCE_SIDE, int(max(height * _REFERENCE_SIDE / width, 1))
    if height > _REFERENCE_SIDE:
        width, height = int(max(width * _REFERENCE_SIDE / height, 1)), _REFERENCE_SIDE
    return width, height


def _native_hash(pixels: Pixels, full_size: bool, dihedral: bool):
    return _native.pdq_hash(pixels.array, pixels.format, reference_resize=not full_size, dihedral=dihedral)


def pdq_hash(
    image: ImageInput,
    color_order: Optional[str] = None,
    *,
    full_size: bool = False,
    fast: bool = False,
    max_pixels: Optional[int] = None,
) -> PdqHash:
    """PDQ hash of an image (path, bytes, file object, or array with ``color_order``).

    Default: Meta's reference pipeline (a JPEG decoded at PIL's draft scale, then images
    over 512 px shrunk to fit 512 x 512 with PIL's bicubic thumbnail, aspect kept).
    ``full_size=True``: hash the fully decoded pixels as they are (like ``pdqhash.compute``). ``fast=True``: decode JPEGs at a reduced DCT scale first
    (within a few bits of the reference; see the README for measurements).
    """
    pixels, _ = _pixels(image, color_order, fast, max_pixels, full_size)
    digest, quality = _native_hash(pixels, full_size, False)
    return PdqHash(digest.hex(), int(quality))


def pdq_dihedral(
    image: ImageInput,
    color_order: Optional[str] = None,
    *,
    full_size: bool = False,
    fast: bool = False,
    max_pixels: Optional[int] = None,
) -> Tuple[PdqHash, ...]:
    """The 8 hashes of the image's rotations and flips, in :data:`DIHEDRAL_NAMES` order,
    from one pass (as the reference computes them)."""
    pixels, _ = _pixels(image, color_order, fast, max_pixels, full_size)
    digests, quality = _native_hash(pixels, full_size, True)
    return tuple(PdqHash(d.hex(), int(quality)) for d in digests)


def fingerprint(
    image: ImageInput,
    color_order: Optional[str] = None,
    *,
    full_size: bool = False,
    fast: bool = False,
    max_pixels: Optional[int] = None,
) -> Union[Fingerprint, "VideoFingerprint"]:
    """PDQ hash and quality of an image, and MD5 and SHA-256 of its exact bytes when it is a
    file, bytes or a file object (arrays have no bytes to hash: those fields are None).
    A video file (MP4, MOV, WebM, MKV, AVI) gives a :class:`VideoFingerprint` instead: the
    PDQ hash of one frame per second and the file's MD5 and SHA-256 (``full_size`` and
    ``fast`` do not apply)."""
    if color_order is None and not isinstance(image, np.ndarray) and callable(getattr(image, "read", None)):
        image = _read_bytes(image, describe(image))  # read once: it may be a video or an image
    if color_order is None and video_container(image) is not None:
        return _video_fingerprint(image, max_pixels)  # type: ignore[arg-type]
    pixels, data = _pixels(image, color_order, fast, max_pixels, full_size, accepts_video=True)
    digest, quality = _native_hash(pixels, full_size, False)
    # The picture's own size, also when a fast decode was DCT-scaled.
    width, height = getattr(pixels, "full_size", None) or (pixels.array.shape[1], pixels.array.shape[0])
    return Fingerprint(
        pdq=digest.hex(),
        quality=int(quality),
        md5=hashlib.md5(data).hexdigest() if data is not None else None,
        sha256=hashlib.sha256(data).hexdigest() if data is not None else None,
        width=int(width),
        height=int(height),
        size_bytes=len(data) if data is not None else None,
    )


def _video_fingerprint(video: Union[str, "os.PathLike[str]", bytes, bytearray, memoryview],
                       max_pixels: Optional[int]) -> VideoFingerprint:
    from ..media.image import DEFAULT_MAX_PIXELS

    limit = DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    size = 0
    if isinstance(video, (str, os.PathLike)):
        with VideoReader(video, max_pixels=limit) as reader:
            with open(video, "rb") as stream:  # the reader has opened it: it exists
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    md5.update(chunk)
                    sha256.update(chunk)
                    size += len(chunk)
            hashes = _frame_hashes(reader)
    else:
        data = bytes(video)
        md5.update(data)
        sha256.update(data)
        size = len(data)
        with VideoReader(data, max_pixels=limit) as reader:
            hashes = _frame_hashes(reader)
    info = reader.info
    return VideoFingerprint(frames=hashes, md5=md5.hexdigest(), sha256=sha256.hexdigest(), width=info.width,
                            height=info.height, duration_ms=info.duration_ms, size_bytes=size)


def _frame_hashes(reader: VideoReader) -> Tuple[FramePdq, ...]:
    hashes = []
    for frame in reader.frames(sample_interval_ms(reader.last_frame_ms, VIDEO_HASHES_PER_SECOND, MAX_VIDEO_HASHES)):
        if not frame.scheduled:
            continue  # the reader's extra last frame: vPDQ hashes on the second only
        digest, quality = _native_hash(frame.pixels, False, False)
        hashes.append(FramePdq(frame.timestamp_ms, digest.hex(), int(quality)))
    return tuple(hashes)


class _PackedIds(Sequence[Optional[str]]):
    """A loaded list's IDs as one UTF-8 blob: entry i is ``blob[ends[i]:ends[i + 1]]``,
    decoded when a match asks for it (empty: no ID)."""

    def __init__(self, blob: bytes, ends: np.ndarray):
        self._blob = blob
        self._ends = ends

    def __len__(self) -> int:
        return len(self._ends) - 1

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError("ID index out of range")
        index %= len(self)
        start, stop = self._ends[index], self._ends[index + 1]
        return self._blob[start:stop].decode("utf-8") if stop > start else None


class HashList:
    """PDQ hashes to match against, held as 32 bytes each (n x 32 uint8).

    Matching is a linear native scan (popcount of XOR, AVX2 where available): memory is 32
    bytes a hash and time grows linearly with the list (see the README for numbers).
    """

    def __init__(self, hashes: np.ndarray, ids: Optional[Sequence[Optional[str]]] = None):
        hashes = np.ascontiguousarray(hashes, dtype=np.uint8)
        if hashes.ndim != 2 or hashes.shape[1] != 32:
            raise HashListError(f"hashes must have shape (n, 32), got {hashes.shape}")
        if ids is not None and len(ids) != len(hashes):
            raise HashListError(f"{len(ids)} ids for {len(hashes)} hashes")
        self._hashes = hashes
        self._ids: Sequence[Optional[str]]
        if isinstance(ids, _PackedIds):
            self._ids = ids
        else:
            self._ids = list(ids) if ids is not None else [None] * len(hashes)

    @classmethod
    def from_hashes(cls, hashes: Iterable[Union[str, bytes, PdqHash, Tuple[str, Optional[str]]]]) -> "HashList":
        """From hex strings, 32-byte values, PdqHash objects or (hex, id) pairs."""
        rows: List[bytes] = []
        ids: List[Optional[str]] = []
        for i, item in enumerate(hashes):
            if isinstance(item, tuple):
                rows.append(_as_bytes(item[0], f"hash {i}"))
                ids.append(item[1])
            else:
                rows.append(_as_bytes(item, f"hash {i}"))
                ids.append(None)
        array = np.frombuffer(b"".join(rows), np.uint8).reshape(len(rows), 32)
        return cls(array, ids)

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"]) -> "HashList":
        """Reads one PDQ hash per line: ``HEX``, ``HEX<sep>ID`` or ``HEX<sep>QUALITY<sep>ID``
        (what Meta's ``pdq-photo-hasher`` prints), where <sep> is a comma if the line has one,
        else a tab, else spaces; the ID is the rest of the line, trimmed, and must be UTF-8.
        Blank lines and lines starting with ``#`` are skipped; anything else that is not 64
        hex digits raises :class:`HashListError` naming the file and line. The parser is
        native: a million lines load in well under a second."""
        name = os.fspath(path)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise HashListError(f"{name}: no such file") from None
        except OSError as exc:
            raise HashListError(f"{name}: cannot read file: {exc.strerror or exc}") from None
        try:
            hashes, ids, id_ends = _native.parse_hash_list(data)
        except ValueError as exc:
            raise HashListError(f"{name}:{str(exc)[len('line '):]}") from None
        return cls(hashes, _PackedIds(ids, id_ends))

    def __len__(self) -> int:
        return len(self._hashes)

    def __repr__(self) -> str:
        return f"HashList({len(self)} hashes)"

    @property
    def hashes(self) -> np.ndarray:
        """The list as a read-only (n, 32) uint8 array (32 bytes a hash)."""
        view = self._hashes.view()
        view.flags.writeable = False
        return view

    def match(
        self,
        query: Union[PdqHash, Fingerprint, str, bytes, Sequence[PdqHash]],
        max_distance: int = DEFAULT_MAX_DISTANCE,
        *,
        min_quality: int = DEFAULT_MIN_QUALITY,
        quality: Optional[int] = None,
    ) -> List[HashMatch]:
        """Entries within ``max_distance`` bits of ``query``, nearest first.

        A query whose quality is below ``min_quality`` matches nothing (its hash says too
        little about the picture). The quality comes from a PdqHash or Fingerprint, or from
        ``quality`` for a bare hex string or bytes (unknown quality is not filtered).
        ``query`` may also be the 8 hashes of :func:`pdq_dihedral`: an entry then matches
        at its smallest distance over the variants, which finds rotated or mirrored copies.
        """
        if not 0 <= max_distance <= 256:
            raise ValueError(f"max_distance must be in 0..256, got {max_distance}")
        if isinstance(query, (list, tuple)):
            variants = list(query)
            names = DIHEDRAL_NAMES if len(variants) == 8 else tuple(f"variant{i}" for i in range(len(variants)))
        else:
            variants, names = [query], ("original",)
        best: dict = {}
        for variant, name in zip(variants, names):
            q = quality
            if q is None and isinstance(variant, (PdqHash, Fingerprint)):
                q = variant.quality
            if q is not None and q < min_quality:
                continue
            idx, dist = _native.pdq_match(self._hashes, _as_bytes(variant, "query"), max_distance)
            for i, d in zip(idx.tolist(), dist.tolist()):
                if i not in best or d < best[i][0]:
                    best[i] = (d, name)
        matches = [
            HashMatch(i, self._ids[i], self._hashes[i].tobytes().hex(), d, name) for i, (d, name) in best.items()
        ]
        matches.sort(key=lambda m: (m.distance, m.index))
        return matches


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
