"""`python -m data contract`: contracts/ derived from the current dataset."""

import json
import statistics
from pathlib import Path

import jsonschema
import pytest

from {{ cookiecutter.package_name }} import paths, problem
from {{ cookiecutter.package_name }}.paths import dataset_dir

from data.cli import main
from data.contracts import outdated_files
from data.prepare import prepare

FILES = (
    "input.schema.json",
    "output.schema.json",
    "input.sample.json",
    "output.sample.json",
    "problem.json",
)


def written(folder: Path) -> dict[str, dict]:
    return {name: json.loads((folder / name).read_text()) for name in FILES}


@pytest.mark.parametrize("command", ["contract", "contract-sample"])
def test_the_five_files_follow_the_dataset(artifacts, tmp_path, command, capsys):
    prepare(count=4, seed=2)
    spec = problem.read_spec(dataset_dir())
    folder = tmp_path / "contracts"
    assert main([command, "--folder", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    assert str(folder / "input.sample.json") in capsys.readouterr().out
    files = written(folder)
    assert problem.Spec.from_json(files["problem.json"]) == spec
    assert "fitted" not in files["problem.json"]
    assert files["input.schema.json"] == problem.input_schema(spec)
    assert files["output.schema.json"] == problem.output_schema(spec)
    first = problem.read_split(dataset_dir() / "evaluation", spec)[0]
    assert files["input.sample.json"] == problem.request_payload(spec, first.input)
    for kind in ("input", "output"):
        jsonschema.Draft202012Validator.check_schema(files[f"{kind}.schema.json"])
        jsonschema.validate(files[f"{kind}.sample.json"], files[f"{kind}.schema.json"])
    # The request decodes as the service will decode it.
    problem.decode_request(spec, files["input.sample.json"])
    assert outdated_files(spec, folder) == []


def test_the_sample_answer_is_the_first_label_or_the_mean_target(artifacts, tmp_path):
    prepare(count=4, seed=2)
    spec = problem.read_spec(dataset_dir())
    main(["contract", "--folder", str(tmp_path)])
    answer = written(tmp_path)["output.sample.json"]
    if spec.classification:
        assert answer == {"prediction": spec.labels[0], "probability": 0.93}
    else:
        training = problem.read_split(dataset_dir() / "training", spec)
        mean = statistics.fmean(float(example.target) for example in training)
        assert answer == {"prediction": round(mean, 2)}


def test_a_new_spec_flows_into_the_schemas(
    artifacts, tmp_path, read_source_gives, relabelled
):
    source = relabelled(problem.synthetic_source(4, 2))
    assert main(["ingest", str(read_source_gives(source))]) == 0
    assert outdated_files(source.spec) != []
    main(["contract", "--folder", str(tmp_path / "contracts")])
    files = written(tmp_path / "contracts")
    assert files["output.schema.json"] == problem.output_schema(source.spec)
    assert files["output.schema.json"] != problem.output_schema(
        problem.synthetic_source(4, 2).spec
    )
    assert outdated_files(source.spec, tmp_path / "contracts") == []


def test_the_synthetic_data_follows_the_new_contract(
    artifacts, tmp_path, read_source_gives, relabelled, monkeypatch
):
    source = relabelled(problem.synthetic_source(4, 2))
    assert main(["ingest", str(read_source_gives(source))]) == 0
    folder = tmp_path / "contracts"
    main(["contract", "--folder", str(folder)])
    monkeypatch.setattr(paths, "contracts_dir", lambda: folder)
    assert problem.project_spec() == source.spec
    # `nox -s data` (tests, CI) now makes data of the team's problem: the same
    # labels or columns, so the contract stays what the synthetic data says.
    prepare(count=4, seed=2)
    made = problem.read_spec(dataset_dir())
    assert made == source.spec
    assert outdated_files(made, folder) == []
    assert problem.read_split(dataset_dir() / "training", made)


def test_the_files_are_plain_json_the_template_can_hold(artifacts, tmp_path):
    prepare(count=3)
    main(["contract", "--folder", str(tmp_path)])
    for name in FILES:
        text = (tmp_path / name).read_text()
        assert text.endswith("}\n")
        # Copied back into the template, these would break its Jinja rendering.
        assert "{" + "{" not in text
        assert "{" + "%" not in text


def test_without_a_dataset_it_says_how_to_make_one(artifacts, tmp_path, capsys):
    folder = tmp_path / "contracts"
    assert main(["contract", "--folder", str(folder)]) == 2
    assert "nox -s data" in capsys.readouterr().err
    assert not folder.exists()
