"""Print the requirements of dxspots and some of its extras, from pyproject.toml, one per line.

    python requirements.py EXTRA [EXTRA...] < pyproject.toml

The Dockerfile installs these before it copies the source, so a change to the code rebuilds
only the layer that installs dxspots itself, not every dependency (docs/benchmarks.md).
"""

from __future__ import annotations

import sys
import tomllib

project = tomllib.loads(sys.stdin.read())["project"]
extras = [name for extra in sys.argv[1:] for name in project["optional-dependencies"][extra]]
for requirement in [*project["dependencies"], *extras]:
    print(requirement)
