"""Put back what a submission replaced, before each graded test runs.

`coursekit.grade` runs a submission's cells and the course's test cells in
one kernel, so learner code could replace what the tests rely on:
`np.allclose = lambda *a, **k: True`, a `def check_array(...): pass` in a
solution cell, `coursekit.checks.check_array = ...`, or a function's
`__code__` swapped for one that does nothing.  The grader's kernel calls
`take()` when it starts, before any cell runs; every graded test cell starts
with `restore()` and then re-runs the imports and definitions of the
exercise's locked cells (`coursekit.grade.test_preamble`), so the test sees
the course's own functions again, whatever ran before it.

What is sealed: the modules `builtins`, `math`, `numpy`, `rnnlib` and
`coursekit` (each with its submodules loaded by then): their entries in
`sys.modules`, every module-level name, and each Python function's code,
defaults and keyword defaults.  New names a submission adds are left alone.

This makes the grader hard to fool, not impossible: code that runs inside
the kernel can still undo anything in the kernel (it could replace this
module before a test imports it).  The grader's other protections do not
depend on it: test cells come from the source, each kernel imports a
pristine copy of `rnnlib` and `coursekit`, and a changed course file is
put back (see `coursekit.grade`).
"""

from __future__ import annotations

import sys
import types

SEALED = ("builtins", "math", "numpy", "rnnlib", "coursekit")

_modules: dict[str, types.ModuleType] = {}
_names: dict[str, dict] = {}
_functions: list[tuple[types.FunctionType, tuple]] = []


def _sealed(name: str) -> bool:
    return any(name == top or name.startswith(top + ".") for top in SEALED)


def _function_state(fn: types.FunctionType) -> tuple:
    return fn.__code__, fn.__defaults__, fn.__kwdefaults__


def take() -> None:
    """Remember the sealed modules as they are now (call once, first)."""
    import math  # noqa: F401  (sealed: loaded so that it is remembered)

    import numpy  # noqa: F401

    import coursekit.checks  # noqa: F401
    import rnnlib  # noqa: F401

    _modules.clear()
    _names.clear()
    _functions.clear()
    seen = set()
    for name, module in list(sys.modules.items()):
        if not _sealed(name) or not isinstance(module, types.ModuleType):
            continue
        _modules[name] = module
        _names[name] = dict(vars(module))
        for value in _names[name].values():
            if isinstance(value, types.FunctionType) and id(value) not in seen:
                seen.add(id(value))
                _functions.append((value, _function_state(value)))


def restore() -> None:
    """Put every sealed module, name and function back as `take()` saw it."""
    if not _modules:
        raise RuntimeError("coursekit.seal.restore() before take()")
    for name, module in _modules.items():
        sys.modules[name] = module
        namespace = vars(module)
        for key, value in _names[name].items():
            if namespace.get(key, _MISSING) is not value:
                namespace[key] = value
    for fn, (code, defaults, kwdefaults) in _functions:
        if fn.__code__ is not code:
            fn.__code__ = code
        fn.__defaults__ = defaults
        fn.__kwdefaults__ = kwdefaults


_MISSING = object()
