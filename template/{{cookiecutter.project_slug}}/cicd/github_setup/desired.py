"""What the template wants the repository's settings to be.

- Branch protection on main: the CI checks required, one approving review, from
  a code owner (every room has two: .github/CODEOWNERS says why), and a new push
  dismisses earlier approvals. Administrators are not bound, so the instructor
  can still repair a repository.
- Environments: staging, canary and production (the deploy workflow's stages;
  only protected branches may deploy to them) and chameleon (the GPU workflow's
  credentials). Production waits for a reviewer from the team, never the person
  who started the run.
- GitHub Actions may open pull requests (the template-update workflow's).
- The variables and secrets of cicd/settings_check.py, where it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from cicd.settings_check import SETTINGS, Setting

ROOT = Path(__file__).resolve().parents[2]
BRANCH = "main"
STAGES = ("staging", "canary", "production")
REVIEWED_STAGE = "production"


@dataclass(frozen=True)
class Protection:
    checks: tuple[str, ...]
    code_owner_review: bool = True
    approvals: int = 1
    dismiss_stale_reviews: bool = True
    enforce_admins: bool = False


@dataclass(frozen=True)
class Environment:
    name: str
    reviewers: tuple[str, ...] = ()  # GitHub logins
    prevent_self_review: bool = False
    protected_branches_only: bool = False


@dataclass(frozen=True)
class Desired:
    protection: Protection
    environments: tuple[Environment, ...]
    actions_can_open_pull_requests: bool
    settings: tuple[Setting, ...]


def ci_checks(workflow: Path) -> tuple[str, ...]:
    """The check names ci.yml's jobs report: a job's name, or `name (value)`
    per value of a one-key matrix, as GitHub names them."""
    flow = yaml.safe_load(workflow.read_text())
    checks = []
    for key, job in flow["jobs"].items():
        name = job.get("name", key)
        matrix = (job.get("strategy") or {}).get("matrix") or {}
        values = [value for axis in matrix.values() for value in axis]
        checks += [f"{name} ({value})" for value in values] or [name]
    return tuple(checks)


def desired(members: tuple[str, ...], root: Path = ROOT) -> Desired:
    environments = [
        Environment(
            stage,
            reviewers=members if stage == REVIEWED_STAGE else (),
            prevent_self_review=stage == REVIEWED_STAGE,
            protected_branches_only=True,
        )
        for stage in STAGES
    ]
    environments.append(Environment("chameleon"))  # GPU runs of labelled PRs too
    every_setting = {s.name: s for group in SETTINGS.values() for s in group}
    return Desired(
        protection=Protection(ci_checks(root / ".github" / "workflows" / "ci.yml")),
        environments=tuple(environments),
        actions_can_open_pull_requests=True,
        settings=tuple(every_setting.values()),
    )
