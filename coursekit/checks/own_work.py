"""Feedback that points upstream (check_upstream) and proof that a
function does its own work (check_not_calling: bytecode and stand-ins that
raise)."""

import dis
import sys
import types


class UpstreamError(AssertionError):
    """A part cannot be tested because a function of an earlier part, which
    it calls, does not pass that part's tests yet."""


def _each_function(todo):
    """Pop functions from the list `todo` and yield each once (by its code),
    bound methods unwrapped, objects without code skipped; the caller adds
    to `todo` the functions each one calls."""
    seen = set()
    while todo:
        f = todo.pop()
        f = getattr(f, "__func__", f)  # bound methods
        code = getattr(f, "__code__", None)
        if code is None or id(code) in seen:
            continue
        seen.add(id(code))
        yield f


def _uses_name(func, name):
    """Whether `func`, or a function of the same notebook it calls, refers to
    the global `name` (read from the bytecode, as check_not_calling does)."""
    todo = [func]
    for f in _each_function(todo):
        glb = getattr(f, "__globals__", {})
        for co in _code_objects(f.__code__):
            for ins in dis.get_instructions(co):
                if ins.opname not in _GLOBAL_OPS or not isinstance(ins.argval, str):
                    continue
                if ins.argval == name:
                    return True
                value = glb.get(ins.argval)
                if isinstance(value, types.FunctionType) and value.__globals__ is glb:
                    todo.append(value)
    return False


def check_upstream(part, upstream, check, used_by, name=None):
    """Before testing `used_by`, make sure the earlier part it builds on works.

    part      the earlier part, as the notebook names it, e.g. "Part 2"
    upstream  the learner's function of that part, e.g. lstm_step_backward
    check     a function of no arguments that runs that part's test on a
              small input (raises AssertionError when it fails)
    used_by   the function this part tests, e.g. lstm_backward
    name      the grade_id of the earlier part's tests, for the message

    If `used_by` calls `upstream` (found in its bytecode) and `check` fails,
    raise UpstreamError: "this part calls your lstm_step_backward from
    Part 2, which does not pass its tests yet: fix Part 2 first", followed
    by what Part 2's test said.  If `used_by` does its work without
    `upstream`, nothing is checked: the part is graded on its own.
    """
    fname = getattr(upstream, "__name__", str(upstream))
    if not _uses_name(used_by, fname):
        return True
    try:
        check()
    except Exception as err:  # any failure of the earlier part counts
        what = f"{type(err).__name__}: {err}".strip()
        if isinstance(err, AssertionError):
            what = str(err).strip() or "a check failed"
        tests = f" (`{name}`)" if name else ""
        raise UpstreamError(
            f"this part calls your `{fname}` from {part}{tests}, which does not"
            f" pass its tests yet: fix {part} first.\n{part}'s test says: {what}"
        ) from None
    return True


class _ForbiddenCall(BaseException):
    """Raised by a stand-in for a forbidden function (a BaseException, so a
    student's `except Exception` does not swallow it)."""


def _rnnlib_modules():
    return [
        m
        for name, m in list(sys.modules.items())
        if m is not None and (name == "rnnlib" or name.startswith("rnnlib."))
    ]


def _forbidden_objects(names):
    """{id(obj): (obj, name)} for every rnnlib attribute called one of `names`."""
    found = {}
    for module in _rnnlib_modules():
        for name in names:
            obj = getattr(module, name, None)
            if obj is not None and not isinstance(obj, types.ModuleType):
                found[id(obj)] = (obj, name)
    return found


def _is_rnnlib_module(obj):
    return isinstance(obj, types.ModuleType) and (
        obj.__name__ == "rnnlib" or obj.__name__.startswith("rnnlib.")
    )


def _code_objects(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


_GLOBAL_OPS = {"LOAD_GLOBAL", "LOAD_NAME"}
_ATTR_OPS = {"LOAD_ATTR", "LOAD_METHOD", "IMPORT_FROM"}


def _static_uses(func, names, forbidden):
    """{forbidden name: names of the functions that use it}, for `func` and
    every function of the same notebook it calls, found in their bytecode."""
    uses = {}
    todo = [func]
    for f in _each_function(todo):
        where = getattr(f, "__name__", "?")

        def found(name, where=where):
            uses.setdefault(name, set()).add(where)

        glb = getattr(f, "__globals__", {})
        extra = list(f.__defaults__ or ()) + list((f.__kwdefaults__ or {}).values())
        extra += [c.cell_contents for c in (f.__closure__ or ()) if _cell_full(c)]
        for value in extra:
            if id(value) in forbidden:
                found(forbidden[id(value)][1])
            elif isinstance(value, types.FunctionType):
                todo.append(value)
        for co in _code_objects(f.__code__):
            attrs, touches_rnnlib = set(), False
            for ins in dis.get_instructions(co):
                arg = ins.argval if isinstance(ins.argval, str) else None
                if arg is None:
                    continue
                if ins.opname in _GLOBAL_OPS:
                    value = glb.get(arg, None)
                    if value is None:
                        continue
                    if id(value) in forbidden:
                        found(forbidden[id(value)][1])
                    elif _is_rnnlib_module(value):
                        touches_rnnlib = True
                    elif (
                        isinstance(value, types.FunctionType)
                        and value.__globals__ is glb
                    ):
                        todo.append(value)
                elif ins.opname == "IMPORT_NAME" and arg.split(".")[0] == "rnnlib":
                    touches_rnnlib = True
                    if arg.split(".")[-1] in names:
                        found(arg.split(".")[-1])
                elif ins.opname in _ATTR_OPS:
                    attrs.add(arg)
            if touches_rnnlib:
                for name in attrs & set(names):
                    found(name)
    return uses


def _cell_full(cell):
    try:
        cell.cell_contents  # noqa: B018 -- an empty cell raises ValueError
    except ValueError:
        return False
    return True


def _not_calling_message(func, uses):
    """uses: {forbidden name: names of the functions that use it (may be empty)}."""
    fname = getattr(func, "__name__", "your function")
    parts = []
    for name in sorted(uses):
        others = sorted(set(uses[name]) - {fname})
        via = f" (in your {', '.join(others)})" if others else ""
        parts.append(f"rnnlib's {name}{via}")
    return (
        f"your {fname} uses {', '.join(parts)}, the reference it is compared with."
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
       replaced by one that raises.
    Returns what func returned (None without `args`).
    """
    names = [n.split(".")[-1] for n in forbidden_names]
    forbidden = _forbidden_objects(names)
    uses = _static_uses(func, names, forbidden)
    if uses:
        raise AssertionError(_not_calling_message(func, uses))
    if args is None:
        return None

    called = []

    def stand_in(name):
        def forbidden_call(*_args, **_kwargs):
            called.append(name)
            raise _ForbiddenCall(name)

        return forbidden_call

    namespaces = [vars(m) for m in _rnnlib_modules()]
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
        raise AssertionError(_not_calling_message(func, {n: () for n in called}))
    return result
