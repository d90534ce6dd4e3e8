"""Feedback points upstream, in every exercise.

`coursekit.checks.prerequisites` declares which part of each exercise
builds on which; `upstream_first` reads it.  The first tests hold the
declaration to the notebooks (each part, its functions, every call between
parts the solutions make, the one call in each later part's test cell).
The cascade test then breaks each earlier part of an exercise in turn (its
functions return wrong values) and grades the variants, all of one
exercise in one `coursekit.grade` run: every part downstream of the broken
one must score 0 with feedback that names the broken part ("fix Part N
(`fn`) first") and does not blame its own cell; every other part keeps its
points.  An exercise whose parts are independent is graded once with every
part broken: each part then blames its own cell and no other part.
"""

import ast
from pathlib import Path

import pytest
from grading_runs import grade, returns_changed, with_cell_after

from coursekit.checks.prerequisites import EXERCISES
from coursekit.notebooks import grade_id, is_solution, is_test, read_notebook

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = {p.name[:2]: p for p in sorted((ROOT / "solutions").glob("*.ipynb"))}

# Appended after a broken part's solution cell: each of its functions returns
# its floats scaled by 1.5 and shifted by 0.1 (a wrong answer of the right
# shape), or, where that changes nothing, the wrong version given here.
BROKEN = "1.5 * value + 0.1"
WRONG = {  # functions that return no float: their wrong version
    "sample_with_temperature": (
        "def sample_with_temperature(logits, temperature, rng):\n"
        "    return int(np.argmax(logits))\n"
    ),
    "greedy_decode": (
        "_right_greedy_decode = greedy_decode\n\n\n"
        "def greedy_decode(*args, **kwargs):\n"
        "    return [row + [0] for row in _right_greedy_decode(*args, **kwargs)]\n"
    ),
    "sample_names": (
        "_right_sample_names = sample_names\n\n\n"
        "def sample_names(*args, **kwargs):\n"
        "    return [name[::-1] + [0] for name in _right_sample_names(*args, **kwargs)]\n"
    ),
}


def solution_functions(nb):
    """{function name: grade_id of the solution cell that defines it}."""
    found = {}
    for cell in nb.cells:
        if is_solution(cell):
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.FunctionDef):
                    found[node.name] = grade_id(cell)
    return found


def depends_on(parts, broken):
    """The grade_ids of the parts that use a function of `broken`, directly
    or through another such part."""
    names, found = set(broken.functions), set()
    changed = True
    while changed:
        changed = False
        for part in parts:
            if part.grade_id in found or part is broken:
                continue
            if names & set(part.calls + part.fed):
                found.add(part.grade_id)
                names |= set(part.functions)
                changed = True
    return found


def upstream_parts(parts):
    """The parts some later part uses (each is broken in turn)."""
    return [p for p in parts if depends_on(parts, p)]


# --- the declaration agrees with the notebooks ------------------------------


def test_every_exercise_is_declared():
    assert sorted(EXERCISES) == sorted(SOLUTIONS)


@pytest.mark.parametrize("number", sorted(SOLUTIONS))
def test_the_declared_parts_are_the_notebooks_test_cells(number):
    nb = read_notebook(SOLUTIONS[number])
    tests = [grade_id(c) for c in nb.cells if is_test(c)]
    assert [p.grade_id for p in EXERCISES[number]] == tests
    defined = solution_functions(nb)
    for part in EXERCISES[number]:
        missing = set(part.functions) - set(defined)
        assert not missing, f"{part.grade_id}: no solution cell defines {missing}"


@pytest.mark.parametrize("number", sorted(SOLUTIONS))
def test_every_call_between_parts_of_a_solution_is_declared(number):
    nb = read_notebook(SOLUTIONS[number])
    parts = EXERCISES[number]
    part_of = {fn: p for p in parts for fn in p.functions}
    for cell in nb.cells:
        if not is_solution(cell):
            continue
        for node in ast.parse(cell.source).body:
            if not isinstance(node, ast.FunctionDef) or node.name not in part_of:
                continue
            this = part_of[node.name]
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            for fn in used & set(part_of):
                if part_of[fn] is not this:
                    assert fn in this.calls, f"{node.name} calls {fn}: not declared"


@pytest.mark.parametrize("number", sorted(SOLUTIONS))
def test_each_later_part_asks_for_its_upstream_first_in_one_line(number):
    nb = read_notebook(SOLUTIONS[number])
    cells = {grade_id(c): c.source for c in nb.cells if is_test(c)}
    for part in EXERCISES[number]:
        call = f'upstream_first("{number}", "{part.grade_id}", globals())'
        if part.calls or part.fed:
            visible = cells[part.grade_id].split("### BEGIN HIDDEN TESTS")[0]
            assert call in visible.split("\n")[:4], part.grade_id
        else:
            assert "upstream_first" not in cells[part.grade_id], part.grade_id
        for fn in part.calls + part.fed:
            assert any(fn in p.functions for p in EXERCISES[number]), fn
        if any(part.functions[0] in p.calls + p.fed for p in EXERCISES[number]):
            assert part.check is not None, f"{part.grade_id} has no check"


# --- the cascade ------------------------------------------------------------


def broken_notebook(path, names):
    """The solution with the functions `names` broken after their cells."""

    def breaking(cell):
        defined = [
            n.name
            for n in ast.parse(cell.source).body
            if isinstance(n, ast.FunctionDef) and n.name in names
        ]
        wrapped = [n for n in defined if n not in WRONG]
        source = "".join(WRONG[n] for n in defined if n in WRONG)
        return source + (returns_changed(wrapped, BROKEN, BROKEN) if wrapped else "")

    return with_cell_after(path, breaking)


def variants(number):
    """{folder: the parts broken in it}."""
    parts = EXERCISES[number]
    upstream = upstream_parts(parts)
    if not upstream:
        return {"all": list(parts)}
    return {f"broken_{p.grade_id}": [p] for p in upstream}


def section(report, gid):
    """The part's feedback ('' when it passed: the report lists only what
    to fix)."""
    parts = report.split(f"### `{gid}`")
    return parts[1].split("\n### ")[0] if len(parts) > 1 else ""


@pytest.mark.parametrize("number", sorted(SOLUTIONS))
def test_a_broken_part_is_named_by_every_part_downstream(number, tmp_path):
    path = SOLUTIONS[number]
    parts = EXERCISES[number]
    defined = solution_functions(read_notebook(path))
    subs = tmp_path / "subs"
    cases = variants(number)
    for folder, broken in cases.items():
        (subs / folder).mkdir(parents=True)
        names = {fn for p in broken for fn in p.functions}
        text = broken_notebook(path, names)
        (subs / folder / path.name).write_text(text, encoding="utf-8")
    out, feedback = tmp_path / "gradebook.csv", tmp_path / "feedback"
    graded = grade([subs], out, "--timeout", "600", "--feedback", feedback)
    rows = {Path(r["submission"]).parent.name: r for r in graded}
    for folder, broken in cases.items():
        row = rows[folder]
        assert row["status"] == "ok", (folder, row["message"])
        name = path.with_suffix(".md").name
        # the reports mirror the submissions below their common folder
        shown = feedback / folder / name if len(cases) > 1 else feedback / name
        report = shown.read_text()
        down = set().union(*(depends_on(parts, p) for p in broken))
        for part in parts:
            text, score = section(report, part.grade_id), float(row[part.grade_id])
            own = f"Fix the solution cell `{defined[part.functions[0]]}`"
            where = f"{folder}, {part.grade_id}"
            if part in broken:
                assert score == 0, where
                assert own in text and "fix Part" not in text, (where, text)
            elif part.grade_id in down:
                assert score == 0, where
                assert own not in text, (where, text)
                (first,) = broken  # the earliest broken part it uses is named
                uses = part.calls + part.fed
                fn = next((f for f in first.functions if f in uses), first.functions[0])
                assert f"fix {first.label} (`{fn}`) first" in text, (where, text)
            else:
                assert score > 0 and "fix Part" not in text, (where, text)
