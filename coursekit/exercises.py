"""`python -m coursekit.exercises`: the command the course's contract names.

The code lives in `coursekit.publishing.exercises`; this module only runs it.
"""

import sys

from coursekit.publishing.exercises import main

if __name__ == "__main__":
    sys.exit(main())
