"""`python -m data contract`: the /predict contract files, from the current dataset.

The contract follows the data: the labels, or the feature names and types,
of the dataset's spec become contracts/*.schema.json, and a real example of
its evaluation split becomes the sample request. Serving checks requests
against the same interface functions, so the files document what the
service accepts.
"""

import json
import statistics
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths, problem
from {{ cookiecutter.package_name }}.problem import ProblemDataError, Spec

INPUT_SCHEMA = "input.schema.json"
OUTPUT_SCHEMA = "output.schema.json"
INPUT_SAMPLE = "input.sample.json"
OUTPUT_SAMPLE = "output.sample.json"
# The probability the sample answer gives its class: any valid value would do.
SAMPLE_PROBABILITY = 0.93


def schemas(spec: Spec) -> dict[str, dict[str, Any]]:
    """The two schema files' content for ``spec``."""
    return {
        INPUT_SCHEMA: problem.input_schema(spec),
        OUTPUT_SCHEMA: problem.output_schema(spec),
    }


def sample_answer(spec: Spec, dataset: Path) -> dict[str, Any]:
    """A valid answer: the first label, or the training targets' mean."""
    if spec.classification:
        rest = (1 - SAMPLE_PROBABILITY) / max(len(spec.labels) - 1, 1)
        output = [SAMPLE_PROBABILITY] + [rest] * (len(spec.labels) - 1)
    else:
        targets = [
            float(example.target)
            for example in problem.read_split(dataset / "training", spec)
        ]
        output = [round(statistics.fmean(targets), 2)]
    return problem.answer(spec, output)


def documents(dataset: Path) -> dict[str, dict[str, Any]]:
    """All four contract files' content for the dataset at ``dataset``."""
    spec = problem.read_spec(dataset)
    examples = problem.read_split(dataset / "evaluation", spec)
    if not examples:
        raise ProblemDataError(f"{dataset / 'evaluation'} holds no example to show")
    return {
        **schemas(spec),
        INPUT_SAMPLE: problem.request_payload(spec, examples[0].input),
        OUTPUT_SAMPLE: sample_answer(spec, dataset),
    }


def write_contract(folder: Path | None = None) -> list[Path]:
    """Rewrite the contract files in ``folder`` (contracts/) from the dataset."""
    contents = documents(paths.dataset_dir())
    folder = folder or paths.contracts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in contents.items():
        path = folder / name
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def outdated_schemas(spec: Spec, folder: Path | None = None) -> list[str]:
    """The schema files in ``folder`` (contracts/) that ``spec`` would change."""
    folder = folder or paths.contracts_dir()
    outdated = []
    for name, document in schemas(spec).items():
        try:
            current = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            current = None
        if current != document:
            outdated.append(name)
    return outdated
