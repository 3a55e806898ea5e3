"""The lease handling around python-chi's Blazar client, on Blazar-shaped JSON.

No Chameleon here: these are the decisions `up` takes on what Blazar answers
(when a lease is usable, which reservation a server launches on). The requests
themselves are those `plan` prints (test_cicd_runner_plan.py).
"""

import json

import pytest

from cicd.runner import chameleon
from cicd.runner.chameleon import ChameleonError, node_reservation_id, wait_until_active

HOST = {"id": "res-host-1", "resource_type": "physical:host", "min": 1, "max": 1}
FLOATING_IP = {"id": "res-fip-1", "resource_type": "virtual:floatingip"}


class Clock:
    """Time that moves only when the code under test sleeps."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = 0

    def sleep(self, seconds):
        self.sleeps += 1
        self.now += seconds

    def __call__(self):
        return self.now


def test_python_chi_is_imported_only_when_a_command_needs_it():
    assert "chi" not in vars(chameleon)


def test_waits_until_the_lease_is_active():
    answers = iter(["PENDING", "STARTING", "ACTIVE"])
    clock = Clock()
    lease = wait_until_active(
        lambda: {"name": "l", "status": next(answers)}, sleep=clock.sleep, clock=clock
    )
    assert lease["status"] == "ACTIVE" and clock.sleeps == 2


def test_a_lease_in_error_fails_at_once():
    clock = Clock()
    with pytest.raises(ChameleonError, match="lease l is ERROR"):
        wait_until_active(
            lambda: {"name": "l", "status": "ERROR"}, sleep=clock.sleep, clock=clock
        )
    assert clock.sleeps == 0


def test_a_lease_that_never_starts_times_out():
    clock = Clock()
    with pytest.raises(ChameleonError, match="PENDING after 60 s"):
        wait_until_active(
            lambda: {"name": "l", "status": "PENDING"},
            timeout=60,
            sleep=clock.sleep,
            clock=clock,
        )
    assert clock.now >= 60


@pytest.mark.parametrize("nested", [False, True])
def test_the_server_launches_on_the_node_reservation(nested):
    reservations = [FLOATING_IP, HOST]
    if nested:
        reservations = json.dumps(reservations)
    lease = {"name": "l", "reservations": reservations}
    assert node_reservation_id(lease) == "res-host-1"


def test_a_lease_without_a_node_reservation_is_refused():
    with pytest.raises(ChameleonError, match="0 node reservations"):
        node_reservation_id({"name": "l", "reservations": [FLOATING_IP]})
