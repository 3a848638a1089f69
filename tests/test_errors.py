"""Bad input gives a typed error that names the input, never a crash."""

from __future__ import annotations

import io

import numpy as np
import pytest

import nudeguard


def test_classify_fails_with_missing_file(guard, tmp_path):
    missing = tmp_path / "nope.jpg"
    with pytest.raises(nudeguard.ImageError, match="nope.jpg: no such file"):
        guard.classify(missing)


def test_classify_fails_with_empty_file(guard, tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(nudeguard.ImageError, match=r"empty\.jpg: empty input"):
        guard.classify(str(empty))


def test_classify_fails_with_random_bytes(guard, tmp_path):
    noise = tmp_path / "noise.png"
    noise.write_bytes(np.random.default_rng(7).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(nudeguard.ImageError, match=r"noise\.png: not a decodable image"):
        guard.classify(noise)


def test_classify_fails_with_text_file(guard, tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("this is not a picture\n" * 20)
    with pytest.raises(nudeguard.ImageError, match=r"notes\.jpg"):
        guard.classify(text)


def test_classify_fails_with_directory(guard, tmp_path):
    with pytest.raises(nudeguard.ImageError, match="is a directory"):
        guard.classify(tmp_path)


def test_classify_fails_with_empty_bytes_naming_them(guard):
    with pytest.raises(nudeguard.ImageError, match="<0 bytes>: empty input"):
        guard.classify(b"")


def test_classify_fails_with_text_mode_file_object(guard, tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("x")
    with open(path) as text_stream, pytest.raises(nudeguard.ImageError, match="binary mode"):
        guard.classify(text_stream)


def test_classify_fails_with_unsupported_type(guard):
    with pytest.raises(nudeguard.ImageError, match="unsupported input type int"):
        guard.classify(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("array", "order", "message"),
    [
        (np.zeros((8, 8, 3), np.float32), "RGB", "must be uint8, got float32"),
        (np.full((8, 8, 3), np.nan), "RGB", "must be uint8, got float64"),
        (np.zeros((8, 8, 3), np.uint8), None, "color_order='RGB'"),
        (np.zeros((8, 8, 3), np.uint8), "XYZ", "unknown color_order"),
        (np.zeros((8, 8, 4), np.uint8), "RGB", "needs 3 channels, got 4"),
        (np.zeros((8, 8, 3, 1), np.uint8), "RGB", "4 dimensions"),
        (np.zeros((0, 8, 3), np.uint8), "RGB", "no pixels"),
        (np.zeros((8, 8), np.uint8), "RGB", "grayscale"),
    ],
)
def test_classify_fails_with_bad_array(guard, array, order, message):
    with pytest.raises(nudeguard.ImageError, match=message):
        guard.classify(array, color_order=order)


def test_color_order_is_refused_for_encoded_input(guard):
    with pytest.raises(nudeguard.ImageError, match="numpy arrays only"):
        guard.classify(b"\xff\xd8", color_order="RGB")


def test_errors_share_one_base_class():
    assert issubclass(nudeguard.ImageError, nudeguard.NudeguardError)
    assert issubclass(nudeguard.ModelError, nudeguard.NudeguardError)
    assert issubclass(nudeguard.ImageError, ValueError)


def test_file_object_input_matches_path_input(guard):
    from conftest import benign_photos

    photo = benign_photos()[0]
    with open(photo, "rb") as stream:
        from_stream = guard.classify(stream)
    assert from_stream == guard.classify(photo)
    assert guard.classify(io.BytesIO(photo.read_bytes())) == from_stream
