"""nudeguard: on-device nudity detection for chat apps, against sextortion.

    >>> import nudeguard
    >>> with nudeguard.Guard() as guard:
    ...     result = guard.classify("examples/sample.jpg")
    >>> result.sensitive
    False
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any, List

from . import _native
from .detect.guard import Guard
from .detect.options import GuardOptions, RunningMode
from .detect.results import Box, Classification, IncomingVerdict, OutgoingVerdict, VideoClassification
from .errors import ClosedGuardError, HashListError, ImageError, ModelError, NudeguardError, PolicyError
from .media.blur import blur, veil, veil_sigma
from .media.pixels import ColorOrder, ImageInput
from .safety.policy import Action, Person, Policy
from .safety.wording import AgeGroup, Prompt, Resource, SafetyNotice, SafetyWarning, available_locales

if TYPE_CHECKING:
    from .chat import ConversationMonitor, MessageRisk, RiskLevel, Signal, SignalKind, Stage, check_message
    from .detect.call import CallFrame, CallGuard, CallMode, CallOptions, CallState
    from .hashing import (Fingerprint, FramePdq, HashList, HashMatch, PdqHash, VideoFingerprint, fingerprint,
                          hamming_distance, pdq_dihedral, pdq_hash, report_bundle)
    from .safety.contact import (ContactNotice, ContactPolicy, ContactReason, Folder, Routing, SenderProfile,
                                 route_message)
    from .safety.evidence import EvidenceLog, VerifyResult
    from .safety.report import ThreatReport, threat_report

#: Names imported on first use: a chat client's cold start (import, load, first verdict)
#: should not pay for text rules, the evidence log and hashing before it needs them.
_LAZY_MODULES = {
    "detect.call": ("CallFrame", "CallGuard", "CallMode", "CallOptions", "CallState"),
    "chat": ("ConversationMonitor", "MessageRisk", "RiskLevel", "Signal", "SignalKind", "Stage",
             "check_message"),
    "safety.evidence": ("EvidenceLog", "VerifyResult"),
    "safety.contact": ("ContactNotice", "ContactPolicy", "ContactReason", "Folder", "Routing", "SenderProfile",
                       "route_message"),
    "safety.report": ("ThreatReport", "threat_report"),
    "hashing": ("Fingerprint", "FramePdq", "HashList", "HashMatch", "PdqHash",
                "VideoFingerprint", "fingerprint", "hamming_distance", "pdq_dihedral", "pdq_hash",
                "report_bundle"),
}
_LAZY = {name: module for module, names in _LAZY_MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nudeguard' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(_LAZY))

__version__: str = _native.__version__

# Diagnostics (a model that cannot load, what native decoders print) go to this logger; without
# a handler of the host's, Python would print its warnings on the host's stderr.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Action",
    "AgeGroup",
    "Box",
    "CallFrame",
    "CallGuard",
    "CallMode",
    "CallOptions",
    "CallState",
    "Classification",
    "ClosedGuardError",
    "ColorOrder",
    "ContactNotice",
    "ContactPolicy",
    "ContactReason",
    "ConversationMonitor",
    "EvidenceLog",
    "Fingerprint",
    "Folder",
    "FramePdq",
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
    "Routing",
    "RunningMode",
    "SafetyNotice",
    "SafetyWarning",
    "SenderProfile",
    "Signal",
    "SignalKind",
    "Stage",
    "ThreatReport",
    "VerifyResult",
    "VideoClassification",
    "VideoFingerprint",
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
    "route_message",
    "threat_report",
    "veil",
    "veil_sigma",
]


def available_isas() -> List[str]:
    """Instruction sets the native kernels can use on this CPU, best last."""
    return list(_native.available_isas())


def isa() -> str:
    """The instruction set the native kernels run with (see NUDEGUARD_FORCE_ISA)."""
    return str(_native.isa())
