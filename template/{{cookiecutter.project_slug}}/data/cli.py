"""Command line of the data room: `python -m data [COMMAND]` (see --help)."""

import argparse
import sys
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths, problem
from {{ cookiecutter.package_name }}.object_store import DEFAULT_BUCKET, ObjectStore, StoreError
from {{ cookiecutter.package_name }}.problem import ProblemDataError, Spec

from .contracts import outdated_files, write_contract
from .ingest import DEFAULT_TARGET, ingest
from .labelled import fetch_stored_logs, make_labelled_dataset
from .layout import quarantine_dir
from .manifest import manifest_path
from .prepare import DEFAULT_COUNT, DEFAULT_SEED, prepare
from .validate import revalidate
from .versions import manifest_key, pull, push, stored_versions

# How many skipped or quarantined inputs the summary names before "... and N more".
LISTED = 5
CONTRACT_HELP = (
    "rewrite contracts/*.json from the current dataset: problem.json (its "
    "labels, or features and target, which the synthetic data then follows) and "
    "the schemas from them, the sample request from a real example. Run it after "
    "ingesting data that changes them, then review and commit the files: the "
    "contract is what the service promises its clients, so no other command "
    "rewrites it behind your back (ingest only says when it is out of date)."
)


def at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m data",
        description=f"Make the {problem.TASK} dataset: synthetic by default, "
        "or ingest your own data.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    synthetic = commands.add_parser(
        "prepare", help="generate, check and split the synthetic dataset (default)"
    )
    synthetic.add_argument(
        "--count",
        "--per-class",
        type=at_least(3),
        default=DEFAULT_COUNT,
        help="examples per class (classification) or rows (regression) before "
        f"splitting (default {DEFAULT_COUNT})",
    )
    synthetic.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"generation and split seed (default {DEFAULT_SEED})",
    )
    synthetic.add_argument(
        "--corrupt",
        type=at_least(0),
        default=0,
        help="also make N unusable inputs, to see quarantine at work",
    )
    own = commands.add_parser(
        "ingest", help="bring in your own data from PATH, keeping its splits if any"
    )
    own.add_argument("path", type=Path, metavar="PATH", help="the file or folder")
    own.add_argument(
        "--target",
        default=DEFAULT_TARGET,
        help=f"the column to predict, for a table (default '{DEFAULT_TARGET}')",
    )
    own.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="split seed, if splits are made"
    )
    commands.add_parser(
        "validate", help="re-check the current dataset, quarantining what broke"
    )
    labelled = commands.add_parser(
        "labelled",
        help="a new version: the current dataset plus the served inputs that got "
        "their true answer back (the service's input and feedback logs)",
    )
    labelled.add_argument("--inputs", type=Path, default=paths.input_log_path())
    labelled.add_argument("--feedback", type=Path, default=paths.feedback_log_path())
    labelled.add_argument(
        "--stored",
        metavar="STAGE",
        help="both logs of a deploy stage (e.g. production) from the object store, "
        "as the service's log shipper left them, instead of --inputs and --feedback",
    )
    labelled.add_argument("--seed", type=int, default=DEFAULT_SEED)
    labelled.add_argument(
        "--shuffle-labels",
        action="store_true",
        help="a drill: shuffle the training answers (a model that must be rejected)",
    )
    contract = commands.add_parser(
        "contract", aliases=["contract-sample"], help=CONTRACT_HELP
    )
    contract.add_argument(
        "--folder",
        type=Path,
        default=paths.contracts_dir(),
        help="where to write the five files (default contracts/)",
    )
    add_store_commands(commands)
    return parser


def add_store_commands(commands: Any) -> None:
    """push, pull and versions: dataset versions in the object store."""
    commands.add_parser(
        "push",
        help="store the current dataset version in the object store (the AWS_* "
        f"variables; bucket DATA_BUCKET, default {DEFAULT_BUCKET})",
    )
    pulled = commands.add_parser(
        "pull", help="make a stored version the current dataset"
    )
    pulled.add_argument(
        "version", metavar="VERSION", help="its hash, or the start of it"
    )
    commands.add_parser("versions", help="list the versions in the object store")


def listing(entries: list[dict[str, str]]) -> list[str]:
    lines = [f"    {entry['path']}: {entry['reason']}" for entry in entries[:LISTED]]
    if len(entries) > LISTED:
        lines.append(f"    ... and {len(entries) - LISTED} more (see the manifest)")
    return lines


def split_line(split: str, counts: dict[str, int], spec: Spec) -> str:
    line = f"  {split:<11} {sum(counts.values()):>6} examples"
    if spec.classification:
        present = sum(1 for count in counts.values() if count)
        line += f" in {present} classes"
    return line


def summary(manifest: dict[str, Any]) -> str:
    spec = Spec.from_json(manifest["spec"])
    lines = [f"Dataset {paths.dataset_dir()} ({spec.task}, {manifest['source']})"]
    for split, counts in manifest["splits"].items():
        lines.append(split_line(split, counts, spec))
    lines.append(f"Quarantined: {manifest['quarantined_count']} in {quarantine_dir()}")
    lines += listing(manifest["quarantined"])
    if manifest["skipped"]:
        lines.append(f"Skipped (not part of the dataset): {manifest['skipped_count']}")
        lines += listing(manifest["skipped"])
    lines.append(f"Manifest {manifest_path()}: version {manifest['version'][:12]}")
    outdated = outdated_files(spec)
    if outdated:
        lines.append(
            f"The data defines another contract than {', '.join(outdated)} in "
            f"{paths.contracts_dir()}: run `python -m data contract` "
            "(nox -s data -- contract), then review and commit the files."
        )
    return "\n".join(lines)


def run_store(args: argparse.Namespace) -> int:
    store = ObjectStore.from_env()
    if args.command == "push":
        pushed = push(store)
        where = f"bucket {store.bucket}"
        if pushed.already_stored:
            print(f"Version {pushed.version[:12]} is already in {where}: nothing sent")
        else:
            print(
                f"Pushed version {pushed.version[:12]} to {where}: {pushed.uploaded} "
                f"files uploaded, {pushed.present} already stored"
            )
    elif args.command == "versions":
        for version in stored_versions(store):
            manifest = store.get_json(manifest_key(version))
            print(
                f"{version[:12]}  {manifest['task']}, {manifest['source']}, "
                f"{manifest['total']} examples"
            )
    else:
        manifest = pull(store, args.version)
        print(summary(manifest))
        print(f"Pulled from bucket {store.bucket}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.command in ("push", "pull", "versions"):
        return run_store(args)
    if args.command in ("contract", "contract-sample"):
        for path in write_contract(args.folder):
            print(f"Wrote {path}")
        return 0
    if args.command == "ingest":
        manifest = ingest(args.path, args.target, args.seed)
    elif args.command == "validate":
        manifest = revalidate()
    elif args.command == "labelled":
        inputs, feedback = args.inputs, args.feedback
        if args.stored:
            gathered = paths.artifacts_dir() / "stored-logs" / args.stored
            inputs, feedback = fetch_stored_logs(args.stored, gathered)
        manifest = make_labelled_dataset(
            inputs,
            feedback,
            seed=args.seed,
            shuffle_labels=args.shuffle_labels,
        )
    elif args.command is None:
        manifest = prepare()
    else:
        manifest = prepare(args.count, args.seed, args.corrupt)
    print(summary(manifest))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except (ProblemDataError, StoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
