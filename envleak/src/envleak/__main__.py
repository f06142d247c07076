"""python -m envleak check ...: the same as the envleak command."""

import sys

from envleak.cli import main

if __name__ == "__main__":
    sys.exit(main())
