"""The cicd room's one GitHub REST API client: the demo release, the PR comment
and the Chameleon runner tool (cicd/runner/github.py) all call GitHub through it.

Plain `urllib`, so the cicd room needs no HTTP library. Configuration comes
from the variables GitHub Actions sets: ``GITHUB_TOKEN`` (passed explicitly by
the workflow), ``GITHUB_REPOSITORY`` (owner/name), ``GITHUB_API_URL`` and
``GITHUB_SERVER_URL``. The tests point ``GITHUB_API_URL`` at a local server that
speaks the same documented endpoints; github.com itself is only reached on CI.
"""

from __future__ import annotations

import contextlib
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

API_VERSION = "2022-11-28"
DEFAULT_API_URL = "https://api.github.com"


class GitHubError(RuntimeError):
    """GitHub refused a call; the message says which call and why."""

    def __init__(self, method: str, url: str, status: int, detail: str) -> None:
        hint = {
            401: " (is GITHUB_TOKEN set and valid?)",
            403: " (does the job grant the permission this call needs?)",
        }.get(status, "")
        super().__init__(f"GitHub answered {status} to {method} {url}: {detail}{hint}")
        self.method = method
        self.url = url
        self.status = status
        self.detail = detail


def environment_api_url() -> str:
    """GITHUB_API_URL, which Actions sets; the tests set it to a local server."""
    return (os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")


@dataclass(frozen=True)
class GitHub:
    repository: str  # owner/name
    token: str = field(repr=False)  # printing the client must not print it
    api_url: str = DEFAULT_API_URL
    server_url: str = "https://github.com"

    @classmethod
    def from_environment(cls) -> GitHub:
        missing = [
            name
            for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY")
            if not os.environ.get(name)
        ]
        if missing:
            raise SystemExit(
                f"error: set {' and '.join(missing)} (GitHub Actions does)"
            )
        return cls(
            repository=os.environ["GITHUB_REPOSITORY"],
            token=os.environ["GITHUB_TOKEN"],
            api_url=environment_api_url(),
            server_url=os.environ.get("GITHUB_SERVER_URL", cls.server_url).rstrip("/"),
        )

    def repo_url(self, path: str) -> str:
        return f"{self.api_url}/repos/{self.repository}{path}"

    def call(
        self,
        method: str,
        url: str,
        body: Any = None,
        *,
        data: bytes | None = None,
        content_type: str = "application/json",
        missing_ok: bool = True,
    ) -> Any:
        """One request; the decoded JSON answer. A 404 to a GET answers None
        when `missing_ok`, else it raises GitHubError like any other refusal."""
        payload = json.dumps(body).encode() if body is not None else data
        request = urllib.request.Request(url, data=payload, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("X-GitHub-Api-Version", API_VERSION)
        request.add_header("User-Agent", f"{self.repository} cicd")
        if payload is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            if error.code == 404 and method == "GET" and missing_ok:
                return None
            detail = error.read().decode(errors="replace")
            # GitHub explains itself in {"message": ...}; anything else as is.
            with contextlib.suppress(json.JSONDecodeError, AttributeError):
                detail = json.loads(detail).get("message", detail)
            if self.token:  # an answer that quotes the request must not leak it
                detail = detail.replace(self.token, "***")
            raise GitHubError(method, url, error.code, detail) from error
        return json.loads(text) if text else None

    def paged(
        self, path: str, key: str | None = None, *, missing_ok: bool = True
    ) -> list[dict]:
        """Every item of a list endpoint, 100 per page. `key` names the list in
        endpoints that answer an object (`{"total_count": 2, "runners": [...]}`)."""
        items, page = [], 1
        while True:
            separator = "&" if "?" in path else "?"
            url = self.repo_url(f"{path}{separator}per_page=100&page={page}")
            answer = self.call("GET", url, missing_ok=missing_ok)
            batch = (answer or {}).get(key, []) if key else answer or []
            items += batch
            if len(batch) < 100:
                return items
            page += 1


def quoted(text: str) -> str:
    """Text for a URL path or query; a tag's slashes (demo/initial) stay, as
    GitHub's `releases/tags/{tag}` route takes the rest of the path."""
    return urllib.parse.quote(text, safe="/")
