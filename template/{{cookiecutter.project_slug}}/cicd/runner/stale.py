"""Which runners, servers and leases `gc` removes: this project's, and old.

Pure selection over plain records, so the rules are tested without a cloud.
Only names under settings.NAME_PREFIX are ever candidates: gc never touches a
resource another team, or another tool of this team, made.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from . import settings


@dataclass(frozen=True)
class Resource:
    kind: str  # "runner", "server" or "lease"
    id: str
    name: str
    created: datetime | None  # None: GitHub does not say when a runner was made
    busy: bool = False


def parse_time(text: str | None) -> datetime | None:
    """OpenStack times, with or without a zone or fraction; UTC when none."""
    if not text:
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def ours(name: str) -> bool:
    return name.startswith(settings.NAME_PREFIX + "-")


def stale(
    resources: list[Resource], older_than: timedelta, now: datetime, live: set[str]
) -> list[Resource]:
    """Our servers and leases older than the limit, and our orphaned runners.

    `live` holds the names of servers that still exist. GitHub does not say when a
    runner was registered, so a runner is stale when no server of its name is left
    to run its job (and it is not running one).
    """
    chosen = []
    for resource in resources:
        if not ours(resource.name):
            continue
        if resource.kind == "runner":
            if not resource.busy and resource.name not in live:
                chosen.append(resource)
        elif resource.created is not None and now - resource.created >= older_than:
            chosen.append(resource)
    return chosen
