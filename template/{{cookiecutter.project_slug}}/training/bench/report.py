"""reports/training-bench.md: the measurements as tables, with verdicts."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }}.hardware import CpuUse

TARGET_OVERHEAD = 0.10


def loading_verdict(loading: dict[str, Any]) -> str:
    loader, step = loading["loader_samples_per_s"], loading["step_samples_per_s"]
    lost = 1 - loading["together_samples_per_s"] / step
    if loader < step:
        return (
            "The data loader is the bottleneck: it delivers fewer samples/s than the "
            "step consumes. Raise num_workers (one per free core) or encode the "
            "examples once, ahead of training."
        )
    verdict = (
        "The data loader is not the bottleneck: alone it delivers "
        f"{loader / step:.1f}x what the step consumes. "
    )
    if lost <= 0:
        return verdict + "Together they keep the step's pace."
    verdict += f"Together they run {lost * 100:.0f}% below the step alone"
    if loading["num_workers"] == 0 and lost > TARGET_OVERHEAD:
        return (
            verdict + ": with num_workers=0 loading takes turns with training in "
            "one process; num_workers=1 or more overlaps the two."
        )
    return verdict + "."


def goal_text(metric: str, higher_is_better: bool, target: float) -> str:
    """What time-to-quality waits for, in words."""
    if higher_is_better:
        return f"{target * 100:.0f}% validation {metric}"
    return f"a validation {metric} of {target:g} x the baseline's"


def write_report(out: Path, results: dict[str, Any], command: str) -> Path:
    machine, loops = results["hardware"], results["loops"]
    loading = results["loading"]
    overhead = 1 - loops["project_samples_per_s"] / loops["bare_samples_per_s"]
    met = "met" if overhead < TARGET_OVERHEAD else "not met"
    lines = [
        "# Training performance",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}`.",
        "",
        f"- Hardware: {machine['cpu']}, {machine['cores']} cores, GPU: "
        f"{machine['gpu'] or 'none'} (host {machine['host']}); torch "
        f"{machine['torch']}, compute threads: {results['threads']}.",
        f"- Base configuration: {results['base']}.",
        "- This machine's CPU during the measurements: "
        + (CpuUse(**results["cpu"]).describe() if results["cpu"] else "not known")
        + ".",
        "",
        "## The training loop's own overhead",
        "",
        "Same model, optimizer and batches (decoded, in memory); best of "
        f"{results['rounds']} interleaved runs of {results['steps']} steps.",
        "",
        "| loop | samples/s |",
        "|---|---|",
        f"| bare PyTorch | {loops['bare_samples_per_s']:.1f} |",
        f"| project (`engine.train_epoch`) | {loops['project_samples_per_s']:.1f} |",
        "",
        f"Overhead: {overhead * 100:.1f} % (target under "
        f"{TARGET_OVERHEAD * 100:.0f} %: {met}).",
        "",
        "## Data loading",
        "",
        "| stage | samples/s |",
        "|---|---|",
        f"| data loader alone (num_workers={loading['num_workers']}) | "
        f"{loading['loader_samples_per_s']:.1f} |",
        f"| training step alone | {loading['step_samples_per_s']:.1f} |",
        f"| both: the loader feeding the step | "
        f"{loading['together_samples_per_s']:.1f} |",
        "",
        loading_verdict(loading),
        "",
        *quality_section(results),
    ]
    path = out / "training-bench.md"
    path.write_text("\n".join(lines))
    return path


def quality_section(results: dict[str, Any]) -> list[str]:
    """The report's time-to-quality table, one row per configuration."""
    metric = results["metric"]
    goal = goal_text(metric, results["higher_is_better"], results["target"])
    lines = [
        f"## Time to {goal}",
        "",
        f"Each configuration trains for up to {results['max_epochs']} epochs; "
        "seconds are training plus validation time up to the first epoch at the "
        "target.",
        "",
        "| configuration | precision | reached at epoch | seconds | energy (J) "
        f"| best val {metric} | samples/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in results["time_to_quality"]:
        reached = run["reached_epoch"]
        energy = (
            f"{run['energy_j']:.1f}" if run["energy_j"] is not None else "not measured"
        )
        lines.append(
            f"| {run['configuration']} | {run['precision']} | "
            f"{reached if reached is not None else 'not reached'} | "
            f"{run['seconds'] if run['seconds'] is not None else 'n/a'} | "
            f"{energy} | {run['best_val']:.3f} | {run['samples_per_s']} |"
        )
    return [*lines, "", f"Energy: {results['energy']}.", ""]
