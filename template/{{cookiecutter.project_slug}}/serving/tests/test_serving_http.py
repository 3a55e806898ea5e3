"""POST /predict, /readyz and /metrics of a real `bentoml serve` process."""

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import jsonschema
import pytest

from {{ cookiecutter.package_name }} import paths, telemetry
from {{ cookiecutter.package_name }}.features import FEATURE_NAMES
from {{ cookiecutter.package_name }}.labels import LABELS

from serving.bad_requests import BadRequest, bad_requests
from serving.scrape import read_prediction_metrics
from serving.server import request

OUTPUT_SCHEMA = json.loads((paths.contracts_dir() / "output.schema.json").read_text())
INPUT_SAMPLE = paths.contracts_dir() / "input.sample.json"


def predict(server, body: bytes):
    return request(server.url + "/predict", body)


def assert_valid_prediction(reply) -> dict:
    assert reply.status == 200, reply.body
    answer = reply.json()
    jsonschema.validate(answer, OUTPUT_SCHEMA)
    return answer


def scrape(server):
    reply = request(server.url + "/metrics")
    assert reply.status == 200
    return read_prediction_metrics(reply.body.decode())


def test_readyz_answers_once_the_model_is_loaded(server):
    assert request(server.url + "/readyz").status == 200


def test_the_contract_input_sample_gets_a_schema_valid_answer(server):
    answer = assert_valid_prediction(predict(server, INPUT_SAMPLE.read_bytes()))
    assert answer["prediction"] in LABELS


@pytest.mark.parametrize(
    ("size", "image_format", "mode"),
    [((96, 72), "JPEG", "RGB"), ((640, 480), "JPEG", "RGB"), ((40, 40), "PNG", "L")],
    ids=["small-jpeg", "large-jpeg", "grayscale-png"],
)
def test_any_readable_photo_gets_a_prediction(server, photo, size, image_format, mode):
    body = photo(size=size, image_format=image_format, mode=mode)
    assert_valid_prediction(predict(server, body))


@pytest.mark.parametrize("bad", bad_requests(), ids=lambda bad: bad.kind)
def test_a_bad_request_gets_a_4xx_saying_what_is_wrong(server, photo, bad: BadRequest):
    reply = request(server.url + "/predict", bad.body, content_type=bad.content_type)
    assert reply.status == bad.status, reply.body
    assert bad.message in reply.json()["error"]
    # ... and the server keeps serving.
    assert_valid_prediction(predict(server, photo()))


def test_metrics_count_predictions_by_class_and_confidence(server, photo):
    before = scrape(server)
    assert set(before.per_class) == set(LABELS)  # every class exported from 0
    body = photo(color=(30, 160, 90))
    answers = [assert_valid_prediction(predict(server, body)) for _ in range(3)]
    label = answers[0]["prediction"]
    predict(server, b"not json")  # refused: counted nowhere

    after = scrape(server)
    assert after.per_class[label] == before.per_class[label] + 3
    assert sum(after.per_class.values()) == sum(before.per_class.values()) + 3
    assert after.confidence_count == before.confidence_count + 3
    expected_bounds = {str(bound) for bound in telemetry.CONFIDENCE_BUCKETS}
    assert expected_bounds | {"+Inf"} == set(after.confidence_buckets)
    text = request(server.url + "/metrics").body.decode()
    class_sample = (
        telemetry.PREDICTIONS_EXPORTED + "{" + telemetry.CLASS_LABEL + '="' + label
    )
    assert class_sample in text


def test_each_answered_prediction_appends_one_log_line(server, served, photo):
    log = served.prediction_log
    lines_before = log.read_text().splitlines() if log.exists() else []
    answer = assert_valid_prediction(predict(server, photo(color=(10, 20, 230))))
    predict(server, json.dumps({"image": 42}).encode())  # refused: not logged

    new_lines = log.read_text().splitlines()[len(lines_before) :]
    assert len(new_lines) == 1
    record = json.loads(new_lines[0])
    assert set(record) == {"time", "prediction", "probability", "features"}
    assert record["prediction"] == answer["prediction"]
    assert record["probability"] == pytest.approx(answer["probability"], abs=1e-6)
    assert set(record["features"]) == set(FEATURE_NAMES)
    assert record["features"]["blue"] > record["features"]["red"]
    logged_at = datetime.fromisoformat(record["time"])
    assert logged_at.utcoffset() == timedelta(0)


def test_32_concurrent_clients_all_get_answers(server, photo):
    clients, per_client = 32, 4
    bodies = [photo(color=(8 * i, 100, 255 - 8 * i)) for i in range(clients)]

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
