"""Turning photos into model input, identically in training and serving."""

import io
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


class UnreadableImageError(ValueError):
    """The bytes are not an image Pillow can decode."""


def open_image(source: bytes | str | Path) -> Image.Image:
    """Decode a photo (bytes or a file path) into an RGB image.

    Decoding is forced here, so a truncated or corrupt file fails now with
    `UnreadableImageError` instead of later inside a data loader.
    """
    try:
        if isinstance(source, bytes):
            image = Image.open(io.BytesIO(source))
        else:
            image = Image.open(source)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise UnreadableImageError(f"not a readable image: {error}") from error
    return image.convert("RGB")


def to_array(image: Image.Image, image_size: int) -> np.ndarray:
    """RGB image -> float32 array (3, size, size), ImageNet-normalized."""
    resized = image.convert("RGB").resize(
        (image_size, image_size), Image.Resampling.BILINEAR
    )
    pixels = np.asarray(resized, dtype=np.float32) / 255.0
    normalized = (pixels - IMAGENET_MEAN) / IMAGENET_STD
    return np.ascontiguousarray(normalized.transpose(2, 0, 1))
