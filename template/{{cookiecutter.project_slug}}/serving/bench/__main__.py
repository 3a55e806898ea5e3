"""`python -m serving.bench`: see serving/bench/table.py."""

import sys

from .table import main

sys.exit(main())
