"""Proof that a function does its own work (check_not_calling: bytecode
and stand-ins that raise).

It takes the learner's function as it is where the test runs: in the
learner's own notebook, the function itself; while grading, a handle to it
in the student's process (`coursekit.grading.wire.RemoteFunction`), which
answers the bytecode questions there (`coursekit.checks.bytecode`) and
whose rnnlib lacks the references the exercise grades, so a call that
reaches one fails with the same message."""

from coursekit.checks import bytecode


def is_remote(func) -> bool:
    """Whether `func` runs in the student's process (grading), not here."""
    return bool(getattr(type(func), "remote", False))


class _ForbiddenCall(BaseException):
    """Raised by a stand-in for a forbidden function (a BaseException, so a
    student's `except Exception` does not swallow it)."""


def not_calling_message(func, uses):
    """uses: {forbidden name: names of the functions that use it (may be empty)}."""
    fname = getattr(func, "__name__", "your function")
    parts = []
    for name in sorted(uses):
        others = sorted(set(uses[name]) - {fname})
        via = f" (in your {', '.join(others)})" if others else ""
        parts.append(f"rnnlib's {name}{via}")
    return (
        f"your {fname} uses {', '.join(parts)}, which this part does not allow."
        " Write the computation yourself with NumPy: that is the exercise."
    )


def check_not_calling(func, forbidden_names, args=None, kwargs=None):
    """Assert that `func` does its own work instead of calling rnnlib's.

    forbidden_names  names of rnnlib functions or classes, e.g.
                     ["rnn_forward", "rnn_step_forward", "RNN"]
                     ("rnnlib." in front is allowed; names that rnnlib does
                     not define are still looked for in the code).

    Two proofs:
    1. reading the bytecode of `func`, and of every function of the same
       notebook it refers to, for a reference to a forbidden rnnlib
       function (by name through the rnnlib module, or by the function
       object itself, however it was imported or renamed);
    2. if `args` is given, calling func(*args, **kwargs) while every
       forbidden function (in rnnlib and in the notebook's globals) is
       replaced by one that raises (while grading, the student's rnnlib
       has no such function at all: the call fails with this message).
    Returns what func returned (None without `args`).
    """
    names = [n.split(".")[-1] for n in forbidden_names]
    if is_remote(func):
        uses = func.inspect("static_uses", names)
        if uses:
            raise AssertionError(not_calling_message(func, uses))
        return None if args is None else func(*args, **(kwargs or {}))
    forbidden = bytecode.forbidden_objects(names)
    uses = bytecode.static_uses(func, names, forbidden)
    if uses:
        raise AssertionError(not_calling_message(func, uses))
    if args is None:
        return None
    return _call_with_stand_ins(func, forbidden, args, kwargs)


def _call_with_stand_ins(func, forbidden, args, kwargs):
    called = []

    def stand_in(name):
        def forbidden_call(*_args, **_kwargs):
            called.append(name)
            raise _ForbiddenCall(name)

        return forbidden_call

    namespaces = [vars(m) for m in bytecode.rnnlib_modules()]
    glb = getattr(getattr(func, "__func__", func), "__globals__", None)
    if glb is not None:
        namespaces.append(glb)
    saved = []
    for ns in namespaces:
        for key, value in list(ns.items()):
            if id(value) in forbidden:
                saved.append((ns, key, value))
    try:
        for ns, key, value in saved:
            ns[key] = stand_in(forbidden[id(value)][1])
        try:
            result = func(*args, **(kwargs or {}))
        except _ForbiddenCall:
            result = None
    finally:
        for ns, key, value in saved:
            ns[key] = value
    if called:
        raise AssertionError(not_calling_message(func, {n: () for n in called}))
    return result
