"""A local HTTP server speaking the GitHub REST endpoints the cicd room calls.

GitHub itself cannot be reached from tests, so this serves the documented
shapes of what cicd/github_api.py is asked for:

- the demo release: get a release by tag, list releases, create a release
  (422 when the tag already has one), upload a release asset (to the release's
  `upload_url`; 422 for a duplicate name);
- the PR comment: list a pull request's files, list, create and update issue
  comments;
- the Chameleon runner tool: generate-jitconfig (201 with `runner` and
  `encoded_jit_config`; 409 for a name in use), the paged runner list, delete a
  runner (204, or 404 for an unknown id) and the latest actions/runner release;
- the infra tool: a registration token for the CI runner VM, and repository
  variables (get, list, create: 409 when it exists, update, delete);
- github-setup: branch protection (get: 404 when none, or 403 as on a free
  plan's private repository; put), environments (get, put, with reviewers by
  user id), their variables (as the repository's) and secrets' names, the
  repository's secrets' names, the workflow permissions (get, put) and users;
- the retraining trigger: a workflow's runs (newest first, filtered by event)
  and workflow_dispatch (204, and a queued run appears; 404 for a workflow
  file the repository does not have, 422 without a ref).

Every request must carry the token and is recorded (method, path, lower-cased
headers, body), so tests can assert what was really sent over HTTP.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "ghp_test-token-that-must-never-be-printed"
REPO = "team/project"
JIT_CONFIG = "eyJqaXQiOiAic2VjcmV0LWppdC1jb25maWcifQ=="
REGISTRATION_TOKEN = "AREGISTRATIONTOKENTHATMUSTSTAYSECRET"
RELEASE_SHA = "ab" * 32


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

    def handle_any(self, method: str) -> None:
        github = self.server
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        self.raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        is_json = self.headers.get("Content-Type") == "application/json"
        github.requests.append(
            {
                "method": method,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": json.loads(self.raw) if is_json and self.raw else self.raw,
            }
        )
        sent = self.headers.get("Authorization")
        if sent != f"Bearer {TOKEN}":
            # GitHub answers 401 "Bad credentials"; this one also echoes the
            # header, to prove the tools mask it in their errors.
            return self.reply(401, {"message": "Bad credentials", "sent": sent})
        if github.read_only and method != "GET":
            return self.reply(
                403, {"message": "Resource not accessible by integration"}
            )
        route = f"{method} {url.path}"
        for pattern, action in ROUTES:
            match = re.fullmatch(
                pattern.replace("{repo}", re.escape(github.repository)), route
            )
            if match:
                return action(self, github, query, *map(unquote, match.groups()))
        return self.reply(404, {"message": "Not Found"})

    def body_json(self) -> dict:
        return json.loads(self.raw) if self.raw else {}

    def do_GET(self) -> None:
        self.handle_any("GET")

    def do_POST(self) -> None:
        self.handle_any("POST")

    def do_PATCH(self) -> None:
        self.handle_any("PATCH")

    def do_DELETE(self) -> None:
        self.handle_any("DELETE")

    def do_PUT(self) -> None:
        self.handle_any("PUT")

    # ---- releases ----
    def release_by_tag(self, github, query, tag):
        for release in github.releases:
            if release["tag_name"] == tag:
                names = github.assets[release["id"]]
                assets = [{"name": name, "state": "uploaded"} for name in names]
                return self.reply(200, {**release, "assets": assets})
        return self.reply(404, {"message": "Not Found"})

    def list_releases(self, github, query):
        return self.reply(200, page(list(reversed(github.releases)), query))

    def create_release(self, github, query):
        fields = self.body_json()
        if any(r["tag_name"] == fields["tag_name"] for r in github.releases):
            errors = [{"resource": "Release", "code": "already_exists"}]
            return self.reply(422, {"message": "Validation Failed", "errors": errors})
        number = github.new_id()
        repo = github.repository
        release = {
            "id": number,
            "html_url": f"https://github.com/{repo}/releases/tag/{fields['tag_name']}",
            "upload_url": f"{github.url}/uploads/repos/{repo}/releases/{number}/assets"
            "{?name,label}",
            "prerelease": False,
            "draft": False,
            **fields,
        }
        github.releases.append(release)
        github.assets[number] = {}
        return self.reply(201, release)

    def upload_asset(self, github, query, number):
        assets = github.assets.get(int(number))
        if assets is None:
            return self.reply(404, {"message": "Not Found"})
        name = query.get("name")
        if not name or name in assets:
            return self.reply(422, {"message": "Validation Failed"})
        assets[name] = self.raw
        kind = self.headers.get("Content-Type")
        return self.reply(201, {"name": name, "content_type": kind})

    # ---- pull requests and comments ----
    def pull_files(self, github, query, number):
        names = github.pull_files.get(int(number), [])
        files = [{"filename": name, "status": "modified"} for name in names]
        return self.reply(200, page(files, query))

    def list_comments(self, github, query, number):
        return self.reply(200, page(github.comments.get(int(number), []), query))

    def create_comment(self, github, query, number):
        comment = {"id": github.new_id(), "body": self.body_json()["body"]}
        github.comments.setdefault(int(number), []).append(comment)
        return self.reply(201, comment)

    def update_comment(self, github, query, number):
        for comments in github.comments.values():
            for comment in comments:
                if comment["id"] == int(number):
                    comment["body"] = self.body_json()["body"]
                    return self.reply(200, comment)
        return self.reply(404, {"message": "Not Found"})

    # ---- self-hosted runners ----
    def list_runners(self, github, query):
        runners = sorted(github.runners.values(), key=lambda r: r["id"])
        batch = page(runners, query)
        return self.reply(200, {"total_count": len(runners), "runners": batch})

    def generate_jitconfig(self, github, query):
        body = self.body_json()
        missing = {"name", "runner_group_id", "labels"} - set(body)
        if missing:
            return self.reply(422, {"message": f"missing {sorted(missing)}"})
        if any(r["name"] == body["name"] for r in github.runners.values()):
            return self.reply(409, {"message": "runner name already exists"})
        runner_id = github.add_runner(body["name"])
        labels = [{"name": label, "type": "custom"} for label in body["labels"]]
        github.runners[runner_id]["labels"] = labels
        answer = {"runner": github.runners[runner_id], "encoded_jit_config": JIT_CONFIG}
        return self.reply(201, answer)

    def registration_token(self, github, query):
        github.registration_tokens += 1
        answer = {"token": REGISTRATION_TOKEN, "expires_at": "2027-01-01T01:00:00Z"}
        return self.reply(201, answer)

    def delete_runner(self, github, query, runner_id):
        if github.runners.pop(int(runner_id), None) is None:
            return self.reply(404, {"message": "Not Found"})
        return self.reply(204)

    # ---- variables: the repository's, or an environment's ----
    def variables_of(self, github, environment):
        if environment is None:
            return github.variables
        if environment not in github.environments:
            return None
        return github.environment_variables.setdefault(environment, {})

    def list_variables(self, github, query):
        found = [{"name": k, "value": v} for k, v in sorted(github.variables.items())]
        batch = page(found, query)
        return self.reply(200, {"total_count": len(found), "variables": batch})

    def get_variable(self, github, query, name, environment=None):
        store = self.variables_of(github, environment)
        if store is None or name not in store:
            return self.reply(404, {"message": "Not Found"})
        return self.reply(200, {"name": name, "value": store[name]})

    def create_variable(self, github, query, environment=None):
        store = self.variables_of(github, environment)
        if store is None:
            return self.reply(404, {"message": "Not Found"})
        body = self.body_json()
        if not body.get("name") or "value" not in body:
            return self.reply(422, {"message": "name and value are required"})
        if body["name"] in store:
            return self.reply(409, {"message": "Already exists"})
        store[body["name"]] = str(body["value"])
        return self.reply(201, {})

    def update_variable(self, github, query, name, environment=None):
        store = self.variables_of(github, environment)
        if store is None or name not in store:
            return self.reply(404, {"message": "Not Found"})
        store[name] = str(self.body_json()["value"])
        return self.reply(204)

    def delete_variable(self, github, query, name):
        if github.variables.pop(name, None) is None:
            return self.reply(404, {"message": "Not Found"})
        return self.reply(204)

    def get_environment_variable(self, github, query, environment, name):
        return self.get_variable(github, query, name, environment)

    def create_environment_variable(self, github, query, environment):
        return self.create_variable(github, query, environment)

    def update_environment_variable(self, github, query, environment, name):
        return self.update_variable(github, query, name, environment)

    # ---- secrets (names only, as GitHub lists them) ----
    def list_secrets(self, github, query, environment=None):
        if environment is None:
            names = github.secrets
        elif environment in github.environments:
            names = github.environment_secrets.get(environment, set())
        else:
            return self.reply(404, {"message": "Not Found"})
        found = [{"name": name} for name in sorted(names)]
        return self.reply(
            200, {"total_count": len(found), "secrets": page(found, query)}
        )

    # ---- branch protection, environments, workflow permissions, users ----
    def get_protection(self, github, query, branch):
        if github.protection_refused:
            return self.reply(403, {"message": PRO_ONLY})
        found = github.protection.get(branch)
        if found is None:
            return self.reply(404, {"message": "Branch not protected"})
        return self.reply(200, found)

    def put_protection(self, github, query, branch):
        if github.protection_refused:
            return self.reply(403, {"message": PRO_ONLY})
        body = self.body_json()
        required = {
            "required_status_checks",
            "enforce_admins",
            "required_pull_request_reviews",
            "restrictions",
        }
        if required - set(body):
            return self.reply(
                422, {"message": f"missing {sorted(required - set(body))}"}
            )
        checks = body["required_status_checks"] or {}
        github.protection[branch] = {
            "required_status_checks": {
                "strict": checks.get("strict", False),
                "contexts": list(checks.get("contexts", [])),
            },
            "required_pull_request_reviews": body["required_pull_request_reviews"],
            "enforce_admins": {"enabled": bool(body["enforce_admins"])},
        }
        return self.reply(200, github.protection[branch])

    def get_environment(self, github, query, name):
        found = github.environments.get(name)
        if found is None:
            return self.reply(404, {"message": "Not Found"})
        return self.reply(200, found)

    def put_environment(self, github, query, name):
        body = self.body_json()
        logins = {number: login for login, number in github.users.items()}
        reviewers = []
        for reviewer in body.get("reviewers") or []:
            if reviewer.get("type") != "User" or reviewer.get("id") not in logins:
                return self.reply(422, {"message": f"unknown reviewer {reviewer}"})
            user = {"id": reviewer["id"], "login": logins[reviewer["id"]]}
            reviewers.append({"type": "User", "reviewer": user})
        rules = []
        if reviewers:
            rules.append(
                {
                    "type": "required_reviewers",
                    "prevent_self_review": bool(body.get("prevent_self_review")),
                    "reviewers": reviewers,
                }
            )
        github.environments[name] = {
            "name": name,
            "protection_rules": rules,
            "deployment_branch_policy": body.get("deployment_branch_policy"),
        }
        return self.reply(200, github.environments[name])

    def get_workflow_permissions(self, github, query):
        return self.reply(200, github.workflow_permissions)

    def put_workflow_permissions(self, github, query):
        github.workflow_permissions.update(self.body_json())
        return self.reply(204)

    def get_user(self, github, query, login):
        if login not in github.users:
            return self.reply(404, {"message": "Not Found"})
        return self.reply(200, {"login": login, "id": github.users[login]})

    # ---- workflows ----
    def workflow_runs(self, github, query, workflow):
        if workflow not in github.workflow_files:
            return self.reply(404, {"message": "Not Found"})
        runs = [
            run
            for run in reversed(github.workflow_runs)
            if run["workflow"] == workflow
            and query.get("event", run["event"]) == run["event"]
        ]
        return self.reply(
            200, {"total_count": len(runs), "workflow_runs": page(runs, query)}
        )

    def dispatch_workflow(self, github, query, workflow):
        if workflow not in github.workflow_files:
            return self.reply(404, {"message": "Not Found"})
        body = self.body_json()
        if not body.get("ref"):
            return self.reply(422, {"message": "Invalid request: ref is required"})
        github.add_run(workflow, "workflow_dispatch", "queued")
        return self.reply(204)

    def latest_runner_release(self, github, query):
        return self.reply(200, {"tag_name": "v2.330.0", "body": github.release_body})


def page(items: list, query: dict) -> list:
    size = int(query.get("per_page", 30))
    number = int(query.get("page", 1))
    return items[(number - 1) * size : number * size]


RUNNERS = r"/repos/{repo}/actions/runners"
WORKFLOWS = r"/repos/{repo}/actions/workflows"
VARIABLES = r"/repos/{repo}/actions/variables"
ENVIRONMENT = r"/repos/{repo}/environments/([^/]+)"
NAME = r"([A-Za-z_][A-Za-z0-9_]*)"
PRO_ONLY = (
    "Upgrade to GitHub Pro or make this repository public to enable this feature."
)
ROUTES = [
    (r"GET /repos/{repo}/releases/tags/(.+)", Handler.release_by_tag),
    (r"GET /repos/{repo}/releases", Handler.list_releases),
    (r"POST /repos/{repo}/releases", Handler.create_release),
    (r"POST /uploads/repos/{repo}/releases/(\d+)/assets", Handler.upload_asset),
    (r"GET /repos/{repo}/pulls/(\d+)/files", Handler.pull_files),
    (r"GET /repos/{repo}/issues/(\d+)/comments", Handler.list_comments),
    (r"POST /repos/{repo}/issues/(\d+)/comments", Handler.create_comment),
    (r"PATCH /repos/{repo}/issues/comments/(\d+)", Handler.update_comment),
    (rf"GET {RUNNERS}", Handler.list_runners),
    (rf"POST {RUNNERS}/generate-jitconfig", Handler.generate_jitconfig),
    (rf"POST {RUNNERS}/registration-token", Handler.registration_token),
    (rf"DELETE {RUNNERS}/(\d+)", Handler.delete_runner),
    (r"GET /repos/actions/runner/releases/latest", Handler.latest_runner_release),
    (rf"GET {VARIABLES}", Handler.list_variables),
    (rf"GET {VARIABLES}/{NAME}", Handler.get_variable),
    (rf"POST {VARIABLES}", Handler.create_variable),
    (rf"PATCH {VARIABLES}/{NAME}", Handler.update_variable),
    (rf"DELETE {VARIABLES}/{NAME}", Handler.delete_variable),
    (r"GET /repos/{repo}/actions/secrets", Handler.list_secrets),
    (rf"GET {ENVIRONMENT}/secrets", Handler.list_secrets),
    (rf"GET {ENVIRONMENT}/variables/{NAME}", Handler.get_environment_variable),
    (rf"POST {ENVIRONMENT}/variables", Handler.create_environment_variable),
    (rf"PATCH {ENVIRONMENT}/variables/{NAME}", Handler.update_environment_variable),
    (rf"GET {ENVIRONMENT}", Handler.get_environment),
    (rf"PUT {ENVIRONMENT}", Handler.put_environment),
    (r"GET /repos/{repo}/branches/([^/]+)/protection", Handler.get_protection),
    (r"PUT /repos/{repo}/branches/([^/]+)/protection", Handler.put_protection),
    (
        r"GET /repos/{repo}/actions/permissions/workflow",
        Handler.get_workflow_permissions,
    ),
    (
        r"PUT /repos/{repo}/actions/permissions/workflow",
        Handler.put_workflow_permissions,
    ),
    (r"GET /users/([^/]+)", Handler.get_user),
    (rf"GET {WORKFLOWS}/([^/]+)/runs", Handler.workflow_runs),
    (rf"POST {WORKFLOWS}/([^/]+)/dispatches", Handler.dispatch_workflow),
]


class FakeGitHub(ThreadingHTTPServer):
    """One repository's GitHub; tests read and change its state directly."""

    def __init__(self, repository: str = REPO) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.repository = repository  # owner/name
        self.requests: list[dict] = []
        self.read_only = False  # the token of a fork's pull request
        self.next_id = 100
        self.releases: list[dict] = []
        self.assets: dict[int, dict[str, bytes]] = {}
        self.pull_files: dict[int, list[str]] = {}
        self.comments: dict[int, list[dict]] = {}
        self.runners: dict[int, dict] = {}
        self.registration_tokens = 0  # how many were handed out
        self.variables: dict[str, str] = {}  # the repository's Actions variables
        self.secrets: set[str] = set()  # the names of the repository's secrets
        self.environments: dict[str, dict] = {}  # name -> as GET answers it
        self.environment_variables: dict[str, dict[str, str]] = {}
        self.environment_secrets: dict[str, set[str]] = {}
        self.protection: dict[str, dict] = {}  # branch -> as GET answers it
        self.protection_refused = False  # a free plan's private repository
        self.workflow_permissions = {
            "default_workflow_permissions": "write",
            "can_approve_pull_request_reviews": False,
        }
        self.users: dict[str, int] = {}  # login -> id
        self.workflow_files: set[str] = set()  # .github/workflows/<name>
        self.workflow_runs: list[dict] = []  # oldest first
        self.release_body = (  # of the latest actions/runner release
            "- actions-runner-linux-arm64-2.330.0.tar.gz <!-- BEGIN SHA linux-arm64 -->"
            + "cd" * 32
            + "<!-- END SHA linux-arm64 -->\n"
            "- actions-runner-linux-x64-2.330.0.tar.gz <!-- BEGIN SHA linux-x64 -->"
            + RELEASE_SHA
            + "<!-- END SHA linux-x64 -->\n"
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def add_runner(self, name: str, busy: bool = False, status: str = "offline") -> int:
        runner_id = self.new_id()
        self.runners[runner_id] = {
            "id": runner_id,
            "name": name,
            "os": "Linux",
            "status": status,
            "busy": busy,
            "labels": [{"id": 1, "name": "self-hosted", "type": "read-only"}],
        }
        return runner_id

    def add_run(self, workflow: str, event: str, status: str, created_at=None) -> dict:
        created = created_at or datetime.now(UTC)
        run = {
            "id": self.new_id(),
            "workflow": workflow,  # the fake's own key: GitHub has workflow_id
            "event": event,
            "status": status,
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        self.workflow_runs.append(run)
        return run

    def __enter__(self) -> FakeGitHub:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
