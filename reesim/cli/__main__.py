"""`python -m reesim.cli`: the `reesim` command without its console script."""

import sys

from reesim.cli.main import main

sys.exit(main())
