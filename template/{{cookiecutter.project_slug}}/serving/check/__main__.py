"""`python -m serving.check`: see serving/check/smoke.py."""

import sys

from .smoke import main

sys.exit(main())
