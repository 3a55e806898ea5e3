"""`python -m cicd.infra`: see cicd/infra/cli.py."""

import sys

from .cli import main

sys.exit(main())
