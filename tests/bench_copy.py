"""Print how long `copier copy --defaults` of this template takes.

Usage: python tests/bench_copy.py [runs]   (also: nox -s bench)

Times the command-line tool as a student runs it (process start included) and the
Python API the tests use; prints the median and the spread of each.
"""

import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import copier

ROOT = Path(__file__).resolve().parents[1]


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main(runs: int) -> None:
    copier_cli = str(Path(sys.executable).with_name("copier"))
    cli, api = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(runs):
            cli_target = Path(scratch) / f"cli{run}"
            command = [copier_cli, "copy", "--defaults", "--quiet", "--vcs-ref", "HEAD"]
            command += [str(ROOT), str(cli_target)]
            cli.append(
                timed(partial(subprocess.run, command, check=True, capture_output=True))
            )
            target = Path(scratch) / f"api{run}"
            api.append(
                timed(
                    partial(
                        copier.run_copy,
                        str(ROOT),
                        str(target),
                        defaults=True,
                        quiet=True,
                        vcs_ref="HEAD",
                    )
                )
            )
        files = sum(1 for path in target.rglob("*") if path.is_file())
    for name, times in (("copier copy (CLI)", cli), ("run_copy (API)", api)):
        print(
            f"{name}: median {statistics.median(times):.2f} s, "
            f"min {min(times):.2f} s, max {max(times):.2f} s over {runs} runs"
        )
    print(f"files generated: {files}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
