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
from .errors import ImageError, ModelError, NudeguardError
from .guard import Classification, Guard, GuardOptions
from .image import ColorOrder, ImageInput

__version__: str = _native.__version__

__all__ = [
    "Classification",
    "ColorOrder",
    "Guard",
    "GuardOptions",
    "ImageError",
    "ImageInput",
    "ModelError",
    "NudeguardError",
    "__version__",
    "available_isas",
    "blur",
    "isa",
    "veil",
    "veil_sigma",
]


def available_isas() -> List[str]:
    """Instruction sets the native kernels can use on this CPU, best last."""
    return list(_native.available_isas())


def isa() -> str:
    """The instruction set the native kernels run with (see NUDEGUARD_FORCE_ISA)."""
    return str(_native.isa())
