"""What BentoML records of each request, beside the service's own records.

Every answered prediction is already counted on /metrics and written to the
prediction log (`serving.answers`), and BentoML's request metrics count every
request. BentoML can add an access-log line and an OpenTelemetry span per
request. Measured here, those two cost about half a millisecond of CPU per
request: turning them off raised the served eager 224 px model's throughput by
about a tenth, and by more for faster models. With BentoML's default tracing
sample rate (0) no span is ever exported. So both are off unless asked for:

- ``SERVING_ACCESS_LOG=on``: one line per request in the server's output
  (client, path, status, latency; with tracing on, the trace id too).
- ``SERVING_TRACING=on``: a span per request, exported as BentoML's
  ``tracing`` configuration says (set an exporter and a sample rate there).
"""

import os
from dataclasses import dataclass
from typing import Any

from .runtimes import RuntimeOptionError

ACCESS_LOG_VARIABLE = "SERVING_ACCESS_LOG"
TRACING_VARIABLE = "SERVING_TRACING"
SWITCH_VALUES = {
    **dict.fromkeys(("on", "1", "true", "yes"), True),
    **dict.fromkeys(("off", "0", "false", "no"), False),
}
# OpenTelemetry's excluded_urls are regular expressions searched in the URL:
# this one matches every URL, so no request gets a span.
EVERY_URL = "."


def switch_from_env(
    name: str, default: bool = False, env: dict[str, str] | None = None
) -> bool:
    """Variable ``name`` read as on/off (also 1/0, true/false, yes/no)."""
    text = (os.environ if env is None else env).get(name, "").strip()
    if not text:
        return default
    try:
        return SWITCH_VALUES[text.lower()]
    except KeyError:
        raise RuntimeOptionError(f"{name}={text!r} must be on or off") from None


@dataclass(frozen=True)
class RequestRecordSwitches:
    access_log: bool
    tracing: bool

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "RequestRecordSwitches":
        return cls(
            switch_from_env(ACCESS_LOG_VARIABLE, env=env),
            switch_from_env(TRACING_VARIABLE, env=env),
        )

    def describe(self) -> str:
        """E.g. "access log off, tracing off", for reports."""
        return (
            f"access log {'on' if self.access_log else 'off'}, "
            f"tracing {'on' if self.tracing else 'off'}"
        )


def request_records_from_env(env: dict[str, str] | None = None) -> dict[str, Any]:
    """The ``logging`` and ``tracing`` arguments of ``@bentoml.service``."""
    switches = RequestRecordSwitches.from_env(env)
    records: dict[str, Any] = {"logging": {"access": {"enabled": switches.access_log}}}
    if not switches.tracing:
        records["tracing"] = {"excluded_urls": EVERY_URL}
    return records
