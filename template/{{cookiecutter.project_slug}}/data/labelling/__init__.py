"""Labelling: production's served inputs to Label Studio, and its labels back
to the service as feedback, which the next training set takes in.

- picking.py: what to label (`sample`), written as Label Studio tasks;
- label_studio.py: Label Studio's HTTP API (`push`, `pull`);
- answers.py: an export's labels sent to the service (`answers`);
- cli.py: the command line, `python -m data.labelling` (its help says more).
"""

from .answers import answer_of, delivered_labels, send_answers
from .cli import main
from .picking import pick, sample, task

__all__ = [
    "answer_of",
    "delivered_labels",
    "main",
    "pick",
    "sample",
    "send_answers",
    "task",
]
