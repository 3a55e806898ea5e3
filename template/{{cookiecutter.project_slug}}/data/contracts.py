"""`python -m data contract`: the /predict contract files, from the current dataset.

The contract follows the data: the dataset's spec (labels, or feature names,
types and target) is committed as contracts/problem.json, which the synthetic
data then follows, and becomes contracts/*.schema.json; a real example of its
evaluation split becomes the sample request. Serving checks requests against
the same interface functions, so the files document what the service accepts.
"""

import json
import statistics
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths, problem
from {{ cookiecutter.package_name }}.problem import ProblemDataError, Spec

PROBLEM = problem.SPEC_FILE
INPUT_SCHEMA = "input.schema.json"
OUTPUT_SCHEMA = "output.schema.json"
INPUT_SAMPLE = "input.sample.json"
OUTPUT_SAMPLE = "output.sample.json"
# The probability the sample answer gives its class: any valid value would do.
SAMPLE_PROBABILITY = 0.93


def problem_document(spec: Spec) -> dict[str, Any]:
    """contracts/problem.json: the spec, without what training fits or is empty."""
    return {
        name: value
        for name, value in spec.to_json().items()
        if name == "task" or (value and name != "fitted")
    }


def spec_files(spec: Spec) -> dict[str, dict[str, Any]]:
    """The content of the files that ``spec`` alone defines: problem.json and
    the two schemas."""
    return {
        PROBLEM: problem_document(spec),
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
    """All five contract files' content for the dataset at ``dataset``."""
    spec = problem.read_spec(dataset)
    examples = problem.read_split(dataset / "evaluation", spec)
    if not examples:
        raise ProblemDataError(f"{dataset / 'evaluation'} holds no example to show")
    return {
        **spec_files(spec),
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


def outdated_files(spec: Spec, folder: Path | None = None) -> list[str]:
    """The files in ``folder`` (contracts/) that ``spec`` would change."""
    folder = folder or paths.contracts_dir()
    outdated = []
    for name, document in spec_files(spec).items():
        try:
            current = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            current = None
        if current != document:
            outdated.append(name)
    return outdated
