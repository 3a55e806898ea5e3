"""The model every room uses: built from a fitted spec, its outputs, its checkpoint."""

import math

import numpy as np
import pytest
import torch

from {{ cookiecutter.package_name }} import model, problem

SYNTHETIC_COUNT = 10  # per class, or rows: enough to fit the preprocessing
BATCH = 5


@pytest.fixture(scope="module")
def source() -> problem.Source:
    return problem.synthetic_source(SYNTHETIC_COUNT, seed=1)


@pytest.fixture(scope="module")
def spec(source) -> problem.Spec:
    settings = {"arch": problem.DEFAULT_ARCH}
    return problem.fit(source.spec, source.examples, settings)


@pytest.fixture(scope="module")
def examples(source) -> list[problem.Example]:
    """A few examples spread over the source (over the classes, if any)."""
    step = max(1, len(source.examples) // BATCH)
    return source.examples[::step][:BATCH]


@pytest.fixture(scope="module")
def batch(spec, examples) -> torch.Tensor:
    arrays = [problem.encode_input(spec, problem.load_input(e)) for e in examples]
    assert all(array.dtype == np.float32 for array in arrays)
    return torch.from_numpy(np.stack(arrays))


def fresh_model(spec: problem.Spec) -> torch.nn.Module:
    torch.manual_seed(0)
    return problem.build_model(spec, problem.DEFAULT_ARCH).eval()


def test_predictions_are_probabilities_or_values(spec, batch):
    predicted = model.predict(spec, fresh_model(spec), batch)
    if spec.classification:
        assert predicted.shape == (BATCH, len(spec.labels))
        assert torch.all(predicted >= 0)
        assert torch.allclose(predicted.sum(dim=1), torch.ones(BATCH))
    else:
        assert predicted.shape == (BATCH,)
        assert torch.all(torch.isfinite(predicted))


def test_the_loss_compares_outputs_with_encoded_targets(spec, examples, batch):
    net = fresh_model(spec)
    targets = model.target_tensor(spec, [example.target for example in examples])
    expected = torch.long if spec.classification else torch.float32
    assert targets.dtype == expected and targets.shape[0] == BATCH
    outputs = model.scaled_outputs(spec, net(batch))
    loss = model.loss_function(spec)(outputs, targets)
    assert math.isfinite(loss.item()) and loss.item() >= 0


def test_raw_outputs_become_probabilities_or_values_in_the_targets_units(spec):
    if spec.classification:
        equal = torch.zeros(2, len(spec.labels))
        probabilities = model.from_outputs(spec, equal)
        assert torch.allclose(probabilities, torch.full_like(equal, 1 / equal.shape[1]))
    else:
        scaled = spec.with_fitted(target_mean=30.0, target_scale=4.0)
        values = model.from_outputs(scaled, torch.tensor([[0.0], [1.5], [-1.0]]))
        assert torch.allclose(values, torch.tensor([30.0, 36.0, 26.0]))


def test_checkpoint_round_trip_keeps_weights_spec_and_metadata(spec, batch, tmp_path):
    net = fresh_model(spec)
    path = model.save_checkpoint(
        tmp_path / "m.pt", net, spec=spec, arch=problem.DEFAULT_ARCH, extra={"a": 1}
    )
    loaded, loaded_spec, metadata = model.load_checkpoint(path)
    assert loaded_spec == spec
    assert torch.allclose(loaded(batch), net(batch))
    assert metadata["arch"] == problem.DEFAULT_ARCH
    assert metadata["task"] == problem.TASK
    assert metadata["extra"] == {"a": 1} and "state_dict" not in metadata
    assert not list(tmp_path.glob("*.partial")), "the write is atomic"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("task", "another-kind", "a another-kind model, but this project's task is"),
        ("format", 1, "unsupported checkpoint format 1"),
    ],
)
def test_a_checkpoint_of_another_kind_or_format_is_refused(
    spec, tmp_path, key, value, message
):
    path = model.save_checkpoint(
        tmp_path / "m.pt", fresh_model(spec), spec=spec, arch=problem.DEFAULT_ARCH
    )
    payload = torch.load(path, weights_only=True)
    payload[key] = value
    torch.save(payload, path)
    with pytest.raises(ValueError, match=message):
        model.load_checkpoint(path)


def test_unknown_architecture_is_refused(spec):
    assert problem.DEFAULT_ARCH in problem.ARCHITECTURES
    with pytest.raises(ValueError, match="unknown arch 'no-such-net'"):
        problem.build_model(spec, "no-such-net")
