"""``python -m kamseg``: the same as the ``kamseg`` command."""

from kamseg.cli import main

raise SystemExit(main())
