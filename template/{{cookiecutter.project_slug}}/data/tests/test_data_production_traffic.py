"""`python -m data.production_traffic` against two small local servers standing
in for production and a canary (conftest.py's `stages`): each answers /predict
with an id, as the service does, and keeps every request and feedback it gets."""

import json
import random
from collections import Counter

from {{ cookiecutter.package_name }} import problem

from data.production_day import QUIETEST_HOUR, hourly_requests, make_pool
from data.production_traffic import main


def test_arrivals_follow_a_daily_rhythm():
    counts = hourly_requests(peak=50, hours=24)
    assert counts.index(min(counts)) == QUIETEST_HOUR
    assert counts.index(max(counts)) == QUIETEST_HOUR + 12
    assert max(counts) == 50 and min(counts) == 10  # the quietest: a fifth


def test_the_mix_shifts_towards_one_end_as_the_day_goes_on():
    pool = make_pool("synthetic", 10)
    rng = random.Random(1)
    ends = (min(pool.positions), max(pool.positions))

    def share_of_last_end(progress: float) -> float:
        drawn = [pool.draw(rng, progress, tilt=2.0) for _ in range(2000)]
        places = Counter(pool.positions[pool.examples.index(e)] for e in drawn)
        return places[ends[1]] / (places[ends[0]] + places[ends[1]])

    assert 0.4 < share_of_last_end(0.0) < 0.6  # even at dawn
    assert share_of_last_end(1.0) > 0.9  # e^4 to 1 by night


def test_a_day_splits_traffic_and_sends_delayed_feedback_with_the_truth(
    stages, tmp_path
):
    production, canary = stages
    report_path, truth_path = tmp_path / "day.json", tmp_path / "truth.jsonl"
    code = main(
        [
            *("--url", production.url, "--canary-url", canary.url),
            *("--canary-share", "0.3", "--hours", "6", "--hour-seconds", "0.05"),
            *("--peak", "20", "--feedback-share", "1", "--pool-count", "4"),
            *("--json", str(report_path), "--truth", str(truth_path)),
        ]
    )
    assert code == 0
    report = json.loads(report_path.read_text())
    sent = sum(hourly_requests(20, 6))
    assert report["stages"]["production"]["answered"] == len(production.answered)
    assert report["stages"]["canary"]["answered"] == len(canary.answered)
    assert len(production.answered) + len(canary.answered) == sent
    assert 0.1 * sent < len(canary.answered) < 0.5 * sent
    # Every answer came back, at the stage that gave it, with its input's truth.
    pool = make_pool("synthetic", 4)
    payloads = [problem.request_payload(pool.spec, e.input) for e in pool.examples]
    truth_of_body = {
        json.dumps(payload, sort_keys=True): example.target
        for payload, example in zip(payloads, pool.examples, strict=True)
    }
    for stage in stages:
        assert {f["prediction_id"] for f in stage.feedback} == set(stage.answered)
        for feedback in stage.feedback:
            body = stage.answered[feedback["prediction_id"]]
            assert feedback["label"] == truth_of_body[json.dumps(body, sort_keys=True)]
            assert feedback["source"] == "user"
    assert sum(report["feedback"].values()) == sent
    truth = [json.loads(line) for line in truth_path.read_text().splitlines()]
    assert len(truth) == sent
