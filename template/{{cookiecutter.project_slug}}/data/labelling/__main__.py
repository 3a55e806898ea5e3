"""`python -m data.labelling`: see cli.py."""

import sys

from .cli import main

sys.exit(main())
