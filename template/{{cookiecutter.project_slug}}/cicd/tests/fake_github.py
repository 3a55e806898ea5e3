"""A local HTTP server speaking the GitHub REST endpoints the cicd room calls.

GitHub itself cannot be reached from tests, so this serves the documented
shapes of: get a release by tag, list releases, create a release (422 when the
tag already has one), upload a release asset (to the release's `upload_url`;
422 for a duplicate name), list a pull request's files, and list, create and
update issue comments. Every request must carry the token; each is recorded.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "test-token"
REPO = "team/project"


@dataclass
class State:
    releases: list[dict] = field(default_factory=list)
    assets: dict[int, dict[str, bytes]] = field(default_factory=dict)
    pull_files: dict[int, list[str]] = field(default_factory=dict)
    comments: dict[int, list[dict]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    next_id: int = 1
    read_only: bool = False  # the token of a fork's pull request

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


class Handler(BaseHTTPRequestHandler):
    server: FakeGitHub

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass

    def reply(self, status: int, body: object = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def handle_any(self, method: str) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        state.requests.append((method, self.path))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self.reply(401, {"message": "Bad credentials"})
        if state.read_only and method != "GET":
            return self.reply(
                403, {"message": "Resource not accessible by integration"}
            )
        route = f"{method} {url.path}"
        for pattern, action in ROUTES:
            match = re.fullmatch(pattern.replace("{repo}", REPO), route)
            if match:
                return action(self, state, query, *map(unquote, match.groups()))
        return self.reply(404, {"message": "Not Found"})

    def do_GET(self) -> None:
        self.handle_any("GET")

    def do_POST(self) -> None:
        self.handle_any("POST")

    def do_PATCH(self) -> None:
        self.handle_any("PATCH")

    # ---- releases ----
    def release_by_tag(self, state, query, tag):
        for release in state.releases:
            if release["tag_name"] == tag:
                names = state.assets[release["id"]]
                assets = [{"name": name, "state": "uploaded"} for name in names]
                return self.reply(200, {**release, "assets": assets})
        return self.reply(404, {"message": "Not Found"})

    def list_releases(self, state, query):
        return self.reply(200, page(list(reversed(state.releases)), query))

    def create_release(self, state, query):
        fields = json.loads(self.body())
        if any(r["tag_name"] == fields["tag_name"] for r in state.releases):
            errors = [{"resource": "Release", "code": "already_exists"}]
            return self.reply(422, {"message": "Validation Failed", "errors": errors})
        number = state.new_id()
        host = f"http://127.0.0.1:{self.server.server_port}"
        release = {
            "id": number,
            "html_url": f"https://github.com/{REPO}/releases/tag/{fields['tag_name']}",
            "upload_url": f"{host}/uploads/repos/{REPO}/releases/{number}/assets"
            "{?name,label}",
            "prerelease": False,
            "draft": False,
            **fields,
        }
        state.releases.append(release)
        state.assets[number] = {}
        return self.reply(201, release)

    def upload_asset(self, state, query, number):
        assets = state.assets.get(int(number))
        if assets is None:
            return self.reply(404, {"message": "Not Found"})
        name = query.get("name")
        if not name or name in assets:
            return self.reply(422, {"message": "Validation Failed"})
        assets[name] = self.body()
        kind = self.headers.get("Content-Type")
        return self.reply(201, {"name": name, "content_type": kind})

    # ---- pull requests and comments ----
    def pull_files(self, state, query, number):
        names = state.pull_files.get(int(number), [])
        files = [{"filename": name, "status": "modified"} for name in names]
        return self.reply(200, page(files, query))

    def list_comments(self, state, query, number):
        return self.reply(200, page(state.comments.get(int(number), []), query))

    def create_comment(self, state, query, number):
        comment = {"id": state.new_id(), "body": json.loads(self.body())["body"]}
        state.comments.setdefault(int(number), []).append(comment)
        return self.reply(201, comment)

    def update_comment(self, state, query, number):
        for comments in state.comments.values():
            for comment in comments:
                if comment["id"] == int(number):
                    comment["body"] = json.loads(self.body())["body"]
                    return self.reply(200, comment)
        return self.reply(404, {"message": "Not Found"})


def page(items: list, query: dict) -> list:
    size = int(query.get("per_page", 30))
    number = int(query.get("page", 1))
    return items[(number - 1) * size : number * size]


ROUTES = [
    (r"GET /repos/{repo}/releases/tags/(.+)", Handler.release_by_tag),
    (r"GET /repos/{repo}/releases", Handler.list_releases),
    (r"POST /repos/{repo}/releases", Handler.create_release),
    (r"POST /uploads/repos/{repo}/releases/(\d+)/assets", Handler.upload_asset),
    (r"GET /repos/{repo}/pulls/(\d+)/files", Handler.pull_files),
    (r"GET /repos/{repo}/issues/(\d+)/comments", Handler.list_comments),
    (r"POST /repos/{repo}/issues/(\d+)/comments", Handler.create_comment),
    (r"PATCH /repos/{repo}/issues/comments/(\d+)", Handler.update_comment),
]


class FakeGitHub(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = State()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    def __enter__(self) -> FakeGitHub:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
