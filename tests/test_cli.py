"""The ``nudeguard`` command: one contract for every subcommand (output shape, exit status,
wording of bad values), as ``nudeguard --help`` and the README state it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import nudeguard
from conftest import REPO, benign_photos, synthetic_sensitive
from nudeguard.cli.contract import CONTRACT, EXIT_BAD_INPUT, EXIT_FOUND, EXIT_OK
from nudeguard.cli import main

CHECK_KEYS = ["path", "score", "label", "sensitive", "action", "sensitive_timestamps_ms", "error"]
SUBCOMMANDS = ["check", "blur", "veil", "hash", "match", "bench", "message", "conversation", "info"]


def run_cli(*args: str, module: str = "nudeguard") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=120, check=False
    )


def usage_error(capsys, *argv: str) -> str:
    """The stderr of a command argparse refuses (exit 2)."""
    with pytest.raises(SystemExit) as stopped:
        main(list(argv))
    assert stopped.value.code == EXIT_BAD_INPUT
    return capsys.readouterr().err


def truncated_mp4(folder: Path) -> Path:
    path = folder / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    for i in range(20):
        writer.write(np.full((48, 64, 3), 10 * i, np.uint8))
    writer.release()
    cut = folder / "cut.mp4"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # the index ("moov") is at the end
    return cut


# -- check ------------------------------------------------------------------------------------


def test_check_prints_six_columns_per_file_and_exits_one_when_any_is_sensitive():
    paths = [str(benign_photos()[0]), str(synthetic_sensitive()[0])]
    result = run_cli("check", *paths)
    assert result.returncode == EXIT_FOUND, result.stderr
    assert result.stderr == ""  # no progress counter when stderr is not a terminal, nothing native
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [(row[0], row[2], row[3], row[4], row[5]) for row in rows] == [
        (paths[0], "sfw", "ok", "-", "-"), (paths[1], "nsfw", "SENSITIVE", "-", "-")]
    assert all(len(row) == 6 and re.fullmatch(r"\d\.\d{4}", row[1]) for row in rows)


def test_check_json_has_the_same_keys_for_every_file_errors_included(capsys, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    paths = [str(benign_photos()[0]), str(broken), str(tmp_path / "gone.jpg"), str(truncated_mp4(tmp_path))]
    assert main(["check", "--json", *paths]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [list(record) for record in records] == [CHECK_KEYS] * 4
    assert [record["path"] for record in records] == paths
    assert records[0]["error"] is None and records[0]["sensitive"] is False and records[0]["action"] is None
    for record in records[1:]:
        assert record["error"] and record["score"] is None and record["sensitive"] is None
    assert len(captured.err.splitlines()) == 3 and "gone.jpg: no such file" in captured.err


def test_check_json_matches_the_python_api(guard):
    photo = benign_photos()[0]
    result = run_cli("check", "--json", str(photo))
    assert result.returncode == EXIT_OK, result.stderr
    record = json.loads(result.stdout)
    expected = guard.scan(photo)
    assert record["path"] == str(photo)
    assert abs(record["score"] - expected.score) < 1e-6
    assert record["label"] == expected.label
    assert record["sensitive"] is expected.sensitive


def test_check_exits_two_naming_the_bad_file_and_its_formats_and_still_checks_the_rest(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    good = str(benign_photos()[0])
    result = run_cli("check", str(bad), good)
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr.splitlines() == [
        f"nudeguard: error: {bad}: not a decodable image or video "
        "(images: JPEG, PNG, WebP, BMP, TIFF, GIF; videos: MP4, MOV, 3GP, WebM, MKV, AVI)"]
    assert result.stdout.splitlines()[0] == f"{bad}\t-\t-\terror\t-\t-"
    assert result.stdout.splitlines()[1].startswith(good)


def test_check_of_a_damaged_video_prints_one_error_line_and_nothing_from_ffmpeg(tmp_path):
    cut = truncated_mp4(tmp_path)
    result = run_cli("check", str(cut))
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr.splitlines() == [f"nudeguard: error: {cut}: not a decodable video "
                                          "(truncated, damaged, or a codec FFmpeg lacks)"]


def test_check_exits_two_on_missing_file(capsys, tmp_path):
    assert main(["check", str(tmp_path / "gone.png")]) == EXIT_BAD_INPUT
    assert "gone.png: no such file" in capsys.readouterr().err


def test_readme_sample_image_is_benign(capsys):
    assert main(["check", str(REPO / "examples" / "sample.jpg")]) == EXIT_OK
    assert capsys.readouterr().out.rstrip().endswith("\tsfw\tok\t-\t-")


def test_check_exits_zero_when_nothing_is_sensitive(capsys):
    assert main(["check", *map(str, benign_photos()[:3])]) == EXIT_OK
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_check_error_status_wins_over_sensitive(capsys, tmp_path):
    assert main(["check", str(synthetic_sensitive()[0]), str(tmp_path / "gone.png")]) == EXIT_BAD_INPUT
    assert capsys.readouterr().out.splitlines()[0].split("\t")[3] == "SENSITIVE"


def test_check_with_age_gives_the_outgoing_action_in_the_fifth_column(capsys):
    benign, sensitive = str(benign_photos()[0]), str(synthetic_sensitive()[0])
    assert main(["check", "--age", "15", benign, sensitive]) == EXIT_FOUND
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [(row[0], row[3], row[4], row[5]) for row in rows] == [
        (benign, "ok", "ALLOW", "-"), (sensitive, "SENSITIVE", "CONFIRM", "-")]
    assert main(["check", "--age", "30", "--json", sensitive]) == EXIT_FOUND
    assert json.loads(capsys.readouterr().out)["action"] == "ALLOW"
    main(["check", "--age", "30", "--opted-in", "--json", sensitive])
    assert json.loads(capsys.readouterr().out)["action"] == "CONFIRM"


def test_check_with_age_fails_closed_on_unreadable_files(capsys, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not an image")
    assert main(["check", "--age", "13", str(bad)]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [f"{bad}\t-\t-\terror\tCONFIRM\t-"]
    assert "broken.jpg: not a decodable image" in captured.err


def test_opted_in_without_an_adult_age_is_refused(capsys):
    for extra in ([], ["--age", "15"]):
        assert main(["check", "--opted-in", *extra, str(benign_photos()[0])]) == EXIT_BAD_INPUT
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == "nudeguard: error: --opted-in is an adult's choice: give --age 18 or more with it\n"


def test_check_shows_progress_on_a_terminal_stderr():
    import os
    import pty

    leader, follower = pty.openpty()
    try:
        paths = [str(p) for p in benign_photos()[:3]]
        result = subprocess.run([sys.executable, "-m", "nudeguard", "check", *paths], stdout=subprocess.PIPE,
                                stderr=follower, text=True, timeout=120, check=False)
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    progress = b"".join(chunks).decode()
    assert result.returncode == EXIT_OK
    assert "\rnudeguard: checked 1/3" in progress and "checked 2/3" in progress
    assert len(result.stdout.splitlines()) == 3


# -- bad values -------------------------------------------------------------------------------


@pytest.mark.parametrize("argv, wording", [
    (["check", "--age", "-3", "x.jpg"], "argument --age: expected an age in whole years from 0 to 130, got '-3'"),
    (["check", "--age", "300", "x.jpg"], "argument --age: expected an age in whole years from 0 to 130, got '300'"),
    (["check", "--age", "ten", "x.jpg"], "argument --age: expected an age in whole years from 0 to 130, got 'ten'"),
    (["check", "--threshold", "3", "x.jpg"],
     "argument --threshold: expected a probability, a number in (0, 1], got '3'"),
    (["check", "--threads", "0", "x.jpg"], "argument --threads: expected a whole number of at least 1, got '0'"),
    (["veil", "--size", "0", "in.jpg", "out.png"], "argument --size: expected a whole number of at least 1, got '0'"),
    (["blur", "--sigma", "-1", "in.jpg", "out.png"], "argument --sigma: expected a standard deviation in pixels"),
    (["match", "--max-distance", "300", "l.txt", "x.jpg"], "argument --max-distance: expected a number of bits"),
    (["message", "--age", "-3", "hi"], "argument --age: expected an age in whole years from 0 to 130, got '-3'"),
    (["conversation", "--age", "200", "c.jsonl"], "argument --age: expected an age in whole years"),
    (["message", "--locale", "nl", "hi"], "argument --locale: no notices in 'nl'; languages: de, en, es, fr, it, pt"),
    (["conversation", "--locale", "xx-YY", "c.jsonl"], "argument --locale: no notices in 'xx-YY'"),
])
def test_bad_values_are_refused_in_user_facing_words(capsys, argv, wording):
    err = usage_error(capsys, *argv)
    assert wording in err
    assert "Person" not in err and "None" not in err and "Traceback" not in err


def test_a_locale_with_a_country_is_accepted(capsys):
    assert main(["message", "--locale", "de-AT", "--json", "Zahl 200 Euro oder ich schicke deine Nacktbilder "
                 "an alle"]) == EXIT_FOUND
    assert json.loads(capsys.readouterr().out)["notice"]["locale"].startswith("de")


# -- messages ---------------------------------------------------------------------------------


def test_message_exits_one_when_a_client_would_show_the_notice(capsys):
    assert main(["message", "I have your nudes. Pay me $500 or I send them to all your followers"]) == EXIT_FOUND
    assert capsys.readouterr().out.startswith("URGENT")
    assert main(["message", "--json", "see you at practice tomorrow"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["level"] == "NONE"


def test_conversation_names_the_sender_at_risk_not_the_one_who_wrote_last(capsys, tmp_path):
    conversation = tmp_path / "c.jsonl"
    conversation.write_text("\n".join(json.dumps(m) for m in [
        {"sender": "alex", "text": "send me a pic of you in your pyjamas", "time": 1},
        {"sender": "alex", "text": "I have your nudes. Pay $500 or everyone at your school sees them", "time": 2},
        {"sender": "mia", "text": "no", "time": 3}]) + "\n")
    assert main(["conversation", "--user", "mia", "--age", "15", str(conversation)]) == EXIT_FOUND
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [row[0] for row in rows] == ["1", "2", "3"] and all(len(row) == 4 for row in rows)
    assert rows[2][1] == "URGENT" and rows[2][2] == "alex"  # mia only said "no"
    calm = tmp_path / "calm.jsonl"
    calm.write_text(json.dumps({"sender": "sam", "text": "lunch at 12?"}) + "\n")
    assert main(["conversation", str(calm)]) == EXIT_OK
    assert capsys.readouterr().out == "1\tNONE\t-\t-\n"


# -- hashes -----------------------------------------------------------------------------------


def test_match_json_is_one_record_per_file_with_the_id_fields_apart(capsys, tmp_path):
    camera, other = (REPO / "tests" / "fixtures" / "benign" / name for name in ("camera.jpg", "rocket.jpg"))
    listing = tmp_path / "reported.tsv"
    assert main(["hash", str(camera)]) == EXIT_OK
    listing.write_text(capsys.readouterr().out)  # HEX, quality, MD5, path: the ID is "MD5<tab>path"
    missing = tmp_path / "gone.jpg"
    assert main(["match", "--json", str(listing), str(camera), str(other), str(missing)]) == EXIT_BAD_INPUT
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [list(record) for record in records] == [["path", "matches", "error"]] * 3
    found = records[0]["matches"][0]
    assert list(found) == ["timestamp_ms", "distance", "transform", "hash", "index", "id"]
    assert found["distance"] == 0 and found["timestamp_ms"] is None
    assert found["id"] == [nudeguard.fingerprint(camera).md5, str(camera)]
    assert records[1]["matches"] == [] and records[1]["error"] is None
    assert records[2]["matches"] == [] and "no such file" in records[2]["error"]
    assert main(["match", str(listing), str(camera)]) == EXIT_FOUND
    assert capsys.readouterr().out.split("\t")[-2:] == [nudeguard.fingerprint(camera).md5, f"{camera}\n"]


def test_match_refuses_an_empty_list(capsys, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("# reported images\n\n")
    assert main(["match", str(empty), str(benign_photos()[0])]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == (f"nudeguard: error: {empty}: the list holds no hashes "
                                       "(one a line: HEX, HEX,ID or HEX,QUALITY,ID)\n")


# -- the contract itself ----------------------------------------------------------------------


def test_version_and_python_m_run_the_same_command():
    assert run_cli("--version").stdout == f"nudeguard {nudeguard.__version__}\n"
    via_module = run_cli("--help", module="nudeguard")
    assert via_module.returncode == EXIT_OK
    assert via_module.stdout == run_cli("--help").stdout
    assert via_module.stdout.startswith("usage: nudeguard ")


def test_help_states_the_contract_and_every_subcommand_its_exit_status(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    top = capsys.readouterr().out
    assert CONTRACT.splitlines()[2] in top and "2 wins" in top
    for command in SUBCOMMANDS:
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "Exit 0" in " ".join(capsys.readouterr().out.split()), command


def test_the_readme_shows_the_contract_table():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = [line for line in CONTRACT.splitlines() if line.startswith("  ")]
    assert len(table) >= 10
    assert all(line in readme for line in table)


def test_info_names_version_isa_runtime_and_model():
    result = run_cli("info", module="nudeguard")
    assert result.returncode == EXIT_OK
    assert f"nudeguard {nudeguard.__version__}" in result.stdout
    assert f"isa        {nudeguard.isa()}" in result.stdout
    assert "runtime    " in result.stdout and "unavailable" not in result.stdout
    assert "model      " in result.stdout


def test_veil_writes_a_veiled_copy(tmp_path):
    source = synthetic_sensitive()[0]
    out = tmp_path / "veiled.png"
    assert main(["veil", str(source), str(out)]) == EXIT_OK
    assert np.array_equal(cv2.imread(str(out)), nudeguard.veil(cv2.imread(str(source))))
    small = tmp_path / "small.jpg"
    assert main(["veil", str(source), str(small), "--size", "64"]) == EXIT_OK
    assert cv2.imread(str(small)).shape == (64, 64, 3)
    assert main(["veil", str(tmp_path / "gone.png"), str(out)]) == EXIT_BAD_INPUT


def test_bench_counts_one_view_in_the_singular_and_prints_nothing_on_stderr():
    result = run_cli("bench", "--seconds", "0.5", "--shape", "camera")
    assert result.returncode == EXIT_OK and result.stderr == ""
    assert "check_incoming (1 view)" in result.stdout
