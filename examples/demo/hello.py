"""The demo project's program: says which environment runs it."""

import sys

in_venv = sys.prefix != sys.base_prefix
print(f"Python {sys.version.split()[0]} from {sys.prefix} ({'a virtual environment' if in_venv else 'no virtual environment'})")
