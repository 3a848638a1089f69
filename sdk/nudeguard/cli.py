"""``nudeguard`` command line: check or blur images from a shell or a script."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from typing import Iterator, Optional, Sequence

import cv2

from .blur import blur, veil_sigma
from .errors import ImageError, NudeguardError
from .guard import Guard, GuardOptions
from .image import load_pixels

EXIT_OK = 0
EXIT_BAD_INPUT = 2


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """LiteRT's C++ logs "INFO: Created TensorFlow Lite XNNPACK delegate" on the
    stderr file descriptor; here stderr carries one line per unreadable file."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _check(args: argparse.Namespace) -> int:
    options = GuardOptions(model_path=args.model, threshold=args.threshold, threads=args.threads)
    status = EXIT_OK
    with _native_stderr_silenced():
        guard = Guard(options)
    with guard:
        for path in args.paths:
            try:
                result = guard.classify(path)
            except NudeguardError as exc:
                print(f"nudeguard: error: {exc}", file=sys.stderr)
                status = EXIT_BAD_INPUT
                continue
            if args.json:
                print(json.dumps({"path": path, "score": round(result.score, 6), "label": result.label,
                                  "sensitive": result.sensitive}))
            else:
                verdict = "SENSITIVE" if result.sensitive else "ok"
                print(f"{path}\t{result.score:.4f}\t{result.label}\t{verdict}")
    return status


def _blur(args: argparse.Namespace) -> int:
    image = load_pixels(args.input).array  # BGR; the blur treats every channel alike
    sigma = veil_sigma(image.shape[1], image.shape[0]) if args.sigma is None else args.sigma
    result = blur(image, sigma)
    ext = "." + args.output.rsplit(".", 1)[-1] if "." in args.output else ""
    try:
        ok, encoded = cv2.imencode(ext, result)
    except cv2.error:
        ok = False
    if not ok:
        raise ImageError(f"{args.output}: cannot encode an image with extension {ext or '(none)'!r}")
    try:
        with open(args.output, "wb") as f:
            f.write(encoded.tobytes())
    except OSError as exc:
        raise ImageError(f"{args.output}: cannot write file: {exc.strerror or exc}") from None
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nudeguard", description="On-device nudity checks for chat apps.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check", help="classify images",
        description="Print score, label and verdict per image (tab-separated, or JSON lines with --json). "
                    "Exit 0 when every file was checked, 2 when any could not be read.",
    )
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.add_argument("--json", action="store_true", help="one JSON object per line")
    check.add_argument("--threshold", type=float, default=None, help="decision threshold (default: the model card's)")
    check.add_argument("--threads", type=int, default=None, help="interpreter threads")
    check.add_argument("--model", default=None, help="a .tflite model with its JSON card (default: bundled)")
    check.set_defaults(run=_check)
    blur = commands.add_parser(
        "blur", help="blur an image (the veil)",
        description="Write a Gaussian blur of IN to OUT (format from OUT's extension). Without --sigma, "
                    "the veil strength for the image's size (max(2, shorter side / 12)). "
                    "Exit 0 on success, 2 when IN cannot be read or OUT cannot be written.",
    )
    blur.add_argument("input", metavar="IN")
    blur.add_argument("output", metavar="OUT")
    blur.add_argument("--sigma", type=float, default=None, help="standard deviation in pixels (default: veil strength)")
    blur.set_defaults(run=_blur)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        # Decoder warnings would interleave with our one-line errors (OpenCV 5 moved the setter).
        set_log_level = getattr(cv2, "setLogLevel", None) or cv2.utils.logging.setLogLevel
        set_log_level(0)
        return int(args.run(args))
    except (NudeguardError, ValueError) as exc:
        print(f"nudeguard: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
