"""Entry point for `python -m bench` (run from the repository root)."""

from bench.run import main

raise SystemExit(main())
