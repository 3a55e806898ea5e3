"""Device, mixed precision and torch.compile on a CPU: they work or step aside."""

import pytest
import torch

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.model import load_checkpoint

from training import acceleration
from training.acceleration import select_device
from training.config import ConfigError
from training.train import train


def test_auto_picks_cuda_only_when_there_is_one() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert select_device("auto").type == expected
    assert select_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="device=cuda"):
            select_device("cuda")


def test_amp_on_cpu_trains_in_bfloat16(artifacts, tiny_config, learned) -> None:
    document = train(tiny_config("amp=true"))
    assert document["precision"] == "bfloat16"
    assert learned(document)


def test_amp_falls_back_to_float32_with_a_warning_when_autocast_fails(
    artifacts, tiny_config, monkeypatch
) -> None:
    def unsupported(device_type: str, dtype: torch.dtype) -> None:
        raise RuntimeError("bfloat16 is not supported on this CPU")

    monkeypatch.setattr(acceleration, "_autocast_probe", unsupported)
    with pytest.warns(RuntimeWarning, match="amp=true.*training in float32"):
        document = train(tiny_config("epochs=1", "amp=true"))
    assert document["precision"] == "float32"


def test_a_failing_compile_warns_and_trains_exactly_like_eager(
    artifacts, tiny_config, monkeypatch
) -> None:
    """Compiling fails lazily, in the first call: that step must leave no trace.

    The failure is forced: a real torch.compile of this model takes over a
    minute on two CPU cores (measured), too slow for the test suite; it works
    with compile=true on the command line.
    """
    train(tiny_config("epochs=1"))
    eager = load_checkpoint(paths.latest_model_path())[0].state_dict()

    def compile_that_fails_when_called(model: torch.nn.Module):
        def compiled(inputs: torch.Tensor) -> torch.Tensor:
            model(inputs)  # runs (moving batch-norm statistics) before failing
            raise RuntimeError("backend compiler failed: no working C++ compiler")

        return compiled

    monkeypatch.setattr(torch, "compile", compile_that_fails_when_called)
    with pytest.warns(RuntimeWarning, match="compile=true: torch.compile failed"):
        document = train(tiny_config("epochs=1", "compile=true"))
    assert document["compile"] == "failed, eager"
    fallen_back = load_checkpoint(paths.latest_model_path())[0].state_dict()
    for key, value in eager.items():
        assert torch.equal(value, fallen_back[key]), key
