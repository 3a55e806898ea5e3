"""What GitHub has now, read through its REST API and reduced to what desired.py
sets, so that the two compare field by field.

- `GET /repos/{owner}/{repo}/branches/{branch}/protection` (404: none)
- `GET /repos/{owner}/{repo}/environments/{name}` (404: none)
- `GET /repos/{owner}/{repo}/actions/permissions/workflow`
- `GET /repos/{owner}/{repo}/actions/variables/{name}` and
  `.../environments/{environment}/variables/{name}` (404: not set)
- `GET /repos/{owner}/{repo}/actions/secrets` and
  `.../environments/{environment}/secrets`: names only; GitHub never returns a
  secret's value, and nothing here asks for one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cicd.github_api import GitHub, GitHubError, quoted

from .desired import BRANCH, Desired, Environment, Protection


@dataclass
class Current:
    protection: dict[str, Any] | None = None
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    actions_can_open_pull_requests: bool = False
    # (environment, or "" for the repository; name) -> value
    variables: dict[tuple[str, str], str] = field(default_factory=dict)
    secrets: set[tuple[str, str]] = field(default_factory=set)


def protection_fields(protection: Protection) -> dict[str, Any]:
    return {
        "checks": sorted(protection.checks),
        "code_owner_review": protection.code_owner_review,
        "approvals": protection.approvals,
        "dismiss_stale_reviews": protection.dismiss_stale_reviews,
        "enforce_admins": protection.enforce_admins,
    }


def read_protection(answer: dict[str, Any]) -> dict[str, Any]:
    checks = answer.get("required_status_checks") or {}
    reviews = answer.get("required_pull_request_reviews") or {}
    return {
        "checks": sorted(checks.get("contexts") or []),
        "code_owner_review": bool(reviews.get("require_code_owner_reviews")),
        "approvals": int(reviews.get("required_approving_review_count") or 0),
        "dismiss_stale_reviews": bool(reviews.get("dismiss_stale_reviews")),
        "enforce_admins": bool((answer.get("enforce_admins") or {}).get("enabled")),
    }


def environment_fields(environment: Environment) -> dict[str, Any]:
    return {
        "reviewers": sorted(environment.reviewers),
        "prevent_self_review": environment.prevent_self_review,
        "protected_branches_only": environment.protected_branches_only,
    }


def read_environment(answer: dict[str, Any]) -> dict[str, Any]:
    rules = [
        rule
        for rule in answer.get("protection_rules") or []
        if rule.get("type") == "required_reviewers"
    ]
    reviewers = [
        entry["reviewer"]["login"]
        for rule in rules
        for entry in rule.get("reviewers") or []
        if entry.get("type") == "User"
    ]
    policy = answer.get("deployment_branch_policy") or {}
    return {
        "reviewers": sorted(reviewers),
        "prevent_self_review": any(rule.get("prevent_self_review") for rule in rules),
        "protected_branches_only": bool(policy.get("protected_branches")),
    }


def variables_path(environment: str) -> str:
    if environment:
        return f"/environments/{quoted(environment)}/variables"
    return "/actions/variables"


def secrets_path(environment: str) -> str:
    if environment:
        return f"/environments/{quoted(environment)}/secrets"
    return "/actions/secrets"


def read(github: GitHub, desired: Desired) -> Current:
    current = Current()
    try:
        answer = github.call("GET", github.repo_url(f"/branches/{BRANCH}/protection"))
    except GitHubError as error:
        if error.status != 403:
            raise
        # A private repository on a free plan: the change is planned, and GitHub's
        # refusal of it says why.
        answer = None
    current.protection = None if answer is None else read_protection(answer)
    for environment in desired.environments:
        path = f"/environments/{quoted(environment.name)}"
        answer = github.call("GET", github.repo_url(path))
        if answer is not None:
            current.environments[environment.name] = read_environment(answer)
    permissions = (
        github.call("GET", github.repo_url("/actions/permissions/workflow")) or {}
    )
    current.actions_can_open_pull_requests = bool(
        permissions.get("can_approve_pull_request_reviews")
    )
    places = {setting.environment for setting in desired.settings}
    for place in sorted(places):
        if place and place not in current.environments:
            continue  # a missing environment holds nothing yet
        listed = github.paged(secrets_path(place), "secrets")
        current.secrets |= {(place, secret["name"]) for secret in listed}
    for setting in desired.settings:
        if setting.kind != "variable":
            continue
        if setting.environment and setting.environment not in current.environments:
            continue
        path = f"{variables_path(setting.environment)}/{setting.name}"
        answer = github.call("GET", github.repo_url(path))
        if answer is not None:
            current.variables[(setting.environment, setting.name)] = answer["value"]
    return current
