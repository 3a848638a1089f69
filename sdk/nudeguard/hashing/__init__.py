"""Hashes, not images: :mod:`.hashes` (the values that may leave the device), :mod:`.pdq`
(computing them on the device), :mod:`.hash_list` (Take It Down / StopNCII-style lists) and
:mod:`.report` (hash-only reports)."""

from ..errors import HashListError
from .hash_list import HashList, HashMatch
from .hashes import (DEFAULT_MAX_DISTANCE, DEFAULT_MIN_QUALITY, DIHEDRAL_NAMES, Fingerprint, FramePdq, PdqHash,
                     VideoFingerprint, hamming_distance)
from .pdq import fingerprint, pdq_dihedral, pdq_hash
from .report import report_bundle, report_json

__all__ = ["DEFAULT_MAX_DISTANCE", "DEFAULT_MIN_QUALITY", "DIHEDRAL_NAMES", "Fingerprint", "FramePdq", "HashList",
           "HashListError", "HashMatch", "PdqHash", "VideoFingerprint", "fingerprint", "hamming_distance",
           "pdq_dihedral", "pdq_hash", "report_bundle", "report_json"]
