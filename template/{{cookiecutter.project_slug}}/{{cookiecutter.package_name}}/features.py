"""Cheap per-image statistics that monitoring compares between training and production.

The same function runs on the training reference and inside the service, so a
shift in these numbers means the inputs changed, not the code.
"""

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    # Only for the annotation: monitoring imports FEATURE_NAMES without Pillow.
    from PIL import Image

FEATURE_NAMES: tuple[str, ...] = ("brightness", "contrast", "red", "green", "blue")


def image_features(image: "Image.Image") -> dict[str, float]:
    """Mean brightness, contrast (std of brightness) and mean channels, in 0..1."""
    small = image.convert("RGB").resize((32, 32))
    pixels = np.asarray(small, dtype=np.float32) / 255.0
    gray = pixels.mean(axis=2)
    red, green, blue = pixels.reshape(-1, 3).mean(axis=0)
    return {
        "brightness": round(float(gray.mean()), 6),
        "contrast": round(float(gray.std()), 6),
        "red": round(float(red), 6),
        "green": round(float(green), 6),
        "blue": round(float(blue), 6),
    }
