"""POST /feedback on a real `bentoml serve`: the true answer to a past prediction."""

import json

import pytest

from {{ cookiecutter.package_name }} import problem

from serving.check.server import request
from serving.feedback import PREDICTION_ID_HEADER, checked_label

ID_HEADER = PREDICTION_ID_HEADER.lower()


def log_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def send_feedback(server, **body):
    return request(server.url + "/feedback", json.dumps(body).encode())


def test_an_answer_carries_the_id_its_prediction_is_logged_under(
    server, served, synthetic
):
    reply = request(server.url + "/predict", synthetic.body(3))
    assert reply.status == 200, reply.body
    prediction_id = reply.headers[ID_HEADER]
    assert len(prediction_id) == 32 and int(prediction_id, 16) >= 0
    logged_lines = log_lines(served.prediction_log)
    (logged,) = [line for line in logged_lines if line["id"] == prediction_id]
    assert logged["prediction"] == reply.json()["prediction"]
    assert logged["stage"] == "local"  # DEPLOY_STAGE unset
    again = request(server.url + "/predict", synthetic.body(3))
    assert again.headers[ID_HEADER] != prediction_id  # one id per prediction


def test_an_answered_input_is_kept_by_its_id_and_can_join_training(
    server, served, synthetic
):
    body = synthetic.body(4)
    reply = request(server.url + "/predict", body)
    prediction_id = reply.headers[ID_HEADER]
    kept_lines = log_lines(served.artifacts / "production" / "inputs.jsonl")
    (kept,) = [line for line in kept_lines if line["id"] == prediction_id]
    assert kept["input"] == json.loads(body)
    # With its true answer, the kept input is a training example the model
    # sees exactly as the service saw the request.
    truth = synthetic.examples[4].target
    example = problem.production_example(
        synthetic.spec, kept["input"], truth, prediction_id
    )
    assert (example.target, example.split) == (truth, "training")
    served_input = problem.decode_request(synthetic.spec, kept["input"])
    assert (
        problem.encode_input(synthetic.spec, problem.load_input(example))
        == problem.encode_input(synthetic.spec, served_input)
    ).all()


def test_feedback_on_a_prediction_is_logged_by_its_id(server, served, synthetic):
    reply = request(server.url + "/predict", synthetic.body(5))
    reply_id = reply.headers[ID_HEADER]
    truth = synthetic.examples[5].target
    recorded = send_feedback(
        server, prediction_id=reply_id, label=truth, source="labelling"
    )
    assert recorded.status == 200, recorded.body
    assert recorded.json() == {"recorded": reply_id}
    logged_lines = log_lines(served.feedback_log)
    (logged,) = [line for line in logged_lines if line["prediction_id"] == reply_id]
    assert logged["label"] == truth
    assert logged["source"] == "labelling"
    assert logged["stage"] == "local"  # DEPLOY_STAGE unset


@pytest.mark.parametrize(
    "body, says",
    [
        ({"prediction_id": "0" * 32, "label": "no such label"}, "'no such label' is"),
        ({"prediction_id": "0" * 32, "label": "12.5"}, "not"),
        ({"prediction_id": "not-an-id", "label": 1}, "prediction_id"),
        ({"label": 1}, "prediction_id"),
        ({"prediction_id": "0" * 32, "label": 1, "source": "guess"}, "source"),
    ],
    ids=["unknown-label", "label-as-text", "bad-id", "no-id", "bad-source"],
)
def test_bad_feedback_gets_a_4xx_and_the_server_keeps_serving(
    server, served, synthetic, body, says
):
    if synthetic.spec.classification and says == "not":
        body = {**body, "label": 12.5}  # a number, where a label is a name
    feedback_log = served.feedback_log
    before = feedback_log.read_text() if feedback_log.exists() else ""
    reply = send_feedback(server, **body)
    assert 400 <= reply.status < 500, reply.body
    assert says in reply.body.decode()
    after = feedback_log.read_text() if feedback_log.exists() else ""
    assert after == before, "refused feedback is not logged"
    assert request(server.url + "/predict", synthetic.body(0)).status == 200


def test_a_label_is_checked_against_the_problem(synthetic):
    spec = synthetic.spec
    truth = synthetic.examples[0].target
    assert checked_label(spec, truth) == truth
    with pytest.raises(problem.ContractError):
        checked_label(spec, None)
    with pytest.raises(problem.ContractError):
        checked_label(spec, float("nan"))
