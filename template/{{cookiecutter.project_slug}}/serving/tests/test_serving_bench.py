"""`python -m serving.bench` on small settings: it runs and its tables are whole.

Timings are not checked (they are the benchmark's output, not a property);
what is checked is that every option was measured and reported.
"""

import json
import re

from PIL import Image

from {{ cookiecutter.package_name }}.labels import CLASS_FOLDERS

CLIENTS = (1, 4)


def write_evaluation_split(artifacts, per_class: int = 1) -> None:
    for number, folder in enumerate(CLASS_FOLDERS):
        images = artifacts / "data" / "dataset" / "evaluation" / folder
        images.mkdir(parents=True)
        for i in range(per_class):
            colour = (20 * number, 90 + 10 * i, 160)
            Image.new("RGB", (72, 72), colour).save(images / f"{i}.jpg")


def table_rows(markdown: str, heading: str) -> list[list[str]]:
    """The body rows of the first table after ``heading``."""
    lines = markdown.split(heading, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in line.strip("|").split("|")])
    return table[2:]  # without the header and the separator


def log_lines(folders) -> int:
    log = folders.prediction_log
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_the_benchmark_measures_every_option_and_writes_the_table(
    served, traffic_python, tmp_path
):
    artifacts = tmp_path / "artifacts"
    write_evaluation_split(artifacts)
    reports = tmp_path / "reports"
    logged_before = log_lines(served)
    result = served.run(
        *("-m", "serving.bench", "--variants", "eager", "onnx-int8"),
        *("--serve-variants", "onnx-int8"),
        *("--batching", "off", "on", "--clients", *map(str, CLIENTS)),
        *("--requests", "12", "--seconds", "0.2", "--batch-sizes", "1", "2"),
        *("--threads", "1", "--traffic-python", traffic_python),
        *("--peak-rps", "100", "--latency-goal-ms", "10000"),
        *("--out", str(reports)),
        ARTIFACTS_DIR=str(artifacts),
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]

    markdown = (reports / "serving-options.md").read_text()
    assert "small_cnn at 64 px" in markdown
    assert "cores, GPU: none" in markdown
    assert "python -m serving.bench --variants eager onnx-int8" in markdown

    in_process = table_rows(markdown, "## In process")
    assert [row[0] for row in in_process] == ["eager", "onnx-int8"]
    for row in in_process:
        assert re.fullmatch(r"\d+\.\d %", row[1]), row  # accuracy
        assert all(float(cell) > 0 for cell in row[3:6]), row  # img/s, speed-up
    assert in_process[0][2] == "0.0"  # eager against itself

    served_rows = table_rows(markdown, "## Served")
    expected = [
        ("onnx-int8", batching, str(clients))
        for batching in ("off", "on")
        for clients in CLIENTS
    ]
    assert [tuple(row[:3]) for row in served_rows] == expected
    for row in served_rows:
        requests, errors, throughput = int(row[3]), int(row[4]), float(row[5])
        p50, p95, p99, share = map(float, row[6:10])
        assert requests == 12 and errors == 0, row
        assert throughput > 0 and 0 < p50 <= p95 <= p99 and share > 0, row

    assert "## Targets" in markdown
    assert markdown.count("not met") + markdown.count(": met") >= 3
    sizing = markdown.split("## Right-sizing", 1)[1]
    assert sizing.count("- ") == 2  # one line per served variant and batching
    assert "replicas for 100 req/s" in sizing

    document = json.loads((reports / "serving-options.json").read_text())
    assert document["model"]["arch"] == "small_cnn"
    assert document["threads"] == 1
    assert len(document["served"]) == len(expected)
    with Image.open(reports / "serving-options.png") as chart:
        assert chart.size == (900, 560)
    # Benchmark traffic stays out of the production prediction log.
    assert log_lines(served) == logged_before


def test_without_a_model_in_the_store_it_says_to_package_first(
    fresh_folders, traffic_python
):
    result = fresh_folders.run(
        "-m", "serving.bench", "--traffic-python", traffic_python
    )
    assert result.returncode == 2
    assert "python -m serving.package" in result.stderr
