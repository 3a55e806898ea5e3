"""GitHub Actions' decisions, made here: which jobs of a workflow run for an event.

`evaluate` reads the expression syntax these workflows use (property paths with
`*`, string literals, == != && || !, parentheses, contains(), always(),
success()); anything else fails the test rather than guess. `simulate` walks a
workflow's jobs in the order their `needs` allow, as GitHub does: a job runs
when its `if:` holds (with the implicit `success()` of a condition that names
no status function), and a settings job runs its real check command, so the
`ready` output downstream jobs read is the one `cicd/settings_check.py` writes.
Any other job that runs is taken to succeed: what is decided here is which jobs
run, not what they do.
"""

import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\)|,)"
    r"|(?P<path>[A-Za-z_][\w.*-]*))"
)
REPOSITORY = "team/project"
PYTHON_OPERATORS = {"&&": " and ", "||": " or ", "!": " not "}
STATUS_FUNCTIONS = ("always()", "success()", "failure()", "cancelled()")
REFERENCE = re.compile(r"^\$\{\{\s*(vars|secrets)\.(\w+)\s*\}\}$")


def workflow(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def event(kind: str, head: str = REPOSITORY, labels=("gpu",), added=None) -> dict:
    """The `github` context of an event (only what the conditions read).

    `added`: the label whose adding triggered a pull_request `labeled` event;
    None for a push to the pull request's branch (`synchronize`).
    """
    ref = "refs/tags/demo/initial" if kind == "tag" else "refs/heads/main"
    context = {
        "event_name": "push" if kind == "tag" else kind,
        "repository": REPOSITORY,
        "ref": ref,
    }
    if kind == "pull_request":
        context["ref"] = "refs/pull/1/merge"
        context["event"] = {
            "action": "labeled" if added else "synchronize",
            "label": {"name": added} if added else None,
            "pull_request": {
                "head": {"repo": {"full_name": head}},
                "labels": [{"name": label} for label in labels],
            },
        }
    return context


def lookup(context: dict, path: str):
    value = context
    parts = path.split(".")
    for index, part in enumerate(parts):
        if part == "*":
            return [lookup(item, ".".join(parts[index + 1 :])) for item in value or []]
        value = value.get(part) if isinstance(value, dict) else None
    return value


def evaluate(expression: str, context: dict):
    expression = expression.strip()
    if expression.startswith("{% raw %}${{{% endraw %}") and expression.endswith("}}"):
        expression = expression[3:-2]
    needs = context.get("needs", {}).values()
    code, position = [], 0
    functions = {
        "contains": lambda haystack, needle: needle in (haystack or []),
        "always": lambda: True,
        "success": lambda: all(need["result"] == "success" for need in needs),
    }
    while position < len(expression.rstrip()):
        match = TOKEN.match(expression, position)
        if not match:
            pytest.fail(f"cannot read {expression[position:]!r} in {expression!r}")
        position = match.end()
        if match["string"]:
            code.append(repr(match["string"][1:-1].replace("''", "'")))
        elif match["op"]:
            code.append(PYTHON_OPERATORS.get(match["op"], match["op"]))
        elif expression[position : position + 1] == "(":
            if match["path"] not in functions:
                pytest.fail(f"unknown function {match['path']} in {expression!r}")
            code.append(f"functions[{match['path']!r}]")
        else:
            code.append(f"lookup(context, {match['path']!r})")
    names = {"functions": functions, "lookup": lookup, "context": context}
    return eval("".join(code), names)


def needed(job: dict) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def job_runs(job: dict, context: dict) -> bool:
    condition = str(job.get("if", "success()"))
    if not any(function in condition for function in STATUS_FUNCTIONS):
        condition = f"success() && ({condition})"
    return bool(evaluate(condition, context))


def settings_step(job: dict) -> dict | None:
    for step in job.get("steps", []):
        if "cicd.settings_check" in step.get("run", ""):
            return step
    return None


def run_check(step: dict, vars: dict, secrets: dict) -> tuple[dict, str]:
    """The settings step's own command, with what GitHub would hand it: its
    outputs and the job summary it wrote."""
    environment = {"PATH": os.environ["PATH"], "PYTHONDONTWRITEBYTECODE": "1"}
    for name, value in step.get("env", {}).items():
        found = REFERENCE.match(str(value))
        if found is None:
            pytest.fail(f"the settings step's {name} is not a vars./secrets. value")
        source = vars if found[1] == "vars" else secrets
        environment[name] = source.get(found[2], "")
    with tempfile.TemporaryDirectory() as scratch:
        output, summary = Path(scratch, "output"), Path(scratch, "summary")
        environment["GITHUB_OUTPUT"] = str(output)
        environment["GITHUB_STEP_SUMMARY"] = str(summary)
        result = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        pairs = (line.split("=", 1) for line in output.read_text().splitlines())
        return dict(pairs), summary.read_text() + result.stdout


def default_inputs(flow: dict) -> dict:
    """A manual run's inputs as their defaults ("" when none), as GitHub fills them."""
    dispatch = flow[True].get("workflow_dispatch") or {}
    inputs = dispatch.get("inputs") or {}
    return {name: str(spec.get("default", "")) for name, spec in inputs.items()}


def simulate(
    flow: dict,
    github: dict,
    vars: dict,
    secrets: dict,
    outputs: dict[str, dict] | None = None,
) -> dict[str, dict]:
    """Each job's {"result": success|skipped, "outputs": ..., "summary": ...}.

    Only settings steps run here; ``outputs`` gives other jobs' outputs by job
    name (e.g. the GPU run's verdict on its model).
    """
    done: dict[str, dict] = {}
    waiting = dict(flow["jobs"])
    while waiting:
        name, job = next(
            (name, job)
            for name, job in waiting.items()
            if all(need in done for need in needed(job))
        )
        del waiting[name]
        context = {
            "github": github,
            "vars": vars,
            "inputs": default_inputs(flow),
            "needs": {need: done[need] for need in needed(job)},
        }
        if not job_runs(job, context):
            done[name] = {"result": "skipped", "outputs": {}, "summary": ""}
            continue
        step = settings_step(job)
        given = (outputs or {}).get(name, {})
        found, summary = run_check(step, vars, secrets) if step else (given, "")
        done[name] = {"result": "success", "outputs": found, "summary": summary}
    return done
