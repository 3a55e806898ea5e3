"""The handbook page "Bring your own problem" (the shared package's README.md), done.

Its names are checked for every kind: each file, test, constant and function the
page names exists in that kind's project. Then, on a fresh text-classification
project (the cheapest kind: no Pillow, no torchvision), each of its three changes
is made where the page says, and followed by the page's commands:

- a new label set: a label added to contracts/problem.json, which the synthetic
  data then follows with made-up words (no code edit);
- a new model: an architecture added and selected in training/config.yaml;
- a new contract field: an optional field of the request, with its own test.

The project's tests of the shared package, data and training must pass, its lint
too, and each change must show: in the rewritten contract, and in what training
records.
"""

import json
import re
from pathlib import Path

import pytest
from conftest import TASKS, answers_of, render, run_nox

pytestmark = pytest.mark.slow

NEW_LABEL = "Education"
NEW_ARCH = "deep_bag"
NEW_FIELD = "merchant"

TEST_REFERENCE = re.compile(
    r"`((?:tests|data|training|serving|monitoring)/[\w/]+\.py)(?:::(\w+))?`"
)
PACKAGE_FILE = re.compile(r"`(\w+\.py)`")
# Constants (`VOCABULARY`), functions (`random_order`, `build_model(spec, ...)`)
# and tests (`test_...`) the page names.
CODE_NAME = re.compile(r"`([A-Z][A-Z0-9_]+|[a-z]+_\w+)(?=`|\()")


def package_of(project: Path) -> Path:
    return project / answers_of(project)["package_name"]


def result_text(output: str) -> str:
    """What a nox run printed: its failures first, then its end."""
    lines = output.splitlines()
    failures = [line for line in lines if line.startswith(("E   ", "FAILED", "ERROR"))]
    return "\n".join([*failures[:60], "...", *lines[-60:]])


def nox(project: Path, *args: str) -> str:
    result = run_nox(project, *args, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, result_text(output)
    return output


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of ``old``: the page's place must be there."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path.name} no longer holds:\n{old}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize("task", TASKS)
def test_everything_the_page_names_exists(tmp_path, task):
    project = render(tmp_path / "project", task=task)
    package = package_of(project)
    page = (package / "README.md").read_text(encoding="utf-8")
    link = f"]({package.name}/README.md)"
    assert link in (project / "README.md").read_text()
    named_tests = TEST_REFERENCE.findall(page)
    assert len(named_tests) >= 8, named_tests
    for path, test in named_tests:
        assert (project / path).is_file(), path
        if test:
            assert f"def {test}(" in (project / path).read_text(), (path, test)
    files = PACKAGE_FILE.findall(page)
    assert f"{task.split('-')[0]}.py" in files
    for name in files:
        assert (package / name).is_file(), name
    sources = "\n".join(path.read_text() for path in package.glob("*.py"))
    tests = "\n".join(path.read_text() for path in project.glob("**/test_*.py"))
    names = set(CODE_NAME.findall(page))
    assert {"ARCHITECTURES", "build_model", "input_schema"} <= names
    for name in names:
        if name.startswith("test_"):
            assert f"def {name}(" in tests, name
        else:
            definition = rf"^(def |class )?{name}\b"
            assert re.search(definition, sources, re.MULTILINE), name


def add_a_label(project: Path) -> None:
    """A new label set: one more label in contracts/problem.json, by hand (as
    `nox -s data -- contract` would write it after ingesting data that has it)."""
    path = project / "contracts" / "problem.json"
    spec = json.loads(path.read_text())
    spec["labels"] = sorted([*spec["labels"], NEW_LABEL])
    path.write_text(json.dumps(spec, indent=2) + "\n")


def add_a_model(project: Path) -> None:
    """A new model: named in ARCHITECTURES, built by build_model, chosen in config."""
    text = package_of(project) / "text.py"
    edit(
        text,
        '("bag_of_words", "linear")',
        f'("bag_of_words", "linear", "{NEW_ARCH}")',
    )
    edit(
        text,
        '    if arch == "linear":\n',
        f"""\
    if arch == "{NEW_ARCH}":
        return nn.Sequential(
            nn.Linear(dimension, HIDDEN_UNITS),
            nn.ReLU(),
            nn.Linear(HIDDEN_UNITS, HIDDEN_UNITS),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(HIDDEN_UNITS, classes),
        )
    if arch == "linear":
""",
    )
    edit(
        project / "training" / "config.yaml",
        "\narch: default\n",
        f"\narch: {NEW_ARCH}\n",
    )


def add_a_contract_field(project: Path) -> None:
    """A new contract field: optional in input_schema, read by decode_request (which
    adds it to the text), and a test of it beside the kind's tests."""
    text = package_of(project) / "text.py"
    edit(
        text,
        '    return schema(\n        "input.schema.json",\n',
        '    document = schema(\n        "input.schema.json",\n',
    )
    edit(
        text,
        r"""                "pattern": "\\S",
            }
        },
    )
""",
        rf"""                "pattern": "\\S",
            }},
            "{NEW_FIELD}": {{
                "description": "The merchant's name, when the client knows it.",
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_TEXT_CHARS,
                "pattern": "\\S",
            }},
        }},
    )
    document["required"].remove("{NEW_FIELD}")
    return document
""",
    )
    edit(text, "- {TEXT_COLUMN})", f'- {{TEXT_COLUMN, "{NEW_FIELD}"}})')
    edit(
        text,
        "the request holds only 'text'\"",
        f"the request holds 'text' and '{NEW_FIELD}'\"",
    )
    edit(
        text,
        """\
        raise ContractError(f"'text' {problem}")
    return payload[TEXT_COLUMN]
""",
        f"""\
        raise ContractError(f"'text' {{problem}}")
    if "{NEW_FIELD}" not in payload:
        return payload[TEXT_COLUMN]
    problem = text_problem(payload["{NEW_FIELD}"])
    if problem is not None:
        raise ContractError(f"'{NEW_FIELD}' {{problem}}")
    # The model reads the merchant as more words of the text.
    return f"{{payload[TEXT_COLUMN]}} {{payload['{NEW_FIELD}']}}"
""",
    )
    tests = project / "tests" / "test_shared_text.py"
    tests.write_text(
        tests.read_text()
        + f'''

def test_the_{NEW_FIELD}_field_is_optional_and_read_as_more_words(synthetic):
    spec = synthetic.spec
    schema = problem.input_schema(spec)
    assert schema["required"] == ["text"]
    both = {{"text": "CARD PAYMENT 0421", "{NEW_FIELD}": "Summit College"}}
    jsonschema.validate(both, schema)
    assert problem.decode_request(spec, both) == "CARD PAYMENT 0421 Summit College"
    assert problem.decode_request(spec, {{"text": "CARD"}}) == "CARD"
    with pytest.raises(ContractError, match="'{NEW_FIELD}' holds only whitespace"):
        problem.decode_request(spec, {{"text": "CARD", "{NEW_FIELD}": " "}})
'''
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A text project with the page's three changes, its dataset and contract
    made again by the page's commands."""
    project = render(
        tmp_path_factory.mktemp("byop") / "project", task="text-classification"
    )
    page = (package_of(project) / "README.md").read_text()
    for place in ("`labels` of `contracts/problem.json`", "`arch: <name>`"):
        assert place in page, place
    add_a_label(project)
    add_a_model(project)
    add_a_contract_field(project)
    for command in ("nox -s data ", "nox -s data -- contract "):
        assert command in page, command
    nox(project, "-s", "data")
    assert "Wrote" in nox(project, "-s", "data", "--", "contract")
    return project


def contract(project: Path, name: str) -> dict:
    return json.loads((project / "contracts" / name).read_text())


def test_the_contract_follows_the_new_labels_and_field(project):
    answer = contract(project, "output.schema.json")["properties"]["prediction"]
    assert NEW_LABEL in answer["enum"] and len(answer["enum"]) == 9
    request = contract(project, "input.schema.json")
    assert set(request["properties"]) == {"text", NEW_FIELD}
    assert request["required"] == ["text"]
    assert set(contract(project, "input.sample.json")) == {"text"}


def test_the_projects_tests_pass_with_the_changes(project):
    output = nox(project, "-s", "tests", "--", "shared", "data", "training", "-rA")
    for tests in ("data/tests", "training/tests", "tests"):
        assert f"pytest {tests} " in output, tests
    assert not re.search(r"\d+ (failed|errors?)\b", output), result_text(output)
    new_test = f"test_the_{NEW_FIELD}_field_is_optional_and_read_as_more_words"
    assert f"PASSED tests/test_shared_text.py::{new_test}" in output


def test_training_uses_the_new_model_and_learns_the_new_labels(project):
    output = nox(project, "-s", "train")
    assert f"training {NEW_ARCH} for text-classification" in output
    metrics = project / "artifacts" / "metrics"
    training = json.loads((metrics / "training.json").read_text())
    assert training["config"]["arch"] == NEW_ARCH
    evaluation = json.loads((metrics / "evaluation.json").read_text())
    assert evaluation["passed"] is True, evaluation
    assert evaluation["per_class_accuracy"][NEW_LABEL] > 0.5, evaluation


def test_the_changed_project_is_lint_clean(project):
    nox(project, "-s", "lint")
