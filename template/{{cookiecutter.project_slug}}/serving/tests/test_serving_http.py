"""POST /predict, /readyz, /metrics and the API docs of a real `bentoml serve`."""

import json
import math
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import jsonschema
import pytest
import torch
from pytest import approx

from {{ cookiecutter.package_name }} import paths, problem, telemetry
from {{ cookiecutter.package_name }}.model import load_checkpoint
from {{ cookiecutter.package_name }}.model import predict as predict_outputs

from serving.check.bad_requests import BadRequest, bad_requests
from serving.check.scrape import read_prediction_metrics
from serving.check.server import request

INPUT_SCHEMA = json.loads((paths.contracts_dir() / "input.schema.json").read_text())
OUTPUT_SCHEMA = json.loads((paths.contracts_dir() / "output.schema.json").read_text())
INPUT_SAMPLE = paths.contracts_dir() / "input.sample.json"
BAD_REQUESTS = bad_requests(INPUT_SCHEMA, problem.MAX_REQUEST_BYTES)


def predict(server, body: bytes):
    return request(server.url + "/predict", body)


def assert_valid_prediction(reply) -> dict:
    assert reply.status == 200, reply.body
    answer = reply.json()
    jsonschema.validate(answer, OUTPUT_SCHEMA)
    return answer


def scrape(server, spec):
    reply = request(server.url + "/metrics")
    assert reply.status == 200
    return read_prediction_metrics(reply.body.decode(), spec)


def test_readyz_answers_once_the_model_is_loaded(server):
    assert request(server.url + "/readyz").status == 200


def test_the_contract_input_sample_gets_a_schema_valid_answer(server):
    assert_valid_prediction(predict(server, INPUT_SAMPLE.read_bytes()))


def test_every_synthetic_example_gets_a_schema_valid_answer(server, synthetic):
    for index in range(len(synthetic.examples)):
        assert_valid_prediction(predict(server, synthetic.body(index)))


def test_the_answer_is_the_models_output_for_the_decoded_request(
    server, served, synthetic
):
    model, spec, _ = load_checkpoint(served.checkpoint)
    payload = synthetic.payload(1)
    encoded = problem.encode_input(spec, problem.decode_request(spec, payload))
    outputs = predict_outputs(spec, model, torch.from_numpy(encoded[None]))
    expected = problem.answer(spec, outputs.numpy()[0])
    answer = assert_valid_prediction(predict(server, json.dumps(payload).encode()))
    assert answer.keys() == expected.keys()
    for key, value in expected.items():
        assert answer[key] == (
            value if isinstance(value, str) else approx(value, abs=1e-5)
        )


@pytest.mark.parametrize("bad", BAD_REQUESTS, ids=lambda bad: bad.kind)
def test_a_bad_request_gets_a_4xx_saying_what_is_wrong(
    server, synthetic, bad: BadRequest
):
    reply = request(server.url + "/predict", bad.body, content_type=bad.content_type)
    assert reply.status == bad.status, reply.body
    assert bad.message in reply.json()["error"]
    # ... and the server keeps serving.
    assert_valid_prediction(predict(server, synthetic.body()))


def test_a_request_the_problem_refuses_gets_its_message_and_a_400(server, synthetic):
    # Every field of the right JSON type, so the guard lets it through, but
    # empty: the problem's `decode_request` refuses it, and its message is the
    # answer's.
    empty = {"string": "", "object": {}, "array": []}
    properties = INPUT_SCHEMA["properties"]
    payload = {name: empty[prop["type"]] for name, prop in properties.items()}
    with pytest.raises(problem.ContractError) as refused:
        problem.decode_request(synthetic.spec, payload)
    reply = predict(server, json.dumps(payload).encode())
    assert reply.status == 400, reply.body
    assert reply.json() == {"error": str(refused.value)}
    assert_valid_prediction(predict(server, synthetic.body()))


def test_metrics_count_every_answered_prediction(server, served, synthetic):
    spec = synthetic.spec
    before = scrape(server, spec)
    if spec.classification:  # every class exported from 0
        assert set(before.per_class) == set(spec.labels)
    body = synthetic.body(2)
    answers = [assert_valid_prediction(predict(server, body)) for _ in range(3)]
    predict(server, b"not json")  # refused: counted nowhere

    after = scrape(server, spec)
    assert after.count == before.count + 3
    if spec.classification:
        assert after.histogram == telemetry.PREDICTION_CONFIDENCE
        bounds = telemetry.CONFIDENCE_BUCKETS
        label = answers[0]["prediction"]
        assert after.per_class[label] == before.per_class[label] + 3
        assert sum(after.per_class.values()) == sum(before.per_class.values()) + 3
    else:
        assert after.histogram == telemetry.PREDICTED_VALUE
        bounds = telemetry.value_buckets(spec.fitted["target_quantiles"])
        assert after.per_class == {}
    assert math.inf in after.buckets
    assert {le for le in after.buckets if le != math.inf} == set(bounds)


def test_each_answered_prediction_appends_one_log_line(server, served, synthetic):
    log = served.prediction_log
    lines_before = log.read_text().splitlines() if log.exists() else []
    payload = synthetic.payload(3)
    reply = predict(server, json.dumps(payload).encode())
    answer = assert_valid_prediction(reply)
    predict(server, b"[]")  # refused: not logged

    new_lines = log.read_text().splitlines()[len(lines_before) :]
    assert len(new_lines) == 1
    record = json.loads(new_lines[0])
    (stored,) = json.loads(served.run("bentoml", "models", "list", "-o", "json").stdout)
    assert record == {
        "time": record["time"],
        "stage": "local",  # DEPLOY_STAGE unset
        "model": stored["tag"],  # the one model the store holds answered
        "id": reply.headers["x-prediction-id"],
        **answer,
        "features": problem.drift_features(
            synthetic.spec, problem.decode_request(synthetic.spec, payload)
        ),
    }
    assert set(record["features"]) == set(problem.drift_feature_names(synthetic.spec))
    logged_at = datetime.fromisoformat(record["time"])
    assert logged_at.utcoffset() == timedelta(0)


def test_the_api_docs_show_the_contracts_fields(server, synthetic):
    reply = request(server.url + "/docs.json")
    assert reply.status == 200
    text = reply.body.decode()
    for name in [*INPUT_SCHEMA["properties"], *OUTPUT_SCHEMA["properties"]]:
        assert f'"{name}"' in text


@pytest.mark.slow
def test_32_concurrent_clients_all_get_answers(server, synthetic):
    clients, per_client = 32, 4
    bodies = [synthetic.body(i) for i in range(clients)]

    def client(body: bytes) -> list:
        return [predict(server, body) for _ in range(per_client)]

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        replies = [reply for result in pool.map(client, bodies) for reply in result]
    elapsed = time.perf_counter() - started

    assert Counter(r.status for r in replies) == Counter({200: clients * per_client})
    # Information, not an assertion: shown with pytest -s.
    latencies = sorted(r.seconds * 1000 for r in replies)
    print(
        f"\n{len(replies)} requests from {clients} clients in {elapsed:.2f} s: "
        f"{len(replies) / elapsed:.1f} requests/s, latency p50 "
        f"{latencies[len(latencies) // 2]:.0f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95)]:.0f} ms"
    )
