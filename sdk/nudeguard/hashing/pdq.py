"""PDQ hashes and fingerprints computed on the device.

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

import hashlib
from typing import Optional, Tuple, Union


from .. import _native
from ..errors import ImageError
from ..media.pixels import ImageInput, Pixels
from ..media.reader import read_input
from ..media.source import DEFAULT_MAX_PIXELS, Encoded
from ..media.still import decode
from ..media.video import VideoReader, sample_interval_ms
from .hashes import Fingerprint, FramePdq, PdqHash, VideoFingerprint

__all__ = ["decoded_dihedral", "fingerprint", "pdq_dihedral", "pdq_hash"]

#: Meta's reference pipeline shrinks pictures to fit a square of this side before hashing.
_REFERENCE_SIDE = 512
#: Smallest side a fast (DCT-scaled) JPEG decode keeps: the reference's working size.
_FAST_MIN_SIZE = (_REFERENCE_SIDE, _REFERENCE_SIDE)
#: vPDQ's rate: one hashed frame per second of video.
VIDEO_HASHES_PER_SECOND = 1.0
#: Most frames hashed in one video (an hour at vPDQ's rate); longer ones are spread evenly.
MAX_VIDEO_HASHES = 3600


def _pixels(image: ImageInput, color_order: Optional[str], fast: bool, max_pixels: Optional[int],
            full_size: bool) -> Tuple[Pixels, Optional[bytes]]:
    """Decoded pixels and, for encoded input, the exact bytes."""
    read = read_input(image, color_order)
    if isinstance(read, Pixels):
        return read, None
    return _decoded(read, fast, max_pixels, full_size, accepts_video=False)


def _decoded(encoded: Encoded, fast: bool, max_pixels: Optional[int], full_size: bool, *,
             accepts_video: bool) -> Tuple[Pixels, bytes]:
    """``accepts_video``: the error for bytes that do not decode names the video formats too."""
    limit = DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels
    data, source = encoded.data, encoded.source
    if data is None:  # a video file: not an image
        assert encoded.stream is not None
        encoded.stream.close()
        raise ImageError(f"{source}: a video file; fingerprint() hashes videos, pdq_hash() takes images")
    if fast:
        return decode(data, source, min_size=_FAST_MIN_SIZE, max_pixels=limit, accepts_video=accepts_video), data
    if full_size:
        return decode(data, source, min_size=None, max_pixels=limit, accepts_video=accepts_video), data
    header = _native.probe_image(data)
    # Meta's tool opens a large JPEG at a reduced DCT scale (PIL's draft) before shrinking it.
    draft_size = _thumbnail_size(header[1], header[2]) if header is not None and header[1] > 0 else None
    return decode(data, source, min_size=None, max_pixels=limit, draft_size=draft_size,
                  accepts_video=accepts_video), data


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
    return _dihedral(pixels, full_size)


def decoded_dihedral(pixels: Pixels) -> Tuple[PdqHash, ...]:
    """:func:`pdq_dihedral` of pixels decoded already (a guard's), shrunk as the reference
    pipeline does; nothing is read or decoded again."""
    return _dihedral(pixels, False)


def _dihedral(pixels: Pixels, full_size: bool) -> Tuple[PdqHash, ...]:
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
    read = read_input(image, color_order)  # read once: it may be a video or an image
    data: Optional[bytes] = None
    if isinstance(read, Pixels):
        pixels = read
    elif read.container is not None:
        return _video_fingerprint(read, max_pixels)
    else:
        pixels, data = _decoded(read, fast, max_pixels, full_size, accepts_video=True)
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


def _video_fingerprint(encoded: Encoded, max_pixels: Optional[int]) -> VideoFingerprint:
    limit = DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    size = 0
    if encoded.stream is not None:  # a file on disk: hashed in chunks, then decoded from the start
        for chunk in iter(lambda: encoded.stream.read(1 << 20), b""):  # type: ignore[union-attr]
            md5.update(chunk)
            sha256.update(chunk)
            size += len(chunk)
        encoded.stream.seek(0)
    else:
        data = encoded.data or b""
        md5.update(data)
        sha256.update(data)
        size = len(data)
    with VideoReader(encoded, max_pixels=limit) as reader:
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
