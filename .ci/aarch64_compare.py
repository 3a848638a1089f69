"""Judges the runs of .ci/aarch64_sdk.sh: each command run emulated on aarch64 against the
same command run on x86-64 in the same CI run. Prints what ran and what it gave, and exits 1
on any wrong result.

    python .ci/aarch64_compare.py clip PATH       # the short camera clip both machines check (cv2)
    python .ci/aarch64_compare.py judge OUT_DIR   # judges the runs saved in OUT_DIR

OUT_DIR holds NAME.MACHINE.out, .err and .status for each command (MACHINE: x86 or arm), the
images the commands wrote (NAME.MACHINE.ppm) and the watched folders (watch-MACHINE/).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

#: Largest difference between an x86-64 and an aarch64 score. nudeguard's own steps are
#: bit-exact across kernel sets; the interpreter's int8 kernels are not the same code.
SCORE_TOLERANCE = 0.01

#: Commands run only emulated: their stderr must be empty. The others run on both machines
#: and must print on stderr what x86-64 prints (LiteRT's delegate line, say), nothing more.
ARM_ONLY = ("report", "bench", "pytest")
BOTH = ("check", "hash", "blur", "veil", "watch", "camera")

#: Exit statuses other than 0: `nudeguard check` exits 1 when a file is sensitive.
EXPECTED_STATUS = {"check": 1}

#: The clip camera_check.py reads: a benign photo with the sensitive fixture in some frames,
#: lossless (FFV1) so that both machines decode the same pixels. FFmpeg's MJPEG decoding
#: differs between x86-64 and aarch64, which moved scores by up to 0.009 here.
CLIP_FRAMES, CLIP_FPS, CLIP_SENSITIVE = 30, 10, range(10, 20)
WATCHED = {"IMG_0001.jpg": "ok", "IMG_0002.png": "SENSITIVE"}  # the folder watch_folder.py checks


def make_clip(path: Path) -> None:
    import cv2  # only here: judging needs nothing but the standard library

    fixtures = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
    benign, sensitive = (cv2.resize(cv2.imread(str(p)), (320, 240), interpolation=cv2.INTER_AREA)
                         for p in (fixtures / "benign" / "coffee.jpg", fixtures / "synthetic_sensitive.png"))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), CLIP_FPS, (320, 240))
    if not writer.isOpened():
        raise SystemExit(f"{path}: this OpenCV cannot write FFV1")
    for index in range(CLIP_FRAMES):
        frame = (sensitive if index in CLIP_SENSITIVE else benign).copy()
        frame[:, index * 8 % 320: index * 8 % 320 + 4] = 255  # a moving bar: frames differ as a camera's do
        writer.write(frame)
    writer.release()


class Judge:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.failures: List[str] = []

    def expect(self, ok: bool, what: str) -> bool:
        if not ok:
            self.failures.append(what)
            print(f"    FAIL {what}")
        return ok

    def text(self, name: str, machine: str, kind: str) -> str:
        path = self.out / f"{name}.{machine}.{kind}"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def ran(self, name: str, machines: Tuple[str, ...]) -> bool:
        """Exit statuses as expected and stderr clean; False when a command did not run."""
        statuses = {m: self.text(name, m, "status").strip() for m in machines}
        if not self.expect(all(statuses.values()), f"{name}: not run on {[m for m, s in statuses.items() if not s]}"):
            return False
        expected = str(EXPECTED_STATUS.get(name, 0))
        for machine, status in statuses.items():
            if not self.expect(status == expected, f"{name}: exit status {status} on {machine}, expected {expected}"):
                print(indent(self.text(name, machine, "err")[-3000:]))
        x86_err = self.text(name, "x86", "err") if "x86" in machines else ""
        arm_err = self.text(name, "arm", "err")
        if not self.expect(arm_err == x86_err, f"{name}: emulated stderr differs from x86-64's"):
            print(indent(f"x86-64:\n{x86_err}aarch64:\n{arm_err}"))
        return True

    def scores(self, name: str, keyed: Dict[str, Dict[str, Tuple[Optional[float], bool]]]) -> None:
        """keyed[machine][item] = (score, decision); same items, decisions, scores within tolerance."""
        x86, arm = keyed["x86"], keyed["arm"]
        self.expect(bool(arm) and set(x86) == set(arm), f"{name}: checked {sorted(arm)}, x86-64 checked {sorted(x86)}")
        worst = 0.0
        for item in (i for i in arm if i in x86):
            (x_score, x_decision), (a_score, a_decision) = x86[item], arm[item]
            diff = abs(a_score - x_score) if a_score is not None and x_score is not None else 0.0
            worst = max(worst, diff)
            print(f"    {item:40} x86 {fmt(x_score)}  arm {fmt(a_score)}  diff {diff:.6f}  "
                  f"{'sensitive' if a_decision else 'not sensitive'}")
            self.expect(a_decision == x_decision, f"{name}: {item}: decision {a_decision} on aarch64, {x_decision} on x86-64")
            self.expect((a_score is None) == (x_score is None) and diff <= SCORE_TOLERANCE,
                        f"{name}: {item}: score {fmt(a_score)} on aarch64, {fmt(x_score)} on x86-64")
        print(f"    largest score difference {worst:.6f} (tolerance {SCORE_TOLERANCE}), decisions identical: "
              f"{all(x86[i][1] == arm[i][1] for i in x86.keys() & arm.keys())}")

    # --- one method per command

    def report(self) -> None:
        text = self.text("report", "arm", "out")
        print(indent(text))
        match = re.search(r"^isa\s+(\w+) \(available: ([^)]*)\)", text, re.M)
        self.expect(match is not None and match.group(1) == "neon",
                    f"report: kernel set in use is {match.group(1) if match else 'not reported'}, expected neon")
        self.expect(re.search(r"^python\s+\S+ \(aarch64\)", text, re.M) is not None, "report: not an aarch64 Python")

    def check(self) -> None:
        def records(machine: str) -> Dict[str, Tuple[Optional[float], bool]]:
            rows = [json.loads(line) for line in self.text("check", machine, "out").splitlines() if line.strip()]
            return {Path(r["path"]).name: (r.get("score"), bool(r.get("sensitive"))) for r in rows}
        self.scores("check", {m: records(m) for m in ("x86", "arm")})

    def hash(self) -> None:
        x86, arm = (self.text("hash", m, "out") for m in ("x86", "arm"))
        lines = arm.splitlines()
        print(indent("\n".join(lines[:3] + ["..."])))
        self.expect(bool(lines) and arm == x86, "hash: PDQ hashes, qualities or MD5s differ from x86-64's")
        if lines and arm == x86:
            print(f"    {len(lines)} PDQ hashes, qualities and MD5s identical to x86-64's")

    def blur(self) -> None:
        self.same_image("blur")

    def veil(self) -> None:
        self.same_image("veil")

    def same_image(self, name: str) -> None:
        x86, arm = (self.out / f"{name}.{m}.ppm" for m in ("x86", "arm"))
        if not self.expect(x86.is_file() and arm.is_file(), f"{name}: no image written"):
            return
        data = arm.read_bytes()
        header = data.split(b"\n", 3)[:3]
        self.expect(data == x86.read_bytes(), f"{name}: pixels differ from x86-64's")
        print(f"    {b' '.join(header).decode()} image, {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}…, "
              f"{'identical' if data == x86.read_bytes() else 'DIFFERENT'} on both machines")

    def watch(self) -> None:
        def records(machine: str) -> Dict[str, Tuple[Optional[float], bool]]:
            found = {}
            for line in self.text("watch", machine, "out").splitlines():
                match = re.match(r"\d\d:\d\d:\d\d (ok|SENSITIVE|UNREADABLE)\s+(\S+)\s+(\S+)", line)
                if match:
                    state, score, name = match.groups()
                    found[name] = (None if score == "-" else float(score), state != "ok")
            return found
        print(indent(self.text("watch", "arm", "out")))
        keyed = {m: records(m) for m in ("x86", "arm")}
        self.scores("watch", keyed)
        self.expect({n: "ok" if not s else "SENSITIVE" for n, (_, s) in keyed["arm"].items()} == WATCHED,
                    f"watch: expected {WATCHED}")
        x86, arm = (sorted(p.relative_to(self.out / f"watch-{m}").as_posix() for p in (self.out / f"watch-{m}").rglob("*"))
                    for m in ("x86", "arm"))
        self.expect(arm == x86, f"watch: folder holds {arm} on aarch64, {x86} on x86-64")
        print(f"    folder afterwards: {', '.join(arm)}")

    def camera(self) -> None:
        def records(machine: str) -> Dict[str, Tuple[Optional[float], bool]]:
            rows = [json.loads(line) for line in self.text("camera", machine, "out").splitlines() if line.strip()]
            return {f"frame {r['frame']} at {r['time_ms']} ms": (r.get("score"), bool(r.get("sensitive"))) for r in rows}
        keyed = {m: records(m) for m in ("x86", "arm")}
        self.scores("camera", keyed)
        decisions = {s for _, s in keyed["arm"].values()}
        self.expect(decisions == {True, False}, "camera: the clip has sensitive and benign frames, not both were found")

    def bench(self) -> None:
        try:
            report = json.loads(self.text("bench", "arm", "out"))
        except ValueError as exc:
            self.expect(False, f"bench: --json printed no JSON ({exc})")
            return
        isas = [value for key, value in walk(report) if key[-1].lower() in ("isa", "kernel_set") and isinstance(value, str)]
        self.expect(bool(isas) and set(isas) == {"neon"}, f"bench: kernel set {isas or 'not reported'}, expected neon")
        for key, value in walk(report):
            if key[-1] == "p50_ms":
                print(f"    {'.'.join(key[:-1]):40} p50 {value:9.1f} ms (emulated)")

    def pytest(self) -> None:
        lines = self.text("pytest", "arm", "out").strip().splitlines()
        print(f"    {lines[-1] if lines else '(no output)'}")


def walk(value: object, key: Tuple[str, ...] = ()) -> Iterator[Tuple[Tuple[str, ...], object]]:
    """Every (key path, value) in a JSON document; list items get their index as key."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for k, v in items:
        yield key + (str(k),), v
        yield from walk(v, key + (str(k),))


def fmt(score: Optional[float]) -> str:
    return "   -    " if score is None else f"{score:.6f}"


def indent(text: str) -> str:
    return "\n".join("    | " + line for line in text.rstrip("\n").splitlines())


def judge(out: Path) -> int:
    checker = Judge(out)
    commands: List[Tuple[str, Tuple[str, ...]]] = [(n, ("arm",)) for n in ARM_ONLY] + [(n, ("x86", "arm")) for n in BOTH]
    for name, machines in commands:
        print(f"  {name} ({' and '.join('x86-64' if m == 'x86' else 'emulated Pi 5' for m in machines)})")
        if checker.ran(name, machines):
            getattr(checker, name)()
    if checker.failures:
        print(f"aarch64: {len(checker.failures)} wrong result(s):\n" + "\n".join(f"  {f}" for f in checker.failures))
        return 1
    print("aarch64: NEON in use; scores, decisions, hashes, blur and veil bytes as on x86-64; stderr clean")
    return 0


def main(argv: List[str]) -> int:
    if len(argv) == 2 and argv[0] == "clip":
        make_clip(Path(argv[1]))
        return 0
    if len(argv) == 2 and argv[0] == "judge":
        return judge(Path(argv[1]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
