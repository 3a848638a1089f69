"""The hash values that may leave the device instead of an image: a PDQ hash, an image's and a
video's fingerprints, and the distance between two PDQ hashes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Tuple, Union

from ..errors import HashListError

__all__ = ["DEFAULT_MAX_DISTANCE", "DEFAULT_MIN_QUALITY", "DIHEDRAL_NAMES", "Fingerprint", "FramePdq", "PdqHash",
           "VideoFingerprint", "as_hash_bytes", "hamming_distance"]

#: Meta's recommended match threshold for PDQ (bits of 256).
DEFAULT_MAX_DISTANCE = 31
#: Meta's advice: hashes of quality below 50 are too flat to match on.
DEFAULT_MIN_QUALITY = 50
#: The reference's dihedral order (pdqDihedralHash256esFromFloatLuma); rotations are
#: counter-clockwise (numpy.rot90), flips about the horizontal (x) and vertical (y) axes and
#: the two diagonals.
DIHEDRAL_NAMES = ("original", "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flipplus1", "flipminus1")
_HEX_DIGITS = re.compile("[0-9a-fA-F]{64}")



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


def as_hash_bytes(h: Union[PdqHash, Fingerprint, str, bytes], what: str = "hash") -> bytes:
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
    return bin(int.from_bytes(as_hash_bytes(a), "big") ^ int.from_bytes(as_hash_bytes(b), "big")).count("1")
