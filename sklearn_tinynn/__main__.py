"""``python -m sklearn_tinynn``: the command line (see ``sklearn_tinynn._cli``)."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
