"""`python -m training.bench` on the tiny dataset: it runs and its tables are whole."""

import json
import sys

import pytest

from {{ cookiecutter.package_name }} import paths, quality
from {{ cookiecutter.package_name }}.spec import Spec

from training.bench.run import main


@pytest.mark.slow
def test_the_benchmark_reports_overhead_loading_and_time_to_quality(
    artifacts, tiny_overrides, tiny_spec, tmp_path
):
    out = tmp_path / "reports"
    # A bar the first epochs can reach: an accuracy of 0.3, or 0.9 x the error
    # of the mean predictor.
    target = "0.3" if tiny_spec.classification else "0.9"
    argv = [
        *tiny_overrides,
        *("--configs", "batch_size=16", "batch_size=32 amp=true"),
        *("--target", target, "--max-epochs", "2", "--steps", "3", "--rounds", "1"),
        *("--out", str(out)),
    ]
    assert main(argv) == 0

    results = json.loads((out / "training-bench.json").read_text())
    check_results(results, tiny_spec, float(target))
    check_report((out / "training-bench.md").read_text(), results, tiny_overrides)
    # The benchmark's training runs never replace the team's model.
    assert not paths.latest_model_path().exists()


def check_results(results: dict, spec: Spec, target: float) -> None:
    loops, loading = results["loops"], results["loading"]
    assert loops["bare_samples_per_s"] > 0 and loops["project_samples_per_s"] > 0
    assert loading["loader_samples_per_s"] > 0
    assert loading["together_samples_per_s"] > 0
    assert loading["step_samples_per_s"] == loops["project_samples_per_s"]
    metric, higher_is_better = quality.primary_metric(spec)
    assert results["metric"] == metric
    assert results["higher_is_better"] is higher_is_better
    assert results["target"] == target
    runs = results["time_to_quality"]
    assert [run["configuration"] for run in runs] == [
        "batch_size=16",
        "batch_size=32 amp=true",
    ]
    for run in runs:
        assert run["best_val"] > 0
        if run["reached_epoch"] is not None:
            assert run["reached_epoch"] in (1, 2) and run["seconds"] > 0
        # No GPU here: energy is absent, never a made-up zero.
        assert run["energy_j"] is None
    assert results["energy"].startswith("not measured (no GPU")


def check_report(report: str, results: dict, overrides: tuple[str, ...]) -> None:
    assert "| bare PyTorch |" in report and "Overhead:" in report
    assert "data loader is" in report
    heading = (
        "## Time to 30% validation accuracy"
        if results["higher_is_better"]
        else "## Time to a validation mae of 0.9 x the baseline's"
    )
    table = report.split(heading, 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("| batch_size")]
    assert len(rows) == 2
    assert all("| not measured |" in row for row in rows)
    assert "Energy: not measured (no GPU here" in report
    # The command that reproduces it, the overrides included.
    assert " ".join(["python -m training.bench", *overrides[:2]]) in report
    # How the machine's CPU was spent while all of it was measured.
    if sys.platform == "linux":
        assert set(results["cpu"]) == {"busy", "idle", "stolen"}
        assert "stolen by the hypervisor" in report
    else:
        assert "CPU during the measurements: not known" in report
