"""The front door for input: any path, bytes, file object or array becomes a :class:`Media`
(its declared size and length, and its frames: one for a still image, a sample for an
animation or a video), each input read and each frame decoded once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, Optional, Tuple, Union

import numpy as np

from .. import _native
from ..errors import ImageError
from .animation import decode_animation
from .pixels import ColorOrder, ImageInput, MediaInfo, Pixels, SampledFrame, from_array
from .source import DEFAULT_MAX_PIXELS, Encoded, check_pixels, describe, is_animated_webp, read_encoded
from .still import decode, with_valid_gif_background

if TYPE_CHECKING:
    from .video import VideoReader

__all__ = ["Media", "load_pixels", "open_media", "read_input"]


class Media:
    """One input ready to scan: :attr:`info` and its frames, in order, once (iterate), then
    :meth:`poster`, the picture a chat shows before "view". Close it (or use ``with``) to
    release a video's decoder."""

    def __init__(self, source: str, info: MediaInfo, frames: Iterator[SampledFrame],
                 reader: Optional[VideoReader] = None) -> None:
        self.source = source
        self.info = info
        self._frames = frames
        self._reader = reader
        self._first: Optional[Pixels] = None
        self._started = False

    @property
    def still(self) -> bool:
        """A single picture: no neighbouring frame to compare it with."""
        return self.info.frame_count == 1

    def __iter__(self) -> Iterator[SampledFrame]:
        if self._started:
            raise RuntimeError("a Media's frames are read once")
        self._started = True
        try:
            for frame in self._frames:
                if self._first is None:
                    self._first = frame.pixels
                yield frame
        finally:
            self.close()

    def poster(self) -> Optional[Pixels]:
        """The first frame: the one already decoded, or decoded now if no frame was read yet;
        ``None`` if it does not decode."""
        if self._first is None and not self._started:
            frames = iter(self)
            try:
                next(frames, None)
            except ImageError:
                return None
            finally:
                frames.close()
        return self._first

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()

    def __enter__(self) -> "Media":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_media(
    image: ImageInput,
    color_order: Optional[ColorOrder] = None,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    min_size: Optional[Tuple[int, int]] = None,
    sample_fps: float = 2.0,
    max_frames: int = 120,
) -> Media:
    """Read ``image`` once and say what it is. An array (with its ``color_order``) or a still
    image is one frame at 0 ms, a JPEG decoded at the smallest DCT scale covering
    ``min_size``; an animated GIF/WebP is decoded whole and up to ``max_frames`` frames are
    kept, spread evenly; a video file (MP4, MOV, 3GP, WebM, MKV, AVI: known by its first
    bytes) is opened and sampled lazily at ``sample_fps`` (see :mod:`.video`). The pixel
    limit applies to a still image, to all frames of an animation together and to each frame
    of a video, before decoding. Raises :class:`ImageError` for anything else."""
    if max_frames < 1:
        raise ValueError(f"max_frames must be at least 1, got {max_frames}")
    read = read_input(image, color_order)
    if isinstance(read, Pixels):
        return _one_frame(read)
    encoded = read
    if encoded.container is not None:
        from .video import VideoReader, sample_interval_ms  # here: most checks are of images

        reader = VideoReader(encoded, max_pixels=max_pixels)
        interval_ms = sample_interval_ms(reader.last_frame_ms, sample_fps, max_frames)
        return Media(encoded.source, reader.info, reader.frames(interval_ms), reader)
    assert encoded.data is not None
    return _image_media(encoded, min_size, max_pixels, max_frames)


def _image_media(encoded: Encoded, min_size: Optional[Tuple[int, int]], max_pixels: int, max_frames: int) -> Media:
    data, source = encoded.data or b"", encoded.source
    header = _native.probe_image(data) if data else None
    if header is not None and header[1] > 0 and header[2] > 0:
        kind, width, height = header
        if kind == "GIF" or (kind == "WebP" and is_animated_webp(data)):
            check_pixels(source, f"the {kind} image", width, height, max_pixels)
            data = with_valid_gif_background(data)
            animation = decode_animation(data, source, kind, width, height, max_pixels, max_frames)
            if animation is not None:
                width, height = animation.frames[0].size
                info = MediaInfo(animation.frame_count, animation.duration_ms, width, height)
                frames = zip(animation.frames, animation.indices, animation.timestamps_ms)
                return Media(source, info, (SampledFrame(p, i, t) for p, i, t in frames))
    return _one_frame(decode(data, source, min_size=min_size, max_pixels=max_pixels, accepts_video=True))


def _one_frame(pixels: Pixels) -> Media:
    width, height = pixels.size
    return Media(pixels.source, MediaInfo(1, 0, width, height), iter((SampledFrame(pixels, 0, 0),)))


def load_pixels(
    image: ImageInput,
    color_order: Optional[ColorOrder] = None,
    *,
    min_size: Optional[Tuple[int, int]] = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Pixels:
    """One picture: an array (with its ``color_order``) or an encoded still image, of an
    animation its first frame; never a video. ``min_size`` and ``max_pixels`` as for
    :func:`open_media`."""
    read = read_input(image, color_order)
    if isinstance(read, Pixels):
        return read
    if read.data is None:
        assert read.stream is not None
        read.stream.close()
        raise ImageError(f"{read.source}: a video file, not a picture (scan() and check_video() take videos)")
    return decode(read.data, read.source, min_size=min_size, max_pixels=max_pixels)


def read_input(image: ImageInput, color_order: Optional[ColorOrder]) -> Union[Pixels, Encoded]:
    """The one way in: an array as pixels (it needs its ``color_order``), anything else read
    once (see :func:`~.source.read_encoded`)."""
    source = describe(image)
    if isinstance(image, np.ndarray):
        return from_array(image, color_order, source)
    if color_order is not None:
        raise ImageError(f"{source}: color_order applies to numpy arrays only; encoded images carry their own")
    return read_encoded(image, source)
