"""`runner gc`: which of this project's resources count as stale."""

from datetime import UTC, datetime, timedelta

from cicd.runner import settings
from cicd.runner.stale import Resource, parse_time, stale

NOW = datetime(2027, 4, 1, 12, 0, tzinfo=UTC)
LIMIT = timedelta(hours=settings.MAX_LEASE_HOURS + 1)


def name(run: str) -> str:
    return settings.run_label(run)


def test_old_servers_and_leases_go_recent_ones_stay():
    old = NOW - LIMIT - timedelta(minutes=1)
    recent = NOW - timedelta(minutes=5)
    resources = [
        Resource("server", "s1", name("1-1"), old),
        Resource("lease", "l1", name("1-1"), old),
        Resource("server", "s2", name("2-1"), recent),
        Resource("lease", "l2", name("2-1"), recent),
    ]
    chosen = stale(resources, LIMIT, NOW, live={name("1-1"), name("2-1")})
    assert [(r.kind, r.id) for r in chosen] == [("server", "s1"), ("lease", "l1")]


def test_other_teams_and_other_tools_are_never_touched():
    ancient = NOW - timedelta(days=30)
    resources = [
        Resource("server", "x", "proj99-gpu-runner-1-1", ancient),
        Resource("lease", "y", f"{settings.PROJECT_ID}-jupyter", ancient),
        Resource("runner", "z", "someone-elses-runner", None),
    ]
    assert stale(resources, LIMIT, NOW, live=set()) == []


def test_runners_go_when_their_server_is_gone_unless_busy():
    resources = [
        Resource("runner", "1", name("1-1"), None),  # server gone: stale
        Resource("runner", "2", name("2-1"), None),  # server still there
        Resource("runner", "3", name("3-1"), None, busy=True),
    ]
    chosen = stale(resources, LIMIT, NOW, live={name("2-1")})
    assert [r.id for r in chosen] == ["1"]


def test_openstack_times_parse_with_or_without_zone():
    assert parse_time("2027-04-01T10:00:00Z") == datetime(2027, 4, 1, 10, tzinfo=UTC)
    assert parse_time("2027-04-01 10:00:00") == datetime(2027, 4, 1, 10, tzinfo=UTC)
    assert parse_time("2027-04-01T10:00:00.123456") == datetime(
        2027, 4, 1, 10, 0, 0, 123456, tzinfo=UTC
    )
    assert parse_time(None) is None
