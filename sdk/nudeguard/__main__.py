"""``python -m nudeguard``: the ``nudeguard`` command, for environments without its script
(``python -m nudeguard info`` is the build report, like ``python -m PIL.report``)."""

from __future__ import annotations

import sys

from .cli.main import main

if __name__ == "__main__":
    sys.exit(main())
