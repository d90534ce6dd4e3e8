"""`python -m coursekit.nbgrader_course`: the command the course's contract names.

The code lives in `coursekit.publishing.nbgrader_course`; this module only
runs it.
"""

import sys

from coursekit.publishing.nbgrader_course import main

if __name__ == "__main__":
    sys.exit(main())
