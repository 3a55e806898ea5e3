"""No fork's pull request reaches a self-hosted runner: the `if:` of every such
job is evaluated, as GitHub would, for a pull request from a fork.

The evaluator covers the expression syntax these workflows use (property paths
with `*`, string literals, == != && || !, parentheses, contains(), always(),
success()); anything else makes the test fail rather than guess.
"""

import re
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


def gpu_training() -> dict:
    return yaml.safe_load((ROOT / ".github/workflows/gpu-training.yml").read_text())


def event(kind: str, head: str = REPOSITORY, labels=("gpu",), added=None) -> dict:
    """The `github` context of an event (only what the conditions read).

    `added`: the label whose adding triggered a pull_request `labeled` event;
    None for a push to the pull request's branch (`synchronize`).
    """
    context = {"event_name": kind, "repository": REPOSITORY, "ref": "refs/heads/x"}
    if kind == "pull_request":
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
    code, position = [], 0
    functions = {
        "contains": lambda haystack, needle: needle in (haystack or []),
        "always": lambda: True,
        "success": lambda: True,
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


def self_hosted_jobs():
    for path in WORKFLOWS:
        flow = yaml.safe_load(path.read_text())
        for name, job in flow["jobs"].items():
            runs_on = job["runs-on"]
            labels = runs_on if isinstance(runs_on, list) else [runs_on]
            if "self-hosted" in labels:
                yield path.name, name, flow[True], job


def job_context(github: dict, job: dict) -> dict:
    # The worst case: every job this one needs succeeded.
    needs = job.get("needs", [])
    needs = [needs] if isinstance(needs, str) else needs
    return {
        "github": github,
        "needs": {need: {"result": "success"} for need in needs},
        "inputs": {},
        "vars": {},
    }


def test_the_evaluator_reads_conditions_like_github():
    context = {"github": event("pull_request", head="fork/project")}
    same = "github.event.pull_request.head.repo.full_name == github.repository"
    assert evaluate(same, context) is False
    assert evaluate(f"!({same})", context) is True
    assert evaluate("contains(github.event.pull_request.labels.*.name, 'gpu')", context)
    assert evaluate("github.event_name == 'push' || always()", context) is True


@pytest.mark.parametrize("added", [None, "gpu"])
@pytest.mark.parametrize("labels", [("gpu",), ()])
def test_a_forks_pull_request_never_reaches_a_self_hosted_job(labels, added):
    checked = 0
    for workflow, name, triggers, job in self_hosted_jobs():
        if "pull_request" not in triggers:
            continue
        checked += 1
        assert "if" in job, f"{workflow}: self-hosted job {name} has no `if:`"
        fork = event("pull_request", "attacker/project", labels, added)
        assert not evaluate(job["if"], job_context(fork, job)), f"{workflow}: {name}"
    assert checked, "no self-hosted job found: the GPU training job is one"


def test_same_repository_pull_requests_labelled_gpu_do_train():
    jobs = gpu_training()["jobs"]
    labelled = event("pull_request")
    unlabelled = event("pull_request", labels=())
    for name in ("start", "train", "stop"):
        assert evaluate(jobs[name]["if"], job_context(labelled, jobs[name])), name
    assert not evaluate(jobs["start"]["if"], job_context(unlabelled, jobs["start"]))
    gpu_added = event("pull_request", labels=("gpu",), added="gpu")
    other_added = event("pull_request", labels=("gpu", "docs"), added="docs")
    assert evaluate(jobs["start"]["if"], job_context(gpu_added, jobs["start"]))
    # Adding another label to a GPU pull request must not lease another node.
    assert not evaluate(jobs["start"]["if"], job_context(other_added, jobs["start"]))
    assert evaluate(jobs["start"]["if"], job_context(event("push"), jobs["start"]))


def test_no_workflow_runs_fork_code_with_secrets():
    for path in WORKFLOWS:
        triggers = yaml.safe_load(path.read_text())[True]
        assert "pull_request_target" not in triggers, path.name
        assert "workflow_run" not in triggers, path.name


def test_the_gpu_job_runs_only_on_its_own_runs_runner():
    flow = gpu_training()
    runs_on = flow["jobs"]["train"]["runs-on"]
    assert runs_on[0] == "self-hosted"
    run = r"\$\{\{ github\.run_id \}\}-\$\{\{ github\.run_attempt \}\}"
    assert re.fullmatch(rf"proj\d+-gpu-runner-{run}", runs_on[1])
    commands = [
        step.get("run", "") for job in flow["jobs"].values() for step in job["steps"]
    ]
    assert 'nox -s runner -- up --run-id "$RUN_ID" --hours "$HOURS"' in commands
    assert 'nox -s runner -- down --run-id "$RUN_ID"' in commands
    run_id = "{% raw %}${{ github.run_id }}-${{ github.run_attempt }}{% endraw %}"
    assert flow["env"]["RUN_ID"] == run_id
