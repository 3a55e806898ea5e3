"""Command line of the data room: `python -m data [prepare|ingest|validate|...]`."""

import argparse
import sys
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }} import paths

from .ingest import ingest
from .layout import DataError, quarantine_dir
from .manifest import manifest_path
from .prepare import DEFAULT_IMAGE_SIZE, DEFAULT_PER_CLASS, DEFAULT_SEED, prepare
from .synthetic import write_contract_sample
from .validate import revalidate

# How many skipped or quarantined files the summary names before "... and N more".
LISTED = 5


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
        description="Make the dataset: synthetic by default, or ingest Food-11.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    synthetic = commands.add_parser(
        "prepare", help="generate, validate and split the synthetic dataset (default)"
    )
    synthetic.add_argument(
        "--per-class",
        type=at_least(3),
        default=DEFAULT_PER_CLASS,
        help=f"images per class before splitting (default {DEFAULT_PER_CLASS})",
    )
    synthetic.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"generation and split seed (default {DEFAULT_SEED})",
    )
    synthetic.add_argument(
        "--image-size",
        type=at_least(8),
        default=DEFAULT_IMAGE_SIZE,
        help=f"image width and height in pixels (default {DEFAULT_IMAGE_SIZE})",
    )
    synthetic.add_argument(
        "--corrupt",
        type=at_least(0),
        default=0,
        help="also write N unreadable files, to see quarantine at work",
    )
    real = commands.add_parser(
        "ingest", help="copy the real Food-11 images from SRC, keeping its splits"
    )
    real.add_argument("src", type=Path, metavar="SRC", help="the Food-11 folder")
    commands.add_parser(
        "validate", help="re-check the current dataset, quarantining unreadable images"
    )
    sample = commands.add_parser(
        "contract-sample", help="rewrite contracts/input.sample.json"
    )
    sample.add_argument(
        "--output", type=Path, default=paths.contracts_dir() / "input.sample.json"
    )
    return parser


def listing(entries: list[dict[str, str]]) -> list[str]:
    lines = [f"    {entry['path']}: {entry['reason']}" for entry in entries[:LISTED]]
    if len(entries) > LISTED:
        lines.append(f"    ... and {len(entries) - LISTED} more (see the manifest)")
    return lines


def summary(manifest: dict[str, Any]) -> str:
    lines = [f"Dataset {paths.dataset_dir()} (source: {manifest['source']})"]
    for split, classes in manifest["splits"].items():
        present = sum(1 for count in classes.values() if count)
        lines.append(
            f"  {split:<11} {sum(classes.values()):>6} images in {present} classes"
        )
    lines.append(f"Quarantined: {manifest['quarantined_count']} in {quarantine_dir()}")
    lines += listing(manifest["quarantined"])
    if manifest["skipped"]:
        lines.append(f"Skipped (class unknown): {manifest['skipped_count']}")
        lines += listing(manifest["skipped"])
    lines.append(f"Manifest {manifest_path()}: version {manifest['version'][:12]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "prepare"
    try:
        if command == "contract-sample":
            print(f"Wrote {write_contract_sample(args.output)}")
            return 0
        if command == "ingest":
            manifest = ingest(args.src)
        elif command == "validate":
            manifest = revalidate()
        elif args.command is None:
            manifest = prepare()
        else:
            manifest = prepare(args.per_class, args.seed, args.image_size, args.corrupt)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(summary(manifest))
    return 0
