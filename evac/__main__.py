"""`python -m evac` runs the command line."""

import sys

from evac.cli import main

sys.exit(main())
