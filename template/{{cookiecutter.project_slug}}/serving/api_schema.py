"""The /predict API's request and answer types, built from the contract's schemas.

BentoML parses a request body into a pydantic model and documents the API
(OpenAPI, the /docs page) from it. Both services build their models from the
served model's spec, through the JSON Schemas of the contract
(`problem.input_schema`, `problem.output_schema`), so a new contract field or
label set changes the API with no edit here. The request guard
(`serving.guard`) checks a body's JSON types with the helpers below before
BentoML parses it, so pydantic's own (generic) messages are never seen.
"""

import functools
import operator
from typing import Any

import pydantic

from {{ cookiecutter.package_name }} import problem
from {{ cookiecutter.package_name }}.spec import Spec

# The Python value a JSON value of each JSON Schema type parses to.
PYTHON_TYPES: dict[str, Any] = {
    "string": str,
    "number": float,
    "integer": int,
    "boolean": bool,
    "object": dict[str, Any],
    "array": list[Any],
    "null": type(None),
}
# Said by the annotation and the description; every other keyword of a
# property (lengths, labels, nested properties) is copied into the API docs.
STATED_KEYWORDS = frozenset({"type", "description"})


def json_type(value: Any) -> str:
    """The JSON type of a parsed JSON value ("integer" for a whole number)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def declared_types(property_schema: dict[str, Any]) -> tuple[str, ...]:
    """The JSON types a property allows; empty when it allows any."""
    declared = property_schema.get("type", ())
    return (declared,) if isinstance(declared, str) else tuple(declared)


def has_declared_type(value: Any, property_schema: dict[str, Any]) -> bool:
    """Whether ``value`` is of a type the property allows (an integer is a number)."""
    allowed = declared_types(property_schema)
    actual = json_type(value)
    return (
        not allowed
        or actual in allowed
        or (actual == "integer" and "number" in allowed)
    )


def _annotation(property_schema: dict[str, Any]) -> Any:
    names = declared_types(property_schema)
    if not names or any(name not in PYTHON_TYPES for name in names):
        return Any
    return functools.reduce(operator.or_, (PYTHON_TYPES[name] for name in names))


def _field(property_schema: dict[str, Any], required: bool) -> tuple[Any, Any]:
    documented = {
        key: value
        for key, value in property_schema.items()
        if key not in STATED_KEYWORDS
    }
    field = pydantic.Field(
        ... if required else None,
        description=property_schema.get("description"),
        json_schema_extra=documented or None,
    )
    return _annotation(property_schema), field


def body_model(name: str, schema: dict[str, Any]) -> type[pydantic.BaseModel]:
    """A pydantic model of the JSON object ``schema`` describes, for BentoML."""
    required = set(schema.get("required", ()))
    fields = {
        field_name: _field(property_schema, field_name in required)
        for field_name, property_schema in schema.get("properties", {}).items()
    }
    extra = "allow" if schema.get("additionalProperties", True) else "forbid"
    return pydantic.create_model(
        name,
        __config__=pydantic.ConfigDict(extra=extra),
        __doc__=schema.get("description"),
        **fields,
    )


def request_model(spec: Spec) -> type[pydantic.BaseModel]:
    """The request body /predict accepts (contracts/input.schema.json)."""
    return body_model("PredictRequest", problem.input_schema(spec))


def answer_model(spec: Spec) -> type[pydantic.BaseModel]:
    """The answer /predict gives (contracts/output.schema.json)."""
    return body_model("PredictAnswer", problem.output_schema(spec))
