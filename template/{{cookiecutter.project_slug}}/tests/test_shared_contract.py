"""The /predict contract: the files in contracts/, the problem interface and the
answer agree, whatever the task kind."""

import json
import math

import jsonschema
import pytest

from {{ cookiecutter.package_name }} import contract, paths, problem

# A few examples per class (or rows) are enough to define the synthetic spec.
SYNTHETIC_COUNT = 3


def load(name: str) -> dict:
    return json.loads((paths.contracts_dir() / name).read_text())


@pytest.fixture(scope="module")
def source() -> problem.Source:
    return problem.synthetic_source(SYNTHETIC_COUNT, seed=0)


@pytest.fixture(scope="module")
def spec() -> problem.Spec:
    """The team's problem: contracts/problem.json."""
    return problem.project_spec()


def test_contract_files_are_what_the_interface_says(spec):
    # `nox -s data -- contract` rewrites them all when the data defines a new spec.
    assert load("input.schema.json") == problem.input_schema(spec)
    assert load("output.schema.json") == problem.output_schema(spec)


def test_the_synthetic_data_is_of_the_committed_problem(source, spec):
    assert source.spec == spec
    targets = {str(example.target) for example in source.examples}
    if spec.classification:
        assert targets == set(spec.labels)
    else:
        names = {feature.name for feature in spec.features}
        assert all(set(example.input) == names for example in source.examples)


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        ({"task": "some-other-kind"}, "this project's kind is"),
        ({"labels": ["only"], "features": []}, "two or more distinct labels"),
        ({"labels": [], "features": []}, "one or more features and a target"),
        ({"labels": "not a list", "features": 7}, "is not a problem spec"),
    ],
)
def test_a_broken_problem_file_is_refused_saying_why(
    spec, edit, error, tmp_path, monkeypatch
):
    (tmp_path / problem.SPEC_FILE).write_text(json.dumps({**spec.to_json(), **edit}))
    monkeypatch.setattr(paths, "contracts_dir", lambda: tmp_path)
    with pytest.raises(problem.ProblemDataError, match=error):
        problem.project_spec()


def test_without_a_problem_file_the_worked_example_is_the_problem(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(paths, "contracts_dir", lambda: tmp_path)
    assert problem.project_spec() == problem.EXAMPLE_SPEC


def test_schemas_are_valid_json_schema():
    for name in ("input.schema.json", "output.schema.json"):
        jsonschema.Draft202012Validator.check_schema(load(name))


def test_samples_follow_their_schemas():
    jsonschema.validate(load("input.sample.json"), load("input.schema.json"))
    jsonschema.validate(load("output.sample.json"), load("output.schema.json"))


def test_the_input_sample_decodes(spec):
    decoded = problem.decode_request(spec, load("input.sample.json"))
    assert decoded is not None
    assert set(problem.drift_features(spec, decoded)) == set(
        problem.drift_feature_names(spec)
    )


def test_requests_for_synthetic_examples_follow_the_schema_and_decode(source, spec):
    schema = problem.input_schema(spec)
    for example in source.examples[:: max(1, len(source.examples) // 5)]:
        payload = problem.request_payload(spec, example.input)
        jsonschema.validate(payload, schema)
        # JSON on the wire: what the service parses, not the Python object.
        problem.decode_request(spec, json.loads(json.dumps(payload)))


def test_requests_breaking_the_contract_are_refused_with_a_reason(spec):
    sample = load("input.sample.json")
    for payload in ([], "text", {}, {**sample, "unexpected": 1}):
        with pytest.raises(problem.ContractError) as refused:
            problem.decode_request(spec, payload)
        assert str(refused.value), payload


def test_the_request_size_limit_leaves_room_for_the_sample():
    size = len(json.dumps(load("input.sample.json")).encode())
    assert 0 < size < problem.MAX_REQUEST_BYTES


def test_the_answer_follows_the_output_schema(spec):
    schema = problem.output_schema(spec)
    if spec.classification:
        probabilities = [1.0] * len(spec.labels)
        probabilities[-1] = 5.0
        total = sum(probabilities)
        answer = contract.answer(spec, [p / total for p in probabilities])
        assert answer == {
            "prediction": spec.labels[-1],
            "probability": round(5.0 / total, 6),
        }
        assert schema["properties"]["prediction"]["enum"] == list(spec.labels)
        with pytest.raises(ValueError, match="probabilities for"):
            contract.answer(spec, [1.0])
    else:
        answer = contract.answer(spec, [12.3456789])
        assert answer == {"prediction": 12.345679}
        with pytest.raises(ValueError, match="predicted nan"):
            contract.answer(spec, [math.nan])
    jsonschema.validate(answer, schema)
    assert set(answer) == set(load("output.sample.json"))


def test_the_spec_survives_json_and_its_file(spec, tmp_path):
    fitted = spec.with_fitted(example=[1, 2])
    assert problem.Spec.from_json(json.loads(json.dumps(fitted.to_json()))) == fitted
    problem.write_spec(fitted, tmp_path)
    assert problem.read_spec(tmp_path) == fitted
    with pytest.raises(problem.ProblemDataError, match="nox -s data"):
        problem.read_spec(tmp_path / "missing")
