"""Print the requirements of dxspots and one of its extras, from pyproject.toml, one per line.

    python requirements.py EXTRA < pyproject.toml

The Dockerfile installs these before it copies the source, so a change to the code rebuilds
only the layer that installs dxspots itself, not every dependency (docs/benchmarks.md).
"""

from __future__ import annotations

import sys
import tomllib

project = tomllib.loads(sys.stdin.read())["project"]
for requirement in [*project["dependencies"], *project["optional-dependencies"][sys.argv[1]]]:
    print(requirement)
