"""``python -m holobiont``: the same command as the installed ``holobiont`` console script."""

from holobiont.cli import main

raise SystemExit(main())
