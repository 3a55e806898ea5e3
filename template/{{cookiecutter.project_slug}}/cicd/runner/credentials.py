"""Credentials come only from the environment, and their values never get printed.

Chameleon: an OpenStack application credential (the `OS_*` variables of the
openrc file Chameleon's dashboard offers). GitHub: a token that may manage the
repository's self-hosted runners (RUNNER_ADMIN_TOKEN). The object store: the S3
endpoint and EC2-style credentials (AWS_*), for the buckets `up` makes.
"""

import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CHAMELEON_VARIABLES = (
    "OS_AUTH_URL",
    "OS_APPLICATION_CREDENTIAL_ID",
    "OS_APPLICATION_CREDENTIAL_SECRET",
)
GITHUB_VARIABLES = ("RUNNER_ADMIN_TOKEN",)
# Optional: a second, narrower application credential the node uses to delete its
# own lease when it goes idle (see docs/runners.md). Without it the node powers off
# and the lease ends on its own at its end date.
RELEASE_VARIABLES = (
    "OS_RELEASE_APPLICATION_CREDENTIAL_ID",
    "OS_RELEASE_APPLICATION_CREDENTIAL_SECRET",
)
OBJECT_STORE_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
)
SECRET_VARIABLES = (
    "OS_APPLICATION_CREDENTIAL_SECRET",
    "OS_RELEASE_APPLICATION_CREDENTIAL_SECRET",
    "RUNNER_ADMIN_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
)


class MissingCredentials(Exception):
    """Raised with the names of the variables to set; never with any value."""


@dataclass(frozen=True)
class Secret:
    """A value that prints as a mask, so that no log or plan can leak it."""

    value: str

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


def require(
    names: tuple[str, ...], purpose: str, guide: str = "cicd/docs/runners.md"
) -> dict[str, str]:
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        raise MissingCredentials(
            f"{purpose} needs the environment variable(s) {', '.join(missing)};"
            f" see {guide} for how to create them"
        )
    return {name: os.environ[name] for name in names}


def github_token() -> Secret:
    found = require(GITHUB_VARIABLES, "managing the repository's GitHub runners")
    return Secret(found[GITHUB_VARIABLES[0]])


def object_store() -> dict[str, Secret]:
    """The S3 endpoint and credentials a server on Chameleon writes with."""
    found = require(
        OBJECT_STORE_VARIABLES,
        "a server that keeps data in the object store",
        "the data room's handbook (data/README.md, 'The object store')",
    )
    return {name: Secret(value) for name, value in found.items()}


def chameleon() -> dict[str, str]:
    """The OS_* variables python-chi reads, checked before any call is made."""
    return require(CHAMELEON_VARIABLES, "talking to Chameleon")


def site_variables(site: str, home_site: str) -> tuple[str, ...]:
    """The variables of ``site``'s application credential: plain OS_* for the
    home site; for another (each Chameleon site has its own Keystone), the same
    names behind the site's prefix: `CHI@UC` -> CHI_UC_OS_AUTH_URL, ..."""
    if site == home_site:
        return CHAMELEON_VARIABLES
    prefix = re.sub(r"[^A-Z0-9]+", "_", site.upper()).strip("_")
    return tuple(f"{prefix}_{name}" for name in CHAMELEON_VARIABLES)


def chameleon_at(site: str, home_site: str) -> dict[str, str]:
    """``site``'s credential, keyed by the plain OS_* names; refused naming the
    variables to set."""
    names = site_variables(site, home_site)
    found = require(names, f"talking to Chameleon's {site}", "cicd/docs/infra.md")
    pairs = zip(CHAMELEON_VARIABLES, names, strict=True)
    return {plain: found[name] for plain, name in pairs}


def release_credential() -> dict[str, Secret] | None:
    if not all(os.environ.get(name) for name in RELEASE_VARIABLES):
        return None
    return {name: Secret(os.environ[name]) for name in RELEASE_VARIABLES}


def presence() -> dict[str, str]:
    """Which variables are set, by name only: what `plan` may show."""
    names = (*CHAMELEON_VARIABLES, *GITHUB_VARIABLES, *RELEASE_VARIABLES)
    return {name: "set" if os.environ.get(name) else "missing" for name in names}


def redact(text: str) -> str:
    """Mask any secret value that made it into a message (e.g. an API error)."""
    for name, value in os.environ.items():
        # Another site's secret is the same name behind a prefix (site_variables).
        secret = name in SECRET_VARIABLES or name.endswith(
            "_OS_APPLICATION_CREDENTIAL_SECRET"
        )
        if secret and value:
            text = text.replace(value, "***")
    return text


def print_result(
    command: str, call: Callable[[], Any], refusals: tuple[type[Exception], ...]
) -> int:
    """Print what ``call`` returns as JSON; a failure as one masked line instead.

    Exit codes: 0 done; 2 one of ``refusals`` (bad input, missing credentials:
    the message says what to fix); 1 anything else (the cloud or GitHub failed).
    Library errors may quote a request, so every secret is masked first.
    """
    try:
        print(json.dumps(call(), indent=2, default=str))
    except refusals as error:
        print(f"{command}: {redact(str(error))}", file=sys.stderr)
        return 2
    except Exception as error:
        message = redact(f"{type(error).__name__}: {error}")
        print(f"{command}: {message}", file=sys.stderr)
        return 1
    return 0
