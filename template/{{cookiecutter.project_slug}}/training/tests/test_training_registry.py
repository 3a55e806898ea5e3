"""Which registry version a training run registered (`nox -s registry --
promote-trained ALIAS`, what the deploy workflow moves), and a comparison with
a registry that cannot answer, whatever the tracker."""

import json
from pathlib import Path

import pytest

from training import compare, registry


def summary_naming(folder: Path, model_version: str | None) -> Path:
    summary = folder / "training.json"
    summary.write_text(json.dumps({"tracking": {"model_version": model_version}}))
    return summary


@pytest.mark.parametrize(
    "named, version",
    [
        ("3", "3"),  # MLflow's registered model version
        ("wandb-registry-model/food:v4", "v4"),  # W&B's linked version
        ("wandb-registry-model/food:latest", None),  # an alias, not a version
        (None, None),  # an offline run registers nothing
    ],
)
def test_the_version_a_run_registered(tmp_path, named, version):
    assert registry.registered_version(summary_naming(tmp_path, named)) == version


def test_no_summary_names_no_version(tmp_path):
    assert registry.registered_version(tmp_path / "missing.json") is None
    (tmp_path / "bad.json").write_text("{not json")
    assert registry.registered_version(tmp_path / "bad.json") is None


def test_a_run_that_registered_nothing_moves_no_alias(tmp_path, capsys):
    summary = summary_naming(tmp_path, None)
    command = ["promote-trained", "production", "--run-summary", str(summary)]
    assert registry.main(["--model", "anything", *command]) == 0
    assert "names no registered version: production not moved" in (
        capsys.readouterr().out
    )


def test_a_comparison_with_no_registry_to_read_refuses_and_leaves_no_verdict(
    artifacts, tmp_path, capsys
):
    out = tmp_path / "comparison.json"
    out.write_text('{"better": true}')  # an older run's verdict
    command = ["--model", "never-registered", "--production-alias", "production"]
    command += ["--candidate", str(tmp_path / "model.pt"), "--out", str(out)]
    assert compare.main(command) == 2
    assert "never-registered" in capsys.readouterr().err
    assert not out.exists()
