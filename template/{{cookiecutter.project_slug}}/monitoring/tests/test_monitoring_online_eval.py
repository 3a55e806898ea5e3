"""Online evaluation: predictions joined with their feedback, per stage and window."""

import json
import shlex
from datetime import UTC, date, datetime, timedelta

import pytest
import yaml
from pytest import approx

from {{ cookiecutter.package_name }} import local_servers, paths, quality
from {{ cookiecutter.package_name }}.object_store import ObjectStore
from {{ cookiecutter.package_name }}.spec import read_spec

from monitoring import online_eval, stored_log

SPEC = read_spec(paths.contracts_dir())
METRIC, _ = quality.primary_metric(SPEC)
# What one right and one wrong answer score, whatever the problem's kind.
RIGHT, WRONG = (1.0, 0.0) if SPEC.classification else (0.0, 3.0)


def value(index: int):
    """A prediction of the problem's kind: a label, or a number."""
    if SPEC.classification:
        return SPEC.labels[index % len(SPEC.labels)]
    return float(index)


def other(index: int):
    """A true answer that differs from ``value(index)`` (by 3 for a number)."""
    return value(index + 1) if SPEC.classification else value(index) + 3


def prediction(prediction_id: str, stage: str, time: str, index: int) -> dict:
    return {
        "time": f"2026-12-07T{time}:00.000+00:00",
        "stage": stage,
        "id": prediction_id,
        "prediction": value(index),
        "features": {},
    }


def feedback(prediction_id: str, label, source: str = "user") -> dict:
    return {"prediction_id": prediction_id, "label": label, "source": source}


PREDICTIONS = [
    prediction("p0", "production", "10:05", 0),
    prediction("p1", "production", "10:40", 1),
    prediction("p2", "production", "11:10", 2),
    prediction("p3", "production", "11:20", 3),  # no feedback
    prediction("c0", "canary", "10:10", 4),
]
FEEDBACK = [
    feedback("p0", value(0)),
    feedback("p1", other(1)),  # the user says it was wrong...
    feedback("p1", value(1), "labelling"),  # ...a labeller corrects that
    feedback("p2", other(2)),
    feedback("c0", value(4)),
    feedback("gone", value(5)),  # its prediction is in no log read here
]


def test_each_stage_is_scored_on_the_predictions_that_got_feedback():
    result = online_eval.evaluate(SPEC, PREDICTIONS, FEEDBACK, window_minutes=60)
    assert result["metric"] == METRIC
    production = result["stages"]["production"]
    assert production["predictions"] == 4 and production["labelled"] == 3
    assert production[METRIC] == approx((RIGHT + RIGHT + WRONG) / 3, abs=1e-6)
    assert production["windows"] == [
        {"start": "2026-12-07T10:00:00+00:00", "labelled": 2, METRIC: RIGHT},
        {"start": "2026-12-07T11:00:00+00:00", "labelled": 1, METRIC: WRONG},
    ]
    canary = result["stages"]["canary"]
    assert (canary["predictions"], canary["labelled"], canary[METRIC]) == (1, 1, RIGHT)
    assert result["unmatched_feedback"] == 1


def test_a_stage_without_feedback_has_no_score_yet():
    result = online_eval.evaluate(SPEC, PREDICTIONS, [], window_minutes=30)
    production = result["stages"]["production"]
    assert production["labelled"] == 0 and production[METRIC] is None
    assert production["windows"] == []


def test_lines_without_an_id_join_nothing():
    unnamed = {**prediction("p9", "production", "10:00", 0), "id": None}
    anonymous = {"label": value(0), "source": "user"}
    result = online_eval.evaluate(SPEC, [unnamed], [anonymous], window_minutes=60)
    production = result["stages"]["production"]
    assert (production["predictions"], production["labelled"]) == (1, 0)
    assert result["unmatched_feedback"] == 0


def test_windows_follow_the_given_length():
    result = online_eval.evaluate(SPEC, PREDICTIONS, FEEDBACK, window_minutes=30)
    starts = [w["start"][11:16] for w in result["stages"]["production"]["windows"]]
    assert starts == ["10:00", "10:30", "11:00"]


def test_a_window_may_be_a_fraction_of_a_minute():
    # A compressed day (nox -s operate) has seconds for hours.
    moments = [f"2026-12-07T10:00:{second:02d}.000+00:00" for second in (1, 7, 14)]
    records = [
        {**PREDICTIONS[0], "id": f"s{i}", "time": t} for i, t in enumerate(moments)
    ]
    answers = [feedback(f"s{i}", value(0)) for i in range(3)]
    result = online_eval.evaluate(SPEC, records, answers, window_minutes=0.1)
    windows = result["stages"]["production"]["windows"]
    assert [w["start"][17:19] for w in windows] == ["00", "06", "12"]
    assert [w["labelled"] for w in windows] == [1, 1, 1]


def write_lines(path, records, extra: str = "") -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + extra)


def run(folder, predictions: str, feedback: str, out: str, *extra: str) -> int:
    logs = ["--predictions", str(folder / predictions)]
    logs += ["--feedback", str(folder / feedback)]
    return online_eval.main([*logs, "--out", str(folder / out), *extra])


def test_the_command_writes_its_report_and_skips_bad_lines(tmp_path, capsys):
    write_lines(tmp_path / "p.jsonl", PREDICTIONS, "not json\n")
    write_lines(tmp_path / "f.jsonl", FEEDBACK)
    assert run(tmp_path, "p.jsonl", "f.jsonl", "online.json") == 0
    report = json.loads((tmp_path / "online.json").read_text())
    assert report["stages"]["canary"]["labelled"] == 1
    assert report["skipped_lines"] == 1
    assert "production" in capsys.readouterr().out


def test_a_missing_log_is_a_clear_error(tmp_path, capsys):
    write_lines(tmp_path / "p.jsonl", PREDICTIONS)
    assert run(tmp_path, "p.jsonl", "none.jsonl", "o.json") == 2
    assert "feedback log not found" in capsys.readouterr().err
    assert not (tmp_path / "o.json").exists()


def test_the_logs_the_shipper_stored_are_read_back(tmp_path, monkeypatch, capsys):
    """Both logs from a real S3 server on loopback (`rclone serve s3`), as the
    service's shipper names them (serving/log_shipping.py)."""
    credentials, bucket = ("online-access", "online-secret-key"), "proj-data"
    root = tmp_path / "store"
    (root / bucket).mkdir(parents=True)
    with local_servers.s3(root, credentials) as address:
        settings = local_servers.s3_settings(address, credentials, bucket)
        for variable, setting in settings.items():
            monkeypatch.setenv(variable, setting)
        monkeypatch.setenv("ARTIFACTS_DIR", str(tmp_path / "artifacts"))
        store = ObjectStore.from_env()
        for prefix, records in (("predictions", PREDICTIONS), ("feedback", FEEDBACK)):
            for half, part in enumerate((records[:2], records[2:])):
                write_lines(tmp_path / "piece.jsonl", part)
                key = f"{prefix}/production/2026-12-07/2026120{half}T000000000000Z-a"
                store.upload(tmp_path / "piece.jsonl", key + ".jsonl")
        logs = ["--predictions", f"s3://{bucket}/predictions/"]
        logs += ["--feedback", f"s3://{bucket}/feedback/"]
        out = tmp_path / "online.json"
        assert online_eval.main([*logs, "--out", str(out)]) == 0
        assert json.loads(out.read_text()) == online_eval.evaluate(
            SPEC, PREDICTIONS, FEEDBACK
        ) | {"skipped_lines": 0}
        # --stored STAGE: the same logs, found where the shipper keeps STAGE's.
        stored = tmp_path / "stored.json"
        assert online_eval.main(["--stored", "production", "--out", str(stored)]) == 0
        assert stored.read_text() == out.read_text()
        # A piece of an earlier day is not even read when only later days count.
        old = tmp_path / "old.jsonl"
        old.write_text("an old line\n")
        store.upload(old, "predictions/production/2026-12-06/o.jsonl")
        location, into = f"s3://{bucket}/predictions/", tmp_path / "fetched.jsonl"
        assert "an old line" in stored_log.fetch(location, into).read_text()
        recent = stored_log.fetch(location, into, since=date(2026, 12, 7)).read_text()
        assert recent == "".join(json.dumps(r) + "\n" for r in PREDICTIONS)
        nowhere = ["--feedback", f"s3://{bucket}/nothing/"]
        assert online_eval.main([logs[0], logs[1], *nowhere]) == 2
        assert "no feedback log under" in capsys.readouterr().err


def far(index: int):
    """A true answer far from ``value(index)``: another label, or 100 more."""
    return other(index) if SPEC.classification else value(index) + 100


def answered(
    count: int, truth, hours_ago: float = 1, key: str = "q", model: str = "m:1"
) -> tuple:
    """``count`` production predictions of ``model`` and their feedback,
    ``truth(i)``."""
    moment = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()
    records = [
        {**prediction(f"{key}{i}", "production", "10:00", i), "time": moment}
        | {"model": model}
        for i in range(count)
    ]
    return records, [feedback(f"{key}{i}", truth(i)) for i in range(count)]


def judge(tmp_path, records, answers, *extra: str) -> tuple[int, str | None]:
    """The command's exit code and its alert file (None: not written)."""
    write_lines(tmp_path / "p.jsonl", records)
    write_lines(tmp_path / "f.jsonl", answers)
    config = tmp_path / "config.yaml"
    if not config.exists():
        config.write_text("epochs: 3\nquality_bar: 0.6\n")
    alerts = tmp_path / "alerts"
    alerts.unlink(missing_ok=True)
    judged = ["--bar-config", str(config), "--alert-out", str(alerts), *extra]
    code = run(tmp_path, "p.jsonl", "f.jsonl", "online.json", *judged)
    return code, alerts.read_text() if alerts.exists() else None


@pytest.mark.parametrize(
    ("count", "truth", "alerted"),
    [(30, far, True), (30, value, False), (quality.MIN_LABELLED - 1, far, False)],
)
def test_a_stage_whose_online_quality_fails_the_bar_is_alerted(
    tmp_path, count, truth, alerted
):
    code, alerts = judge(tmp_path, *answered(count, truth))
    assert code == 0
    assert alerts.startswith(f"quality alert: production's online {METRIC} ") is alerted
    assert alerts.count("\n") == alerted
    report = json.loads((tmp_path / "online.json").read_text())
    # The baseline the bar is applied to: the best constant true answer.
    base = report["stages"]["production"]["baseline"]
    assert base == quality.baseline(SPEC, *[[truth(i) for i in range(count)]] * 2)


@pytest.mark.parametrize("now_bad", [False, True])
def test_only_the_model_a_stage_serves_now_is_judged(tmp_path, now_bad):
    """A deploy replaced model m:1 by m:2; only m:2's answers count."""
    before, after = (value, far) if now_bad else (far, value)
    old, old_answers = answered(30, before, key="old", model="m:1")
    new, new_answers = answered(30, after, model="m:2")
    code, alerts = judge(tmp_path, old + new, old_answers + new_answers)
    assert code == 0
    assert alerts.endswith(", model m:2\n") if now_bad else alerts == ""
    # The report itself still scores every answer of the stage.
    production = json.loads((tmp_path / "online.json").read_text())["stages"]
    assert production["production"]["labelled"] == 60
    assert production["production"]["latest_model"] == "m:2"


def test_only_the_recent_predictions_are_judged(tmp_path):
    old, old_answers = answered(30, far, hours_ago=30, key="old")
    new, new_answers = answered(30, value)
    everything = (old + new, old_answers + new_answers)
    assert judge(tmp_path, *everything)[1] != ""  # the old wrong answers count
    assert judge(tmp_path, *everything, "--since-hours", "24") == (0, "")
    report = json.loads((tmp_path / "online.json").read_text())
    assert report["stages"]["production"]["predictions"] == 30


@pytest.mark.parametrize("config", ["quality_bar: high\n", "epochs: 3\n", "[1, 2"])
def test_a_config_without_a_usable_bar_writes_no_alert(tmp_path, capsys, config):
    (tmp_path / "config.yaml").write_text(config)
    assert judge(tmp_path, *answered(30, far)) == (2, None)
    assert "config.yaml" in capsys.readouterr().err


def test_the_clusters_command_line_is_one_this_command_takes():
    """The hourly retraining step runs this command (cicd/k8s/pipelines/):
    its words must parse, and its bar must be training's."""
    documents = yaml.safe_load_all(
        (paths.REPO_ROOT / "cicd" / "k8s" / "pipelines" / "retrain.yaml").read_text()
    )
    (template,) = (d for d in documents if d["kind"] == "WorkflowTemplate")
    script = template["spec"]["templates"][0]["container"]["command"][2]
    words = shlex.split(script.replace("\\\n", " "))
    start = words.index("monitoring.online_eval") + 1
    args = online_eval.arguments(words[start : words.index("||")])
    assert args.predictions.endswith("/predictions/production/")
    assert args.feedback.endswith("/feedback/production/")
    training = yaml.safe_load((paths.REPO_ROOT / args.bar_config).read_text())
    assert online_eval.quality_bar(paths.REPO_ROOT / args.bar_config) == approx(
        training["quality_bar"]
    )
