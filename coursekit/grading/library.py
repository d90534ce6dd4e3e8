"""The library the student's process imports while an exercise is graded.

- `rnnlib`, as the grader found it, except that each reference the
  exercise grades is absent: every function or class named in the
  exercise's `check_not_calling` / `check_not_using` lists (minus what its
  given cells import from rnnlib "for your code") keeps its name but its
  body only raises `WithheldReference`, its docstring gone.  Reaching it by
  import, `importlib`, `getattr` on a built string, `reload`, or by reading
  the file and exec'ing it, finds no answer;
- `coursekit`: only what that process runs (`coursekit.grading.wire`,
  `.peer`, `.student`, `coursekit.checks.bytecode`, and `coursekit.hints`,
  which the given cells import), and a stand-in for every other module of
  `coursekit.checks`, which keeps its public names but does nothing: the
  checks, with their mistake models and references, run in the judge.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import threading
from pathlib import Path

from coursekit.notebooks import is_locked, is_solution, is_test

CHECKERS = ("check_not_calling", "check_not_using")  # their 2nd argument: names
NAMES_ARGS = ("forbidden_names", "reference_names")  # ... or by keyword
RUNTIME = (  # coursekit's modules that run in the student's process, as they are
    "coursekit/__init__.py",
    "coursekit/grading/__init__.py",
    "coursekit/grading/wire.py",
    "coursekit/grading/peer.py",
    "coursekit/grading/student.py",
    "coursekit/checks/bytecode.py",
    "coursekit/hints.py",  # the exercises' hint(part, step), from a given cell
)


def stand_ins() -> list[str]:
    """The modules of coursekit.checks that the student's process gets as
    stand-ins: the package and each of its modules not in RUNTIME, so that
    importing any check there says where it runs."""
    import coursekit.checks

    runtime = {rel.removesuffix(".py").replace("/", ".") for rel in RUNTIME}
    modules = [
        f"coursekit.checks.{info.name}"
        for info in pkgutil.iter_modules(coursekit.checks.__path__)
    ]
    return ["coursekit.checks", *(m for m in modules if m not in runtime)]


# frameworks whose layers compute what the exercises grade: absent from the
# student's process unless the exercise's cells import them (exercise 10)
FRAMEWORKS = ("torch", "keras", "tensorflow", "jax")
ABSENT = """\"\"\"Not available while this exercise is graded.\"\"\"

raise ImportError(
    "{name} is not available while this exercise is graded: write it with NumPy"
)
"""
WITHHELD_MODULE = '''"""Present only while grading: what a withheld reference raises."""


class WithheldReference(BaseException):
    """rnnlib's own version of what this exercise asks you to write is not
    available while it is graded."""
'''


# CPython 3.11's ast.parse keeps its recursion count in the interpreter, not
# the thread: two threads parsing at once can fail with "SystemError: AST
# constructor recursion depth mismatch" (python/cpython#106905), e.g. two
# gradings in threads of one process.  So one parse at a time.
_PARSING = threading.Lock()


def _parse(text: str) -> ast.Module:
    """ast.parse(text), one thread at a time (see _PARSING)."""
    with _PARSING:
        return ast.parse(text)


def _package_folder(name: str) -> Path:
    return Path(importlib.import_module(name).__file__).parent


def _code_cells(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            try:
                yield cell, _parse(cell.source)
            except SyntaxError:
                continue


def _strings(node, lists: dict[str, list[str]]) -> list[str]:
    """The strings a list expression of a test cell names: a literal, a
    name bound to one before, their sums (`FORBIDDEN + ["x"]`), `[*A, "x"]`
    and `list(A)`; any string inside counts (a reading too wide can only
    withhold more)."""
    if isinstance(node, ast.Name):
        return lists.get(node.id, [])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _strings(node.left, lists) + _strings(node.right, lists)
    if isinstance(node, ast.Starred):
        return _strings(node.value, lists)
    if isinstance(node, ast.Call) and len(node.args) == 1:
        return _strings(node.args[0], lists)  # list(A), tuple(A), set(A)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        found = []
        for element in node.elts:
            if isinstance(element, ast.Constant) and isinstance(element.value, str):
                found.append(element.value)
            else:
                found += _strings(element, lists)
        return found
    return []


def withheld_names(source_nb) -> set[str]:
    """The rnnlib names the exercise's tests forbid, less those its given
    cells import from rnnlib for the learner's use."""
    lists: dict[str, list[str]] = {}
    calls = []
    given = set()
    for cell, tree in _code_cells(source_nb):
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AugAssign):
                targets = (
                    node.targets if isinstance(node, ast.Assign) else [node.target]
                )
                for target in targets:
                    if isinstance(target, ast.Name):
                        found = _strings(node.value, lists)
                        lists.setdefault(target.id, []).extend(found)
            elif isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name in CHECKERS and len(node.args) >= 2:
                    calls.append(node.args[1])
                elif name in CHECKERS:
                    calls += [k.value for k in node.keywords if k.arg in NAMES_ARGS]
            elif (
                isinstance(node, ast.ImportFrom)
                and is_locked(cell)
                and not is_test(cell)
                and (node.module or "").split(".")[0] == "rnnlib"
            ):
                given |= {alias.name for alias in node.names}
    names = set()
    for arg in calls:
        names |= {n.split(".")[-1] for n in _strings(arg, lists)}
    return names - given


def solution_names(source_nb) -> list[str]:
    """The names the solution cells define (proxies in the judge)."""
    names = []
    for cell, tree in _code_cells(source_nb):
        if not is_solution(cell):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
                names.append(node.name)
            elif isinstance(node, ast.Assign):
                names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return list(dict.fromkeys(names))


class _Withhold(ast.NodeTransformer):
    def __init__(self, names, module):
        self.names, self.module, self.done = names, module, set()

    def _raise(self, name):
        text = (
            "raise __import__('rnnlib._withheld', fromlist=['_'])"
            f".WithheldReference({name!r})"
        )
        return _parse(text).body

    def visit_FunctionDef(self, node):
        if node.name in self.names:
            self.done.add(node.name)
            node.body = self._raise(node.name)
            node.decorator_list = []
            return node
        return self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        if node.name in self.names:
            self.done.add(node.name)
            init = _parse("def __init__(self, *args, **kwargs):\n    pass").body[0]
            init.body = self._raise(node.name)
            node.body = [init]
            node.decorator_list = []
            return node
        return self.generic_visit(node)


def _private_helpers(tree, names: set[str]) -> set[str]:
    """The module's private functions and classes (`_step_forward`) that the
    named ones use, directly or through each other: they hold the same
    computation, so they are withheld too."""
    defs = {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    found, todo = set(), [defs[n] for n in names if n in defs]
    while todo:
        node = todo.pop()
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name) and inner.id.startswith("_"):
                helper = defs.get(inner.id)
                if helper is not None and inner.id not in found:
                    found.add(inner.id)
                    todo.append(helper)
    return found


def _withheld_source(text: str, names: set[str], module: str) -> str | None:
    """`text` with the named functions and classes emptied, and the private
    helpers they use, or None if it defines none of them."""
    tree = _parse(text)
    names = names | _private_helpers(tree, names)
    if not any(
        isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and n.name in names
        for n in ast.walk(tree)
    ):
        return None
    _Withhold(names, module).visit(tree)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _stand_in(module_name: str) -> str:
    """A module with the public names of `module_name`, none of which works."""
    module = importlib.import_module(module_name)
    lines = [
        f'"""Stand-in for {module_name} while grading: its checks run in the',
        'judge, not in the student\'s process."""',
        "",
        "",
        "def _judged(name):",
        "    def judged(*args, **kwargs):",
        f"        raise RuntimeError(f'{module_name}.{{name}} runs in the grader')",
        "",
        "    judged.__name__ = name",
        "    return judged",
        "",
    ]
    for name, value in sorted(vars(module).items()):
        if name.startswith("__") or inspect.ismodule(value):
            continue
        if inspect.isclass(value):
            base = "Exception" if issubclass(value, BaseException) else "object"
            if issubclass(value, AssertionError):
                base = "AssertionError"
            lines.append(f"class {name}({base}):\n    pass\n")
        elif callable(value):
            lines.append(f"{name} = _judged({name!r})")
        elif value is None or type(value) in (bool, int, float, str):
            lines.append(f"{name} = {value!r}")
        else:
            lines.append(f"{name} = None")
    return "\n".join(lines) + "\n"


def frameworks_used(source_nb) -> set[str]:
    """The frameworks of FRAMEWORKS that the exercise's cells import."""
    used = set()
    for _, tree in _code_cells(source_nb):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                used |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                used.add(node.module.split(".")[0])
            elif isinstance(node, ast.Constant) and node.value in FRAMEWORKS:
                used.add(node.value)  # importlib.import_module("torch")
    return used & set(FRAMEWORKS)


def _top_level_uses(tree) -> dict[str, set[str]]:
    """name -> the module's top-level functions and classes whose code uses
    that name ("" for the module's own statements; imports and `__all__`
    are no use)."""
    uses: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            user = node.name
        elif isinstance(node, ast.Assign) and any(
            getattr(t, "id", "") == "__all__" for t in node.targets
        ):
            continue
        else:
            user = ""
        for inner in ast.walk(node):
            name = (
                inner.id
                if isinstance(inner, ast.Name)
                else inner.attr
                if isinstance(inner, ast.Attribute)
                else None
            )
            if name is not None and name != user:
                uses.setdefault(name, set()).add(user)
    return uses


def used_only_by_withheld(trees: dict[str, ast.Module], withheld: set[str]) -> set[str]:
    """The internal functions of rnnlib (`trees`: module name -> its tree;
    internal: private, or in rnnlib.kernels) that only withheld code uses,
    directly or through each other: a fast kernel that only a withheld
    layer runs computes the same answer, so it is withheld with it.  The
    public API stays whole (a learner may call it), and so do classes (the
    kernels' caches are plain records).  Names are matched
    across modules by name alone, so a name that anything kept uses stays (a
    reading too wide keeps more)."""
    users: dict[str, set[str]] = {}
    defined = set()
    for module, tree in trees.items():
        for name, where in _top_level_uses(tree).items():
            users.setdefault(name, set()).update(where)
        defined |= {
            n.name
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            and (n.name.startswith("_") or module.startswith("rnnlib.kernels."))
        }
    gone = set(withheld)
    while True:
        more = {
            name for name in defined - gone if users.get(name) and users[name] <= gone
        }
        if not more:
            return gone - set(withheld)
        gone |= more


def write_student_library(
    folder: Path, withheld: set[str], frameworks: set[str] = frozenset()
) -> None:
    """Write the student's library for one exercise into `folder`; the
    frameworks not in `frameworks` are absent there."""
    rnnlib = _package_folder("rnnlib")
    files = sorted(
        p for p in rnnlib.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    sources = {p: p.read_text(encoding="utf-8") for p in files if p.suffix == ".py"}

    def module(path):
        return ".".join(("rnnlib", *path.relative_to(rnnlib).with_suffix("").parts))

    if withheld:
        trees = {module(p): _parse(text) for p, text in sources.items()}
        withheld = set(withheld) | used_only_by_withheld(trees, set(withheld))
    for path in files:
        target = folder / "rnnlib" / path.relative_to(rnnlib)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        if path in sources and withheld:
            changed = _withheld_source(sources[path], withheld, module(path))
            if changed is not None:
                data = changed.encode("utf-8")
        target.write_bytes(data)
    (folder / "rnnlib" / "_withheld.py").write_text(WITHHELD_MODULE, encoding="utf-8")
    coursekit = _package_folder("coursekit")
    for rel in RUNTIME:
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((coursekit.parent / rel).read_bytes())
    for name in stand_ins():
        parts = name.split(".")
        real = _package_folder("coursekit").parent.joinpath(*parts)
        target = folder.joinpath(*parts)
        target = target / "__init__.py" if real.is_dir() else target.with_suffix(".py")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_stand_in(name), encoding="utf-8")
    for name in sorted(set(FRAMEWORKS) - set(frameworks)):
        target = folder / name / "__init__.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(ABSENT.replace("{name}", name), encoding="utf-8")
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
