"""The few GitHub REST endpoints a self-hosted runner's life needs.

- `POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig`: a just-in-time
  configuration for one ephemeral runner (it takes one job, then unregisters).
- `GET /repos/{owner}/{repo}/actions/runners` and
  `DELETE /repos/{owner}/{repo}/actions/runners/{runner_id}`: find and remove one.
- `POST /repos/{owner}/{repo}/actions/runners/registration-token`: a token (an
  hour long) that registers a lasting runner: the CI VM of cicd/infra.
- `GET /repos/actions/runner/releases/latest`: the runner version and its sha256.
- `GET`, `POST`, `PATCH` and `DELETE` on `/repos/{owner}/{repo}/actions/variables`:
  the repository variable CI_RUNNER_READY, which cicd/infra sets.

The HTTP calls go through cicd/github_api.py, the cicd room's one GitHub client
(GITHUB_API_URL, set by Actions, picks the server: how the tests point this at a
local one); this module adds the runner's token handling and error messages,
which never carry a secret.
"""

import contextlib
import re
import urllib.error
from collections.abc import Iterator
from dataclasses import dataclass

from cicd import github_api

from .credentials import Secret, redact

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
        self._api = github_api.GitHub(
            repository,
            token.value,
            api_url=(api_url or github_api.environment_api_url()).rstrip("/"),
        )

    @contextlib.contextmanager
    def _errors(self, method: str, path: str) -> Iterator[None]:
        """The runner's GitHubError, naming the call, with every secret masked."""
        try:
            yield
        except github_api.GitHubError as error:
            called = error.url.removeprefix(self._api.api_url)  # with its query
            detail = error.detail[:300]
            message = f"{error.method} {called} answered {error.status}: {detail}"
            raise GitHubError(redact(message)) from None
        except urllib.error.URLError as error:
            message = f"{method} {path} failed: {error.reason}"
            raise GitHubError(redact(message)) from None

    def _call(self, method: str, path: str, body: dict | None = None) -> dict | None:
        with self._errors(method, path):
            url = f"{self._api.api_url}{path}"
            return self._api.call(method, url, body, missing_ok=False)

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

    def registration_token(self) -> Secret:
        answer = self._call(
            "POST", f"/repos/{self.repository}/actions/runners/registration-token"
        )
        if not answer or not answer.get("token"):
            raise GitHubError("registration-token answered without a token")
        return Secret(answer["token"])

    def runners(self) -> list[dict]:
        with self._errors("GET", f"/repos/{self.repository}/actions/runners"):
            return self._api.paged("/actions/runners", "runners", missing_ok=False)

    def delete_runner(self, runner_id: int) -> None:
        self._call("DELETE", f"/repos/{self.repository}/actions/runners/{runner_id}")

    def variable(self, name: str) -> str | None:
        """A repository variable's value; None when it does not exist."""
        path = f"/repos/{self.repository}/actions/variables/{name}"
        with self._errors("GET", path):
            answer = self._api.call("GET", f"{self._api.api_url}{path}")
        return None if answer is None else str(answer.get("value", ""))

    def set_variable(self, name: str, value: str) -> None:
        """Create the variable, or change its value when it exists."""
        path = f"/repos/{self.repository}/actions/variables"
        if self.variable(name) is None:
            self._call("POST", path, {"name": name, "value": value})
        else:
            self._call("PATCH", f"{path}/{name}", {"name": name, "value": value})

    def delete_variable(self, name: str) -> None:
        path = f"/repos/{self.repository}/actions/variables/{name}"
        with self._errors("DELETE", path):
            try:
                self._api.call("DELETE", f"{self._api.api_url}{path}")
            except github_api.GitHubError as error:
                if error.status != 404:  # already gone: what `down` wants
                    raise

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
