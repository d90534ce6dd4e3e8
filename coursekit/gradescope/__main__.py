"""`python -m coursekit.gradescope`: see coursekit/gradescope/__init__.py."""

import sys

from coursekit.gradescope.command import main

sys.exit(main())
