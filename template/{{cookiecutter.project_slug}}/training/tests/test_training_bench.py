"""`python -m training.bench` on the tiny dataset: it runs and its tables are whole."""

import json
import sys

from {{ cookiecutter.package_name }} import paths

from training.bench import main


def test_the_benchmark_reports_overhead_loading_and_time_to_accuracy(
    artifacts, tiny_overrides, tmp_path
):
    out = tmp_path / "reports"
    argv = [
        *tiny_overrides,
        *("--configs", "batch_size=16", "batch_size=32 amp=true"),
        *("--target", "0.3", "--max-epochs", "2", "--steps", "3", "--rounds", "1"),
        *("--out", str(out)),
    ]
    assert main(argv) == 0

    results = json.loads((out / "training-bench.json").read_text())
    loops, loading = results["loops"], results["loading"]
    assert loops["bare_samples_per_s"] > 0 and loops["project_samples_per_s"] > 0
    assert loading["loader_samples_per_s"] > 0
    assert loading["together_samples_per_s"] > 0
    assert loading["step_samples_per_s"] == loops["project_samples_per_s"]
    runs = results["time_to_accuracy"]
    assert [run["configuration"] for run in runs] == [
        "batch_size=16",
        "batch_size=32 amp=true",
    ]
    for run in runs:
        assert run["best_val_accuracy"] > 0
        if run["reached_epoch"] is not None:
            assert run["reached_epoch"] in (1, 2) and run["seconds"] > 0
        # No GPU here: energy is absent, never a made-up zero.
        assert run["energy_j"] is None
    assert results["energy"].startswith("not measured (no GPU")

    report = (out / "training-bench.md").read_text()
    assert "| bare PyTorch |" in report and "Overhead:" in report
    assert "data loader is" in report
    table = report.split("## Time to 30% validation accuracy", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("| batch_size")]
    assert len(rows) == 2
    assert all("| not measured |" in row for row in rows)
    assert "Energy: not measured (no GPU here" in report
    assert "python -m training.bench image_size=32" in report
    # How the machine's CPU was spent while all of it was measured.
    if sys.platform == "linux":
        assert set(results["cpu"]) == {"busy", "idle", "stolen"}
        assert "stolen by the hypervisor" in report
    else:
        assert "CPU during the measurements: not known" in report

    # The benchmark's training runs never replace the team's model.
    assert not paths.latest_model_path().exists()
