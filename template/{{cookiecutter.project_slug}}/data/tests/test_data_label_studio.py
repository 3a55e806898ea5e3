"""Label Studio's API for real: `python -m data.labelling push` and `pull`
against a Label Studio server started here, a labeller's answers given through
the same API its interface uses, and the labels sent on to the service.

When a run selects them (`nox -s tests -- data --slow`, and CI), `nox -s
tests` installs Label Studio in an environment of its own
(data/label_studio_server/requirements.txt) and hands them its program
(LABEL_STUDIO). Run directly, they use LABEL_STUDIO or the `label-studio` on
PATH, and are skipped, saying so, without either.
"""

import json
import os
import secrets
import shutil
from collections.abc import Iterator

import pytest
from conftest import write_lines

from {{ cookiecutter.package_name }} import local_servers, paths, problem

from data import labelling
from data.labelling import label_studio
from data.labelling.label_studio import LabelStudio, LabelStudioError

pytestmark = pytest.mark.slow

TOKEN = secrets.token_hex(20)
TITLE = "Test labelling"


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> Iterator[str]:
    """A real Label Studio server's address; its user's token is TOKEN."""
    program = os.environ.get("LABEL_STUDIO") or shutil.which("label-studio")
    if not program:
        pytest.skip(
            "no Label Studio: run through `nox -s tests -- data --slow`, which"
            " installs it, or set LABEL_STUDIO to its label-studio program"
        )
    root = tmp_path_factory.mktemp("label-studio")
    with local_servers.label_studio(root, TOKEN, program_path=program) as address:
        yield address


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(label_studio.TOKEN_VARIABLE, TOKEN)


def served(count: int) -> dict[str, problem.Example]:
    """Write the service's logs for ``count`` answered inputs; each by its id."""
    spec = problem.read_spec(paths.contracts_dir())
    examples = problem.synthetic_source(count, seed=3).examples[:count]
    by_id = {f"{n:032x}": example for n, example in enumerate(examples)}
    answers = [
        {"id": key, "stage": "production", "prediction": e.target, "features": {}}
        for key, e in by_id.items()
    ]
    inputs = [
        {"id": key, "input": problem.request_payload(spec, e.input)}
        for key, e in by_id.items()
    ]
    write_lines(paths.prediction_log_path(), answers)
    write_lines(paths.input_log_path(), inputs)
    return by_id


def labeller_answers(client: LabelStudio, project: int, truth: dict) -> list[str]:
    """Answer the project's first two tasks with the truth, as Label Studio's
    interface does (an annotation through its API); their prediction ids."""
    spec = problem.read_spec(paths.contracts_dir())
    listed = client.call("GET", "/api/tasks", project=str(project))["tasks"]
    answered = []
    for task in sorted(listed, key=lambda task: task["id"])[:2]:
        key = task["data"]["prediction_id"]
        right = {"id": key, "prediction": truth[key].target}
        body = problem.request_payload(spec, truth[key].input)
        # The same result a pre-annotation holds, with the true answer.
        made = labelling.task(spec, right, body, why="")["predictions"][0]
        path = f"/api/tasks/{task['id']}/annotations"
        client.call("POST", path, {"result": made["result"]})
        answered.append(key)
    return answered


def test_tasks_reach_label_studio_once_and_its_labels_come_back(
    studio, token, artifacts, stages, tmp_path, capsys
):
    service, _ = stages
    truth = served(3)
    out = tmp_path / "labelling"
    picking = ["sample", "--random", "3", "--low-confidence", "0", "--out", str(out)]
    where = ["--label-studio", studio, "--project", TITLE]
    pushing = ["push", *where, "--tasks", str(out)]
    assert labelling.main(picking) == 0
    assert labelling.main(pushing) == 0
    imported = f"tasks imported into '{TITLE}'"
    assert f"3 {imported}, 0 there already" in capsys.readouterr().out
    # Unlabelled, they are picked again; they are not imported twice.
    assert labelling.main(picking) == 0
    assert labelling.main(pushing) == 0
    assert f"0 {imported}, 3 there already" in capsys.readouterr().out

    client = LabelStudio(studio)
    project = client.find_project(TITLE)
    assert project["label_config"].strip() == (out / "config.xml").read_text().strip()
    answered = labeller_answers(client, project["id"], truth)

    labels = [
        {"prediction_id": key, "label": truth[key].target, "source": "labelling"}
        for key in answered
    ]
    # The service's feedback log has the first label already (an earlier pull).
    write_lines(paths.feedback_log_path(), labels[:1])
    export = tmp_path / "export.json"
    pulling = ["pull", *where, "--export", str(export), "--url", service.url]
    assert labelling.main(pulling) == 0
    printed = capsys.readouterr().out
    assert f"3 tasks of '{TITLE}' exported to {export}" in printed
    assert "labels sent: 1, not labelled: 1, sent before: 1" in printed
    assert service.feedback == labels[1:]
    # What Label Studio exported is what `answers` reads.
    assert len(json.loads(export.read_text())) == 3


def test_a_project_with_an_older_interface_gets_the_new_one(
    studio, token, artifacts, relabelled
):
    client = LabelStudio(studio)
    spec = problem.read_spec(paths.contracts_dir())
    source = problem.synthetic_source(2, seed=1)
    older = problem.labelling_config(relabelled(source).spec)
    made = client.project("Relabelled", older)
    newer = problem.labelling_config(spec)
    assert client.project("Relabelled", newer) == made
    assert client.find_project("Relabelled")["label_config"].strip() == newer.strip()


def test_label_studio_refusals_are_clear_and_change_nothing(
    studio, artifacts, tmp_path, monkeypatch, capsys
):
    wrong = LabelStudio(studio, token="not-" + TOKEN)
    with pytest.raises(LabelStudioError, match="answered 401"):
        wrong.find_project(TITLE)
    monkeypatch.setenv(label_studio.TOKEN_VARIABLE, TOKEN)
    export = tmp_path / "export.json"
    missing = ["pull", "--label-studio", studio, "--project", "No such project"]
    assert labelling.main([*missing, "--export", str(export)]) == 2
    assert "no project titled 'No such project'" in capsys.readouterr().err
    assert not export.exists()
