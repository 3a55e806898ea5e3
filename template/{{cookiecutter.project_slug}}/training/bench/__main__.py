"""`python -m training.bench`: see training/bench/run.py."""

import sys

from .run import main

sys.exit(main())
