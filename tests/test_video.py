"""Video files: sampling, near-duplicate skipping, timestamps, verdicts, hashes, bad input.

Every video is written at test time by cv2.VideoWriter: 288 x 224 (squarer than 1.4:1, so
one model view a frame), 10 frames a second, a benign photo panning sideways, with the
synthetic sensitive fixture pasted over some frames.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Iterable, List, Sequence

import cv2
import numpy as np
import pytest

import nudeguard
import nudeguard.media.video
from conftest import FIXTURES
from nudeguard import Action, ImageError, Person, RunningMode, VideoClassification, VideoFingerprint
from nudeguard.detect.scanner import is_near_duplicate, luma_thumbnail
from nudeguard.media.animation import sample_indices
from nudeguard.media.pixels import Pixels
from nudeguard.media.source import video_container
from nudeguard.media.video import sample_interval_ms

WIDTH, HEIGHT, FPS, FRAMES = 288, 224, 10, 40
SENSITIVE = cv2.imread(str(FIXTURES / "synthetic_sensitive.png"))
PHOTO = cv2.resize(cv2.imread(str(FIXTURES / "benign" / "china.jpg")), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
# At 2 samples a second, a 40-frame video at 10 fps is checked at frames 0, 5, ..., 35 and 39.
SAMPLED = [0, 5, 10, 15, 20, 25, 30, 35, 39]

CODECS = [
    pytest.param(".mp4", "mp4v", id="mp4-mpeg4"),
    pytest.param(".mov", "mp4v", id="mov-mpeg4"),
    pytest.param(".avi", "MJPG", id="avi-mjpeg"),
    pytest.param(".webm", "VP80", id="webm-vp8"),
    pytest.param(".mkv", "VP80", id="mkv-vp8"),
]


def frame(i: int, sensitive: bool = False) -> np.ndarray:
    picture = np.roll(PHOTO, 6 * i, axis=1)
    if sensitive:
        picture = picture.copy()
        picture[12:212, 44:244] = cv2.resize(SENSITIVE, (200, 200), interpolation=cv2.INTER_AREA)
    return picture


def write_video(path: Path, frames: Iterable[np.ndarray], fourcc: str = "mp4v", fps: float = FPS) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (WIDTH, HEIGHT))
    if not writer.isOpened():
        pytest.skip(f"OpenCV {cv2.__version__} cannot write {fourcc} into {path.suffix}")
    for picture in frames:
        writer.write(picture)
    writer.release()
    return path


def clip(path: Path, sensitive: Sequence[int] = (), fourcc: str = "mp4v", count: int = FRAMES) -> Path:
    return write_video(path, (frame(i, i in sensitive) for i in range(count)), fourcc)


def ms(*indices: int) -> tuple:
    return tuple(round(i * 1000 / FPS) for i in indices)


@pytest.fixture(scope="module")
def benign_mp4(tmp_path_factory) -> Path:
    return clip(tmp_path_factory.mktemp("video") / "benign.mp4")


@pytest.fixture(scope="module")
def middle_mp4(tmp_path_factory) -> Path:
    return clip(tmp_path_factory.mktemp("video") / "middle.mp4", sensitive=range(14, 27))


# -- sampling and timestamps ----------------------------------------------------------------


def test_pasted_fixture_frames_score_as_sensitive_and_benign_frames_do_not(guard):
    assert guard.scan(frame(20, sensitive=True), color_order="BGR").sensitive
    assert not any(guard.scan(frame(i), color_order="BGR").sensitive for i in SAMPLED)


@pytest.mark.parametrize("ext, fourcc", CODECS)
def test_sensitive_frames_in_the_middle_are_caught_at_the_right_timestamps(guard, tmp_path, ext, fourcc):
    path = clip(tmp_path / f"middle{ext}", sensitive=range(14, 27), fourcc=fourcc)
    every = guard.check_video(path, stop_at_first_sensitive=False)
    assert every.sensitive and every.score > 0.99
    assert every.sensitive_timestamps_ms == ms(15, 20, 25)
    assert every.frame_count == FRAMES and every.duration_ms == 4000
    assert (every.width, every.height) == (WIDTH, HEIGHT)
    assert every.frames_checked + every.frames_skipped_as_duplicates == len(SAMPLED)
    first = guard.check_video(path)
    assert first.sensitive_timestamps_ms == ms(15)
    assert first.frames_checked + first.frames_skipped_as_duplicates == SAMPLED.index(15) + 1


@pytest.mark.parametrize("ext, fourcc", CODECS)
def test_benign_video_is_not_sensitive(guard, tmp_path, ext, fourcc):
    result = guard.check_video(clip(tmp_path / f"benign{ext}", fourcc=fourcc))
    assert not result.sensitive and result.sensitive_timestamps_ms == () and result.score < 0.5
    assert result.frames_checked == len(SAMPLED) and result.frames_skipped_as_duplicates == 0


def test_sensitive_last_frames_only_are_caught(guard, tmp_path):
    # Frames 36-39 fall after the last regular sample (35): the last frame is always checked.
    result = guard.check_video(clip(tmp_path / "end.mp4", sensitive=range(36, 40)))
    assert result.sensitive and result.sensitive_timestamps_ms == ms(39)


def test_one_sensitive_frame_is_caught_when_a_sample_falls_on_it(guard, tmp_path):
    on_sample = guard.check_video(clip(tmp_path / "on.mp4", sensitive=[20]))
    assert on_sample.sensitive and on_sample.sensitive_timestamps_ms == ms(20)


def test_one_sensitive_frame_between_samples_needs_a_higher_sample_rate(guard, tmp_path):
    # What sampling guarantees: a scene lasting one sampling interval (500 ms by default)
    # is caught; a single frame between samples is not. Sampling every frame catches it.
    path = clip(tmp_path / "between.mp4", sensitive=[22])
    assert not guard.check_video(path).sensitive
    with nudeguard.Guard(nudeguard.GuardOptions(video_sample_fps=FPS)) as every_frame:
        result = every_frame.check_video(path)
    assert result.sensitive and result.sensitive_timestamps_ms == ms(22)


def test_sample_interval_follows_the_rate_then_the_budget():
    assert sample_interval_ms(3900, 2.0, 120) == 500  # 8 samples and the last frame
    assert sample_interval_ms(59_000, 2.0, 120) == 500  # 118 samples and the last frame
    assert sample_interval_ms(60_000, 2.0, 120) == pytest.approx(60_000 / 119)  # now spread
    assert sample_interval_ms(3_600_000, 2.0, 120) == pytest.approx(3_600_000 / 119)
    assert sample_interval_ms(0, 2.0, 120) == 500  # a one-frame video


def test_frame_budget_spreads_samples_over_a_long_video(tmp_path):
    path = clip(tmp_path / "budget.mp4", sensitive=[39])
    with nudeguard.Guard(nudeguard.GuardOptions(max_video_frames=4)) as budget:
        result = budget.check_video(path, stop_at_first_sensitive=False)
    assert result.frames_checked + result.frames_skipped_as_duplicates == 4  # frames 0, 13, 26, 39
    assert result.sensitive_timestamps_ms == ms(39)


# -- near duplicates ------------------------------------------------------------------------


def test_still_video_is_classified_once_and_skipped_as_duplicates(guard, tmp_path):
    path = write_video(tmp_path / "still.mp4", [PHOTO] * FRAMES)
    result = guard.check_video(path)
    assert result.frames_checked == 1 and result.frames_skipped_as_duplicates == len(SAMPLED) - 1


def test_fixture_pasted_into_a_still_scene_is_not_a_duplicate(guard, tmp_path):
    pictures = [PHOTO] * FRAMES
    pasted = PHOTO.copy()
    pasted[32:192, 64:224] = cv2.resize(SENSITIVE, (160, 160), interpolation=cv2.INTER_AREA)
    pictures[25:30] = [pasted] * 5
    result = guard.check_video(write_video(tmp_path / "still_pasted.mp4", pictures), stop_at_first_sensitive=False)
    assert result.sensitive_timestamps_ms == ms(25)
    assert result.frames_checked == 3  # frame 0, the pasted frame 25, and frame 30 (the photo again)


def test_small_pasted_fixture_changes_the_thumbnail_beyond_the_duplicate_limit():
    pasted = PHOTO.copy()
    pasted[72:152, 104:184] = cv2.resize(SENSITIVE, (80, 80), interpolation=cv2.INTER_AREA)  # 1/10 of the frame
    plain = luma_thumbnail(Pixels(PHOTO, nudeguard._native.PixelFormat.BGR, "plain"))
    assert is_near_duplicate(plain, plain)
    assert not is_near_duplicate(luma_thumbnail(Pixels(pasted, nudeguard._native.PixelFormat.BGR, "pasted")), plain)


# -- inputs, verdicts, hashes ----------------------------------------------------------------


def test_bytes_and_file_objects_give_the_same_result_as_the_path(guard, middle_mp4):
    by_path = guard.check_video(middle_mp4)
    assert guard.check_video(middle_mp4.read_bytes()) == by_path
    assert guard.check_video(memoryview(middle_mp4.read_bytes())) == by_path
    with open(middle_mp4, "rb") as stream:
        assert guard.check_video(stream) == by_path
    assert guard.check_video(io.BytesIO(middle_mp4.read_bytes())) == by_path


def test_containers_are_recognised_by_their_first_bytes(tmp_path, middle_mp4):
    assert video_container(middle_mp4) == "MP4"
    assert video_container(middle_mp4.read_bytes()) == "MP4"
    assert video_container(clip(tmp_path / "a.webm", fourcc="VP80", count=3)) == "Matroska"
    assert video_container(clip(tmp_path / "a.avi", fourcc="MJPG", count=3)) == "AVI"
    assert video_container(FIXTURES / "benign" / "china.jpg") is None
    # HEIF/AVIF stills share the box layout; their brand marks them as images.
    assert video_container(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00") is None


def test_check_outgoing_asks_a_teen_to_confirm_a_sensitive_video(guard, middle_mp4, benign_mp4):
    teen = Person(age=15)
    verdict = guard.check_outgoing(middle_mp4, sender=teen)
    assert verdict.action is Action.CONFIRM and verdict.sensitive and verdict.score > 0.99
    assert verdict.warning is not None and verdict.error is None
    with open(middle_mp4, "rb") as stream:
        assert guard.check_outgoing(stream, sender=teen).action is Action.CONFIRM
    benign = guard.check_outgoing(benign_mp4.read_bytes(), sender=teen)
    assert benign.action is Action.ALLOW and not benign.sensitive


def test_check_incoming_veils_the_poster_frame_of_a_sensitive_video(guard, middle_mp4, benign_mp4):
    verdict = guard.check_incoming(middle_mp4.read_bytes(), recipient=Person(age=14), preview_size=160)
    assert verdict.action is Action.VEIL and verdict.sensitive
    assert verdict.veiled is not None and verdict.veiled.shape == (124, 160, 3)
    # The veil is of the first frame (the poster), blurred: close to the blurred photo.
    poster = nudeguard.veil(frame(0), 160)
    assert float(np.abs(verdict.veiled.astype(int) - poster.astype(int)).mean()) < 6
    assert guard.check_incoming(benign_mp4, recipient=Person(age=14)).action is Action.SHOW


def test_scan_of_a_video_is_its_best_frame(guard, middle_mp4):
    result = guard.scan(middle_mp4)
    assert result.sensitive and result.label == "nsfw"
    capture = cv2.VideoCapture(str(middle_mp4))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 15)
    ok, decoded = capture.read()
    capture.release()
    assert ok and result == guard.scan(decoded, color_order="BGR")  # the first sensitive sample


def test_video_fingerprint_hashes_one_frame_a_second(tmp_path, middle_mp4):
    fp = nudeguard.fingerprint(middle_mp4)
    assert isinstance(fp, VideoFingerprint)
    assert [f.timestamp_ms for f in fp.frames] == [0, 1000, 2000, 3000]
    data = middle_mp4.read_bytes()
    import hashlib

    assert fp.md5 == hashlib.md5(data).hexdigest() and fp.sha256 == hashlib.sha256(data).hexdigest()
    assert fp.size_bytes == len(data) and fp.duration_ms == 4000 and (fp.width, fp.height) == (WIDTH, HEIGHT)
    # Each frame hash is within a few bits of the PDQ of the frame that was encoded.
    for f, index in zip(fp.frames, (0, 10, 20, 30)):
        original = nudeguard.pdq_hash(frame(index, 14 <= index < 27), color_order="BGR")
        assert f.pdq_hash.distance(original) <= 24 and f.quality >= 50
    assert nudeguard.fingerprint(data) == fp


def test_hash_report_lists_video_frame_hashes_without_pixels(tmp_path, middle_mp4):
    report = json.loads(nudeguard.report_bundle([middle_mp4, FIXTURES / "benign" / "china.jpg"], note="n"))
    assert len(report["images"]) == 1 and len(report["videos"]) == 1
    video = report["videos"][0]
    assert video["name"] == "middle.mp4" and video["duration_ms"] == 4000
    assert [f["timestamp_ms"] for f in video["frames"]] == [0, 1000, 2000, 3000]
    assert all(len(f["pdq"]) == 64 for f in video["frames"])
    assert set(video) == {"frames", "md5", "sha256", "width", "height", "duration_ms", "size_bytes", "name",
                          "modified"}


# -- bad input -------------------------------------------------------------------------------


def truncated(path: Path, fraction: float) -> bytes:
    data = path.read_bytes()
    return data[: int(len(data) * fraction)]


@pytest.mark.parametrize("ext, fourcc", CODECS)
def test_truncated_video_gives_image_error(guard, tmp_path, ext, fourcc):
    data = truncated(clip(tmp_path / f"full{ext}", fourcc=fourcc), 0.6)
    cut = tmp_path / f"cut{ext}"
    cut.write_bytes(data)
    for video in (cut, data):
        with pytest.raises(ImageError, match="truncated|not a decodable video"):
            guard.check_video(video)


def test_truncated_video_is_confirmed_for_a_teen_and_allowed_for_an_adult(guard, benign_mp4):
    data = truncated(benign_mp4, 0.5)
    teen = guard.check_outgoing(data, sender=Person(age=15))
    assert teen.action is Action.CONFIRM and isinstance(teen.error, ImageError) and teen.score is None
    adult = guard.check_outgoing(data, sender=Person(age=30))
    assert adult.action is Action.ALLOW and isinstance(adult.error, ImageError)
    incoming = guard.check_incoming(data, recipient=Person(age=None))
    assert incoming.action is Action.VEIL and incoming.veiled is None


def test_non_video_renamed_mp4_gives_image_error(guard, tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all\n" * 100)
    with pytest.raises(ImageError):
        guard.check_video(text)
    fake_box = tmp_path / "fake.mp4"  # an MP4 signature followed by garbage
    fake_box.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(range(256)) * 40)
    with pytest.raises(ImageError, match="not a decodable video"):
        guard.check_video(fake_box)
    with pytest.raises(ImageError, match="no such file"):
        guard.check_video(tmp_path / "missing.mp4")


def test_frame_size_over_max_pixels_is_refused_before_decoding(benign_mp4):
    with nudeguard.Guard(nudeguard.GuardOptions(max_pixels=WIDTH * HEIGHT - 1)) as small:
        with pytest.raises(ImageError, match="max_pixels"):
            small.check_video(benign_mp4)


def test_video_options_are_validated():
    for bad in (dict(video_sample_fps=0), dict(video_sample_fps=float("nan")), dict(max_video_frames=1),
                dict(max_video_frames=True), dict(running_mode="video")):
        with pytest.raises(ValueError):
            nudeguard.Guard(nudeguard.GuardOptions(**bad))


# -- GIF through the image path ----------------------------------------------------------------


def gif(frames: List[np.ndarray]) -> bytes:
    anim = cv2.Animation()
    anim.frames = frames
    anim.durations = [100] * len(frames)
    ok, buf = cv2.imencodeanimation(".gif", anim, [cv2.IMWRITE_GIF_DITHER, 2])
    assert ok
    return buf.tobytes()


needs_gif_animation = pytest.mark.skipif(not hasattr(cv2, "imencodeanimation") or cv2.imdecode(
    np.frombuffer(b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
                  b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;", np.uint8), cv2.IMREAD_COLOR) is None,
    reason=f"OpenCV {cv2.__version__} has no GIF codec or animation API (needs 4.12+)")


@needs_gif_animation
def test_gif_with_one_sensitive_frame_in_the_middle(guard):
    data = gif([frame(i, sensitive=i == 10) for i in range(20)])
    result = guard.check_video(data)
    assert isinstance(result, VideoClassification)
    assert result.sensitive and result.sensitive_timestamps_ms == (1000,)
    assert result.frame_count == 20 and result.duration_ms == 2000
    # scan and the hooks sample animations as check_video does, so the single frame is not
    # lost to a sparse spread (8 frames spread evenly over 20 would skip frame 10).
    assert 10 not in sample_indices(20, 8)
    assert guard.scan(data).sensitive
    assert guard.check_outgoing(data, sender=Person(age=15)).action is Action.CONFIRM


@needs_gif_animation
def test_gif_with_a_background_index_past_its_palette_is_still_checked(guard):
    # Browsers and Pillow ignore such an index; OpenCV 5 refused the whole file, so a sender
    # could have made any GIF uncheckable by changing one header byte.
    from PIL import Image  # OpenCV writes 256-colour palettes, where every index is valid

    pictures = [Image.fromarray(cv2.cvtColor(frame(i, sensitive=i == 10), cv2.COLOR_BGR2RGB)).quantize(128)
                for i in range(20)]
    encoded = io.BytesIO()
    pictures[0].save(encoded, "GIF", save_all=True, append_images=pictures[1:], duration=100)
    data = bytearray(encoded.getvalue())
    assert data[10] & 0x80 and 2 << (data[10] & 7) == 128  # a global palette of 128 colours
    data[11] = 200
    result = guard.check_video(bytes(data))
    assert result.sensitive and result.sensitive_timestamps_ms == (1000,)
    assert guard.check_outgoing(bytes(data), sender=Person(age=15)).action is Action.CONFIRM
    assert nudeguard.fingerprint(bytes(data)).pdq == nudeguard.fingerprint(bytes(data[:11]) + b"\x00" + bytes(data[12:])).pdq


def test_wrong_mode_calls_name_the_method_to_use(benign_mp4):
    with nudeguard.Guard(nudeguard.GuardOptions(running_mode=RunningMode.VIDEO)) as video:
        with pytest.raises(ValueError, match=r"runs in VIDEO mode; call classify_for_video\(frame, timestamp_ms, "):
            video.check_video(benign_mp4)
        for call in (lambda: video.classify(PHOTO, color_order="BGR"), lambda: video.scan(benign_mp4),
                     lambda: video.check_outgoing(benign_mp4, sender=Person(age=15)),
                     lambda: video.classify_async(PHOTO, 0, color_order="BGR")):
            with pytest.raises(ValueError, match="classify_for_video"):
                call()


def test_far_apart_samples_are_reached_by_seeking_with_the_same_frames(guard, tmp_path, monkeypatch):
    path = clip(tmp_path / "seek.mp4", sensitive=range(24, 30))
    with nudeguard.Guard(nudeguard.GuardOptions(max_video_frames=4)) as budget:
        in_order = budget.check_video(path, stop_at_first_sensitive=False)  # samples 1300 ms apart
        monkeypatch.setattr(nudeguard.media.video, "SEEK_MIN_INTERVAL_MS", 1000.0)
        seeking = budget.check_video(path, stop_at_first_sensitive=False)
        assert seeking == in_order and seeking.sensitive_timestamps_ms == ms(26)
        with pytest.raises(ImageError, match="truncated"):
            budget.check_video(truncated(clip(tmp_path / "seek.avi", fourcc="MJPG"), 0.6))


def test_cli_check_prints_the_sensitive_timestamps_of_a_video(capsys, middle_mp4, benign_mp4):
    from nudeguard.cli import main
    from nudeguard.cli.contract import EXIT_FOUND

    assert main(["check", str(middle_mp4), str(benign_mp4)]) == EXIT_FOUND
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[2:] == ["nsfw", "SENSITIVE", "-", "1.500s,2.000s,2.500s"]
    assert lines[1].split("\t")[2:] == ["sfw", "ok", "-", "-"]
    main(["check", "--json", str(middle_mp4)])
    assert json.loads(capsys.readouterr().out)["sensitive_timestamps_ms"] == [1500, 2000, 2500]
    main(["hash", str(middle_mp4)])
    hashed = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [row[3] for row in hashed] == [f"{middle_mp4}#t={s}" for s in (0, 1, 2, 3)]
