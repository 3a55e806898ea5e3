"""The /predict contract: what a request must hold and what the answer looks like.

`contracts/input.schema.json` and `contracts/output.schema.json` describe the
same contract for people and other tools; tests keep them in agreement.
"""

import base64
import binascii
import json
from pathlib import Path

from PIL import Image

from .labels import LABELS
from .preprocessing import UnreadableImageError, open_image

MAX_IMAGE_BYTES = 4 * 1024 * 1024
# Base64 grows data by 4/3; anything longer cannot decode to an allowed image.
MAX_IMAGE_FIELD_CHARS = (MAX_IMAGE_BYTES + 2) // 3 * 4


class ContractError(ValueError):
    """A request that breaks the contract; the message says how (sent as a 4xx)."""


def decode_image(field: object) -> Image.Image:
    """The request's ``image`` field -> RGB image, or `ContractError`."""
    if not isinstance(field, str):
        raise ContractError("'image' must be a string holding a base64-encoded JPEG")
    if not field:
        raise ContractError("'image' is empty")
    if len(field) > MAX_IMAGE_FIELD_CHARS:
        raise ContractError(
            f"'image' is too large: at most {MAX_IMAGE_BYTES} bytes once decoded"
        )
    try:
        data = base64.b64decode(field, validate=True)
    except (binascii.Error, ValueError):
        raise ContractError("'image' is not valid base64") from None
    try:
        return open_image(data)
    except UnreadableImageError:
        raise ContractError("'image' decodes to bytes that are not an image") from None


def encode_image(source: bytes | str | Path) -> str:
    """Bytes or an image file -> the base64 text a request carries."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    return base64.b64encode(data).decode("ascii")


def predict_request(source: bytes | str | Path) -> bytes:
    """The /predict request body for a photo (bytes or file): ``{"image": ...}``."""
    return json.dumps({"image": encode_image(source)}).encode()


def prediction_response(label: str, probability: float) -> dict[str, str | float]:
    """The answer body: the predicted class name and its probability."""
    if label not in LABELS:
        raise ValueError(f"'{label}' is not one of the shared labels")
    return {"prediction": label, "probability": round(float(probability), 6)}
