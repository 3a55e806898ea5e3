"""Train the model: ``python -m training.train [--config PATH] [key=value ...]``.

Reads the dataset's training and validation splits, fits the problem's
preprocessing on the training split, trains as configured in
training/config.yaml, checkpoints every epoch (``resume=true`` continues), and
writes the model serving packages (artifacts/models/model.pt, holding the
fitted spec), the run's metrics (artifacts/metrics/training.json) and a tracker
run (training/tracking.py) with the model registered. Exit codes: 0 trained;
2 the run could not start or go on (bad config, no dataset, an unreadable
example, nothing to resume); 130 interrupted.

`train` reads as its steps: choose the hardware, load the splits, build the
model (or resume it), start tracking, then per epoch fit, validate, record and
checkpoint, and finish with the model and the run's summary.
"""

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from torch.utils.data import DistributedSampler

from {{ cookiecutter.package_name }}.spec import ProblemDataError

from . import checkpoints, distributed, tracking
from .config import (
    CONFIG_ERROR_EXIT_CODE,
    ConfigError,
    TrainingConfig,
    from_command_line,
)
from .datasets import Splits, load_splits
from .epochs import epoch_line, run_epoch, save_training_state, tracked_metrics
from .reports import baseline_text, training_metrics_path, write_json
from .results import finish
from .run_state import (
    Hardware,
    State,
    choose_hardware,
    make_loader,
    make_training_loader,
    resume_or_start,
)

PROG = "python -m training.train"
EpochCallback = Callable[[int], None]


def train(
    config: TrainingConfig, *, after_epoch: EpochCallback | None = None
) -> dict[str, Any]:
    """Train as configured; return what is written to training.json.

    ``after_epoch(epoch)`` is called once each epoch's checkpoint is on disk.
    """
    cluster = distributed.cluster_from_env()
    try:
        return _train(config, cluster, after_epoch)
    finally:
        distributed.stop(cluster)


def _train(
    config: TrainingConfig,
    cluster: distributed.Cluster,
    after_epoch: EpochCallback | None,
) -> dict[str, Any]:
    started = time.perf_counter()
    hardware = choose_hardware(config, cluster)
    checkpoints.seed_everything(config.seed)
    data = load_splits(config.to_dict())
    state = resume_or_start(config, data.spec, hardware)
    training_loader = make_training_loader(config, data, hardware, state)
    validation_loader = make_loader(data.validation, config, hardware.device)
    tracker = start_tracking(config, hardware, data, state)
    try:
        for epoch in range(len(state.history) + 1, config.epochs + 1):
            if isinstance(training_loader.sampler, DistributedSampler):
                training_loader.sampler.set_epoch(epoch)
            record = run_epoch(
                epoch, data.spec, state, training_loader, validation_loader, hardware
            )
            tracker.log_epoch(epoch, tracked_metrics(record))
            if cluster.is_main:
                save_training_state(config, state)
                print(epoch_line(data.spec, record, config.epochs))
                if after_epoch is not None:
                    after_epoch(epoch)
        document = finish(config, data, state, tracker, hardware, started)
    except BaseException:
        tracker.finish(exit_code=1)
        raise
    tracker.finish()
    if cluster.is_main:
        write_json(training_metrics_path(), document)
    return document


def start_tracking(
    config: TrainingConfig, hardware: Hardware, data: Splits, state: State
) -> tracking.Tracker:
    """The tracker's run (process 0's only), announced with what this run trains."""
    tracker = tracking.Tracker.start(
        config, hardware.environment, main_process=hardware.cluster.is_main
    )
    processes = hardware.cluster.world_size
    hardware.say(
        f"training {config.arch} for {data.spec.task} on {hardware.device} "
        f"({hardware.precision.name}, compile {state.runner.status}"
        + (f", {processes} processes" if processes > 1 else "")
        + f"): {len(data.training)} training and {len(data.validation)} "
        f"validation examples; {tracking.NAME} {tracker.mode}, run {tracker.run_id}"
    )
    return tracker


def main(argv: Sequence[str] | None = None) -> int:
    config = from_command_line(argv, prog=PROG, description="Train the model.")
    try:
        document = train(config)
    except (ConfigError, ProblemDataError, checkpoints.ResumeError) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return CONFIG_ERROR_EXIT_CODE
    except KeyboardInterrupt:
        print(
            f"{PROG}: interrupted; continue from the last finished epoch with "
            f"resume=true ({checkpoints.last_checkpoint_path()})",
            file=sys.stderr,
        )
        return 130
    if not distributed.cluster_from_env().is_main:
        return 0
    metric = document["metric"]
    print(
        f"validation {metric} {document[f'val_{metric}']:.3f}; baseline: "
        f"{baseline_text(document['baseline'])}; "
        f"{document['cost']['wall_time_s']:.1f} s on {document['cost']['device']}\n"
        f"model: {document['model']}\nmetrics: {training_metrics_path()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
