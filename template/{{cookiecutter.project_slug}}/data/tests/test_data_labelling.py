"""`python -m data.labelling`: served inputs picked for labelling, written as
Label Studio tasks, and a Label Studio export's labels sent back as feedback."""

import json
import re

import pytest
from conftest import write_lines

from {{ cookiecutter.package_name }} import local_servers, paths, problem
from {{ cookiecutter.package_name }}.object_store import (
    INPUT_LOG,
    PREDICTION_LOG,
    ObjectStore,
    shipped_log_prefix,
)

from data import labelling
from data.labelled import latest_by_id
from data.labelling import label_studio
from data.labelling.label_studio import LabelStudio, LabelStudioError


def prediction(key: str, answer, probability: float | None = None) -> dict:
    line = {"id": key, "stage": "production", "prediction": answer, "features": {}}
    return line if probability is None else {**line, "probability": probability}


def by_id(predictions: list[dict]) -> dict[str, dict]:
    return latest_by_id(predictions, "id")


def test_picks_user_corrections_then_low_confidence_then_random_ones():
    predictions = [prediction(f"p{n}", "a", 0.5 + n / 100) for n in range(10)]
    feedback = [
        {"prediction_id": "p9", "label": "b", "source": "user"},  # "wrong"
        {"prediction_id": "p8", "label": "a", "source": "user"},  # "right"
        {"prediction_id": "p0", "label": "a", "source": "labelling"},  # done
    ]
    kept = {f"p{n}" for n in range(10)} - {"p1"}  # p1's input was not kept
    chosen = labelling.pick(
        by_id(predictions), feedback, kept, random_count=2, low_confidence=2
    )
    assert chosen["p9"] == "a user said it was wrong"
    assert [k for k, why in chosen.items() if why.startswith("low")] == ["p2", "p3"]
    randoms = [k for k, why in chosen.items() if why == "random"]
    assert len(randoms) == 2 and not {"p0", "p1", "p2", "p3", "p9"} & set(randoms)
    counts = {"random_count": 2, "low_confidence": 2}
    # The random picks are seeded: the same ones again.
    assert labelling.pick(by_id(predictions), feedback, kept, **counts) == chosen


def test_a_value_close_to_the_answer_is_no_correction():
    predictions = [prediction("near", 10.0), prediction("far", 10.0)]
    feedback = [
        {"prediction_id": "near", "label": 10.5, "source": "user"},
        {"prediction_id": "far", "label": 20.0, "source": "user"},
    ]
    chosen = labelling.pick(
        by_id(predictions), feedback, {"near", "far"}, random_count=0, low_confidence=0
    )
    assert chosen == {"far": "a user said it was wrong"}


def test_tasks_show_what_the_labelling_interface_names(artifacts, tmp_path):
    spec = problem.read_spec(paths.contracts_dir())
    examples = problem.synthetic_source(4, seed=5).examples[:4]
    bodies = [problem.request_payload(spec, e.input) for e in examples]
    answers = [e.target for e in examples]
    ids = [f"{n:032x}" for n in range(4)]
    write_lines(
        paths.prediction_log_path(),
        [prediction(k, a, 0.4) for k, a in zip(ids, answers, strict=True)],
    )
    write_lines(
        paths.input_log_path(),
        [{"id": k, "input": b} for k, b in zip(ids, bodies, strict=True)],
    )
    out = tmp_path / "labelling"
    tasks = labelling.sample(out, random_count=4, low_confidence=0)
    assert sorted(task["data"]["prediction_id"] for task in tasks) == ids
    config = (out / "config.xml").read_text()
    shown = set(re.findall(r'value="\$(\w+)"', config))
    for task in json.loads((out / "tasks.json").read_text()):
        assert shown <= set(task["data"])  # every field the interface shows
        (suggested,) = task["predictions"][0]["result"]
        assert suggested["from_name"] == "label" and suggested["to_name"] in shown
    if spec.classification:
        assert all(f'"{label}"' in config for label in spec.labels)
    else:
        assert "<Number" in config


def exported(prediction_id: str, *answers, cancelled: bool = False) -> dict:
    """A task as Label Studio exports it, one annotation per answer."""
    control = {"from_name": "label", "to_name": "x", "type": "choices"}
    results = [{**control, "value": {"choices": [answer]}} for answer in answers]
    annotations = [{"was_cancelled": cancelled, "result": [r]} for r in results]
    data = {"prediction_id": prediction_id}
    return {"id": 1, "data": data, "annotations": annotations}


def test_labels_go_back_as_feedback_and_refused_ones_are_listed(
    stages, artifacts, tmp_path, capsys
):
    service, _ = stages
    export = tmp_path / "export.json"
    tasks = [
        exported("a" * 32, "first", "second"),  # the latest annotation counts
        exported("b" * 32, "refuse me"),
        exported("c" * 32, "skipped", cancelled=True),
        exported("d" * 32),  # not labelled yet
        {"id": 5, "data": {"prediction_id": "e" * 32}, "annotations": [
            {"result": [{"from_name": "label", "type": "number",
                         "value": {"number": 12.5}}]}]},
    ]  # fmt: skip
    export.write_text(json.dumps(tasks))
    code = labelling.main(["answers", str(export), "--url", service.url])
    assert code == 1  # one was refused
    assert service.feedback == [
        {"prediction_id": "a" * 32, "label": "second", "source": "labelling"},
        {"prediction_id": "e" * 32, "label": 12.5, "source": "labelling"},
    ]
    printed = capsys.readouterr().out
    assert "labels sent: 2, not labelled: 2" in printed
    assert f"refused: {'b' * 32}: 'refuse me' (status 400)" in printed


def test_sample_reads_a_stages_logs_from_the_object_store(bucket, tmp_path, capsys):
    ids = [f"{n:032x}" for n in range(3)]
    examples = problem.synthetic_source(3, seed=2).examples[:3]
    spec = problem.read_spec(paths.contracts_dir())
    served = list(zip(ids, examples, strict=True))
    logs = {
        PREDICTION_LOG: [prediction(key, e.target) for key, e in served],
        INPUT_LOG: [
            {"id": key, "input": problem.request_payload(spec, e.input)}
            for key, e in served
        ],
    }
    store = ObjectStore.from_env()
    store.ensure_bucket()
    for log, records in logs.items():
        for stage, chosen in (("production", records[:2]), ("canary", records[2:])):
            part = tmp_path / f"{log}-{stage}.jsonl"
            write_lines(part, chosen)
            key = f"{shipped_log_prefix(log, stage)}2027-03-01/20270301T000000Z-a"
            store.upload(part, key + ".jsonl")
    out = tmp_path / "labelling"
    picking = ["sample", "--stored", "production", "--low-confidence", "0"]
    assert labelling.main([*picking, "--out", str(out)]) == 0
    tasks = json.loads((out / "tasks.json").read_text())
    # Production's two answered inputs; the canary's is another stage's.
    assert sorted(task["data"]["prediction_id"] for task in tasks) == ids[:2]
    assert "2 tasks for labelling" in capsys.readouterr().out


def test_label_studio_calls_say_what_is_missing_or_unreachable(
    artifacts, tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv(label_studio.TOKEN_VARIABLE, raising=False)
    with pytest.raises(LabelStudioError, match=label_studio.TOKEN_VARIABLE):
        LabelStudio("http://127.0.0.1:8080")
    monkeypatch.delenv(label_studio.URL_VARIABLE, raising=False)
    with pytest.raises(SystemExit):
        labelling.main(["push"])
    assert "--label-studio or LABEL_STUDIO_URL is needed" in capsys.readouterr().err

    monkeypatch.setenv(label_studio.TOKEN_VARIABLE, "a-token")
    out = tmp_path / "labelling"
    assert labelling.main(["sample", "--out", str(out)]) == 0
    nobody = f"http://127.0.0.1:{local_servers.free_port()}"
    assert labelling.main(["push", "--label-studio", nobody, "--tasks", str(out)]) == 2
    assert f"cannot reach Label Studio at {nobody}" in capsys.readouterr().err


def test_files_that_are_not_label_studio_tasks_are_refused_and_nothing_is_sent(
    stages, artifacts, tmp_path, monkeypatch, capsys
):
    service, _ = stages
    monkeypatch.setenv(label_studio.TOKEN_VARIABLE, "a-token")
    nobody = f"http://127.0.0.1:{local_servers.free_port()}"
    for text in ('{"id": 1, "data": {}}', '[1, "task"]'):
        export = tmp_path / "export.json"
        export.write_text(text)
        assert labelling.main(["answers", str(export), "--url", service.url]) == 2
        assert "is not a JSON list of Label Studio tasks" in capsys.readouterr().err
        out = tmp_path / "labelling"
        assert labelling.main(["sample", "--out", str(out)]) == 0
        (out / "tasks.json").write_text(text)
        pushing = ["push", "--label-studio", nobody, "--tasks", str(out)]
        assert labelling.main(pushing) == 2
        assert "is not a JSON list of Label Studio tasks" in capsys.readouterr().err
    assert service.feedback == []
