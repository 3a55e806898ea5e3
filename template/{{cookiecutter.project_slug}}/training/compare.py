"""A candidate model against the production model, on the same held-out data:
``python -m training.compare --production PATH --candidate PATH [--out PATH]``.

Both checkpoints predict the current dataset's evaluation split, which
retraining never adds to (`python -m data labelled` grows the training split
only), and are scored with the problem's metric (`quality.primary_metric`).
The candidate is better when it clears the quality gate (``quality_bar`` in
training/config.yaml, `quality.passes`) and beats production's figure by more
than `MIN_GAIN`. A tie keeps production: replacing a model is a risk that
needs a reason. The verdict is written as JSON (default
artifacts/metrics/comparison.json).

``--production-alias ALIAS`` takes production's model from the model registry
instead (the version ALIAS names, downloaded to artifacts/registry/ALIAS): the
GPU run's check before its model is deployed. While no version carries the
alias yet (the first model), the quality gate alone decides.

Exit codes: 0 the candidate is better; 1 it is not; 2 a model or the dataset
could not be used.
"""

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.spec import ProblemDataError

from .config import CONFIG_ERROR_EXIT_CODE, ConfigError, load_config
from .datasets import dataset_version, read_examples
from .evaluate import EvaluationError, evaluation_document, load_model, predict_split
from .model_registry import Registry, RegistryError
from .reports import write_json

PROG = "python -m training.compare"
NOT_BETTER_EXIT_CODE = 1
# How much better the candidate must be: a share of production's figure (1 %
# less error, or 1 % more accuracy), so that noise does not swap models.
MIN_GAIN = 0.01


def score(path: Path, bar: float, training_targets: list[Any]) -> dict[str, Any]:
    """One checkpoint's evaluation.json figures on the evaluation split."""
    model, spec, metadata = load_model(path)
    examples = read_examples("evaluation", spec)
    predictions = predict_split(model, spec, examples, torch.device("cpu"))
    return {
        **evaluation_document(spec, bar, predictions, training_targets),
        "model": str(path),
        "trained_on_dataset_version": metadata.get("extra", {}).get("dataset_version"),
    }


def is_better(candidate: dict[str, Any], production: dict[str, Any]) -> bool:
    """The candidate clears the gate and beats production by more than MIN_GAIN."""
    metric = candidate["metric"]
    new, old = candidate[metric], production[metric]
    if candidate["higher_is_better"]:
        gained = new - old > MIN_GAIN * abs(old)
    else:
        gained = old - new > MIN_GAIN * abs(old)
    return bool(candidate["passed"]) and gained


def compare(production: Path | None, candidate: Path, bar: float) -> dict[str, Any]:
    """Both models on the same held-out data, and the verdict; with no
    production model (None), the candidate's quality gate alone."""
    spec = load_model(production or candidate)[1]
    training_targets = [e.target for e in read_examples("training", spec)]
    scored = score(candidate, bar, training_targets)
    current = score(production, bar, training_targets) if production else None
    return {
        "metric": scored["metric"],
        "dataset_version": dataset_version(),
        "production": current,
        "candidate": scored,
        "min_gain": MIN_GAIN,
        "better": is_better(scored, current) if current else bool(scored["passed"]),
    }


def registered_production(alias: str, model: str, into: Path) -> Path | None:
    """The checkpoint of the registry version ``alias`` names, downloaded into
    ``into``; None while no version carries the alias. `RegistryError` when
    the registry cannot be read."""
    registry = Registry(model)
    if alias not in registry.aliases():
        return None
    shutil.rmtree(into, ignore_errors=True)  # only this version's files
    folder = registry.download(alias, into)
    found = sorted(folder.rglob(paths.latest_model_path().name))
    if not found:
        raise RegistryError(
            f"{registry.where()}: the version '{alias}' names holds no "
            f"{paths.latest_model_path().name}"
        )
    return found[0]


def verdict_line(result: dict[str, Any]) -> str:
    metric = result["metric"]
    production, candidate = result["production"], result["candidate"]
    if production is None:
        gate = "passes" if result["better"] else "fails"
        return (
            f"no production model yet: the candidate {gate} the quality gate "
            f"({metric} {candidate[metric]:.3f})"
        )
    figures = (
        f"{metric} {candidate[metric]:.3f} against production's "
        f"{production[metric]:.3f}"
    )
    if result["better"]:
        return f"the candidate is better: {figures}"
    reason = (
        "it fails the quality gate"
        if not candidate["passed"]
        else f"it gains {100 * MIN_GAIN:g} % or less"
    )
    return f"the candidate is not better ({reason}): {figures}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    production = parser.add_mutually_exclusive_group(required=True)
    production.add_argument("--production", type=Path, help="a checkpoint")
    production.add_argument(
        "--production-alias",
        metavar="ALIAS",
        help="the model registry's version ALIAS names (e.g. production)",
    )
    parser.add_argument(
        "--model", help="with an alias: the registered model (default tracking.project)"
    )
    parser.add_argument("--candidate", type=Path, required=True)
    parser.add_argument(
        "--out", type=Path, default=paths.metrics_dir() / "comparison.json"
    )
    args = parser.parse_args(argv)
    try:
        config = load_config()
        current = args.production
        if args.production_alias:
            current = registered_production(
                args.production_alias,
                args.model or config.tracking.project,
                paths.artifacts_dir() / "registry" / args.production_alias,
            )
        result = compare(current, args.candidate, config.quality_bar)
    except (ConfigError, ProblemDataError, EvaluationError, RegistryError) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        args.out.unlink(missing_ok=True)  # an older verdict must not stand for this
        return CONFIG_ERROR_EXIT_CODE
    write_json(args.out, result)
    print(verdict_line(result))
    print(f"comparison: {args.out}")
    return 0 if result["better"] else NOT_BETTER_EXIT_CODE


if __name__ == "__main__":
    sys.exit(main())
