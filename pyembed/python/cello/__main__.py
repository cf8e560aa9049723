"""`python3 -m cello ...` is the same as the `cello` command."""
import sys

from .cli import main

sys.exit(main())
