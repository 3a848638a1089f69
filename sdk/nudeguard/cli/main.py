"""``nudeguard`` command line: check, hash, match or blur images and read messages from a shell
or a script. Every subcommand keeps one contract (``_cli_contract.CONTRACT``)."""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
from typing import Any, Dict, List, Optional, Sequence

import cv2
import numpy as np

from .. import __version__, available_isas, isa
from .._native_stderr import native_output_logged
from ..detect.guard import Guard
from ..detect.model import BUNDLED_MODEL, load_card
from ..detect.options import GuardOptions
from ..detect.runtime import RUNTIME_NAMES, load_runtime
from ..errors import ImageError, NudeguardError
from ..media.blur import blur, veil, veil_sigma
from ..media.reader import load_pixels
from ..media.source import video_container
from ..safety.policy import ADULT_AGE, Person
from . import chat as _chat_cli
from .contract import CONTRACT, EXIT_BAD_INPUT, EXIT_FOUND, EXIT_OK, age, positive_int, real

_FAST_HELP = "decode JPEGs at a reduced DCT scale first (within a few bits of the default)"


class _Progress:
    """``\r[i/n]`` on stderr while many files are checked, only when stderr is a terminal."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.enabled = total > 1 and sys.stderr.isatty()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()

    def step(self) -> None:
        self.done += 1
        if self.enabled and self.done < self.total:
            sys.stderr.write(f"\rnudeguard: checked {self.done}/{self.total}")
            sys.stderr.flush()


def _check(args: argparse.Namespace) -> int:
    if args.opted_in and (args.age is None or args.age < ADULT_AGE):
        raise ValueError(f"--opted-in is an adult's choice: give --age {ADULT_AGE} or more with it")
    sender = Person(age=args.age, opted_in=args.opted_in) if args.age is not None else None
    status = EXIT_OK
    progress = _Progress(len(args.paths))
    with Guard(GuardOptions(model_path=args.model, threshold=args.threshold, threads=args.threads)) as guard:
        for path in args.paths:
            record = _check_file(guard, path, sender)
            progress.clear()
            if record["error"] is not None:
                print(f"nudeguard: error: {record['error']}", file=sys.stderr)
                status = EXIT_BAD_INPUT
            elif record["sensitive"] and status == EXIT_OK:
                status = EXIT_FOUND
            print(json.dumps(record) if args.json else _check_line(record), flush=True)
            progress.step()
    progress.clear()
    return status


def _check_file(guard: Guard, path: str, sender: Optional[Person]) -> Dict[str, Any]:
    """One file's record: the same keys for every file, null where a value does not apply."""
    record: Dict[str, Any] = {"path": path, "score": None, "label": None, "sensitive": None, "action": None,
                              "sensitive_timestamps_ms": None, "error": None}
    try:
        if sender is not None:
            verdict = guard.check_outgoing(path, sender=sender)
            record["action"] = verdict.action.name  # also when the check failed: fail closed
            if verdict.error is not None:
                raise verdict.error
            assert verdict.score is not None
            score, sensitive, label = verdict.score, verdict.sensitive, None
        elif video_container(path) is not None:
            video = guard.check_video(path, stop_at_first_sensitive=False)
            score, sensitive, label = video.score, video.sensitive, None
            record["sensitive_timestamps_ms"] = list(video.sensitive_timestamps_ms)
        else:
            result = guard.scan(path)
            score, sensitive, label = result.score, result.sensitive, result.label
    except NudeguardError as exc:
        record["error"] = str(exc)
        return record
    # A verdict or a video has no label of its own: the one its sensitivity means.
    record.update(score=round(score, 6), label=label or ("nsfw" if sensitive else "sfw"), sensitive=sensitive)
    return record


def _check_line(record: Dict[str, Any]) -> str:
    if record["error"] is not None:
        score, label, verdict = "-", "-", "error"
    else:
        score, label = f"{record['score']:.4f}", record["label"]
        verdict = "SENSITIVE" if record["sensitive"] else "ok"
    at = ",".join(f"{ms / 1000:.3f}s" for ms in record["sensitive_timestamps_ms"] or ()) or "-"
    return "\t".join((record["path"], score, label, verdict, record["action"] or "-", at))


def _blur(args: argparse.Namespace) -> int:
    image = load_pixels(args.input).array  # BGR; the blur treats every channel alike
    sigma = veil_sigma(image.shape[1], image.shape[0]) if args.sigma is None else args.sigma
    return _write(args.output, blur(image, sigma))


def _veil(args: argparse.Namespace) -> int:
    image = load_pixels(args.input).array  # BGR
    return _write(args.output, veil(image, args.size))


def _hash(args: argparse.Namespace) -> int:
    from ..hashing import VideoFingerprint, fingerprint, report_json

    status = EXIT_OK
    hashed = []
    for path in args.paths:
        try:
            fp = fingerprint(path, full_size=args.full_size, fast=args.fast)
        except NudeguardError as exc:
            print(f"nudeguard: error: {exc}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        hashed.append((path, fp))
        if args.json:
            continue
        if isinstance(fp, VideoFingerprint):  # a line per hashed second, path#t=SECONDS (media fragment)
            for frame in fp.frames:
                print(f"{frame.pdq}\t{frame.quality}\t{fp.md5}\t{path}#t={frame.timestamp_ms / 1000:g}")
        else:
            print(f"{fp.pdq}\t{fp.quality}\t{fp.md5}\t{path}")
    if args.json:
        print(report_json(hashed, note=args.note, include_names=not args.no_names,
                          full_size=args.full_size, fast=args.fast))
    return status


def _match(args: argparse.Namespace) -> int:
    from ..hashing import DEFAULT_MAX_DISTANCE, DEFAULT_MIN_QUALITY, HashList, PdqHash, fingerprint, pdq_dihedral

    hash_list = HashList.load(args.list)
    if len(hash_list) == 0:
        raise ValueError(f"{args.list}: the list holds no hashes (one a line: HEX, HEX,ID or HEX,QUALITY,ID)")
    max_distance = DEFAULT_MAX_DISTANCE if args.max_distance is None else args.max_distance
    status = EXIT_OK
    for path in args.paths:
        record: Dict[str, Any] = {"path": path, "matches": [], "error": None}
        try:
            if video_container(path) is not None:  # one hash a second, each matched as it is
                queries: List[Any] = [(f.timestamp_ms, PdqHash(f.pdq, f.quality)) for f in fingerprint(path).frames]
            else:  # rotated and mirrored copies match too
                variants = pdq_dihedral(path, fast=args.fast)
                queries = [(None, variants if args.rotations else variants[0])]
        except NudeguardError as exc:
            record["error"] = str(exc)
            print(f"nudeguard: error: {exc}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            queries = []
        for timestamp_ms, query in queries:
            where = path if timestamp_ms is None else f"{path}#t={timestamp_ms / 1000:g}"
            quality = (query[0] if isinstance(query, tuple) else query).quality
            if quality < DEFAULT_MIN_QUALITY:
                print(f"nudeguard: {where}: PDQ quality {quality} < {DEFAULT_MIN_QUALITY}, too flat to match",
                      file=sys.stderr)
                continue
            for m in hash_list.match(query, max_distance):
                # A `nudeguard hash` listing's ID is two tab-separated fields (MD5, path): JSON
                # keeps the fields apart instead of a literal tab.
                record["matches"].append({"timestamp_ms": timestamp_ms, "distance": m.distance,
                                          "transform": m.transform, "hash": m.hex, "index": m.index,
                                          "id": m.id.split("\t") if m.id else []})
                if not args.json:
                    print(f"{where}\t{m.distance}\t{m.transform}\t{m.hex}\t{m.id or '-'}")
        if record["matches"] and status == EXIT_OK:
            status = EXIT_FOUND
        if args.json:
            print(json.dumps(record, ensure_ascii=False))
    return status


def _bench(args: argparse.Namespace) -> int:
    from ..bench.report import benchmark_action, compare, format_comparison, format_report, load_report
    from ..bench.run import DEFAULT_SHAPES, SHAPES, run

    if args.current is not None:
        measuring = [flag for flag, value in (("--seconds", args.seconds), ("--shape", args.shape),
                                              ("--image", args.image), ("--threads", args.threads),
                                              ("--model", args.model), ("--output", args.output)) if value is not None]
        if measuring or args.runtime != "auto":
            raise ValueError(f"--current uses a saved report; {', '.join(measuring) or '--runtime'} would measure")
    if not (args.max_slowdown > 1 and math.isfinite(args.max_slowdown)):
        raise ValueError(f"--max-slowdown must be a number above 1 (1.15 allows 15 %), got {args.max_slowdown}")
    if not (args.min_change_ms >= 0 and math.isfinite(args.min_change_ms)):
        raise ValueError(f"--min-change-ms must be a number of milliseconds >= 0, got {args.min_change_ms}")
    baseline = load_report(args.baseline) if args.baseline is not None else None  # before minutes of measuring
    if args.current is not None:
        report = load_report(args.current)
    else:
        image = None
        if args.image is not None:
            load_pixels(args.image)  # an error naming the file, before any timing
            with open(args.image, "rb") as stream:
                image = stream.read()
        shapes = [name for names in args.shape or [list(DEFAULT_SHAPES)] for name in names]
        with native_output_logged():
            report = run(10.0 if args.seconds is None else args.seconds, shapes=list(SHAPES) if "all" in shapes else shapes,
                         image=image, threads=args.threads, runtime=args.runtime, model_path=args.model)
        if args.output is not None:  # written before the comparison: the report is kept even when the gate fails
            try:
                with open(args.output, "w", encoding="utf-8") as stream:
                    stream.write(json.dumps(report, indent=2) + "\n")
            except OSError as exc:
                raise ValueError(f"{args.output}: cannot write the report: {exc.strerror or exc}") from None
    calibrated = not args.absolute
    comparison = None if baseline is None else compare(baseline, report, max_slowdown=args.max_slowdown,
                                                       min_change_ms=args.min_change_ms, calibrated=calibrated)
    if args.format == "json" or args.json:
        print(json.dumps(report if comparison is None else {**report, "comparison": comparison.as_dict()}, indent=2))
    elif args.format == "benchmark-action":
        print(json.dumps(benchmark_action(report, calibrated=calibrated), indent=2))
    else:
        print(format_report(report))
        if comparison is not None:
            print("\n" + format_comparison(comparison))
    # The CLI's "found" code: here, a stage slower than the baseline allows.
    return EXIT_FOUND if comparison is not None and comparison.regressions else EXIT_OK


def _info(args: argparse.Namespace) -> int:
    """The build report, like ``python -m PIL.report``."""
    print(f"nudeguard {__version__}")
    print(f"python     {platform.python_version()} ({platform.machine()})")
    print(f"isa        {isa()} (available: {', '.join(available_isas())})")
    try:
        runtime = load_runtime()
        print(f"runtime    {runtime.name} {runtime.version}")
    except NudeguardError as exc:
        print(f"runtime    unavailable: {exc}")
    try:
        card = load_card(BUNDLED_MODEL)
        print(f"model      {card.name} ({card.model_path.name}, sha256 {card.sha256[:16]}…, "
              f"threshold {card.threshold})")
    except NudeguardError as exc:
        print(f"model      unavailable: {exc}")
    return EXIT_OK


def _write(output: str, result: "np.ndarray") -> int:
    ext = "." + output.rsplit(".", 1)[-1] if "." in output else ""
    try:
        ok, encoded = cv2.imencode(ext, result)
    except cv2.error:
        ok = False
    if not ok:
        raise ImageError(f"{output}: cannot encode an image with extension {ext or '(none)'!r}")
    try:
        with open(output, "wb") as f:
            f.write(encoded.tobytes())
    except OSError as exc:
        raise ImageError(f"{output}: cannot write file: {exc.strerror or exc}") from None
    return EXIT_OK


def _bits(text: str) -> int:
    value = int(text) if text.strip().isdigit() else -1
    if not 0 <= value <= 256:
        raise argparse.ArgumentTypeError(f"expected a number of bits from 0 to 256, got {text!r}")
    return value


def _add_check(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    check = commands.add_parser(
        "check", help="classify images and videos",
        description="Print a line per image or video: path, score, label, verdict (ok, SENSITIVE or error), "
                    "action and sensitive timestamps, tab-separated, \"-\" where a column does not apply; "
                    "or with --json an object per file with the same keys for every file (\"error\" says "
                    "why one could not be read). The whole image is checked (tiles of wide or tall "
                    "pictures, frames of animations); a video's sampled frames are, and its sensitive "
                    "timestamps are listed (without --age). With --age, the action is what "
                    "check_outgoing tells a client to do for that sender: CONFIRM or ALLOW. "
                    "Exit 0 when every file was checked and none is sensitive, 1 when any is sensitive, "
                    "2 when any could not be read (2 wins over 1; the other files are still checked).",
    )
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.add_argument("--json", action="store_true", help="one JSON object per file")
    check.add_argument("--age", type=age, default=None, metavar="N",
                       help="the sender's age in years: print the action check_outgoing gives (CONFIRM or ALLOW)")
    check.add_argument("--opted-in", action="store_true",
                       help=f"with --age {ADULT_AGE} or more: the adult turned protection on")
    check.add_argument("--threshold", type=real("a probability", 0, 1, low_open=True), default=None,
                       help="decision threshold in (0, 1] (default: the model card's)")
    check.add_argument("--threads", type=positive_int, default=None, help="interpreter threads")
    check.add_argument("--model", default=None, help="a .tflite model with its JSON card (default: bundled)")
    check.set_defaults(run=_check)


def _add_blur(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    blur = commands.add_parser(
        "blur", help="blur an image (the veil)",
        description="Write a Gaussian blur of IN to OUT (format from OUT's extension). Without --sigma, "
                    "the veil strength for the image's size (max(2, shorter side / 12)). "
                    "Exit 0 on success, 2 when IN cannot be read or OUT cannot be written.",
    )
    blur.add_argument("input", metavar="IN")
    blur.add_argument("output", metavar="OUT")
    blur.add_argument("--sigma", type=real("a standard deviation in pixels", 0, math.inf), default=None,
                      help="standard deviation in pixels (default: veil strength)")
    blur.set_defaults(run=_blur)


def _add_veil(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    veil_cmd = commands.add_parser(
        "veil", help="write the veiled copy of an image",
        description="Write the veil shown over an incoming sensitive image: IN resized to --size and blurred "
                    "at the default veil strength (format from OUT's extension). "
                    "Exit 0 on success, 2 when IN cannot be read or OUT cannot be written.",
    )
    veil_cmd.add_argument("input", metavar="IN")
    veil_cmd.add_argument("output", metavar="OUT")
    veil_cmd.add_argument("--size", type=positive_int, default=None, help="longer side in pixels (default: IN's size)")
    veil_cmd.set_defaults(run=_veil)


def _add_hash(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    hash_cmd = commands.add_parser(
        "hash", help="hash images and videos (PDQ, MD5, SHA-256) without sharing them",
        description="Print PDQ hash, PDQ quality, MD5 and path per image (tab-separated; for a video one "
                    "line per second, the path ending in #t=SECONDS), or with --json "
                    "one hash-only report (hashes, sizes and timestamps; never pixels or file bytes) for "
                    "reporting services such as Take It Down or StopNCII; a file that cannot be read is "
                    "named on stderr and left out. "
                    "Exit 0 when every file was hashed, 2 when any could not be read.",
    )
    hash_cmd.add_argument("paths", nargs="+", metavar="PATH")
    hash_cmd.add_argument("--json", action="store_true", help="print a JSON hash-only report")
    hash_cmd.add_argument("--note", default=None, help="free text stored in the --json report")
    hash_cmd.add_argument("--no-names", action="store_true", help="leave file names out of the --json report")
    hash_cmd.add_argument("--full-size", action="store_true",
                          help="hash the full-size pixels (default: Meta's pipeline, 512 px for large images)")
    hash_cmd.add_argument("--fast", action="store_true",
                          help=_FAST_HELP)
    hash_cmd.set_defaults(run=_hash)


def _add_match(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    match_cmd = commands.add_parser(
        "match", help="match images and videos against a PDQ hash list (e.g. a list of reported images)",
        description="Hash each image (and its rotations and mirror images) or each second of a video on this "
                    "machine and print the entries of LIST within --max-distance bits, a line per match: "
                    "path (a video's with #t=SECONDS), distance, transform, the entry's hash and ID (\"-\" "
                    "for none), tab-separated, nearest first. With --json, an object per file: "
                    "{\"path\", \"matches\": [{\"timestamp_ms\", \"distance\", \"transform\", \"hash\", "
                    "\"index\", \"id\"}], \"error\"}, \"id\" being the ID's tab-separated fields. LIST has "
                    "one hash per line: HEX, HEX,ID or HEX,QUALITY,ID (`nudeguard hash` output is one). "
                    "Exit 0 when nothing matched, 1 when anything did, 2 when LIST is empty or could not "
                    "be read, or a file could not be (2 wins over 1).",
    )
    match_cmd.add_argument("list", metavar="LIST")
    match_cmd.add_argument("paths", nargs="+", metavar="PATH")
    match_cmd.add_argument("--max-distance", type=_bits, default=None, metavar="BITS",
                           help="largest Hamming distance that matches, 0..256 (default: Meta's 31)")
    match_cmd.add_argument("--no-rotations", dest="rotations", action="store_false",
                           help="match images as they are, not also rotated or mirrored")
    match_cmd.add_argument("--fast", action="store_true",
                           help=_FAST_HELP)
    match_cmd.add_argument("--json", action="store_true", help="one JSON object per file")
    match_cmd.set_defaults(run=_match)


def _add_bench(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    bench_cmd = commands.add_parser(
        "bench", help="latency per stage of a check; compare with a baseline and fail on a regression",
        description="Time each stage of a check (decode, preprocess, inference, veil, hash) and the whole "
                    "check_incoming on pictures made in memory in the shapes a chat client meets (or on "
                    "--image), together with a fixed calibration workload, and print wall-clock p50/p90/p99 "
                    "and CPU time per stage with the machine's facts. With --baseline, compare each stage's "
                    "CPU time (by default as a ratio to the calibration, so a baseline from another machine "
                    "works) and print a table of verdicts. Exit 0 when no stage is slower than allowed, 1 when "
                    "one is, 2 for bad usage, an unreadable image or model, or a baseline that cannot be used.",
    )
    bench_cmd.add_argument("--json", action="store_true", help="print only the JSON report (same as --format json)")
    bench_cmd.add_argument("--format", choices=("text", "json", "benchmark-action"), default="text",
                           help="text tables (default), the JSON report (with the comparison when --baseline), or "
                                "a JSON list of {name, unit, value} entries, smaller is better, for "
                                "github-action-benchmark's customSmallerIsBetter")
    bench_cmd.add_argument("--seconds", type=float, default=None, metavar="S",
                           help="time budget for all stages and shapes together (default: 10)")
    bench_cmd.add_argument("--shape", action="append", default=None, metavar="NAME[,NAME]",
                           type=lambda text: [name.strip() for name in text.split(",") if name.strip()],
                           help="pictures to measure: 12mp-4x3 (default), 12mp-16x9, 1080p, screenshot, panorama, "
                                "camera, or all; repeat or separate with commas")
    bench_cmd.add_argument("--image", default=None, metavar="PATH",
                           help="measure this image instead of the generated pictures")
    bench_cmd.add_argument("--threads", type=int, default=None, help="interpreter threads")
    bench_cmd.add_argument("--runtime", choices=RUNTIME_NAMES, default="auto",
                           help="TFLite interpreter package (default: LiteRT, else tflite-runtime)")
    bench_cmd.add_argument("--model", default=None, help="a .tflite model with its JSON card (default: bundled)")
    bench_cmd.add_argument("--output", default=None, metavar="REPORT.json",
                           help="also write the JSON report to this file (kept even when the comparison fails)")
    bench_cmd.add_argument("--baseline", default=None, metavar="OLD.json",
                           help="a report saved earlier (--output or --json): compare and exit 1 on a regression")
    bench_cmd.add_argument("--max-slowdown", type=float, default=1.15, metavar="RATIO",
                           help="largest allowed ratio of now to baseline per stage (default: 1.15)")
    bench_cmd.add_argument("--min-change-ms", type=float, default=0.5, metavar="MS",
                           help="smallest growth in CPU milliseconds that fails a stage (default: 0.5)")
    bench_cmd.add_argument("--absolute", action="store_true",
                           help="compare CPU milliseconds as measured instead of ratios to the calibration "
                                "(baseline and now on the same machine)")
    bench_cmd.add_argument("--current", default=None, metavar="NEW.json",
                           help="use this saved report instead of measuring (to compare or reformat it)")
    bench_cmd.set_defaults(run=_bench)


def _add_info(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    info = commands.add_parser("info", help="the build report: version, kernel ISA, interpreter, model",
                               description="Print the version, the kernel ISA, the interpreter and the model. "
                                           "Exit 0.")
    info.set_defaults(run=_info)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nudeguard", description="On-device nudity checks for chat apps.",
                                     epilog=CONTRACT, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"nudeguard {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_check(commands)
    _add_blur(commands)
    _add_veil(commands)
    _add_hash(commands)
    _add_match(commands)
    _add_bench(commands)
    _chat_cli.add_commands(commands)
    _add_info(commands)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (NudeguardError, ValueError) as exc:
        print(f"nudeguard: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

