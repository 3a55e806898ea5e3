"""What a run of the loop was asked to do (`Options`) and what it found (`Run`,
which reports/operation.md is written from)."""

from dataclasses import dataclass, field
from typing import Any

DRILLS = ("shuffled-labels",)


@dataclass
class Options:
    trigger: str = "schedule"  # or "alerts"
    drill: str | None = None  # a candidate that must be rejected
    hours: int = 24
    hour_seconds: float = 0.5
    peak: int = 20
    canary_share: float = 0.3
    seed: int | None = None  # the days' inputs; None: new ones every run


@dataclass
class Run:
    """What happened, step by step, for reports/operation.md."""

    options: Options
    steps: list[tuple[str, str]] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)
    days: list[dict[str, Any]] = field(default_factory=list)
    online: dict[str, Any] = field(default_factory=dict)
    drift: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    comparison: dict[str, Any] | None = None
    gate: dict[str, Any] | None = None
    outcome: str = ""

    def step(self, name: str, outcome: str) -> None:
        print(f"operate: {name}: {outcome}", flush=True)
        self.steps.append((name, outcome))
