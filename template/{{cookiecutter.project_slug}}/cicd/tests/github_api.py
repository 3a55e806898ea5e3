"""A local HTTP server speaking the slice of GitHub's REST API the runner tool uses.

It follows GitHub's documented shapes (generate-jitconfig answers 201 with
`runner` and `encoded_jit_config`; runner lists are paged with `per_page` and
`page`; delete answers 204, or 404 for an unknown id) and records every request,
so tests can assert what the tool really sent over HTTP.
"""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TOKEN = "ghp_test-token-that-must-never-be-printed"
JIT_CONFIG = "eyJqaXQiOiAic2VjcmV0LWppdC1jb25maWcifQ=="
RELEASE_SHA = "ab" * 32


class FakeGitHub:
    def __init__(self, repository: str):
        self.repository = repository
        self.runners: dict[int, dict] = {}
        self.requests: list[dict] = []
        self.next_id = 100
        self.release_body = (
            "- actions-runner-linux-arm64-2.330.0.tar.gz <!-- BEGIN SHA linux-arm64 -->"
            + "cd" * 32
            + "<!-- END SHA linux-arm64 -->\n"
            "- actions-runner-linux-x64-2.330.0.tar.gz <!-- BEGIN SHA linux-x64 -->"
            + RELEASE_SHA
            + "<!-- END SHA linux-x64 -->\n"
        )
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def add_runner(self, name: str, busy: bool = False, status: str = "offline") -> int:
        self.next_id += 1
        self.runners[self.next_id] = {
            "id": self.next_id,
            "name": name,
            "os": "Linux",
            "status": status,
            "busy": busy,
            "labels": [{"id": 1, "name": "self-hosted", "type": "read-only"}],
        }
        return self.next_id

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        api = self
        prefix = f"/repos/{self.repository}/actions/runners"

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _answer(self, status: int, body: dict | None = None):
                payload = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _record(self) -> dict | None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                api.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    # GitHub answers 401 "Bad credentials"; this one also echoes
                    # the header, to prove the tool masks it in its errors.
                    self._answer(
                        401,
                        {
                            "message": "Bad credentials",
                            "sent": self.headers.get("Authorization"),
                        },
                    )
                    return None
                return {"body": body}

            def do_GET(self):
                if self._record() is None:
                    return
                url = urlparse(self.path)
                if url.path == "/repos/actions/runner/releases/latest":
                    body = api.release_body
                    return self._answer(200, {"tag_name": "v2.330.0", "body": body})
                if url.path == prefix:
                    query = parse_qs(url.query)
                    per_page = int(query.get("per_page", ["30"])[0])
                    page = int(query.get("page", ["1"])[0])
                    runners = sorted(api.runners.values(), key=lambda r: r["id"])
                    batch = runners[(page - 1) * per_page : page * per_page]
                    total = len(runners)
                    return self._answer(200, {"total_count": total, "runners": batch})
                self._answer(404, {"message": "Not Found"})

            def do_POST(self):
                request = self._record()
                if request is None:
                    return
                if self.path != f"{prefix}/generate-jitconfig":
                    return self._answer(404, {"message": "Not Found"})
                body = request["body"] or {}
                missing = {"name", "runner_group_id", "labels"} - set(body)
                if missing:
                    return self._answer(422, {"message": f"missing {sorted(missing)}"})
                if any(r["name"] == body["name"] for r in api.runners.values()):
                    return self._answer(409, {"message": "runner name already exists"})
                runner_id = api.add_runner(body["name"])
                labels = [{"name": label, "type": "custom"} for label in body["labels"]]
                api.runners[runner_id]["labels"] = labels
                answer = {
                    "runner": api.runners[runner_id],
                    "encoded_jit_config": JIT_CONFIG,
                }
                self._answer(201, answer)

            def do_DELETE(self):
                if self._record() is None:
                    return
                found = re.fullmatch(rf"{re.escape(prefix)}/(\d+)", self.path)
                if not found or int(found.group(1)) not in api.runners:
                    return self._answer(404, {"message": "Not Found"})
                del api.runners[int(found.group(1))]
                self._answer(204)

        return Handler
