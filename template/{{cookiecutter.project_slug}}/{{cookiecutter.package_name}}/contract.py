"""The /predict contract's kind-neutral half: the answer and its schema.

The request half (what a request holds and how it is checked) belongs to the
task kind (``problem.input_schema`` and ``problem.decode_request``).
`contracts/*.schema.json` are what these functions return for the current
spec; the data room rewrites them when the data defines a new one.
"""

import math
from typing import Any

from .spec import Spec

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
REPOSITORY = "{{ cookiecutter.github_owner }}/{{ cookiecutter.project_slug }}"
SCHEMA_BASE = f"https://github.com/{REPOSITORY}/contracts/"


def schema(
    name: str, title: str, description: str, properties: dict[str, Any]
) -> dict[str, Any]:
    """A JSON Schema for an object holding exactly ``properties``, all required."""
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_BASE + name,
        "title": title,
        "description": description,
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }


def output_schema(spec: Spec) -> dict[str, Any]:
    """The answer: a label and its probability, or a number."""
    if spec.classification:
        properties: dict[str, Any] = {
            "prediction": {
                "description": "The predicted class.",
                "type": "string",
                "enum": list(spec.labels),
            },
            "probability": {
                "description": "Softmax probability of the predicted class.",
                "type": "number",
                "minimum": 0,
                "maximum": 1,
            },
        }
        description = "The predicted class and the model's probability for it."
    else:
        properties = {
            "prediction": {
                "description": f"The predicted {spec.target}.",
                "type": "number",
            }
        }
        description = f"The predicted {spec.target}."
    return schema(
        "output.schema.json", "POST /predict response", description, properties
    )


def answer(spec: Spec, output: Any) -> dict[str, Any]:
    """One row of `model.predict` output -> the answer body.

    Classification: the probabilities of every class -> the top class and its
    probability. Regression: the predicted value (already in the target's units).
    """
    if spec.classification:
        probabilities = [float(p) for p in output]
        if len(probabilities) != len(spec.labels):
            raise ValueError(
                f"{len(probabilities)} probabilities for {len(spec.labels)} labels"
            )
        index = max(range(len(probabilities)), key=probabilities.__getitem__)
        return {
            "prediction": spec.labels[index],
            "probability": round(probabilities[index], 6),
        }
    value = float(output[0] if hasattr(output, "__len__") else output)
    if not math.isfinite(value):
        raise ValueError(f"the model predicted {value}")
    return {"prediction": round(value, 6)}
