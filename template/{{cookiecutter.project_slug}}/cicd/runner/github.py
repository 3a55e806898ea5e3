"""The few GitHub REST endpoints a self-hosted runner's life needs.

- `POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig`: a just-in-time
  configuration for one ephemeral runner (it takes one job, then unregisters).
- `GET /repos/{owner}/{repo}/actions/runners` and
  `DELETE /repos/{owner}/{repo}/actions/runners/{runner_id}`: find and remove one.
- `GET /repos/actions/runner/releases/latest`: the runner version and its sha256.

GITHUB_API_URL (set by Actions, default https://api.github.com) picks the server,
which is how the tests point this at a local one.
"""

import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from .credentials import Secret, redact

API_VERSION = "2022-11-28"
RUNNER_GROUP_ID = 1  # "Default", the group every repository-level runner is in
_RELEASE_SHA = re.compile(r"<!-- BEGIN SHA linux-x64 -->([0-9a-f]{64})<!-- END SHA")


class GitHubError(Exception):
    pass


@dataclass(frozen=True)
class RunnerRelease:
    version: str
    sha256: str

    @property
    def url(self) -> str:
        return (
            "https://github.com/actions/runner/releases/download/"
            f"v{self.version}/actions-runner-linux-x64-{self.version}.tar.gz"
        )


@dataclass(frozen=True)
class Registration:
    runner_id: int
    name: str
    jit_config: Secret


def registration_request(name: str, labels: list[str]) -> dict:
    """The body of the JIT-config request (also what `plan` shows)."""
    return {
        "name": name,
        "runner_group_id": RUNNER_GROUP_ID,
        "labels": ["self-hosted", "linux", "x64", "gpu", *labels],
        "work_folder": "_work",
    }


class GitHub:
    def __init__(self, repository: str, token: Secret, api_url: str | None = None):
        self.repository = repository
        self._token = token
        self.api_url = (
            api_url or os.environ.get("GITHUB_API_URL") or "https://api.github.com"
        ).rstrip("/")

    def _call(self, method: str, path: str, body: dict | None = None) -> dict | None:
        request = urllib.request.Request(
            f"{self.api_url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self._token.value}",
                "X-GitHub-Api-Version": API_VERSION,
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:300]
            raise GitHubError(
                redact(f"{method} {path} answered {error.code}: {detail}")
            ) from None
        except urllib.error.URLError as error:
            message = f"{method} {path} failed: {error.reason}"
            raise GitHubError(redact(message)) from None
        return json.loads(payload) if payload else None

    def register(self, name: str, labels: list[str]) -> Registration:
        answer = self._call(
            "POST",
            f"/repos/{self.repository}/actions/runners/generate-jitconfig",
            registration_request(name, labels),
        )
        if not answer or "encoded_jit_config" not in answer:
            raise GitHubError("generate-jitconfig answered without encoded_jit_config")
        return Registration(
            runner_id=int(answer["runner"]["id"]),
            name=answer["runner"]["name"],
            jit_config=Secret(answer["encoded_jit_config"]),
        )

    def runners(self) -> list[dict]:
        found, page = [], 1
        while True:
            answer = self._call(
                "GET",
                f"/repos/{self.repository}/actions/runners?per_page=100&page={page}",
            )
            batch = (answer or {}).get("runners", [])
            found += batch
            if len(batch) < 100:
                return found
            page += 1

    def delete_runner(self, runner_id: int) -> None:
        self._call("DELETE", f"/repos/{self.repository}/actions/runners/{runner_id}")

    def runner_release(self) -> RunnerRelease:
        answer = self._call("GET", "/repos/actions/runner/releases/latest") or {}
        version = str(answer.get("tag_name", "")).removeprefix("v")
        found = _RELEASE_SHA.search(str(answer.get("body", "")))
        if not re.fullmatch(r"\d+\.\d+\.\d+", version) or not found:
            raise GitHubError(
                "the latest actions/runner release has no version or linux-x64"
                " sha256; refusing to install an unverified runner"
            )
        return RunnerRelease(version=version, sha256=found.group(1))
