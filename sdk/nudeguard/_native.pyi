from typing import ClassVar, Dict, List, Optional, Tuple

import numpy as np

__version__: str

def isa() -> str: ...
def available_isas() -> List[str]: ...

class PixelFormat:
    RGB: ClassVar[PixelFormat]
    BGR: ClassVar[PixelFormat]
    RGBA: ClassVar[PixelFormat]
    BGRA: ClassVar[PixelFormat]
    GRAY: ClassVar[PixelFormat]
    __members__: ClassVar[Dict[str, PixelFormat]]
    def __init__(self, value: int) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __ne__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...
    def __index__(self) -> int: ...
    def __int__(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

def preprocess(
    src: np.ndarray,
    src_format: PixelFormat,
    dst: np.ndarray,
    *,
    resize: Optional[Tuple[int, int]] = None,
    dst_order: PixelFormat = PixelFormat.RGB,
    mul: Tuple[float, float, float] = (1.0, 1.0, 1.0),
    add: Tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> None: ...
