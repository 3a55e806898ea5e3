"""Serve one deployment stage on this machine until told to stop:
``python -m serving.stage --stage canary --checkpoint PATH [--port N]``.

The checkpoint is imported into the model store under ``$BENTOML_HOME``, which
the caller points at a folder of the stage's own, so production and a canary
each serve their own model side by side. The server runs as ``DEPLOY_STAGE``
= the stage, so every line of the prediction, input and feedback logs says
which stage answered. Once it is ready this prints one line, ``ready URL``,
and it stops the server when its standard input closes: nox -s operate (the
cicd room's local production loop) starts production and canaries this way.

Exit codes: 0 stopped; 2 the checkpoint cannot be served or the server did
not start.
"""

import argparse
import sys
from pathlib import Path

from {{ cookiecutter.package_name }} import paths

from .check.server import BentoServer, ServerError
from .package import PackageError, import_checkpoint
from .prediction_log import STAGE_VARIABLE

SERVICE = "serving.service:Predictor"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m serving.stage", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--stage", required=True, help="e.g. production, canary")
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--log", type=Path, help="the server's output (default: artifacts/stages/)"
    )
    args = parser.parse_args(argv)
    try:
        import_checkpoint(args.checkpoint)
        log = args.log or paths.artifacts_dir() / "stages" / f"{args.stage}.log"
        env = {STAGE_VARIABLE: args.stage}
        with BentoServer(SERVICE, log_path=log, port=args.port, env=env) as server:
            print(f"ready {server.url}", flush=True)
            sys.stdin.read()  # until the caller closes it (or goes away)
    except (PackageError, ServerError) as error:
        print(f"error: {args.stage}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
