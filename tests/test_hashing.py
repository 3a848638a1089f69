"""PDQ, fingerprints, hash lists and hash-only reports (nudeguard.hashing).

Bit-exactness is checked against the pdqhash package (Meta's C++ behind Python bindings)
on the same pixels; those tests skip, saying so, when pdqhash is not installed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

import nudeguard
from nudeguard import HashList, HashListError, _native
from nudeguard.cli import main as cli_main

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_IMAGES = sorted(FIXTURES.glob("benign/*.jpg")) + sorted(FIXTURES.glob("*.png"))
PDQ_ISAS = ["scalar"] + [i for i in ("avx2", "neon") if i in nudeguard.available_isas()]


def _pdqhash():
    return pytest.importorskip("pdqhash", reason="pdqhash (Meta's PDQ reference bindings) is not installed; "
                                                 "pip install pdqhash to check bit-exactness")


def reference_hash(rgb: np.ndarray):
    """pdqhash's hash of the pixels as given, as (32 bytes, quality)."""
    bits, quality = _pdqhash().compute(rgb)
    return np.packbits(bits.astype(np.uint8)).tobytes(), int(quality)


def pil_thumbnail(rgb: np.ndarray) -> np.ndarray:
    """PIL 6's Image.thumbnail((512, 512)): the short side truncated, PIL's bicubic filter
    along the rows, then down the columns (PIL's pass order then; today's PIL may start with
    the columns). The downscale of Meta's Python port, whose outputs are the published PDQ
    vectors (tests/test_pdq_vectors.py)."""
    from PIL import Image

    height, width = rgb.shape[:2]
    if width > 512:
        width, height = 512, int(max(height * 512 / width, 1))
    if height > 512:
        width, height = int(max(width * 512 / height, 1)), 512
    image = Image.fromarray(rgb).resize((width, rgb.shape[0]), Image.Resampling.BICUBIC)
    return np.ascontiguousarray(np.asarray(image.resize((width, height), Image.Resampling.BICUBIC)))


def photo_like(width: int, height: int, seed: int) -> np.ndarray:
    """RGB: a smooth random field upscaled (cubic) plus noise, like a photo's spectrum."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (max(2, height // 24), max(2, width // 24), 3), dtype=np.uint8)
    image = cv2.resize(base, (width, height), interpolation=cv2.INTER_CUBIC).astype(np.int16)
    image += rng.integers(-12, 13, image.shape, dtype=np.int16)
    return np.clip(image, 0, 255).astype(np.uint8)


def rgb_of(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


SIZES = [(64, 64), (5, 5), (5, 400), (100, 37), (129, 130), (333, 777), (512, 512), (513, 512),
         (640, 480), (1000, 1300), (2000, 1500)]


# ---------------------------------------------------------------------------------------
# Bit-exactness with the reference


@pytest.mark.parametrize("isa", PDQ_ISAS)
def test_pdq_is_bit_exact_with_pdqhash_on_fixtures(isa):
    for path in FIXTURE_IMAGES:
        rgb = rgb_of(path)
        got = _native.pdq_hash(rgb, _native.PixelFormat.RGB, reference_resize=False, isa=isa)
        assert got == reference_hash(rgb), path.name


@pytest.mark.parametrize("isa", PDQ_ISAS)
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_pdq_is_bit_exact_with_pdqhash_on_photo_like_images(isa, size):
    rgb = photo_like(*size, seed=size[0] * 7 + size[1])
    assert _native.pdq_hash(rgb, _native.PixelFormat.RGB, reference_resize=False, isa=isa) == reference_hash(rgb)


@pytest.mark.parametrize("size", [(1024, 200), (640, 480), (2000, 1500), (300, 1200)])
def test_default_pipeline_resizes_large_images_like_metas_reference_tools(size):
    rgb = photo_like(*size, seed=3)
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    got = nudeguard.pdq_hash(bgr, "BGR")
    expected, quality = reference_hash(pil_thumbnail(rgb))
    assert (got.hex, got.quality) == (expected.hex(), quality)
    # ... which is not the hash of the full-size pixels (that one is full_size=True).
    full = nudeguard.pdq_hash(bgr, "BGR", full_size=True)
    assert full.hex == reference_hash(rgb)[0].hex()


def test_images_up_to_512_pixels_hash_as_given_by_default():
    rgb = photo_like(512, 300, seed=4)
    assert nudeguard.pdq_hash(rgb, "RGB").hex == reference_hash(rgb)[0].hex()


def test_dihedral_hashes_are_bit_exact_with_pdqhash():
    pdqhash = _pdqhash()
    for path in FIXTURE_IMAGES[:5]:
        rgb = rgb_of(path)
        hashes = nudeguard.pdq_dihedral(rgb, "RGB", full_size=True)
        bits, quality = pdqhash.compute_dihedral(rgb)
        assert [h.hex for h in hashes] == [np.packbits(b.astype(np.uint8)).tobytes().hex() for b in bits]
        assert all(h.quality == quality for h in hashes)


def test_dihedral_variants_predict_the_hashes_of_rotated_and_flipped_images():
    rgb = rgb_of(FIXTURES / "benign" / "coffee.jpg")
    variants = dict(zip(nudeguard.hashing.DIHEDRAL_NAMES, nudeguard.pdq_dihedral(rgb, "RGB")))
    turned = {"rotate90": np.rot90(rgb, 1), "rotate180": np.rot90(rgb, 2), "rotate270": np.rot90(rgb, 3),
              "flipx": rgb[::-1], "flipy": rgb[:, ::-1], "flipplus1": rgb.transpose(1, 0, 2),
              "flipminus1": np.rot90(rgb, 2).transpose(1, 0, 2)}
    for name, image in turned.items():
        actual = nudeguard.pdq_hash(np.ascontiguousarray(image), "RGB")
        assert actual.distance(variants[name]) <= 31, name
        assert actual.distance(variants["original"]) > 31, name


def test_pdq_of_tiny_images_is_zero_with_quality_zero():
    h = nudeguard.pdq_hash(np.zeros((4, 100, 3), np.uint8), "RGB")
    assert (h.hex, h.quality) == ("0" * 64, 0)


def test_pdq_of_gray_and_four_channel_images_uses_the_luma_of_the_colour_channels():
    rgb = photo_like(200, 150, seed=5)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 7, np.uint8)])
    assert nudeguard.pdq_hash(rgba, "RGBA") == nudeguard.pdq_hash(rgb, "RGB")
    assert nudeguard.pdq_hash(np.ascontiguousarray(rgba[:, :, [2, 1, 0, 3]]), "BGRA") == nudeguard.pdq_hash(rgb, "RGB")
    gray = rgb[:, :, 1].copy()
    assert nudeguard.pdq_hash(gray).hex == reference_hash(np.dstack([gray] * 3))[0].hex()


@pytest.mark.parametrize("isa", PDQ_ISAS[1:] or ["scalar"])
def test_every_pdq_kernel_set_matches_the_scalar_reference(isa):
    rng = np.random.default_rng(11)
    for trial in range(20):
        w, h = int(rng.integers(5, 900)), int(rng.integers(5, 900))
        image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        for resize in (False, True):
            a = _native.pdq_hash(image, _native.PixelFormat.BGR, reference_resize=resize, dihedral=True, isa="scalar")
            b = _native.pdq_hash(image, _native.PixelFormat.BGR, reference_resize=resize, dihedral=True, isa=isa)
            assert a == b, (w, h, resize)


def test_fast_path_stays_within_distance_10_of_the_reference():
    distances = []
    for i, path in enumerate(FIXTURE_IMAGES[:6]):
        bgr = cv2.resize(cv2.imread(str(path)), (2400, 1800), interpolation=cv2.INTER_CUBIC)
        data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
        distances.append(nudeguard.pdq_hash(data).distance(nudeguard.pdq_hash(data, fast=True)))
    assert max(distances) <= 10, distances


# ---------------------------------------------------------------------------------------
# Fingerprints


def test_fingerprint_of_a_file_has_pdq_and_the_digests_of_its_exact_bytes():
    path = FIXTURES / "benign" / "chelsea.jpg"
    data = path.read_bytes()
    fp = nudeguard.fingerprint(path)
    assert fp.md5 == hashlib.md5(data).hexdigest()
    assert fp.sha256 == hashlib.sha256(data).hexdigest()
    assert (fp.width, fp.height, fp.size_bytes) == (451, 300, len(data))
    assert fp.pdq == nudeguard.pdq_hash(path).hex and 0 <= fp.quality <= 100
    assert nudeguard.fingerprint(data) == fp
    assert nudeguard.fingerprint(io.BytesIO(data)) == fp
    with pytest.raises(Exception):
        fp.pdq = "0" * 64  # frozen


def test_fingerprint_of_an_array_has_no_byte_digests():
    fp = nudeguard.fingerprint(photo_like(100, 80, seed=1), "RGB")
    assert fp.md5 is None and fp.sha256 is None and fp.size_bytes is None
    assert (fp.width, fp.height) == (100, 80)


def test_fingerprint_of_an_array_without_color_order_says_what_to_do():
    with pytest.raises(nudeguard.ImageError, match="color_order"):
        nudeguard.fingerprint(photo_like(100, 80, seed=1))


# ---------------------------------------------------------------------------------------
# Hash lists


def random_hex(rng) -> str:
    return rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex()


def flip_bits(hex_hash: str, n: int) -> str:
    value = int(hex_hash, 16)
    for bit in range(n):
        value ^= 1 << (bit * 7 % 256)
    return f"{value:064x}"


def test_hash_list_load_reads_ids_comments_and_metas_hasher_output(tmp_path):
    rng = np.random.default_rng(1)
    a, b, c, d = (random_hex(rng) for _ in range(4))
    path = tmp_path / "list.txt"
    path.write_text(f"# reported hashes\n{a}\n\n{b},case-17\n{c}\tcase 18\n{d},100,/data/x.jpg\n")
    hl = HashList.load(path)
    assert len(hl) == 4
    got = {m.hex: m.id for m in hl.match(a, max_distance=256)}
    assert got == {a: None, b: "case-17", c: "case 18", d: "/data/x.jpg"}


def test_hash_list_load_names_the_bad_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("0" * 64 + "\n" + "f" * 63 + "\n")
    with pytest.raises(HashListError, match=r"bad\.txt:2: a PDQ hash has 64 hex digits, got 63"):
        HashList.load(path)
    path.write_text("# ok\n" + "g" * 64 + ",id\n")
    with pytest.raises(HashListError, match=r"bad\.txt:2: not a hex string"):
        HashList.load(path)
    with pytest.raises(HashListError, match="no such file"):
        HashList.load(tmp_path / "missing.txt")


def test_hash_list_load_refuses_blanks_inside_a_hash(tmp_path):
    # Found by the fuzzer: bytes.fromhex skipped the tab, so 63 digits and a tab loaded as 31 bytes.
    path = tmp_path / "tabbed.txt"
    path.write_bytes(b"1212" * 10 + b"1f0f0f\t90\tc2121212121212,100,x\n")
    with pytest.raises(HashListError, match=r"tabbed\.txt:1: not a hex string: '\\x09' at column 47"):
        HashList.load(path)
    with pytest.raises(HashListError, match="not a hex string"):
        HashList.from_hashes(["ab " * 21 + "c"])


def test_hash_list_load_reads_windows_files_with_utf8_ids(tmp_path):
    rng = np.random.default_rng(4)
    a, b = random_hex(rng), random_hex(rng)
    path = tmp_path / "export.csv"
    text = f"# exported: r\u00e9sum\u00e9\r\n{a.upper()},100,  caf\u00e9 \u2014 1.jpg \r\n{b} a b c\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    hl = HashList.load(path)
    assert [(m.hex, m.id) for m in hl.match(a, max_distance=0)] == [(a, "caf\u00e9 \u2014 1.jpg")]
    assert hl.match(b, max_distance=0)[0].id == "a b c"


def test_hash_list_load_refuses_ids_that_are_not_utf8_but_not_comments(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("# r\u00e9sum\u00e9\n".encode("latin-1") + b"0" * 64 + b",caf\xe9\n")
    with pytest.raises(HashListError, match=r"latin1\.txt:2: the ID is not UTF-8 text"):
        HashList.load(path)
    path.write_bytes("# r\u00e9sum\u00e9\n".encode("latin-1") + b"0" * 64 + b",cafe\n")
    assert HashList.load(path).match("0" * 64, max_distance=0)[0].id == "cafe"


def test_hash_list_load_keeps_a_large_list_exact(tmp_path):
    rng = np.random.default_rng(5)
    hashes = rng.integers(0, 256, (200_000, 32), dtype=np.uint8)
    path = tmp_path / "large.txt"
    path.write_text("".join(f"{row.tobytes().hex()},{i},case-{i}\n" for i, row in enumerate(hashes)))
    hl = HashList.load(path)
    assert len(hl) == 200_000 and np.array_equal(hl.hashes, hashes)
    match = hl.match(hashes[123_456].tobytes().hex(), max_distance=0)
    assert [(m.index, m.id) for m in match] == [(123_456, "case-123456")]


def test_match_returns_entries_within_the_distance_nearest_first():
    rng = np.random.default_rng(2)
    query = random_hex(rng)
    entries = [(random_hex(rng), f"r{i}") for i in range(500)]
    entries[100] = (flip_bits(query, 20), "near20")
    entries[300] = (flip_bits(query, 3), "near3")
    entries[400] = (flip_bits(query, 40), "near40")
    hl = HashList.from_hashes(entries)
    matches = hl.match(query)
    assert [(m.id, m.distance, m.index) for m in matches] == [("near3", 3, 300), ("near20", 20, 100)]
    assert [m.id for m in hl.match(query, max_distance=45)] == ["near3", "near20", "near40"]
    assert hl.match(query, max_distance=2) == []


def test_match_skips_queries_of_low_quality_unless_told_otherwise():
    rng = np.random.default_rng(3)
    h = random_hex(rng)
    hl = HashList.from_hashes([h])
    assert hl.match(nudeguard.PdqHash(h, 49)) == []
    assert len(hl.match(nudeguard.PdqHash(h, 49), min_quality=40)) == 1
    assert len(hl.match(nudeguard.PdqHash(h, 50))) == 1
    assert hl.match(h, quality=10) == []
    assert len(hl.match(h)) == 1  # bare hex: quality unknown, not filtered


def test_match_with_dihedral_query_finds_a_mirrored_copy():
    rgb = rgb_of(FIXTURES / "benign" / "rocket.jpg")
    listed = nudeguard.pdq_hash(np.ascontiguousarray(rgb[:, ::-1]), "RGB")
    hl = HashList.from_hashes([(listed.hex, "mirrored")])
    query = nudeguard.pdq_dihedral(rgb, "RGB")
    assert hl.match(query[0]) == []
    (m,) = hl.match(query)
    assert m.id == "mirrored" and m.transform == "flipy" and m.distance <= 31


@pytest.mark.parametrize("isa", PDQ_ISAS)
def test_native_scan_matches_a_numpy_brute_force(isa):
    rng = np.random.default_rng(4)
    n = 10_003
    hashes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    query = rng.integers(0, 256, 32, dtype=np.uint8)
    near = rng.choice(n, 50, replace=False)
    hashes[near] = query ^ (rng.random((50, 32)) < 0.05).astype(np.uint8) * rng.integers(1, 256, (50, 32), dtype=np.uint8)
    brute = np.unpackbits(hashes ^ query, axis=1).sum(axis=1)
    for max_distance in (0, 31, 100, 128, 256):
        idx, dist = _native.pdq_match(hashes, query.tobytes(), max_distance, isa=isa)
        expected = np.flatnonzero(brute <= max_distance)
        assert idx.tolist() == expected.tolist()
        assert dist.tolist() == brute[expected].tolist()


def test_scan_rejects_bad_arguments():
    with pytest.raises(ValueError, match="max_distance"):
        HashList.from_hashes(["0" * 64]).match("0" * 64, max_distance=257)
    with pytest.raises(ValueError, match=r"shape \(n, 32\)"):
        _native.pdq_match(np.zeros((3, 31), np.uint8), bytes(32), 31)
    with pytest.raises(ValueError, match="32 bytes"):
        _native.pdq_match(np.zeros((3, 32), np.uint8), bytes(31), 31)


# ---------------------------------------------------------------------------------------
# Hash-only reports


def _chunks_of(data: bytes, size: int = 24):
    """Encodings a careless report could carry the data in: hex, base64, latin-1 text."""
    for start in range(0, max(1, len(data) - size), max(1, len(data) // 64)):
        chunk = data[start:start + size]
        yield chunk.hex()
        yield base64.b64encode(chunk).decode()[:24]


def test_report_bundle_has_hashes_sizes_and_timestamps_but_no_pixels_or_file_bytes(tmp_path):
    paths = [FIXTURES / "benign" / "gravel.jpg", FIXTURES / "synthetic_sensitive.png"]
    out = tmp_path / "report.json"
    text = nudeguard.report_bundle(paths, note="reported by the user", path=out)
    assert out.read_text(encoding="utf-8").strip() == text.strip()
    report = json.loads(text)
    assert report["note"] == "reported by the user"
    assert report["created"].endswith("Z")
    items = report["images"]
    assert [i["sha256"] for i in items] == [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]
    allowed = {"pdq", "pdq_quality", "md5", "sha256", "width", "height", "size_bytes", "name", "modified"}
    assert all(set(i) <= allowed for i in items)
    for p in paths:
        data = p.read_bytes()
        pixels = cv2.imread(str(p)).tobytes()
        for needle in list(_chunks_of(data)) + list(_chunks_of(pixels)):
            assert needle not in text, f"content of {p.name} leaked into the report"
    assert len(text) < 4000  # hashes only: no room for an image


def test_report_bundle_can_leave_out_file_names():
    text = nudeguard.report_bundle([FIXTURES / "benign" / "gravel.jpg"], include_names=False)
    assert "gravel" not in text


def test_cli_hash_prints_hashes_and_a_json_report(capsys):
    path = str(FIXTURES / "benign" / "camera.jpg")
    assert cli_main(["hash", path]) == 0
    pdq, quality, md5, name = capsys.readouterr().out.strip().split("\t")
    fp = nudeguard.fingerprint(path)
    assert (pdq, int(quality), md5, name) == (fp.pdq, fp.quality, fp.md5, path)
    assert cli_main(["hash", "--json", "--note", "n", path]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["images"][0]["pdq"] == fp.pdq and report["note"] == "n"


def test_cli_hash_reports_unreadable_files_and_exits_2(capsys, tmp_path):
    good = str(FIXTURES / "benign" / "camera.jpg")
    assert cli_main(["hash", good, str(tmp_path / "nope.jpg")]) == 2
    captured = capsys.readouterr()
    assert "nope.jpg: no such file" in captured.err
    assert captured.out.count("\n") == 1


def test_cli_match_finds_rotated_copies_and_video_seconds_in_a_list_written_by_hash(capsys, tmp_path):
    camera, gravel = FIXTURES / "benign" / "camera.jpg", FIXTURES / "benign" / "gravel.jpg"
    listing = tmp_path / "reported.tsv"
    assert cli_main(["hash", str(camera), str(FIXTURES / "benign" / "coffee.jpg")]) == 0
    listing.write_text(capsys.readouterr().out)  # `hash` output is a list: HEX<tab>QUALITY<tab>md5<tab>path
    pixels = cv2.imread(str(camera))
    turned = tmp_path / "turned.jpg"
    cv2.imwrite(str(turned), cv2.rotate(pixels, cv2.ROTATE_90_CLOCKWISE), [cv2.IMWRITE_JPEG_QUALITY, 70])
    clip = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10, (pixels.shape[1], pixels.shape[0]))
    for i in range(25):  # 2.5 s: gravel, then the camera photo from 1.0 s on
        writer.write(pixels if i >= 10 else cv2.resize(cv2.imread(str(gravel)), pixels.shape[1::-1]))
    writer.release()

    assert cli_main(["match", str(listing), str(turned), str(gravel), str(clip)]) == 1
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    expected_id = f"{hashlib.md5(camera.read_bytes()).hexdigest()}\t{camera}"
    assert rows[0][0] == str(turned) and rows[0][2] == "rotate90" and int(rows[0][1]) <= 31
    assert "\t".join(rows[0][4:]) == expected_id
    assert [row[0] for row in rows[1:]] == [f"{clip}#t=1", f"{clip}#t=2"]  # seconds 0 is gravel
    assert all(int(row[1]) <= 31 for row in rows[1:])

    assert cli_main(["match", "--no-rotations", "--json", str(listing), str(turned), str(camera)]) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]  # one per file
    found = [(r["path"], m["distance"], m["transform"]) for r in records for m in r["matches"]]
    assert found == [(str(camera), 0, "original")]
    assert cli_main(["match", str(listing), str(gravel)]) == 0
    assert capsys.readouterr().out == ""


def test_cli_match_reports_unreadable_lists_and_flat_images(capsys, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("not a hash\n")
    assert cli_main(["match", str(bad), str(FIXTURES / "benign" / "camera.jpg")]) == 2
    assert "bad.txt:1: a PDQ hash has 64 hex digits, got 3" in capsys.readouterr().err
    listing = tmp_path / "list.txt"
    listing.write_text("0" * 64 + "\n")
    flat = tmp_path / "flat.png"
    cv2.imwrite(str(flat), np.full((64, 64, 3), 128, np.uint8))
    assert cli_main(["match", str(listing), str(flat), str(tmp_path / "missing.jpg")]) == 2
    err = capsys.readouterr().err
    assert "flat.png: PDQ quality 0 < 50, too flat to match" in err and "missing.jpg: no such file" in err


_FORCED_WORKER = """
import json, numpy as np, nudeguard
rng = np.random.default_rng(5)
out = [nudeguard.isa()]
for w, h in [(7, 9), (333, 250), (900, 700)]:
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    out += [nudeguard.pdq_hash(image, "BGR").hex, [v.hex for v in nudeguard.pdq_dihedral(image, "RGB", full_size=True)]]
hl = nudeguard.HashList(rng.integers(0, 256, (999, 32), dtype=np.uint8))
out.append([(m.index, m.distance) for m in hl.match(bytes(32), max_distance=120)])
print(json.dumps(out))
"""


@pytest.mark.parametrize("isa", [i for i in nudeguard.available_isas() if i != "scalar"] or ["scalar"])
def test_pdq_under_every_forced_isa_matches_the_scalar_reference(isa):
    """The library-wide choice (NUDEGUARD_FORCE_ISA) picks the PDQ set too (sse41: scalar's)."""
    import os
    import subprocess
    import sys

    def run(name):
        env = dict(os.environ, NUDEGUARD_FORCE_ISA=name)
        done = subprocess.run([sys.executable, "-c", _FORCED_WORKER], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    want, got = run("scalar"), run(isa)
    assert (want.pop(0), got.pop(0)) == ("scalar", isa)
    assert got == want
