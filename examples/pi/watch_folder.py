"""Check photos as they land in a folder; move sensitive ones to quarantine.

    python examples/pi/watch_folder.py ~/camera                   # watch until Ctrl+C
    python examples/pi/watch_folder.py ~/camera --once            # check what is there, then exit

A camera app, a download folder or a shared inbox writes photos into FOLDER. Each new photo
is checked with the whole-picture scan (every window of the frame, animation frames).
A sensitive one, or one that cannot be read at all, is moved to the quarantine folder
(FOLDER/quarantine by default) beside a veiled preview ``NAME.veiled.jpg``; the others stay
where they are. One log line per photo goes to standard output.

The folder is polled (portable, no dependencies) and a photo is checked only once its size
and modification time have stayed the same for one poll, because camera apps write files
progressively; one that still cannot be read is tried again at later polls until it is 10 s
old, in case the writer only paused. With --once every photo present is taken as complete.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import cv2

import nudeguard
from nudeguard import Action, Person

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}

#: Longer side of the veiled preview written next to a quarantined photo.
PREVIEW_SIZE = 480

#: An unreadable photo younger than this may be one a slow writer paused on: it is checked
#: again at the next polls instead of being quarantined as unreadable.
UNREADABLE_GRACE_SECONDS = 10.0


def photos_in(folder: Path) -> Iterator[Tuple[Path, Tuple[int, int]]]:
    """Photos directly in ``folder`` with their (size, mtime in ns); veiled previews excluded."""
    with os.scandir(folder) as entries:
        for entry in entries:
            path = Path(entry.path)
            if entry.is_file() and path.suffix.lower() in PHOTO_SUFFIXES and not path.stem.endswith(".veiled"):
                stat = entry.stat()
                yield path, (stat.st_size, stat.st_mtime_ns)


def unused_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/stem-2.suffix`` ... when that exists (never overwrite)."""
    path = folder / name
    count = 1
    while path.exists():
        count += 1
        path = folder / f"{Path(name).stem}-{count}{Path(name).suffix}"
    return path


def check_photo(guard: nudeguard.Guard, path: Path, quarantine: Path, unreadable_may_grow: bool = False) -> Optional[str]:
    """Check one photo; quarantine it if needed. Returns the log line, or ``None`` when the
    photo cannot be read yet and ``unreadable_may_grow`` says it may still be being written."""
    # check_incoming as for a recipient of unknown age: veiled when sensitive and also when it
    # cannot be checked (fail closed), with the preview from the same decode.
    verdict = guard.check_incoming(path, recipient=Person(age=None), preview_size=PREVIEW_SIZE)
    if unreadable_may_grow and isinstance(verdict.error, nudeguard.ImageError):
        return None
    score = "  -  " if verdict.score is None else f"{verdict.score:.3f}"
    if verdict.action is Action.SHOW:
        return f"ok         {score}  {path.name}"
    quarantine.mkdir(parents=True, exist_ok=True)
    target = unused_path(quarantine, path.name)
    os.replace(path, target)
    why = "SENSITIVE " if verdict.error is None else "UNREADABLE"
    line = f"{why} {score}  {path.name} -> {target}"
    if verdict.veiled is not None:
        preview = target.with_name(target.stem + ".veiled.jpg")
        if not cv2.imwrite(str(preview), verdict.veiled):
            raise OSError(f"{preview}: could not write the veiled preview")
        line += f" (preview {preview.name})"
    if verdict.error is not None:
        line += f" [{verdict.error}]"
    return line


class FolderWatcher:
    """Checks the photos of a folder once each has stopped changing; quarantines sensitive ones."""

    def __init__(self, guard: nudeguard.Guard, folder: Path, quarantine: Path) -> None:
        self.guard = guard
        self.folder = folder
        self.quarantine = quarantine
        self.quarantined = 0
        self._kept: Dict[Path, Tuple[int, int]] = {}  # photos left in place, by the state they were checked in
        self._seen: Dict[Path, Tuple[int, int]] = {}  # the previous poll's state of photos not yet checked

    def poll(self, settled: bool = False) -> List[str]:
        """One look at the folder: checks each new or changed photo whose size and mtime are
        the same as at the previous poll (with ``settled``: every one). Returns the log lines."""
        current = dict(photos_in(self.folder))
        lines = []
        for path, state in sorted(current.items()):
            if self._kept.get(path) == state or not (settled or self._seen.get(path) == state):
                continue
            young = time.time() - state[1] / 1e9 < UNREADABLE_GRACE_SECONDS
            line = check_photo(self.guard, path, self.quarantine, unreadable_may_grow=young and not settled)
            if line is None:
                continue
            lines.append(line)
            if path.exists():
                self._kept[path] = state
            else:
                self.quarantined += 1
        self._seen = {path: state for path, state in current.items() if self._kept.get(path) != state}
        self._kept = {path: state for path, state in self._kept.items() if path in current}
        return lines


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the folder photos land in")
    parser.add_argument("--quarantine", type=Path, help="where sensitive photos go (default: FOLDER/quarantine)")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between polls (default 0.5)")
    parser.add_argument("--once", action="store_true", help="check the photos there now, then exit")
    parser.add_argument("--threshold", type=float, help="score from which a photo counts as sensitive "
                                                         "(default: the model card's)")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        parser.error(f"{args.folder}: not a folder")
    quarantine = args.quarantine or args.folder / "quarantine"
    with nudeguard.Guard(nudeguard.GuardOptions(threshold=args.threshold)) as guard:
        watcher = FolderWatcher(guard, args.folder, quarantine)
        if not args.once:
            print(f"watching {args.folder} every {args.interval:g} s; quarantine: {quarantine}", flush=True)
        try:
            while True:
                for line in watcher.poll(settled=args.once):
                    print(time.strftime("%H:%M:%S"), line, flush=True)
                if args.once:
                    break
                time.sleep(args.interval)
        except KeyboardInterrupt:
            pass
    print(f"{watcher.quarantined} photo(s) quarantined in {quarantine}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
