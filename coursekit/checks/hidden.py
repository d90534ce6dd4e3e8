"""While the grader runs a hidden test, a failed check names the mistake,
the shape or the kind of error but never the values: a learner who could
read a hidden case's expected values in the feedback could return them the
next time.  The judge (coursekit/grading/judge.py) runs a test cell's hidden
regions (coursekit.notebooks.cell_pieces) within `values_withheld()`;
check_array, check_gradient and check_token_lists ask `values_shown()`."""

import contextlib
import contextvars

_VALUES_SHOWN = contextvars.ContextVar("values_shown", default=True)
WITHHELD = "(this is a hidden case: its values are not shown)"


@contextlib.contextmanager
def values_withheld():
    """Within this block, failed checks do not show expected values."""
    token = _VALUES_SHOWN.set(False)
    try:
        yield
    finally:
        _VALUES_SHOWN.reset(token)


def values_shown() -> bool:
    """Whether a failed check may show the expected values (see above)."""
    return _VALUES_SHOWN.get()
