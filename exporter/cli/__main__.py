"""`python -m exporter.cli`: the same as the `quotameter` console script."""

from exporter.cli import main

raise SystemExit(main())
