"""Which model each stage serves: the loop's deployment record.

``artifacts/operate/stages.json`` names, per stage (production; staging and
canary while a candidate is on trial), the model it serves: a copy of the
checkpoint kept under ``artifacts/operate/models/`` by its content's hash, with
where it came from. Every change is appended to the record's history, so a
rollback is going back to an entry of it. On Kubernetes the same record is the
environment's values that the deploy workflow commits and Argo CD applies
(cicd/docs/operate.md).
"""

import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }}.hashing import file_sha256


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class StageRecord:
    path: Path
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> "StageRecord":
        if not path.is_file():
            return cls(path)
        document = json.loads(path.read_text(encoding="utf-8"))
        return cls(path, document.get("stages", {}), document.get("history", []))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"stages": self.stages, "history": self.history}
        self.path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")

    def models_dir(self) -> Path:
        return self.path.parent / "models"

    def keep(self, checkpoint: Path, **about: Any) -> dict[str, Any]:
        """Copy ``checkpoint`` into the record's models; its entry."""
        digest = file_sha256(checkpoint)
        kept = self.models_dir() / f"{digest[:12]}.pt"
        if not kept.is_file():
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(checkpoint, kept)
        return {"model": str(kept), "sha256": digest, **about}

    def model(self, stage: str) -> Path | None:
        entry = self.stages.get(stage)
        return Path(entry["model"]) if entry else None

    def set(self, stage: str, entry: dict[str, Any], why: str) -> None:
        self.stages[stage] = {**entry, "since": now()}
        self.history.append({"time": now(), "stage": stage, "set": entry, "why": why})
        self.save()

    def clear(self, stage: str, why: str) -> None:
        if self.stages.pop(stage, None) is not None:
            self.history.append(
                {"time": now(), "stage": stage, "set": None, "why": why}
            )
            self.save()
