"""Label Studio's HTTP API, as `python -m data.labelling push|pull` use it:
find or make the team's project, import tasks, export what was labelled.

The standard library is enough for these few calls, so the data room needs no
SDK. A legacy token authenticates (``Authorization: Token KEY``, Account &
Settings > Legacy Token in Label Studio), read from LABEL_STUDIO_API_KEY.
"""

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

TOKEN_VARIABLE = "LABEL_STUDIO_API_KEY"
URL_VARIABLE = "LABEL_STUDIO_URL"
TIMEOUT_S = 60
# An import Label Studio runs in the background is polled this long at most.
IMPORT_WAIT_S = 120


class LabelStudioError(Exception):
    """Label Studio refused a call or could not be reached; says which and why."""


class LabelStudio:
    def __init__(self, url: str, token: str | None = None) -> None:
        token = token or os.environ.get(TOKEN_VARIABLE)
        if not token:
            raise LabelStudioError(
                f"no Label Studio token: set {TOKEN_VARIABLE} to your legacy token"
                " (Account & Settings > Legacy Token)"
            )
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: Any = None, **query: str) -> Any:
        """One API call's JSON answer."""
        address = self.url + path
        if query:
            address += "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(
            address,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Token {self.token}",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
                text = answer.read()
        except urllib.error.HTTPError as error:
            said = error.read().decode(errors="replace")[:500]
            raise LabelStudioError(
                f"{method} {path}: Label Studio answered {error.code}: {said}"
            ) from None
        except OSError as error:
            message = f"cannot reach Label Studio at {self.url}: {error}"
            raise LabelStudioError(message) from None
        return json.loads(text) if text else None

    def find_project(self, title: str) -> dict[str, Any] | None:
        """The project titled ``title``, or None."""
        found = self.call("GET", "/api/projects", title=title, page_size="1000")
        listed = found["results"] if isinstance(found, dict) else found
        return next((each for each in listed if each["title"] == title), None)

    def project(self, title: str, config: str) -> int:
        """The id of the project titled ``title``, made with the labelling
        interface ``config`` if there is none; an older interface is replaced
        (the problem's labels changed)."""
        found = self.find_project(title)
        if found is None:
            made = self.call(
                "POST", "/api/projects", {"title": title, "label_config": config}
            )
            return made["id"]
        if found.get("label_config", "").strip() != config.strip():
            self.call("PATCH", f"/api/projects/{found['id']}", {"label_config": config})
        return found["id"]

    def import_tasks(self, project: int, tasks: list[dict[str, Any]]) -> int:
        """Import ``tasks`` (with their pre-annotations); how many it took."""
        answer = self.call("POST", f"/api/projects/{project}/import", tasks)
        if "import" not in answer:
            return answer["task_count"]
        # Newer servers with a job queue import in the background.
        deadline = time.monotonic() + IMPORT_WAIT_S
        path = f"/api/projects/{project}/imports/{answer['import']}"
        while True:
            state = self.call("GET", path)
            if state.get("status") == "completed":
                return state["task_count"]
            if state.get("status") == "failed" or time.monotonic() > deadline:
                raise LabelStudioError(f"the import did not finish: {state}")
            time.sleep(1)

    def export(self, project: int) -> list[dict[str, Any]]:
        """Every task of the project, labelled or not, in the JSON export format."""
        path = f"/api/projects/{project}/export"
        return self.call("GET", path, exportType="JSON", download_all_tasks="true")


def read_tasks(path: Path) -> list[dict[str, Any]]:
    """The tasks of a file in Label Studio's JSON format (its import or export):
    a list of objects, or a `LabelStudioError` saying the file is not one."""
    tasks = json.loads(path.read_text())
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise LabelStudioError(f"{path} is not a JSON list of Label Studio tasks")
    return tasks


def push(client: LabelStudio, title: str, folder: Path) -> tuple[int, int]:
    """Import the tasks `sample` wrote in ``folder`` into the project, but for
    the inputs it holds already; (imported, already there)."""
    config = (folder / "config.xml").read_text()
    tasks = read_tasks(folder / "tasks.json")
    project = client.project(title, config)
    present = {task["data"].get("prediction_id") for task in client.export(project)}
    new = [task for task in tasks if task["data"]["prediction_id"] not in present]
    imported = client.import_tasks(project, new) if new else 0
    return imported, len(tasks) - len(new)


def pull(client: LabelStudio, title: str, export: Path) -> int:
    """Write the project's JSON export to ``export``; how many tasks it holds."""
    found = client.find_project(title)
    if found is None:
        raise LabelStudioError(f"Label Studio has no project titled {title!r}")
    exported = client.export(found["id"])
    export.parent.mkdir(parents=True, exist_ok=True)
    export.write_text(json.dumps(exported, indent=1) + "\n")
    return len(exported)
