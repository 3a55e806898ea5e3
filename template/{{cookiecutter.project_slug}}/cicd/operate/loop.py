"""The loop, as its steps: `operate` (the package's docstring says why each).

Every figure comes from the rooms' own programs and files: the traffic's report,
the online evaluation, the drift check, the comparison on held-out data and the
canary gate. `Run` collects them for the report.
"""

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths

from .drill import keep, restore
from .labellers import answer_tasks
from .rooms import Rooms
from .run import Options, Run
from .stages import StageRecord
from .trigger import retrain_reasons

# The canary gate's window starts before the canary's day and ends after it.
GATE_MARGIN_SECONDS = 2.0
# Requests a fresh canary answers before the gate's window: its first answers
# are slow (lazy loading, first inference), which is not the canary's speed.
WARM_UP_REQUESTS = 20


class Loop:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.home = paths.artifacts_dir() / "operate"
        # Both stages log to the same files, each line stamped with its stage;
        # they outlive runs, so quality and labelled inputs add up over time.
        logs = self.home / "service"
        env = {
            **os.environ,
            "PREDICTION_LOG": str(logs / "predictions.jsonl"),
            "FEEDBACK_LOG": str(logs / "feedback.jsonl"),
            "INPUT_LOG": str(logs / "inputs.jsonl"),
        }
        self.rooms = Rooms(self.home / "logs", env)
        self.record = StageRecord.load(self.home / "stages.json")
        self.drill_copy = self.home / "dataset-before-drill"
        self.days_sent = 0
        self.run = Run(options)

    def json(self, path: Path) -> dict[str, Any]:
        return json.loads(path.read_text()) if path.is_file() else {}

    # ---- the steps ------------------------------------------------------

    def production_model(self) -> Path:
        """The model production serves: the record's, or else the latest
        trained one (training it first if there is none)."""
        kept = self.record.model("production")
        if kept is not None and kept.is_file():
            self.run.step("production", f"model {kept.stem} (stages.json)")
            return kept
        if not paths.dataset_dir().is_dir():
            self.rooms.run("data", "data", "-m", "data", "prepare")
        if not paths.latest_model_path().is_file():
            self.rooms.run("train", "training", "-m", "training.train")
        # The drift reference and the offline figures of the model in production.
        self.rooms.run("evaluate", "training", "-m", "training.evaluate", ok=(0, 1))
        entry = self.record.keep(paths.latest_model_path(), origin="latest trained")
        self.record.set("production", entry, "first deployment")
        self.run.step("production", f"model {Path(entry['model']).stem} (latest)")
        return Path(entry["model"])

    def day(self, name: str, production: str, canary: str | None = None) -> None:
        """A compressed day of production-like traffic, with users' feedback."""
        report = self.home / f"{name}.json"
        options = self.options
        flags: dict[str, object] = {
            "--url": production,
            "--hours": options.hours,
            "--hour-seconds": options.hour_seconds,
            "--peak": options.peak,
            "--json": report,
            "--truth": self.home / "truth.jsonl",
            "--pool-seed": self.pool_seed(),
        }
        if canary:
            flags |= {"--canary-url": canary, "--canary-share": options.canary_share}
        args = ["-m", "data.production_traffic"]
        args += [str(part) for flag in flags.items() for part in flag]
        step = self.rooms.run(name, "data", *args, ok=(0, 1))
        traffic = {"name": name, **self.json(report)}
        self.run.days.append(traffic)
        for stage, entry in traffic.get("stages", {}).items():
            self.run.step(
                name, f"{stage}: {entry['answered']}/{entry['sent']} answered"
            )
            if entry["errors"]:
                self.run.incidents.append(f"{name}: {stage} errors {entry['errors']}")
        if step.code != 0 and "stages" not in traffic:
            self.run.incidents.append(f"{name}: the traffic did not run ({step.log})")

    def pool_seed(self) -> int:
        """New inputs every day, since yesterday's may be in training by now;
        with ``--seed``, the same ones on every run of the loop."""
        self.days_sent += 1
        if self.options.seed is None:
            return time.time_ns() % 1_000_000_007
        return self.options.seed * 100 + self.days_sent

    def observe(self, phase: str) -> None:
        """Online quality from the feedback, and the drift check."""
        window = str(self.options.hour_seconds * 4 / 60)  # four compressed hours
        online = paths.monitoring_dir() / "online.json"
        evaluate = ["-m", "monitoring.online_eval", "--window-minutes", window]
        self.rooms.run(f"online-{phase}", "monitoring", *evaluate, "--out", str(online))
        self.run.online = self.json(online)
        for stage, entry in self.run.online.get("stages", {}).items():
            metric = self.run.online["metric"]
            value = entry.get(metric)
            shown = "-" if value is None else f"{value:.3f}"
            figures = f"{metric} {shown} on {entry['labelled']} labelled"
            self.run.step(f"online {phase}", f"{stage}: {figures}")
        drift = paths.monitoring_dir() / "drift.json"
        check = ["-m", "monitoring.drift", "--out", str(drift)]
        self.rooms.run(f"drift-{phase}", "monitoring", *check)
        self.run.drift = self.json(drift)
        found = self.run.drift.get("drifted_checks") or []
        self.run.step(
            f"drift {phase}", "drift in " + ", ".join(found) if found else "none"
        )

    def label(self, url: str) -> None:
        """Inputs picked for labelling, answered, and sent back as feedback."""
        out = self.home / "labelling"
        picking = ["-m", "data.labelling", "sample", "--out", str(out)]
        picked = self.rooms.run("labelling-sample", "data", *picking)
        self.run.step("labelling", picked.output.strip().splitlines()[-1])
        export = out / "export.json"
        answer_tasks(out / "tasks.json", self.home / "truth.jsonl", export)
        sending = ["-m", "data.labelling", "answers", str(export), "--url", url]
        step = self.rooms.run("labelling-answers", "data", *sending, ok=(0, 1))
        self.run.step("labelling", step.output.strip().splitlines()[0])
        if step.code != 0:
            self.run.incidents.append(f"labels refused by the service ({step.log})")

    def retrain(self) -> Path:
        """The dataset plus labelled production inputs -> a new candidate."""
        labelled = ["-m", "data", "labelled"]
        if self.options.drill == "shuffled-labels":
            labelled.append("--shuffle-labels")
            keep(paths.artifacts_dir() / "data", self.drill_copy)
        self.rooms.run("dataset", "data", *labelled)
        manifest = self.json(paths.artifacts_dir() / "data" / "manifest.json")
        added = manifest.get("options", {}).get("added", 0)
        self.rooms.run("retrain", "training", "-m", "training.train")
        entry = self.record.keep(
            paths.latest_model_path(),
            origin="retrained",
            dataset_version=manifest.get("version"),
            drill=self.options.drill,
        )
        version = str(manifest.get("version", ""))[:12]
        grown = f"dataset {version} (+{added} labelled production inputs)"
        self.run.step("retrain", f"candidate {Path(entry['model']).stem} on {grown}")
        self.record.set("staging", entry, "retrained: " + "; ".join(self.run.reasons))
        return Path(entry["model"])

    def compare(self, production: Path, candidate: Path) -> bool:
        out = paths.metrics_dir() / "comparison.json"
        models = ["--production", str(production), "--candidate", str(candidate)]
        command = ["-m", "training.compare", *models, "--out", str(out)]
        step = self.rooms.run("compare", "training", *command, ok=(0, 1))
        self.run.comparison = self.json(out)
        self.run.step("compare", step.output.strip().splitlines()[0])
        return step.code == 0

    def canary(self, production_url: str, candidate: Path) -> bool:
        """The candidate on a share of live traffic, judged by the canary gate."""
        entry = self.record.stages["staging"]
        self.record.set("canary", entry, "better than production on held-out data")
        gate_out = paths.monitoring_dir() / "canary-gate.json"
        home = self.home / "canary"
        with self.rooms.serve("canary", candidate, home, WARM_UP_REQUESTS) as canary:
            window = self.options.hours * self.options.hour_seconds
            metrics = ["--canary", canary + "/metrics"]
            metrics += ["--production", production_url + "/metrics"]
            # The gate watches both stages' metrics while the canary's day runs.
            gate = self.rooms.start(
                "canary-gate", "monitoring", "-m", "monitoring.canary_gate",
                *metrics, "--window", str(window + GATE_MARGIN_SECONDS),
                "--out", str(gate_out),
            )  # fmt: skip
            self.day("canary-day", production_url, canary)
            gate.wait()
        self.run.gate = self.json(gate_out)
        verdict = self.run.gate.get("verdict", "rollback")
        failed = [c["name"] for c in self.run.gate.get("checks", []) if not c["passed"]]
        self.run.step(
            "canary gate",
            verdict + (f" (failed: {', '.join(failed)})" if failed else ""),
        )
        return verdict == "promote"

    # ---- the loop -------------------------------------------------------

    def operate(self) -> Run:
        try:
            return self.steps()
        finally:
            # A drill leaves no trace in the team's dataset.
            if self.drill_copy.is_dir():
                restore(self.drill_copy, paths.artifacts_dir() / "data")

    def steps(self) -> Run:
        run = self.run
        production = self.production_model()
        with self.rooms.serve(
            "production", production, self.home / "production"
        ) as url:
            self.day("day", url)
            self.observe("day")
            self.label(url)
            evaluation = self.json(paths.evaluation_path())
            run.reasons = retrain_reasons(
                self.options.trigger, run.drift, run.online, evaluation
            )
            run.step("trigger", "; ".join(run.reasons) or "no reason to retrain")
            run.incidents += [r for r in run.reasons if "alert" in r.split(":")[0]]
            if not run.reasons:
                run.outcome = "no retraining: production stays"
                return run
            candidate = self.retrain()
            if not self.compare(production, candidate):
                self.reject(production)
                return run
            promoted = self.canary(url, candidate)
            self.observe("canary-day")
        self.finish(promoted)
        return run

    def reject(self, production: Path) -> None:
        """Production stays, and the latest model is production's again."""
        self.record.clear("staging", "rejected: not better on held-out data")
        self.run.incidents.append("candidate rejected: not better on held-out data")
        self.run.outcome = "candidate rejected: production stays"
        shutil.copyfile(production, paths.latest_model_path())

    def finish(self, promoted: bool) -> None:
        staging = self.record.stages["staging"]
        self.record.clear("canary", "trial over")
        self.record.clear("staging", "trial over")
        if promoted:
            self.record.set("production", staging, "promoted by the canary gate")
            self.run.outcome = "candidate promoted to production"
            # The new production model's offline figures and drift reference
            # (the candidate is the latest trained model).
            self.rooms.run("evaluate", "training", "-m", "training.evaluate", ok=(0, 1))
        else:
            self.run.incidents.append("canary rolled back by the gate")
            self.run.outcome = "canary rolled back: production stays"


def operate(options: Options) -> Run:
    return Loop(options).operate()
