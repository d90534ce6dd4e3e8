"""Upstream first: a part whose function calls an earlier part's function
(or whose test feeds it an earlier function's result) checks that earlier
part before its own test, and when it fails says "fix Part N (`fn`) first".

Which part calls which is declared once per exercise
(`coursekit.checks.prerequisites.EXERCISES`); a test cell asks for it in
one line, before its own checks:

    upstream_first("04", "test_train_step", globals())

`globals()` is where the test runs: in the learner's notebook it holds the
learner's functions; while grading, the judge's namespace, where they are
handles into the student's process (`coursekit.grading.judge`).  The
bytecode of the learner's function decides whether it calls the earlier
function at all: a part that does its work on its own is graded on its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from coursekit.checks import bytecode
from coursekit.checks.own_work import is_remote
from coursekit.checks.prerequisites import EXERCISES, Part

# errors of the grading machinery itself (coursekit.grading.judge), never
# read as a failed part: the judge handles them
PASSED_ON = ("StudentDied", "WireError")


class UpstreamError(AssertionError):
    """A part cannot be tested because a function of an earlier part, which
    it uses, does not pass that part's tests yet (an AssertionError: a
    failed test, for nbgrader)."""


def _uses(func, name: str) -> bool:
    if func is None:
        return False
    if is_remote(func):
        return bool(func.inspect("uses_name", name))
    try:
        return bytecode.uses_name(func, name)
    except (AttributeError, TypeError):  # not a plain function
        return False


def upstream_parts(parts, grade_id: str, namespace: Mapping):
    """The earlier parts that the part `grade_id` depends on, in part order,
    each with how: ("calls", fn, through) or ("fed", fn, None)."""
    by_function = {fn: p for p in parts for fn in p.functions}
    this = next((p for p in parts if p.grade_id == grade_id), None)
    if this is None:
        known = ", ".join(p.grade_id for p in parts)
        raise ValueError(f"grade_id: expected one of {known}; got {grade_id!r}")
    found = {}
    for fn in this.fed:
        found.setdefault(by_function[fn].grade_id, ("fed", fn, None))
    for own in this.functions:
        for fn in this.calls:
            if _uses(namespace.get(own), fn):
                found.setdefault(by_function[fn].grade_id, ("calls", fn, own))
    order = [p.grade_id for p in parts]
    return [
        (by_function[how[1]], how)
        for gid, how in sorted(found.items(), key=lambda kv: order.index(kv[0]))
    ]


def upstream_message(part: Part, how, err: BaseException) -> str:
    kind, fn, _ = how
    what = f"{type(err).__name__}: {err}".strip()
    if type(err).__name__ == "StudentError":  # "your code raised ..."
        what = str(err)
    if isinstance(err, AssertionError):
        what = str(err).strip() or "a check failed"
    uses = (
        f"this part calls your `{fn}`"
        if kind == "calls"
        else f"this part's test uses what your `{fn}` returns"
    )
    return (
        f"{uses} from {part.label} (`{part.grade_id}`), which does not pass its"
        f" tests yet: fix {part.label} (`{fn}`) first.\n"
        f"{part.label}'s test says: {what}"
    )


def upstream_first(exercise, grade_id: str, namespace: Mapping) -> bool:
    """Check, in part order, each earlier part the part `grade_id` of
    `exercise` depends on (see the module docstring); raise UpstreamError
    naming the first that fails.  Returns True when there is none.

    exercise   its number, e.g. "04" (the parts prerequisites.py declares),
               or the parts themselves, a sequence of Part
    """
    if isinstance(exercise, str):
        if exercise not in EXERCISES:
            known = ", ".join(sorted(EXERCISES))
            raise ValueError(f"exercise: expected one of {known}; got {exercise!r}")
        parts = EXERCISES[exercise]
    else:
        parts = tuple(exercise)
    for part, how in upstream_parts(parts, grade_id, namespace):
        try:
            part.check(namespace)
        except Exception as err:  # any failure of the earlier part counts
            if isinstance(err, EOFError | OSError) or type(err).__name__ in PASSED_ON:
                raise
            raise UpstreamError(upstream_message(part, how, err)) from None
    return True
