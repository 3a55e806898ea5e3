"""Label Studio's side of the contract: what a labeller sees and answers with.

Each kind says how a served request is shown to a labeller (its
``labelling_data``) and which interface asks for the answer (its
``labelling_config``, Label Studio's labelling configuration), with these
helpers. Whatever the kind, the answer comes back from the control named
`ANSWER`: a choice among the labels, or a number.
"""

from collections.abc import Sequence
from xml.sax.saxutils import quoteattr

ANSWER = "label"


def choices_config(tag: str, field: str, labels: Sequence[str]) -> str:
    """An interface showing ``$field`` with a Label Studio ``tag`` (Image,
    Text), and one choice per label."""
    choices = "".join(f"<Choice value={quoteattr(label)}/>" for label in labels)
    return (
        f'<View><{tag} name="{field}" value="${field}"/>'
        f'<Choices name="{ANSWER}" toName="{field}" choice="single" '
        f'showInline="true">{choices}</Choices></View>'
    )


def number_config(field: str) -> str:
    """An interface showing ``$field`` as text, and asking for a number."""
    return (
        f'<View><Text name="{field}" value="${field}"/>'
        f'<Number name="{ANSWER}" toName="{field}"/></View>'
    )
