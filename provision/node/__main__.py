"""`python -m provision.node`: the lab nodes' command line (cli.py)."""

import sys

from provision.node.cli import main

sys.exit(main())
