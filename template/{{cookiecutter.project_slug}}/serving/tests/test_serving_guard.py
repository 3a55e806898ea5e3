"""The request guard and the API's types, derived from a request schema."""

import json

import pydantic
import pytest

from {{ cookiecutter.package_name }} import contract
from {{ cookiecutter.package_name }}.spec import ContractError

from serving.api_schema import body_model, json_type
from serving.guard import BodyRules, check_predict_body

# A schema of every JSON type the contract's helper can describe.
SCHEMA = contract.schema(
    "input.schema.json",
    "POST /predict request",
    "A made-up request.",
    {
        "words": {"type": "string", "description": "Some words."},
        "count": {"type": "integer"},
        "weight": {"type": "number"},
        "row": {"type": "object", "properties": {"x": {"type": "number"}}},
        "flags": {"type": "array"},
        "strict": {"type": "boolean"},
    },
)
GOOD = {
    "words": "hi",
    "count": 2,
    "weight": 3,
    "row": {"x": 1},
    "flags": [],
    "strict": True,
}
RULES = BodyRules.from_schema(SCHEMA)


def check(payload) -> None:
    check_predict_body(json.dumps(payload).encode(), RULES)


def test_a_body_of_the_schemas_fields_and_types_passes():
    check(GOOD)
    check({**GOOD, "weight": 2.5})  # a number may be whole or not


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"count": 2.5}, "'count' must be a JSON integer, not number"),
        ({"weight": "3"}, "'weight' must be a JSON number, not string"),
        ({"strict": 1}, "'strict' must be a JSON boolean, not integer"),
        ({"row": []}, "'row' must be a JSON object, not array"),
        ({"words": None}, "'words' must be a JSON string, not null: Some words."),
        ({"extra": 1, "more": 2}, "unexpected field(s) 'extra', 'more'; the request"),
    ],
)
def test_a_wrong_field_is_named_with_what_it_must_be(change, message):
    with pytest.raises(ContractError) as refused:
        check({**GOOD, **change})
    assert message in str(refused.value)


def test_missing_fields_are_named_with_the_shape_to_send():
    with pytest.raises(ContractError) as refused:
        check({"words": "hi"})
    assert str(refused.value) == (
        "missing required fields 'count', 'weight', 'row', 'flags', 'strict'; send a "
        'JSON object like {"words": "...", "count": integer, "weight": number, '
        '"row": {...}, "flags": [...], "strict": boolean}'
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [(b" ", "is empty"), (b"{", "not valid JSON"), (b"[1]", "not an object")],
)
def test_a_body_that_is_no_json_object_is_refused(body, message):
    with pytest.raises(ContractError, match=message):
        check_predict_body(body, RULES)


def test_the_api_model_has_the_schemas_fields_types_and_docs():
    model = body_model("Request", SCHEMA)
    parsed = model(**GOOD)
    assert {name: json_type(getattr(parsed, name)) for name in GOOD} == {
        "words": "string",
        "count": "integer",
        "weight": "number",  # a whole number parsed as a float
        "row": "object",
        "flags": "array",
        "strict": "boolean",
    }
    with pytest.raises(pydantic.ValidationError):
        model(**{**GOOD, "extra": 1})
    documented = model.model_json_schema()
    assert documented["required"] == list(SCHEMA["properties"])
    assert documented["properties"]["words"]["description"] == "Some words."
    assert documented["properties"]["row"]["properties"] == {"x": {"type": "number"}}
