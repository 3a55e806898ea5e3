"""The /predict contract: samples, schemas and the shared decoder agree."""

import base64
import io
import json

import jsonschema
import pytest
from PIL import Image

from {{ cookiecutter.package_name }} import contract, paths
from {{ cookiecutter.package_name }}.labels import LABELS


def load(name: str) -> dict:
    return json.loads((paths.contracts_dir() / name).read_text())


def jpeg_base64(size=(32, 32), color=(200, 120, 40)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_samples_follow_their_schemas():
    jsonschema.validate(load("input.sample.json"), load("input.schema.json"))
    jsonschema.validate(load("output.sample.json"), load("output.schema.json"))


def test_schemas_are_valid_json_schema():
    for name in ("input.schema.json", "output.schema.json"):
        jsonschema.Draft202012Validator.check_schema(load(name))


def test_output_schema_lists_exactly_the_shared_labels():
    properties = load("output.schema.json")["properties"]
    assert properties["prediction"]["enum"] == list(LABELS)


def test_input_schema_size_limit_matches_the_decoder():
    image = load("input.schema.json")["properties"]["image"]
    assert image["maxLength"] == contract.MAX_IMAGE_FIELD_CHARS


def test_input_sample_decodes_to_an_image():
    image = contract.decode_image(load("input.sample.json")["image"])
    assert image.mode == "RGB" and min(image.size) > 0


@pytest.mark.parametrize(
    "field, message",
    [
        (None, "must be a string"),
        (123, "must be a string"),
        ("", "is empty"),
        ("not base64 at all!", "not valid base64"),
        (base64.b64encode(b"plain text, not a photo").decode(), "not an image"),
        ("A" * (contract.MAX_IMAGE_FIELD_CHARS + 4), "too large"),
    ],
)
def test_bad_image_fields_are_refused_with_a_reason(field, message):
    with pytest.raises(contract.ContractError, match=message):
        contract.decode_image(field)


def test_encode_then_decode_round_trips():
    text = jpeg_base64(size=(20, 10))
    assert contract.encode_image(base64.b64decode(text)) == text
    assert contract.decode_image(text).size == (20, 10)


def test_a_request_body_follows_the_schema_and_decodes_to_the_photo():
    photo = base64.b64decode(jpeg_base64(size=(20, 10)))
    body = json.loads(contract.predict_request(photo))
    jsonschema.validate(body, load("input.schema.json"))
    assert contract.decode_image(body["image"]).size == (20, 10)


def test_response_carries_label_and_probability():
    response = contract.prediction_response("Soup", 0.87654321)
    jsonschema.validate(response, load("output.schema.json"))
    assert response == {"prediction": "Soup", "probability": 0.876543}
    with pytest.raises(ValueError, match="not one of the shared labels"):
        contract.prediction_response("Pizza", 0.5)
