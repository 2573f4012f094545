"""``quartier`` and ``python -m quartier``: the CLI, with Ctrl-C handled from the first moment.

Importing the scientific stack takes a few seconds; a Ctrl-C then must end with the same message
and exit code (130) as during a run, not with a traceback.
"""

from __future__ import annotations

import sys

from quartier.errors import INTERRUPTED


def main() -> None:
    try:
        from quartier.cli import app
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        sys.exit(130)
    app()


if __name__ == "__main__":
    main()
