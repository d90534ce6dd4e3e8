"""What a function refers to, read from its bytecode: the functions of the
same notebook it calls, the rnnlib names it uses.  The learner's checks
(`coursekit.checks.own_work`) ask it in the learner's process; while grading,
the student's process answers the judge's questions with it
(`coursekit.grading.student`), so this module imports nothing of the course."""

import dis
import sys
import types


def each_function(todo):
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


def uses_name(func, name):
    """Whether `func`, or a function of the same notebook it calls or takes
    as a default argument, refers to the global `name` (read from the
    bytecode, as check_not_calling does) or is a default argument named so."""
    todo = [func]
    for f in each_function(todo):
        glb = getattr(f, "__globals__", {})
        # a default argument, e.g. generate(..., sample=sample_with_temperature)
        defaults = [*(f.__defaults__ or ()), *(f.__kwdefaults__ or {}).values()]
        for value in defaults:
            if isinstance(value, types.FunctionType) and value.__globals__ is glb:
                if value.__name__ == name:
                    return True
                todo.append(value)
        for co in code_objects(f.__code__):
            for ins in dis.get_instructions(co):
                if ins.opname not in GLOBAL_OPS or not isinstance(ins.argval, str):
                    continue
                if ins.argval == name:
                    return True
                value = glb.get(ins.argval)
                if isinstance(value, types.FunctionType) and value.__globals__ is glb:
                    todo.append(value)
    return False


def rnnlib_modules():
    return [
        m
        for name, m in list(sys.modules.items())
        if m is not None and (name == "rnnlib" or name.startswith("rnnlib."))
    ]


def forbidden_objects(names):
    """{id(obj): (obj, name)} for every rnnlib attribute called one of `names`."""
    found = {}
    for module in rnnlib_modules():
        for name in names:
            obj = getattr(module, name, None)
            if obj is not None and not isinstance(obj, types.ModuleType):
                found[id(obj)] = (obj, name)
    return found


def is_rnnlib_module(obj):
    return isinstance(obj, types.ModuleType) and (
        obj.__name__ == "rnnlib" or obj.__name__.startswith("rnnlib.")
    )


def code_objects(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from code_objects(const)


GLOBAL_OPS = {"LOAD_GLOBAL", "LOAD_NAME"}
ATTR_OPS = {"LOAD_ATTR", "LOAD_METHOD", "IMPORT_FROM"}


def static_uses(func, names, forbidden):
    """{forbidden name: names of the functions that use it}, for `func` and
    every function of the same notebook it calls, found in their bytecode."""
    uses = {}
    todo = [func]
    for f in each_function(todo):
        where = getattr(f, "__name__", "?")

        def found(name, where=where):
            uses.setdefault(name, set()).add(where)

        glb = getattr(f, "__globals__", {})
        extra = list(f.__defaults__ or ()) + list((f.__kwdefaults__ or {}).values())
        extra += [c.cell_contents for c in (f.__closure__ or ()) if cell_full(c)]
        for value in extra:
            if id(value) in forbidden:
                found(forbidden[id(value)][1])
            elif isinstance(value, types.FunctionType):
                todo.append(value)
        for co in code_objects(f.__code__):
            attrs, touches_rnnlib = set(), False
            for ins in dis.get_instructions(co):
                arg = ins.argval if isinstance(ins.argval, str) else None
                if arg is None:
                    continue
                if ins.opname in GLOBAL_OPS:
                    value = glb.get(arg, None)
                    if value is None:
                        continue
                    if id(value) in forbidden:
                        found(forbidden[id(value)][1])
                    elif is_rnnlib_module(value):
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
                elif ins.opname in ATTR_OPS:
                    attrs.add(arg)
            if touches_rnnlib:
                for name in attrs & set(names):
                    found(name)
    return uses


def cell_full(cell):
    try:
        cell.cell_contents  # noqa: B018 -- an empty cell raises ValueError
    except ValueError:
        return False
    return True


def names_used(func, seen=None):
    """Every global, attribute and import name in func's bytecode and in that
    of the functions of the same notebook it refers to: {name: function name}."""
    seen = set() if seen is None else seen
    func = getattr(func, "__func__", func)
    code = getattr(func, "__code__", None)
    if code is None or id(code) in seen:
        return {}
    seen.add(id(code))
    glb = getattr(func, "__globals__", {})
    found, todo = {}, [code]
    while todo:
        co = todo.pop()
        todo.extend(c for c in co.co_consts if isinstance(c, types.CodeType))
        for ins in dis.get_instructions(co):
            if not isinstance(ins.argval, str):
                continue
            found.setdefault(ins.argval, func.__name__)
            value = (
                glb.get(ins.argval)
                if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")
                else None
            )
            if isinstance(value, types.FunctionType) and value.__globals__ is glb:
                for name, where in names_used(value, seen).items():
                    found.setdefault(name, where)
    return found
