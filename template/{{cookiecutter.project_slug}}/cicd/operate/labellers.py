"""The emulated labellers of the local loop: they answer the tasks
`python -m data.labelling sample` picked with the truth the emulated users
kept (`data.production_traffic --truth`), and hand back what Label Studio's
JSON export would hold. With real labellers, that file is Label Studio's own
export (cicd/docs/operate.md)."""

import json
from pathlib import Path


def answer_tasks(tasks: Path, truth: Path, export: Path) -> int:
    """Write ``export`` with an annotation per task whose truth is known; how many."""
    known = {}
    for line in truth.read_text().splitlines():
        record = json.loads(line)
        known[record["id"]] = record["label"]
    exported = []
    for number, task in enumerate(json.loads(tasks.read_text()), start=1):
        answer = known.get(task["data"]["prediction_id"])
        if answer is None:
            continue
        # The model's pre-annotation names the control to answer with.
        (suggested,) = task["predictions"][0]["result"]
        control = suggested["type"]
        value = {control: [answer] if control == "choices" else answer}
        result = {key: suggested[key] for key in ("from_name", "to_name", "type")}
        annotation = {"result": [{**result, "value": value}], "was_cancelled": False}
        answered = {"id": number, "data": task["data"], "annotations": [annotation]}
        exported.append(answered)
    export.write_text(json.dumps(exported, indent=1) + "\n")
    return len(exported)
