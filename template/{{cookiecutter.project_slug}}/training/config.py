"""The training configuration: one YAML file plus ``key=value`` overrides.

``python -m training.train epochs=3 lr=0.01 tracking.project=x`` reads
``training/config.yaml`` (or ``--config PATH``), replaces the dotted keys given,
and checks every value, so a typo fails before any work starts with the key's
name, not as a crash in the middle of training.
"""

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from {{ cookiecutter.package_name }} import problem

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent / "config.yaml"
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")
CONFIG_ERROR_EXIT_CODE = 2


class ConfigError(ValueError):
    """A configuration file or override that cannot be used; names the key."""


@dataclass(frozen=True)
class TrackingConfig:
    """Where runs go: the W&B project or MLflow experiment (and registered model)."""

    project: str
    entity: str | None
    tags: tuple[str, ...]


@dataclass(frozen=True)
class TrainingConfig:
    arch: str
    pretrained: bool
    dropout: float
    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    seed: int
    device: str
    amp: bool
    compile: bool
    num_workers: int
    resume: bool
    quality_bar: float
    tracking: TrackingConfig
    # The problem's own settings (problem.SETTINGS), None where left to it.
    problem_settings: dict[str, int | None] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML types, as the tracker logs them, stored in checkpoints and
        given to `problem.fit`: the problem's settings sit beside the others."""
        data = dataclasses.asdict(self)
        data["tracking"]["tags"] = list(self.tracking.tags)
        data.update(data.pop("problem_settings"))
        return data


Checker = Callable[[str, Any], Any]


def _integer(minimum: int) -> Checker:
    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be an integer, got {value!r}")
        if value < minimum:
            raise ConfigError(f"{key} must be at least {minimum}, got {value}")
        return value

    return check


def _number(minimum: float, maximum: float, *, above_minimum: bool = False) -> Checker:
    def check(key: str, value: Any) -> float:
        if isinstance(value, str):
            # YAML 1.1 reads "1e-3" (no dot) as a string; accept what float() reads.
            try:
                value = float(value)
            except ValueError:
                raise ConfigError(f"{key} must be a number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key} must be a number, got {value!r}")
        too_small = value <= minimum if above_minimum else value < minimum
        if too_small or value > maximum:
            low = "(" if above_minimum else "["
            raise ConfigError(
                f"{key} must be in {low}{minimum}, {maximum}], got {value}"
            )
        return float(value)

    return check


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {value!r}")
    return value


def _choice(options: Sequence[str]) -> Checker:
    def check(key: str, value: Any) -> str:
        if value not in options:
            raise ConfigError(
                f"{key} must be one of {', '.join(options)}, got {value!r}"
            )
        return value

    return check


def _architecture(key: str, value: Any) -> str:
    """An architecture the problem knows; ``default`` is the problem's default."""
    if value == "default":
        return problem.DEFAULT_ARCH
    return _choice(problem.ARCHITECTURES)(key, value)


def _optional(check: Checker) -> Checker:
    def check_unless_null(key: str, value: Any) -> Any:
        return None if value is None else check(key, value)

    return check_unless_null


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key} must be a non-empty string, got {value!r}")
    return value


def _optional_text(key: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    return _text(key, value)


def _tags(key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ConfigError(f"{key} must be a list of strings, got {value!r}")
    return tuple(value)


# Every key the configuration has, dotted, with the check its value must pass.
RULES: dict[str, Checker] = {
    "arch": _architecture,
    "pretrained": _boolean,
    "dropout": _number(0.0, 0.99),
    "epochs": _integer(1),
    "batch_size": _integer(1),
    "lr": _number(0.0, 10.0, above_minimum=True),
    "weight_decay": _number(0.0, 1.0),
    "seed": _integer(0),
    "device": _choice(DEVICES),
    "amp": _boolean,
    "compile": _boolean,
    "num_workers": _integer(0),
    "resume": _boolean,
    # Classification: the least accuracy; regression: the largest ratio of the
    # model's mean absolute error to the mean predictor's (quality.passes).
    "quality_bar": _number(0.0, 1.0),
    "tracking.project": _text,
    # W&B's entity (team or user); MLflow has none, so a config may leave it out.
    "tracking.entity": _optional_text,
    "tracking.tags": _tags,
    # The problem's own settings, whole numbers from a least value; a config file
    # may leave them out, and None lets the problem choose.
    **{key: _optional(_integer(least)) for key, least in problem.SETTINGS.items()},
}
OPTIONAL: dict[str, Any] = dict.fromkeys([*problem.SETTINGS, "tracking.entity"])


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


# Sections renamed by a template release: a config or a command line written
# before it gets the new name in its error message.
RENAMED_SECTIONS = {"wandb": "tracking"}


def _check_known(key: str, where: str) -> None:
    if key in RULES:
        return
    section, dot, rest = key.partition(".")
    if section in RENAMED_SECTIONS:
        renamed = f"{RENAMED_SECTIONS[section]}{dot}{rest}"
        raise ConfigError(f"config key '{key}' ({where}) is now '{renamed}'")
    raise ConfigError(
        f"unknown config key '{key}' ({where}); known keys: {', '.join(RULES)}"
    )


def parse_override(text: str) -> tuple[str, Any]:
    """``"lr=0.01"`` -> ``("lr", 0.01)``: the value is read as a YAML scalar."""
    key, equals, raw = text.partition("=")
    key = key.strip()
    if not equals or not key:
        raise ConfigError(f"override '{text}' is not of the form key=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as error:
        raise ConfigError(f"{key}: value '{raw}' is not valid YAML: {error}") from None
    return key, value


def load_config(
    path: str | Path = DEFAULT_CONFIG_PATH, overrides: Sequence[str] = ()
) -> TrainingConfig:
    """The configuration in ``path`` with ``overrides`` applied, checked."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ConfigError(f"config file {path} is unreadable: {error}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"config file {path} must hold a mapping of keys to values")

    values = {**OPTIONAL, **_flatten(document)}
    for key in values:
        _check_known(key, f"in {path}")
    for text in overrides:
        key, value = parse_override(text)
        _check_known(key, "on the command line")
        values[key] = value
    missing = [key for key in RULES if key not in values]
    if missing:
        raise ConfigError(f"config file {path} lacks the key(s) {', '.join(missing)}")

    checked = {key: check(key, values[key]) for key, check in RULES.items()}
    tracking = TrackingConfig(
        project=checked.pop("tracking.project"),
        entity=checked.pop("tracking.entity"),
        tags=checked.pop("tracking.tags"),
    )
    settings = {key: checked.pop(key) for key in problem.SETTINGS}
    return TrainingConfig(**checked, tracking=tracking, problem_settings=settings)


def from_command_line(
    argv: Sequence[str] | None, *, prog: str, description: str
) -> TrainingConfig:
    """Parse ``[--config PATH] [key=value ...]``; exit 2 with the error if invalid."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG_PATH,
        help="configuration file (default: training/config.yaml)",
    )
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="key=value",
        help="replace a config value, e.g. epochs=3 lr=0.01 tracking.project=scratch",
    )
    arguments = parser.parse_args(argv)
    try:
        return load_config(arguments.config, arguments.overrides)
    except ConfigError as error:
        print(f"{prog}: config error: {error}", file=sys.stderr)
        raise SystemExit(CONFIG_ERROR_EXIT_CODE) from None
