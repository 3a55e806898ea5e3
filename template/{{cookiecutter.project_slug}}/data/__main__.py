"""`python -m data`: see data/cli.py."""

import sys

from .cli import main

sys.exit(main())
