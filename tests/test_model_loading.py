"""Model files, cards and interpreter runtimes fail loudly and precisely."""

from __future__ import annotations

import json
import re
import shutil

import pytest

import nudeguard
from conftest import benign_photos
from nudeguard.detect.runtime import load_runtime
from nudeguard.detect.model import BUNDLED_MODEL, file_sha256, load_card
from nudeguard.detect.windows import WindowGeometry


def load_failure(model_path) -> str:
    """The guard is still created (it fails closed); its model_error is what classify raises."""
    with nudeguard.Guard.create_from_model_path(model_path) as guard:
        error = guard.model_error
        assert isinstance(error, nudeguard.ModelError)
        with pytest.raises(nudeguard.ModelError) as raised:
            guard.classify(benign_photos()[0])
        assert raised.value is error
        return str(error)


@pytest.fixture()
def model_copy(tmp_path):
    model = tmp_path / "copy.tflite"
    shutil.copy(BUNDLED_MODEL, model)
    shutil.copy(BUNDLED_MODEL.with_suffix(".json"), model.with_suffix(".json"))
    return model


def test_bundled_card_describes_the_bundled_model():
    card = load_card(BUNDLED_MODEL)
    assert card.input_size == (224, 224)  # the window
    assert WindowGeometry.from_card(card.raw, BUNDLED_MODEL) == WindowGeometry(window=224, stride=32, short_side=256)
    assert card.color_order == "RGB"
    assert card.labels[card.sensitive_index] == "nsfw"
    assert card.output_kind == "logits"
    assert 0.0 < card.threshold < 1.0


def test_missing_model_file_is_reported_as_model_error(tmp_path):
    assert "model file not found" in load_failure(tmp_path / "none.tflite")


def test_model_without_card_is_refused(model_copy):
    model_copy.with_suffix(".json").unlink()
    assert "model card not found" in load_failure(model_copy)


def test_damaged_model_is_detected_by_its_sha256(model_copy):
    data = bytearray(model_copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model_copy.write_bytes(bytes(data))
    assert "does not match its card" in load_failure(model_copy)


def test_card_without_checksum_is_refused(model_copy):
    card_path = model_copy.with_suffix(".json")
    card = json.loads(card_path.read_text())
    del card["sha256"]
    card_path.write_text(json.dumps(card))
    assert "lacks the model's sha256" in load_failure(model_copy)


def test_truncated_model_pinned_in_its_card_fails_to_load(model_copy):
    if load_runtime().name == "tflite-runtime":
        pytest.skip("tflite-runtime 2.14 crashes on truncated flatbuffers; the sha256 pin keeps them out")
    model_copy.write_bytes(model_copy.read_bytes()[:1000])
    card_path = model_copy.with_suffix(".json")
    card = json.loads(card_path.read_text())
    card["sha256"] = file_sha256(model_copy)
    card_path.write_text(json.dumps(card))
    assert "cannot load the model" in load_failure(model_copy)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c["output"].update(sensitive_label="porn"), "is not one of"),
        (lambda c: c.update(threshold=1.5), "threshold must lie in"),
        (lambda c: c["input"].update(color_order="YUV"), "RGB or BGR"),
        (lambda c: c["input"].update(resize=[100, 100]), "smaller than input.size"),
        (lambda c: c.pop("output"), "lacks or mistypes 'output'"),
    ],
)
def test_inconsistent_card_is_refused(model_copy, edit, message):
    card_path = model_copy.with_suffix(".json")
    card = json.loads(card_path.read_text())
    edit(card)
    card_path.write_text(json.dumps(card))
    assert re.search(message, load_failure(model_copy))


def test_card_whose_size_disagrees_with_the_tensor_is_refused(model_copy):
    card_path = model_copy.with_suffix(".json")
    card = json.loads(card_path.read_text())
    card["input"].update(size=[200, 200])
    card_path.write_text(json.dumps(card))
    assert "does not match the card" in load_failure(model_copy)


def test_unknown_runtime_is_refused():
    with pytest.raises(nudeguard.ModelError, match="unknown runtime 'onnx'"):
        load_runtime("onnx")
    # In the options it is a programmer error, raised at creation rather than failed closed.
    with pytest.raises(ValueError, match="runtime must be one of"):
        nudeguard.Guard(nudeguard.GuardOptions(runtime="onnx"))


def test_healthy_guard_has_no_model_error(guard):
    assert guard.model_error is None


def test_options_report_resolved_defaults(guard):
    options = guard.options
    assert options.threshold == guard.model_card.threshold
    assert options.threads is not None and options.threads >= 1
    assert options.runtime in ("litert", "tflite-runtime")


def test_threads_are_set_explicitly():
    with nudeguard.Guard(nudeguard.GuardOptions(threads=1)) as one_thread:
        assert one_thread.options.threads == 1
    with pytest.raises(ValueError, match="threads must be at least 1"):
        nudeguard.Guard(nudeguard.GuardOptions(threads=0))


def test_closed_guard_says_what_to_do(tmp_path):
    guard = nudeguard.Guard()
    guard.close()
    with pytest.raises(ValueError, match="closed; create a new one"):
        guard.classify(benign_photos()[0])
