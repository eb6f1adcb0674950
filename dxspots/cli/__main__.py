"""`python -m dxspots.cli`: what `dxspots` runs (`dxspots up` starts its children so)."""

import sys

from dxspots.cli import main

sys.exit(main())
