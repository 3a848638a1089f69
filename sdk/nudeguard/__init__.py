"""nudeguard: on-device nudity detection for chat apps, against sextortion.

    >>> import nudeguard
    >>> with nudeguard.Guard() as guard:
    ...     result = guard.classify("examples/sample.jpg")
    >>> result.sensitive
    False
"""

from __future__ import annotations

from typing import List

from . import _native
from .blur import blur, veil, veil_sigma
from .errors import ImageError, ModelError, NudeguardError, PolicyError
from .guard import Classification, Guard, GuardOptions, IncomingVerdict, OutgoingVerdict
from .image import ColorOrder, ImageInput
from .chat import (ConversationMonitor, MessageRisk, RiskLevel, SafetyNotice, Signal, SignalKind,
                   check_message)
from .evidence import EvidenceLog, VerifyResult
from .hashing import (Fingerprint, HashList, HashListError, HashMatch, PdqHash, fingerprint,
                      hamming_distance, pdq_dihedral, pdq_hash, report_bundle)
from .messages import AgeGroup, Prompt, Resource, SafetyWarning, available_locales
from .policy import Action, Person, Policy

__version__: str = _native.__version__

__all__ = [
    "Action",
    "AgeGroup",
    "Classification",
    "ColorOrder",
    "ConversationMonitor",
    "EvidenceLog",
    "Fingerprint",
    "Guard",
    "GuardOptions",
    "HashList",
    "HashListError",
    "HashMatch",
    "ImageError",
    "ImageInput",
    "IncomingVerdict",
    "MessageRisk",
    "ModelError",
    "NudeguardError",
    "OutgoingVerdict",
    "PdqHash",
    "Person",
    "Policy",
    "PolicyError",
    "Prompt",
    "Resource",
    "RiskLevel",
    "SafetyNotice",
    "SafetyWarning",
    "Signal",
    "SignalKind",
    "VerifyResult",
    "__version__",
    "available_isas",
    "available_locales",
    "blur",
    "check_message",
    "fingerprint",
    "hamming_distance",
    "isa",
    "pdq_dihedral",
    "pdq_hash",
    "report_bundle",
    "veil",
    "veil_sigma",
]


def available_isas() -> List[str]:
    """Instruction sets the native kernels can use on this CPU, best last."""
    return list(_native.available_isas())


def isa() -> str:
    """The instruction set the native kernels run with (see NUDEGUARD_FORCE_ISA)."""
    return str(_native.isa())
