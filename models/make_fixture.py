"""Make the synthetic sensitive patterns (calibration and test families) and the benign photos.

The synthetic images are abstract patterns found by deterministic gradient
ascent on the float open_nsfw model (rebuilt from the ONNX weights). They hold
no explicit imagery; they exist so calibration and tests have inputs that the
model scores as nsfw. The pattern is a low-resolution grid (bilinearly
upsampled to 256x256) optimised over random transformations pushed through the
runtime pipeline (scale / aspect change, shift, paste on a background, blur,
noise), so the score survives resizing, JPEG re-encoding and pasting.

Three families, kept apart so the tests do not grade the model on what it was
built from:

- ``calibration``: models/calibration/synthetic_sensitive*.png (seeds 1-3,
  optimised on astronaut, coffee, chelsea, china, grace_hopper, rocket); part
  of convert.py's int8 calibration set, never used by the tests.
- ``heldout``: tests/fixtures/synthetic_sensitive*.png (seeds 101-103, optimised
  only on photos that are not test fixtures: motorcycle, retina, brick, grass,
  ihc); never seen by the calibration, pasted by the tests onto benign
  photos they were not optimised on.
- ``near_threshold``: tests/fixtures/near_threshold/*.png, the held-out
  patterns alpha-blended with camera or gravel (photos neither in the
  calibration nor among the optimisation backgrounds), each blend chosen by
  bisection so that the float window model (the highest of the 2 x 2 windows of
  the 256x256 blend, as the SDK scans it) scores it at a target spread over 0.45-0.85,
  around the 0.6 threshold, where int8 rounding and window choices can flip a
  decision.

Benign fixtures are photos bundled with pinned PyPI packages, downscaled to a
longest side of at most 640 px and stored as JPEG quality 90.

Run before ``convert.py`` (its calibration set reads the calibration family):

    python models/make_fixture.py [--families calibration heldout near_threshold benign]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nsfw_common import (  # noqa: E402
    CALIBRATION_DIR, CROP, CROP_OFFSET, FIXTURES_DIR, NSFW_INDEX, REPO, RESIZE, SYNTHETIC_NAMES,
    OpenNsfwTF, cv2, np, onnx_model_path, photo, preprocess, softmax_nsfw, tf,
)

GRID = 32             # pattern resolution before upsampling to 256
BATCH = 4             # random transformations per step
MARGIN = 8.0          # target nsfw-minus-sfw logit margin (sigmoid(8) = 0.9997)
SEEDS = (1, 2, 3)     # one per calibration pattern
HELDOUT_SEEDS = (101, 102, 103)  # one per held-out test pattern

# Benign fixtures: photo key -> file name. Longest side <= 640, JPEG q90.
BENIGN = {
    "astronaut": "astronaut.jpg",
    "grace_hopper": "grace_hopper.jpg",
    "camera": "camera.jpg",
    "chelsea": "chelsea.jpg",
    "coffee": "coffee.jpg",
    "china": "china.jpg",
    "flower": "flower.jpg",
    "rocket": "rocket.jpg",
    "hubble": "hubble.jpg",
    "gravel": "gravel.jpg",
}
# Backgrounds for the "pasted into a benign image" transformation: of the calibration
# patterns, and of the held-out ones (no benign test fixture among them).
BACKGROUNDS = ("astronaut", "coffee", "chelsea", "china", "grace_hopper", "rocket")
HELDOUT_BACKGROUNDS = ("motorcycle", "retina", "brick", "grass", "ihc")
# Near-threshold family: float-model targets, and the photos the held-out patterns are
# blended with (held out from calibration, not optimisation backgrounds).
NEAR_THRESHOLD_TARGETS = (0.45, 0.55, 0.62, 0.7, 0.78, 0.85)
NEAR_THRESHOLD_PHOTOS = ("camera", "gravel")
NEAR_THRESHOLD_TOLERANCE = 0.02


def _gaussian_kernel(sigma: float) -> tf.Tensor:
    r = np.arange(-2, 3, dtype=np.float32)
    g = np.exp(-(r ** 2) / (2 * sigma ** 2))
    k2 = np.outer(g, g) / np.outer(g, g).sum()
    return tf.constant(np.tile(k2[:, :, None, None], (1, 1, 3, 1)))


class Augment:
    """Differentiable, fixed-shape random placement of a 256x256 pattern on the
    256x256 canvas the model sees after the SDK's resize, then the 224 crop.

    Each sample draws an independent x/y scale in [0.5, 1.3] (resizing to
    another size, aspect change from non-square images, a tile in a larger
    image), a position, a background (benign photo or flat grey), a blur
    strength and pixel noise standing in for JPEG artefacts. The random
    numbers come from numpy so the whole run is reproducible.
    """

    def __init__(self, rng: np.random.Generator, backgrounds: tuple[str, ...]):
        self.rng = rng
        bgs = [cv2.resize(photo(k).load(), (RESIZE, RESIZE), interpolation=cv2.INTER_AREA)
               for k in backgrounds]
        self.backgrounds = np.stack(bgs).astype(np.float32)
        self.blur = _gaussian_kernel(1.2)
        yy, xx = np.meshgrid(np.arange(RESIZE, dtype=np.float32),
                             np.arange(RESIZE, dtype=np.float32), indexing="ij")
        self.yy, self.xx = yy + 0.5, xx + 0.5  # pixel centres

    def draw(self, n: int) -> dict[str, np.ndarray]:
        r = self.rng
        sy, sx = r.uniform(0.5, 1.3, n), r.uniform(0.5, 1.3, n)
        # Larger-than-canvas patterns shift by a few px; smaller ones go anywhere.
        oy = np.where(sy < 1, r.uniform(0, 1, n) * RESIZE * (1 - sy), r.uniform(-6, 6, n) - RESIZE * (sy - 1) / 2)
        ox = np.where(sx < 1, r.uniform(0, 1, n) * RESIZE * (1 - sx), r.uniform(-6, 6, n) - RESIZE * (sx - 1) / 2)
        bg_idx = r.integers(0, len(self.backgrounds) + 1, n)
        bg = np.stack([self.backgrounds[i] if i < len(self.backgrounds)
                       else np.full((RESIZE, RESIZE, 3), r.uniform(0, 255), np.float32)
                       for i in bg_idx])
        # Source coordinates (in pattern pixels) for every canvas pixel.
        src_y = (self.yy[None] - oy[:, None, None]) / sy[:, None, None] - 0.5
        src_x = (self.xx[None] - ox[:, None, None]) / sx[:, None, None] - 0.5
        inside = ((src_y > -0.5) & (src_y < RESIZE - 0.5) & (src_x > -0.5) & (src_x < RESIZE - 0.5))
        return {
            "src_y": src_y.astype(np.float32), "src_x": src_x.astype(np.float32),
            "mask": inside[..., None].astype(np.float32), "bg": bg,
            "blur": r.uniform(0, 1, (n, 1, 1, 1)).astype(np.float32),
            "noise": (r.normal(0, 1, (n, RESIZE, RESIZE, 3)) * r.uniform(0, 6, (n, 1, 1, 1))).astype(np.float32),
            "shift": r.uniform(-10, 10, (n, 1, 1, 3)).astype(np.float32),
        }

    def apply(self, pattern: tf.Tensor, p: dict[str, tf.Tensor]) -> tf.Tensor:
        """pattern [256,256,3] float 0-255 -> model crops [n,224,224,3]."""
        sy = tf.clip_by_value(p["src_y"], 0.0, RESIZE - 1.0)
        sx = tf.clip_by_value(p["src_x"], 0.0, RESIZE - 1.0)
        y0, x0 = tf.floor(sy), tf.floor(sx)
        wy, wx = (sy - y0)[..., None], (sx - x0)[..., None]
        y0i, x0i = tf.cast(y0, tf.int32), tf.cast(x0, tf.int32)
        y1i, x1i = tf.minimum(y0i + 1, RESIZE - 1), tf.minimum(x0i + 1, RESIZE - 1)

        def at(yi, xi):
            return tf.gather_nd(pattern, tf.stack([yi, xi], axis=-1))

        warped = ((1 - wy) * ((1 - wx) * at(y0i, x0i) + wx * at(y0i, x1i))
                  + wy * ((1 - wx) * at(y1i, x0i) + wx * at(y1i, x1i)))
        img = p["mask"] * warped + (1 - p["mask"]) * p["bg"]
        blurred = tf.nn.depthwise_conv2d(img, self.blur, [1, 1, 1, 1], "SAME")
        img = img + p["blur"] * (blurred - img)
        img = tf.clip_by_value(img + p["noise"] + p["shift"], 0.0, 255.0)
        return img[:, CROP_OFFSET:CROP_OFFSET + CROP, CROP_OFFSET:CROP_OFFSET + CROP]


def render(param: tf.Tensor) -> tf.Tensor:
    """Low-resolution logits [GRID,GRID,3] -> smooth 256x256 RGB pattern, 0-255."""
    up = tf.image.resize(param[None], (RESIZE, RESIZE), method="bilinear")[0]
    return 255.0 * tf.sigmoid(up)


def optimise(model: OpenNsfwTF, seed: int, steps: int, backgrounds: tuple[str, ...]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    aug = Augment(rng, backgrounds)
    param = tf.Variable(rng.normal(0.0, 0.5, (GRID, GRID, 3)).astype(np.float32))
    opt = tf.keras.optimizers.Adam(learning_rate=0.08)

    @tf.function(reduce_retracing=True)
    def step(p):
        with tf.GradientTape() as tape:
            logits = model(aug.apply(render(param), p))
            margin = logits[:, NSFW_INDEX] - logits[:, 1 - NSFW_INDEX]
            # softplus(MARGIN - d) keeps pushing the weakest transformations
            # while barely rewarding ones that are already confidently nsfw.
            loss = tf.reduce_mean(tf.nn.softplus(MARGIN - margin))
        opt.apply_gradients([(tape.gradient(loss, param), param)])
        return loss, tf.reduce_min(margin)

    t0 = time.time()
    for i in range(steps):
        loss, worst = step({k: tf.constant(v) for k, v in aug.draw(BATCH).items()})
        if i % 25 == 0 or i == steps - 1:
            print(f"  seed {seed} step {i:3d} loss {float(loss):.3f} worst margin {float(worst):.2f} "
                  f"({time.time() - t0:.0f}s)", flush=True)
    return np.clip(np.rint(render(param).numpy()), 0, 255).astype(np.uint8)


def write_png(path: Path, rgb: np.ndarray) -> None:
    if not cv2.imwrite(str(path), rgb[..., ::-1], [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise OSError(f"could not write {path}")


def write_jpeg(path: Path, rgb: np.ndarray, quality: int = 90) -> None:
    h, w = rgb.shape[:2]
    scale = 640 / max(h, w)
    if scale < 1:
        rgb = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    if not cv2.imwrite(str(path), rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality]):
        raise OSError(f"could not write {path}")


def float_score(model: OpenNsfwTF, rgb: np.ndarray) -> float:
    return float(softmax_nsfw(model(tf.constant(preprocess(rgb)[None].astype(np.float32))).numpy())[0])


def window_float_score(windows_model: OpenNsfwTF, rgb: np.ndarray) -> float:
    """The float window model's score for a picture whose sides are multiples of the stride,
    as the SDK's window scan sees it: the highest of its windows."""
    logits = windows_model(tf.constant(rgb[None].astype(np.float32))).numpy().reshape(-1, 2)
    return float(softmax_nsfw(logits).max())


def near_threshold(windows_model: OpenNsfwTF, patterns: list[np.ndarray], target: float, index: int) -> np.ndarray:
    """A held-out pattern blended with a held-out photo so that the float window model scores
    it at ``target`` (bisection on the pattern's weight; the score rises with it)."""
    pattern = patterns[index % len(patterns)].astype(np.float32)
    key = NEAR_THRESHOLD_PHOTOS[index % len(NEAR_THRESHOLD_PHOTOS)]
    background = cv2.resize(photo(key).load(), (RESIZE, RESIZE), interpolation=cv2.INTER_AREA).astype(np.float32)
    low, high = 0.0, 1.0
    for _ in range(30):
        alpha = (low + high) / 2
        blend = np.clip(np.rint(alpha * pattern + (1 - alpha) * background), 0, 255).astype(np.uint8)
        score = window_float_score(windows_model, blend)
        if abs(score - target) <= NEAR_THRESHOLD_TOLERANCE / 4:
            break
        low, high = (alpha, high) if score < target else (low, alpha)
    if abs(score - target) > NEAR_THRESHOLD_TOLERANCE:
        raise SystemExit(f"error: no blend of pattern {index} with {key} scores {target} (closest {score:.3f})")
    print(f"near threshold {target:.2f}: pattern {index % len(patterns)} on {key}, weight {alpha:.4f}, "
          f"float score {score:.4f}")
    return blend


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=200, help="gradient-ascent steps per image (default 200)")
    ap.add_argument("--out", type=Path, default=FIXTURES_DIR, help="test fixture directory (default tests/fixtures)")
    ap.add_argument("--calibration-out", type=Path, default=CALIBRATION_DIR,
                    help="calibration pattern directory (default models/calibration)")
    families = ("calibration", "heldout", "near_threshold", "benign")
    ap.add_argument("--families", nargs="+", choices=families, default=list(families),
                    help="which families to (re)make (default: all)")
    args = ap.parse_args()

    tf.keras.utils.set_random_seed(0)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    model = OpenNsfwTF(onnx_model_path())

    jobs = []
    if "calibration" in args.families:
        jobs.append((args.calibration_out, SEEDS, BACKGROUNDS))
    if "heldout" in args.families:
        jobs.append((args.out, HELDOUT_SEEDS, HELDOUT_BACKGROUNDS))
    for out, seeds, backgrounds in jobs:
        out.mkdir(parents=True, exist_ok=True)
        for seed, name in zip(seeds, SYNTHETIC_NAMES):
            img = optimise(model, seed, args.steps, backgrounds)
            write_png(out / name, img)
            print(f"{out.name}/{name}: float nsfw score {float_score(model, img):.4f}")

    if "near_threshold" in args.families:
        patterns = [cv2.imread(str(args.out / name), cv2.IMREAD_COLOR)[..., ::-1] for name in SYNTHETIC_NAMES]
        near_dir = args.out / "near_threshold"
        near_dir.mkdir(exist_ok=True)
        windows_model = OpenNsfwTF(onnx_model_path(), windows=True)
        for index, target in enumerate(NEAR_THRESHOLD_TARGETS):
            write_png(near_dir / f"near_threshold_{round(100 * target):02d}.png",
                      near_threshold(windows_model, patterns, target, index))

    if "benign" in args.families:
        benign_dir = args.out / "benign"
        benign_dir.mkdir(exist_ok=True)
        for key, name in BENIGN.items():
            write_jpeg(benign_dir / name, photo(key).load())
        (REPO / "examples").mkdir(exist_ok=True)
        write_jpeg(REPO / "examples" / "sample.jpg", photo("chelsea").load())
        print(f"wrote {len(BENIGN)} benign fixtures and examples/sample.jpg")


if __name__ == "__main__":
    main()
