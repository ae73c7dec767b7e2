"""The demo project's program: says which environment runs it and what it found installed."""

import sys
from importlib.metadata import version

in_venv = sys.prefix != sys.base_prefix
where = "a virtual environment" if in_venv else "no virtual environment"
print(f"Python {sys.version.split()[0]} from {sys.prefix} ({where})")
for name in ("attrs", "idna", "sniffio"):
    print(f"  {name} {version(name)}")
