"""The library the student's process imports while an exercise is graded.

- `rnnlib`, as the grader found it, except that each reference the
  exercise grades is absent: every function or class named in the
  exercise's `check_not_calling` / `check_not_using` lists (minus what its
  given cells import from rnnlib "for your code") keeps its name but its
  body only raises `WithheldReference`, its docstring gone.  Reaching it by
  import, `importlib`, `getattr` on a built string, `reload`, or by reading
  the file and exec'ing it, finds no answer;
- `coursekit`: only what that process runs (`coursekit.grading.wire`,
  `.peer`, `.student`, `coursekit.checks.bytecode`), and stand-ins for the modules
  of checks the given cells import, which keep every public name but do
  nothing: the checks, with their mistake models and references, run in
  the judge.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from coursekit.notebooks import is_locked, is_solution, is_test

CHECKERS = ("check_not_calling", "check_not_using")  # their 2nd argument: names
RUNTIME = (  # coursekit's modules that run in the student's process, as they are
    "coursekit/__init__.py",
    "coursekit/grading/__init__.py",
    "coursekit/grading/wire.py",
    "coursekit/grading/peer.py",
    "coursekit/grading/student.py",
    "coursekit/checks/bytecode.py",
)
STAND_INS = (
    "coursekit.checks",
    "coursekit.checks_language_model",
    "coursekit.checks_attention",
)
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


def _package_folder(name: str) -> Path:
    return Path(importlib.import_module(name).__file__).parent


def _code_cells(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            try:
                yield cell, ast.parse(cell.source)
            except SyntaxError:
                continue


def _strings(node) -> list[str]:
    if isinstance(node, ast.List | ast.Tuple):
        return [e.value for e in node.elts if isinstance(e, ast.Constant)]
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
                        lists.setdefault(target.id, []).extend(_strings(node.value))
            elif isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name in CHECKERS and len(node.args) >= 2:
                    calls.append(node.args[1])
            elif (
                isinstance(node, ast.ImportFrom)
                and is_locked(cell)
                and not is_test(cell)
                and (node.module or "").split(".")[0] == "rnnlib"
            ):
                given |= {alias.name for alias in node.names}
    names = set()
    for arg in calls:
        found = lists.get(arg.id, []) if isinstance(arg, ast.Name) else _strings(arg)
        names |= {n.split(".")[-1] for n in found}
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
        return ast.parse(text).body

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
            init = ast.parse("def __init__(self, *args, **kwargs):\n    pass").body[0]
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
    tree = ast.parse(text)
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


def write_student_library(
    folder: Path, withheld: set[str], frameworks: set[str] = frozenset()
) -> None:
    """Write the student's library for one exercise into `folder`; the
    frameworks not in `frameworks` are absent there."""
    rnnlib = _package_folder("rnnlib")
    for path in sorted(rnnlib.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        target = folder / "rnnlib" / path.relative_to(rnnlib)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        if path.suffix == ".py" and withheld:
            module = ".".join(
                ("rnnlib", *path.relative_to(rnnlib).with_suffix("").parts)
            )
            changed = _withheld_source(data.decode("utf-8"), withheld, module)
            if changed is not None:
                data = changed.encode("utf-8")
        target.write_bytes(data)
    (folder / "rnnlib" / "_withheld.py").write_text(WITHHELD_MODULE, encoding="utf-8")
    coursekit = _package_folder("coursekit")
    for rel in RUNTIME:
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((coursekit.parent / rel).read_bytes())
    for name in STAND_INS:
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
