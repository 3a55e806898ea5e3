"""Prometheus's own tool on the room's files: the config and rules load, and the
alert rules pass their unit tests (prometheus/alerts.test.yml).

`nox -s tests` hands these tests a promtool (PROMTOOL), fetching Debian's
package when none is installed (cicd/debian_tools.py). Run directly, they use
PROMTOOL or the promtool on PATH, and are skipped, saying so, without either.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PROMETHEUS = Path(__file__).resolve().parent.parent / "prometheus"


@pytest.fixture(scope="module")
def promtool() -> str:
    found = os.environ.get("PROMTOOL") or shutil.which("promtool")
    if not found:
        pytest.skip(
            "no promtool: run through `nox -s tests -- monitoring`, install"
            " Prometheus (apt install prometheus), or set PROMTOOL"
        )
    return found


def run(promtool: str, *args: str, folder: Path = PROMETHEUS) -> str:
    """promtool's output; the test fails with it when promtool says no."""
    result = subprocess.run(
        [promtool, *args], cwd=folder, capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus-k8s.yml"])
def test_prometheus_loads_the_config_and_its_alert_rules(promtool, config):
    output = run(promtool, "check", "config", config)
    assert "alerts.yml" in output  # the rules file the config names was checked


def test_the_alert_rules_pass_their_unit_tests(promtool):
    assert "SUCCESS" in run(promtool, "test", "rules", "alerts.test.yml")


def test_a_wrong_expectation_fails_the_unit_tests(promtool, tmp_path):
    """The unit tests can fail: an alert expected at another severity."""
    for name in ("alerts.yml", "alerts.test.yml"):
        shutil.copy(PROMETHEUS / name, tmp_path / name)
    tests = tmp_path / "alerts.test.yml"
    text = tests.read_text()
    assert "severity: critical" in text
    tests.write_text(text.replace("severity: critical", "severity: info", 1))
    result = subprocess.run(
        [promtool, "test", "rules", "alerts.test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "ServiceDown" in result.stdout + result.stderr
