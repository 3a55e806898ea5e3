"""`python -m cicd.github_setup [--dry-run]`, run as `nox -s github-setup -- ...`.

Makes the repository's settings what desired.py describes, through GitHub's REST
API, with a token in GITHUB_TOKEN (cicd/docs/github.md lists its permissions),
for GITHUB_REPOSITORY (default: the repository this project was generated for).
Prints, as JSON, each change (`--dry-run`: each change it would make) and the
secrets and variables still to set, by name and place; no value is ever printed.
A second run changes nothing. Exit 0 when every change was made (settings may
still be missing), 1 when GitHub refused one, 2 without a token.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from typing import Any

from cicd.course.milestones import load
from cicd.github_api import DEFAULT_API_URL, GitHub, GitHubError, quoted
from cicd.runner import settings

from .changes import Change, compare
from .current import read, variables_path
from .desired import BRANCH, desired

PERMISSIONS = (
    "Administration, Environments and Variables: read and write; Secrets: read"
)


def client() -> GitHub:
    token = os.environ.get("GITHUB_TOKEN", "")
    if not token:
        print(
            "error: set GITHUB_TOKEN to a token for this repository with "
            f"{PERMISSIONS} (cicd/docs/github.md)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    api_url = os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    return GitHub(settings.repository(), token, api_url=api_url.rstrip("/"))


def user_id(github: GitHub, login: str) -> int:
    answer = github.call("GET", f"{github.api_url}/users/{quoted(login)}")
    if answer is None:
        raise GitHubError("GET", f"/users/{login}", 404, "no such GitHub user")
    return int(answer["id"])


def request(github: GitHub, change: Change, environ: Mapping[str, str]):
    """The method, URL and body that make one change."""
    shown = change.shown
    if change.kind == "branch_protection":
        return (
            "PUT",
            f"/branches/{BRANCH}/protection",
            {
                "required_status_checks": {
                    "strict": False,
                    "contexts": shown["checks"],
                },
                "enforce_admins": shown["enforce_admins"],
                "required_pull_request_reviews": {
                    "dismiss_stale_reviews": shown["dismiss_stale_reviews"],
                    "require_code_owner_reviews": shown["code_owner_review"],
                    "required_approving_review_count": shown["approvals"],
                },
                "restrictions": None,
            },
        )
    if change.kind == "environment":
        reviewers = [
            {"type": "User", "id": user_id(github, login)}
            for login in shown["reviewers"]
        ]
        branches = {"protected_branches": True, "custom_branch_policies": False}
        return (
            "PUT",
            f"/environments/{quoted(change.name)}",
            {
                "wait_timer": 0,
                "prevent_self_review": shown["prevent_self_review"],
                "reviewers": reviewers,
                "deployment_branch_policy": (
                    branches if shown["protected_branches_only"] else None
                ),
            },
        )
    if change.kind == "actions_permissions":
        return (
            "PUT",
            "/actions/permissions/workflow",
            {
                "default_workflow_permissions": "read",
                "can_approve_pull_request_reviews": True,
            },
        )
    path = variables_path(change.environment)
    body = {"name": change.name, "value": environ[change.name].strip()}
    if change.do == "create":
        return "POST", path, body
    return "PATCH", f"{path}/{change.name}", body


def described(change: Change) -> dict[str, Any]:
    where = {"environment": change.environment} if change.environment else {}
    return {
        "do": change.do,
        "kind": change.kind,
        "name": change.name,
        **where,
        **change.shown,
    }


def run(dry_run: bool, environ: Mapping[str, str]) -> tuple[dict[str, Any], int]:
    github = client()
    wanted = desired(load().members)
    outcome = compare(wanted, read(github, wanted), environ)
    refused = []
    if not dry_run:
        for change in outcome.changes:
            try:
                method, path, body = request(github, change, environ)
                github.call(method, github.repo_url(path), body)
            except GitHubError as error:
                refused.append({**described(change), "refused": str(error)})
    report = {
        "repository": github.repository,
        "dry_run": dry_run,
        "changes": [described(change) for change in outcome.changes],
        "refused": refused,
        "missing": outcome.missing,
    }
    return report, 1 if refused else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nox -s github-setup --", description=__doc__)
    parser.add_argument(
        "--dry-run", action="store_true", help="print the changes; make none"
    )
    args = parser.parse_args(argv)
    try:
        report, code = run(args.dry_run, os.environ)
    except GitHubError as error:  # reading failed: nothing was changed
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=2))
    for setting in report["missing"]:
        print(f"still to set: {setting['name']} in {setting['where']}", file=sys.stderr)
    return code
