"""Entry point for `python -m yurt`."""

from yurt.cli.main import main

raise SystemExit(main())
