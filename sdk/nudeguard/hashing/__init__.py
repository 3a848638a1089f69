"""PLACEHOLDER"""

from .core import (DEFAULT_MAX_DISTANCE, DEFAULT_MIN_QUALITY, DIHEDRAL_NAMES, Fingerprint, FramePdq, HashList,
                   HashListError, HashMatch, PdqHash, VideoFingerprint, fingerprint, hamming_distance, pdq_dihedral,
                   pdq_hash, report_bundle)

__all__ = ["DEFAULT_MAX_DISTANCE", "DEFAULT_MIN_QUALITY", "DIHEDRAL_NAMES", "Fingerprint", "FramePdq", "HashList", "HashListError", "HashMatch", "PdqHash", "VideoFingerprint", "fingerprint", "hamming_distance", "pdq_dihedral", "pdq_hash", "report_bundle"]
