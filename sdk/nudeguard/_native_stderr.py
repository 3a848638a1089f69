"""Keeps what native libraries print off the host application's stderr.

The C and C++ libraries under nudeguard write to file descriptor 2 themselves: TF Lite
("INFO: Created TensorFlow Lite XNNPACK delegate for CPU."), OpenCV's logger
("[ERROR:0@…] imdecode_ …"), the codecs OpenCV bundles (libpng, libjpeg) and FFmpeg
("[mov,mp4,… @ 0x…] moov atom not found"). None can be silenced for one call: TF Lite's
minimal logger keeps its level in a hidden static that neither ``TF_CPP_MIN_LOG_LEVEL`` nor
the Python interpreter options reach; ``cv2.utils.logging.setLogLevel`` is process-wide (the
host's setting) and does not reach libpng or libjpeg, which print with ``fprintf``; FFmpeg's
level is process-wide too (``av_log_set_level``; OpenCV reads ``OPENCV_FFMPEG_LOGLEVEL`` once).
Checking every input before a decoder sees it cannot work either: a flipped bit inside
compressed PNG data is only found by inflating it.

So while such a call runs, fd 2 is the write end of a pipe. A thread reads it line by line:
lines in those libraries' formats go to the ``nudeguard`` logger at DEBUG, every other line is
written on to the real stderr at once, unchanged. (It hands the lines it logs to one more
thread: a handler of the host's that writes to stderr would otherwise write into the very pipe
the reading thread must keep draining.) When the call returns, fd 2 points back at the real
stderr; the reading thread ends when the last write to the pipe is done (so a write that was
under way then is not lost) and is waited for, briefly.

Threads: fd 2 is shared by the whole process. Overlapping calls share one redirection (the
first in redirects, the last out restores). What another thread of the host writes to fd 2
meanwhile reaches the real stderr through the reading thread (microseconds later), unless the
line has exactly the format of one of those libraries, in which case the ``nudeguard`` logger
gets it. FFmpeg and OpenCV write a line's prefix and its message separately: a line written
between the two becomes part of that native line, as it would on stderr, and goes to the
logger with it (the message's rest then reaches stderr alone). A child process started
meanwhile gets the pipe as its stderr; the reading thread
passes its lines on until it exits. A host that moves fd 2 itself (``dup2``) while a check runs
gets its descriptor replaced when the call returns. A crash inside a native library while fd 2
is captured loses its report (faulthandler, AddressSanitizer and libFuzzer write it to fd 2):
``NUDEGUARD_NATIVE_STDERR=keep`` leaves fd 2 alone, for debugging and fuzzing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import re
import threading
from typing import Iterator, Optional, Union

__all__ = ["native_output_logged"]

_log = logging.getLogger("nudeguard")

#: ``NUDEGUARD_NATIVE_STDERR=keep``: native libraries print to stderr as they would without nudeguard.
_KEEP = os.environ.get("NUDEGUARD_NATIVE_STDERR") == "keep"

#: The line formats of the native libraries nudeguard calls.
_NATIVE_LINE = re.compile(
    rb"(?:INFO|WARNING|ERROR|VERBOSE): "  # TF Lite's minimal logger
    rb"|\[\s*(?:FATAL|ERROR|WARN|INFO|DEBUG|VERBOSE)\s*:\d+(?:@\s*[\d.]+)?\] "  # OpenCV's logger
    rb"|libpng (?:error|warning): "
    rb"|Corrupt JPEG data|Premature end of JPEG file|Invalid SOS parameters|Inconsistent progression"
    rb"|Unknown Adobe color transform|Warning: unknown JFIF revision|Application transferred too many"  # libjpeg
    rb"|\[[\w,.:/-]+ @ "  # FFmpeg's av_log: [demuxer or codec @ address]
    rb"|\[OPENCV:FFMPEG:\d+\] "  # FFmpeg through OpenCV's callback (OPENCV_FFMPEG_DEBUG)
)

_lock = threading.Lock()
#: Lines for the ``nudeguard`` logger, and events set when a reading thread's lines are logged.
_to_log: "queue.SimpleQueue[Union[str, threading.Event]]" = queue.SimpleQueue()
_logging_thread: Optional[threading.Thread] = None
_depth = 0
_saved_stderr: Optional[int] = None
_pipe_writer: Optional[int] = None
_reader: Optional[threading.Thread] = None
#: How long the last call out waits for the reading thread (it only outlives that when a child
#: process holds the pipe as its stderr).
_READER_WAIT_S = 2.0


@contextlib.contextmanager
def native_output_logged() -> Iterator[None]:
    """Run the body with fd 2 captured; native libraries' lines go to the ``nudeguard`` logger.
    Calls nest, also across threads."""
    if _KEEP:
        yield
        return
    _enter()
    try:
        yield
    finally:
        _leave()


def _enter() -> None:
    global _depth, _saved_stderr, _pipe_writer, _reader, _logging_thread
    with _lock:
        if _logging_thread is None:
            _logging_thread = threading.Thread(target=_log_lines, name="nudeguard-native-log", daemon=True)
            _logging_thread.start()
        if _depth == 0:
            try:
                _saved_stderr = os.dup(2)
            except OSError:  # no fd 2: nothing to protect
                _saved_stderr = None
            if _saved_stderr is not None:
                reading, _pipe_writer = os.pipe()
                _reader = threading.Thread(target=_sort_lines, args=(reading, os.dup(_saved_stderr)),
                                           name="nudeguard-native-stderr", daemon=True)
                _reader.start()
                os.dup2(_pipe_writer, 2)
        _depth += 1


def _leave() -> None:
    global _depth, _saved_stderr, _pipe_writer, _reader
    with _lock:
        _depth -= 1
        if _depth > 0 or _saved_stderr is None:
            return
        os.dup2(_saved_stderr, 2)  # what is written from now on goes to the host's stderr
        os.close(_saved_stderr)
        assert _pipe_writer is not None and _reader is not None
        os.close(_pipe_writer)  # the reader ends at the end of the last write still under way
        reader, _saved_stderr, _pipe_writer, _reader = _reader, None, None, None
    reader.join(_READER_WAIT_S)
    logged = threading.Event()
    _to_log.put(logged)
    logged.wait(_READER_WAIT_S)


def _log_lines() -> None:
    while True:
        item = _to_log.get()
        if isinstance(item, threading.Event):
            item.set()
        else:
            _log.debug("native library: %s", item)


def _sort_lines(reading: int, stderr: int) -> None:
    """Until the pipe's last writer closes it: log the native libraries' lines (and the blank
    lines OpenCV ends some with), write the rest to ``stderr``."""
    last_was_native = False
    pending = b""
    try:
        while True:
            chunk = os.read(reading, 1 << 16)
            lines = (pending + chunk).splitlines(keepends=True)
            pending = lines.pop() if chunk and lines and not lines[-1].endswith((b"\n", b"\r")) else b""
            passed_on = []
            for line in lines:
                if _NATIVE_LINE.match(line) or (last_was_native and not line.strip()):
                    text = line.decode("utf-8", "replace").rstrip()
                    if text:
                        _to_log.put(text)
                    last_was_native = True
                else:
                    passed_on.append(line)
                    last_was_native = False
            _write_all(stderr, b"".join(passed_on))
            if not chunk:
                return
    finally:
        os.close(reading)
        os.close(stderr)


def _write_all(stderr: int, data: bytes) -> None:
    while data:
        try:
            data = data[os.write(stderr, data):]
        except OSError:  # the host's stderr is gone: nothing to write to
            return
