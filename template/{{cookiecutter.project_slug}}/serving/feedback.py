"""POST /feedback: the true answer to a past prediction, found by its id.

Every answer of POST /predict carries its prediction's id in the
``X-Prediction-Id`` header, and the prediction log keeps it. The answer's true
value comes back later, from the user who corrects it or from labelling:
``{"prediction_id": "<32 hex digits>", "label": <a label, or the target's
value>, "source": "user" | "labelling"}``. It is appended to the feedback log
(`paths.feedback_log_path()`, ``$FEEDBACK_LOG`` overrides), which the
monitoring room's online evaluation joins with the prediction log. A label the
problem does not have gets a 400 saying so; the server keeps serving.
"""

from typing import Any, Literal

import pydantic

from {{ cookiecutter.package_name }}.spec import ContractError, Spec, finite_number

from .prediction_log import JsonLinesLog

PREDICTION_ID_HEADER = "X-Prediction-Id"


class FeedbackRequest(pydantic.BaseModel):
    prediction_id: str = pydantic.Field(
        pattern=r"^[0-9a-f]{32}$", description="From the answer's X-Prediction-Id."
    )
    label: str | float = pydantic.Field(
        description="The true answer: one of the problem's labels, or a number."
    )
    source: Literal["user", "labelling"] = "user"


class FeedbackAnswer(pydantic.BaseModel):
    recorded: str = pydantic.Field(description="The prediction id, as recorded.")


def checked_label(spec: Spec, label: Any) -> str | float:
    """``label`` as the problem knows it, or `ContractError` saying why not."""
    if spec.classification:
        if isinstance(label, str) and label in spec.labels:
            return label
        raise ContractError(
            f"label {label!r} is not one of the problem's labels: "
            + ", ".join(spec.labels)
        )
    number = None if isinstance(label, str) else finite_number(label)
    if number is None:
        raise ContractError(f"label {label!r} is not a finite number")
    return number


class FeedbackLog(JsonLinesLog):
    def record(self, spec: Spec, feedback: FeedbackRequest) -> FeedbackAnswer:
        """Check the label and append the feedback; `ContractError` if refused."""
        label = checked_label(spec, feedback.label)
        self.write(
            {
                "prediction_id": feedback.prediction_id,
                "label": label,
                "source": feedback.source,
            }
        )
        return FeedbackAnswer(recorded=feedback.prediction_id)
