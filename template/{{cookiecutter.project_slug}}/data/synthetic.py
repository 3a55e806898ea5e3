"""A small synthetic GourmetGram dataset that a model can really learn.

Every class has its own background hue and its own foreground shape, so a small
CNN has a genuine visual signal to find. Nothing else is fixed: the shape's
position, size and rotation, the colours' saturation and brightness, the
background gradient, distractor blobs, noise and JPEG quality all vary, so the
images are never a single flat colour per class.

Each image is drawn from its own random stream seeded by (seed, class, index):
the same seed gives byte-identical files, whatever the number of images.
"""

import io
import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from {{ cookiecutter.package_name }}.contract import encode_image
from {{ cookiecutter.package_name }}.labels import LABELS, NUM_CLASSES, class_folder

Point = tuple[float, float]
Polygon = list[Point]
Color = tuple[int, int, int]

# The contract's sample request (contracts/input.sample.json) is image 0 of class
# "Dessert" drawn from this seed; `python -m data contract-sample` rewrites it.
CONTRACT_SAMPLE_SEED = 20240
CONTRACT_SAMPLE_CLASS = LABELS.index("Dessert")
CONTRACT_SAMPLE_SIZE = 64


def _regular_polygon(corners: int, radius: float = 1.0, phase: float = 0.0) -> Polygon:
    return [
        (
            radius * math.cos(phase + 2 * math.pi * k / corners),
            radius * math.sin(phase + 2 * math.pi * k / corners),
        )
        for k in range(corners)
    ]


def _star() -> list[Polygon]:
    points = []
    for k in range(10):
        radius = 1.0 if k % 2 == 0 else 0.42
        angle = -math.pi / 2 + math.pi * k / 5
        points.append((radius * math.cos(angle), radius * math.sin(angle)))
    return [points]


def _cross() -> list[Polygon]:
    w = 0.33
    return [[(-w, -1), (w, -1), (w, -w), (1, -w), (1, w), (w, w), (w, 1), (-w, 1),
             (-w, w), (-1, w), (-1, -w), (-w, -w)]]  # fmt: skip


def _stripes() -> list[Polygon]:
    return [[(-1, y), (1, y), (1, y + 0.36), (-1, y + 0.36)] for y in (-1, -0.18, 0.64)]


def _dots() -> list[Polygon]:
    centres = [(0, 0), (-0.62, -0.62), (0.62, -0.62), (-0.62, 0.62), (0.62, 0.62)]
    return [
        [(x + px, y + py) for px, py in _regular_polygon(12, 0.34)] for x, y in centres
    ]


def _chevron() -> list[Polygon]:
    return [[(-1, -0.2), (0, -1), (1, -0.2), (1, 0.35), (0, -0.45), (-1, 0.35)],
            [(-1, 0.45), (0, -0.35), (1, 0.45), (1, 1), (0, 0.2), (-1, 1)]]  # fmt: skip


# A shape is a list of polygons in unit coordinates, plus an optional "hole"
# (a polygon cut out of them).
Shape = tuple[list[Polygon], Polygon | None]

SHAPES: dict[str, Callable[[], Shape]] = {
    "disc": lambda: ([_regular_polygon(40)], None),
    "ring": lambda: ([_regular_polygon(40)], _regular_polygon(40, 0.55)),
    "square": lambda: ([_regular_polygon(4, 1.0, math.pi / 4)], None),
    "triangle": lambda: ([_regular_polygon(3, 1.0, -math.pi / 2)], None),
    "cross": lambda: (_cross(), None),
    "star": lambda: (_star(), None),
    "stripes": lambda: (_stripes(), None),
    "dots": lambda: (_dots(), None),
    "hexagon-frame": lambda: ([_regular_polygon(6)], _regular_polygon(6, 0.6)),
    "crescent": lambda: (
        [_regular_polygon(40)],
        [(x + 0.45, y - 0.2) for x, y in _regular_polygon(40, 0.85)],
    ),
    "chevrons": lambda: (_chevron(), None),
}
# Class i gets the i-th shape and a background hue i/11 of the way round the
# colour wheel: the per-class signal.
CLASS_SHAPES: tuple[str, ...] = tuple(SHAPES)
assert len(CLASS_SHAPES) == NUM_CLASSES


def _hsv_to_rgb(hue: float, saturation: float, value: float) -> Color:
    """HSV in 0..1 (hue wraps) -> 8-bit RGB."""
    hue = hue % 1.0
    sector = int(hue * 6) % 6
    fraction = hue * 6 - int(hue * 6)
    p = value * (1 - saturation)
    q = value * (1 - fraction * saturation)
    t = value * (1 - (1 - fraction) * saturation)
    red, green, blue = [
        (value, t, p),
        (q, value, p),
        (p, value, t),
        (p, q, value),
        (t, p, value),
        (value, p, q),
    ][sector]
    return round(red * 255), round(green * 255), round(blue * 255)


def _background(rng: np.random.Generator, hue: float, size: int) -> np.ndarray:
    """A two-shade linear gradient of the class hue at a random angle."""
    start = _hsv_to_rgb(hue, rng.uniform(0.35, 0.75), rng.uniform(0.55, 0.95))
    end = _hsv_to_rgb(
        hue + rng.uniform(-0.03, 0.03), rng.uniform(0.3, 0.7), rng.uniform(0.45, 0.9)
    )
    angle = rng.uniform(0, 2 * math.pi)
    ys, xs = np.mgrid[0:size, 0:size] / max(size - 1, 1) - 0.5
    ramp = (xs * math.cos(angle) + ys * math.sin(angle)) / math.sqrt(0.5) + 0.5
    ramp = np.clip(ramp, 0, 1)[..., None]
    return np.asarray(start) * (1 - ramp) + np.asarray(end) * ramp


def _place(polygon: Polygon, centre: Point, radius: float, angle: float) -> Polygon:
    cos, sin = math.cos(angle), math.sin(angle)
    cx, cy = centre
    return [
        (cx + radius * (x * cos - y * sin), cy + radius * (x * sin + y * cos))
        for x, y in polygon
    ]


def render_image(
    class_index: int, seed: int, index: int, size: int = 64
) -> Image.Image:
    """Image ``index`` of class ``class_index`` for ``seed``, as an RGB image."""
    if not 0 <= class_index < NUM_CLASSES:
        raise ValueError(f"class index {class_index} is outside 0..{NUM_CLASSES - 1}")
    rng = np.random.default_rng([seed, class_index, index])
    hue = class_index / NUM_CLASSES + rng.uniform(-0.018, 0.018)
    background = _background(rng, hue, size)
    image = Image.fromarray(background.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)

    # Distractors: faint blobs of any hue, so colour patches alone mislead.
    for _ in range(rng.integers(0, 4)):
        blob = _hsv_to_rgb(rng.uniform(), rng.uniform(0.2, 0.5), rng.uniform(0.5, 0.9))
        x, y = rng.uniform(0, size, 2)
        r = rng.uniform(0.04, 0.1) * size
        draw.ellipse((x - r, y - r, x + r, y + r), fill=blob)

    # The class's shape, drawn as a mask so holes show the real background.
    polygons, hole = SHAPES[CLASS_SHAPES[class_index]]()
    radius = rng.uniform(0.2, 0.34) * size
    centre = (
        rng.uniform(radius * 0.8, size - radius * 0.8),
        rng.uniform(radius * 0.8, size - radius * 0.8),
    )
    angle = rng.uniform(0, 2 * math.pi)
    mask = Image.new("L", (size, size), 0)
    mask_draw = ImageDraw.Draw(mask)
    for polygon in polygons:
        mask_draw.polygon(_place(polygon, centre, radius, angle), fill=255)
    if hole is not None:
        mask_draw.polygon(_place(hole, centre, radius, angle), fill=0)
    foreground = _hsv_to_rgb(
        hue + 0.5 + rng.uniform(-0.08, 0.08), rng.uniform(0.4, 0.9), rng.uniform(0.2, 1)
    )
    image.paste(foreground, (0, 0), mask)

    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.9)))
    pixels = np.asarray(image, dtype=np.float32)
    pixels += rng.normal(0, rng.uniform(3, 10), pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def render_jpeg(class_index: int, seed: int, index: int, size: int = 64) -> bytes:
    """`render_image` encoded as JPEG at a quality that varies per image."""
    quality = int(np.random.default_rng([seed, class_index, index, 1]).integers(80, 96))
    buffer = io.BytesIO()
    render_image(class_index, seed, index, size).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


# Ways a real download goes wrong; `write_corrupt_files` cycles through them.
CORRUPTIONS: tuple[str, ...] = ("truncated", "random-bytes", "empty")


def corrupt_bytes(kind: str, seed: int, index: int) -> bytes:
    """Bytes of an unreadable "JPEG" of the given kind."""
    if kind == "truncated":
        # A real JPEG cut short: the header parses, decoding fails.
        return render_jpeg(index % NUM_CLASSES, seed, 10_000 + index)[:300]
    if kind == "random-bytes":
        return np.random.default_rng([seed, 99, index]).bytes(2048)
    if kind == "empty":
        return b""
    raise ValueError(f"unknown corruption '{kind}'; choose from {CORRUPTIONS}")


def generate(
    target: Path, per_class: int, seed: int, size: int = 64, corrupt: int = 0
) -> list[Path]:
    """Write ``per_class`` JPEGs per class to ``target/class_XX/``.

    ``corrupt`` extra unreadable files are spread over the classes, as a demo
    and test of quarantine. Returns every file written, corrupt ones included.
    """
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}")
    if corrupt < 0:
        raise ValueError(f"corrupt must be 0 or more, got {corrupt}")
    written = []
    for class_index in range(NUM_CLASSES):
        folder = target / class_folder(class_index)
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            path = folder / f"synthetic_{index:05d}.jpg"
            path.write_bytes(render_jpeg(class_index, seed, index, size))
            written.append(path)
    for index in range(corrupt):
        kind = CORRUPTIONS[index % len(CORRUPTIONS)]
        folder = target / class_folder(index % NUM_CLASSES)
        path = folder / f"corrupt_{kind}_{index:03d}.jpg"
        path.write_bytes(corrupt_bytes(kind, seed, index))
        written.append(path)
    return written


def contract_sample_jpeg() -> bytes:
    """The JPEG in contracts/input.sample.json: a 64 px synthetic "Dessert"."""
    return render_jpeg(
        CONTRACT_SAMPLE_CLASS, CONTRACT_SAMPLE_SEED, 0, CONTRACT_SAMPLE_SIZE
    )


def write_contract_sample(path: Path) -> Path:
    """Write ``{"image": <base64 of contract_sample_jpeg()>}`` as the contract sample.

    contracts/input.sample.json was made this way, by
    `python -m data contract-sample`; rerun it if the generator changes.
    """
    body = {"image": encode_image(contract_sample_jpeg())}
    path.write_text(json.dumps(body, indent=2) + "\n")
    return path
