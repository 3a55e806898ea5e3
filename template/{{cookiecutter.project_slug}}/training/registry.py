"""The model registry: ``python -m training.registry show|promote|download``
(nox -s registry -- ...), the same commands whichever tracker the team uses.

  show                    every version, and the version each alias names
  promote VERSION ALIAS   point ALIAS (staging, canary or production) at VERSION
  download ALIAS [DIR]    fetch the model ALIAS names (default DIR:
                          artifacts/registry/ALIAS)
  promote-trained ALIAS   point ALIAS at the version a training run registered,
                          as its artifacts/metrics/training.json says (the
                          deploy workflow, for the GPU run's model); a run
                          that registered none (offline) moves nothing

The registered model is named after the config's tracking.project (--model
names another). Exit codes: 0 done; 2 refused (no such version or alias,
registry unreachable).
"""

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from {{ cookiecutter.package_name }} import paths

from .config import ConfigError, load_config
from .model_registry import Registry, RegistryError
from .reports import training_metrics_path

PROG = "python -m training.registry"
# The environments a model is promoted through, in order.
ALIASES = ("staging", "canary", "production")
REFUSED = 2


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog=PROG, description="The model registry.")
    parse.add_argument(
        "--model", help="the registered model (default: the config's tracking.project)"
    )
    commands = parse.add_subparsers(dest="command", required=True)
    commands.add_parser("show", help="versions and the aliases that name them")
    promote = commands.add_parser("promote", help="point an alias at a version")
    promote.add_argument("version")
    promote.add_argument("alias", choices=ALIASES)
    download = commands.add_parser("download", help="fetch the model an alias names")
    download.add_argument("alias", choices=ALIASES)
    download.add_argument("directory", nargs="?")
    trained = commands.add_parser(
        "promote-trained", help="point an alias at the version a run registered"
    )
    trained.add_argument("alias", choices=ALIASES)
    trained.add_argument("--run-summary", type=Path, help="default: training.json")
    return parse


def registered_version(summary: Path) -> str | None:
    """The registry version a run's summary names (MLflow's "3", W&B's
    "<collection>:v3"), or None: an offline run registers nothing, and "latest"
    is not a version."""
    try:
        named = json.loads(summary.read_text())["tracking"]["model_version"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    version = str(named).rsplit(":", 1)[-1]
    return version if re.fullmatch(r"v?\d+", version) else None


def run(args: argparse.Namespace, registry: Registry) -> None:
    if args.command == "show":
        named = registry.aliases()
        # The environments' aliases in promotion order, then any the team added.
        ordered = [*(a for a in ALIASES if a in named), *(set(named) - set(ALIASES))]
        print(registry.where())
        for version in registry.versions():
            aliases = [alias for alias in ordered if named[alias] == version]
            print(
                f"  version {version}" + (f": {', '.join(aliases)}" if aliases else "")
            )
    elif args.command == "promote":
        registry.promote(args.version, args.alias)
        print(f"{registry.where()}: {args.alias} -> version {args.version}")
    elif args.command == "promote-trained":
        summary = args.run_summary or training_metrics_path()
        version = registered_version(summary)
        if version is None:
            print(f"{summary} names no registered version: {args.alias} not moved")
            return
        registry.promote(version, args.alias)
        print(f"{registry.where()}: {args.alias} -> version {version} ({summary})")
    else:
        directory = args.directory or paths.artifacts_dir() / "registry" / args.alias
        folder = registry.download(args.alias, Path(directory))
        print(f"{args.alias}: downloaded to {folder}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        registry = Registry(args.model or load_config().tracking.project)
        run(args, registry)
    except (ConfigError, RegistryError) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return REFUSED
    return 0


if __name__ == "__main__":
    sys.exit(main())
