"""W&B runs for real: offline without a key, as WANDB_MODE says when it is set."""

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import problem

from training import tracking
from training.train import train


@pytest.fixture
def no_credentials(
    artifacts: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NETRC", str(tmp_path / "home" / ".netrc"))


def test_api_key_detection_decides_the_mode_unless_wandb_mode_is_set(
    no_credentials, monkeypatch, tmp_path
) -> None:
    assert not tracking.has_api_key()
    assert tracking.chosen_mode() == "offline"

    netrc = tmp_path / "home" / ".netrc"
    netrc.parent.mkdir()
    netrc.write_text("machine api.wandb.ai\n  login user\n  password secret\n")
    assert tracking.has_api_key()
    assert tracking.chosen_mode() is None  # wandb's default: online

    netrc.unlink()
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert tracking.chosen_mode() is None

    # When WANDB_MODE is set, no mode= is passed: wandb reads the variable.
    monkeypatch.delenv("WANDB_API_KEY")
    monkeypatch.setenv("WANDB_MODE", "online")
    assert tracking.chosen_mode() is None


@pytest.mark.parametrize(
    "environment",
    [{}, {"WANDB_MODE": "offline", "WANDB_API_KEY": "x" * 40}],
    ids=["no-api-key", "wandb-mode-offline-beats-a-key"],
)
def test_the_run_is_written_offline_with_metrics_cost_and_model_artifact(
    environment, no_credentials, artifacts, tiny_config, monkeypatch, capsys
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    document = train(tiny_config("epochs=1"))

    assert document["wandb_mode"] == "offline"
    run_dir = Path(document["wandb_run_dir"])
    assert run_dir.parent == artifacts / "wandb"
    assert run_dir.name.startswith("offline-run-")
    assert run_dir.name.endswith(document["run_id"])
    log = (run_dir / f"run-{document['run_id']}.wandb").read_bytes()
    # The run's records: config (with the environment), per-epoch metrics, the
    # summary with baseline and cost, and the model artifact.
    metric = document["metric"].encode()
    for recorded in (
        b"quality_bar", b"hostname", b"git_commit", b"val/" + metric,
        b"train/loss", b"baseline/" + metric, b"cost/wall_time_s",
        b"cost/samples_per_s", tracking.MODEL_ARTIFACT_NAME.encode(), b"model.pt",
        problem.TASK.encode(), document["config"]["arch"].encode(),
    ):  # fmt: skip
        assert recorded in log, recorded
    assert f"wandb sync {run_dir}" in capsys.readouterr().out


def test_wandb_mode_disabled_is_respected(artifacts, tiny_config) -> None:
    document = train(tiny_config("epochs=1"))
    assert document["wandb_mode"] == "disabled"
    assert document["wandb_run_dir"] is None
    assert not (artifacts / "wandb").exists()
