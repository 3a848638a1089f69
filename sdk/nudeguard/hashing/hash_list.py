"""Hash lists: Take It Down / StopNCII-style lists of PDQ hashes, loaded natively and matched
with every rotation and mirror image of a query."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _native
from ..errors import HashListError
from .hashes import DEFAULT_MAX_DISTANCE, DEFAULT_MIN_QUALITY, DIHEDRAL_NAMES, Fingerprint, PdqHash, as_hash_bytes

__all__ = ["HashList", "HashMatch"]

#: Entries scanned by every query variant in turn: 2 MB, which stays in a desktop's or a
#: phone's last-level cache.
_SCAN_BLOCK = 65536


@dataclass(frozen=True)
class HashMatch:
    """A list entry within the distance limit of a query."""

    index: int  #: line order in the list, from 0
    id: Optional[str]  #: the entry's id column, if it had one
    hex: str  #: the entry's hash
    distance: int  #: bits (0..256)
    transform: str = "original"  #: which dihedral variant of the query matched


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
                rows.append(as_hash_bytes(item[0], f"hash {i}"))
                ids.append(item[1])
            else:
                rows.append(as_hash_bytes(item, f"hash {i}"))
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
        queries = []
        for variant, name in zip(variants, names):
            q = quality
            if q is None and isinstance(variant, (PdqHash, Fingerprint)):
                q = variant.quality
            if q is None or q >= min_quality:
                queries.append((as_hash_bytes(variant, "query"), name))
        best: dict = {}
        # All variants scan one block of the list while it is in cache, rather than each
        # variant the whole list from memory: half the time for 8 variants and a million entries.
        for start in range(0, len(self._hashes), _SCAN_BLOCK):
            block = self._hashes[start:start + _SCAN_BLOCK]
            for query, name in queries:
                idx, dist = _native.pdq_match(block, query, max_distance)
                for i, d in zip(idx.tolist(), dist.tolist()):
                    i += start
                    if i not in best or d < best[i][0]:
                        best[i] = (d, name)
        matches = [
            HashMatch(i, self._ids[i], self._hashes[i].tobytes().hex(), d, name) for i, (d, name) in best.items()
        ]
        matches.sort(key=lambda m: (m.distance, m.index))
        return matches
