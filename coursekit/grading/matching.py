"""Which exercise a submission is, and the notebook that runs for it: the
submission with the source's test and locked cells restored, each graded
test cell starting with the seal and the locked cells' definitions."""

from __future__ import annotations

import ast
import copy
import functools
from dataclasses import dataclass
from pathlib import Path

from coursekit.notebooks import (
    NotebookError,
    Part,
    grade_id,
    graded_parts,
    is_locked,
    is_test,
    load_source,
    source_notebooks,
    strip_outputs,
)


@dataclass
class Source:
    name: str  # the file stem, e.g. 01_forward_propagation_exercises
    path: Path
    nb: object
    parts: list[Part]
    ids: set[str]

    @functools.cached_property
    def preamble(self) -> str:
        """What each of its graded test cells runs first (`test_preamble`)."""
        return test_preamble(self.nb)

    @property
    def max_total(self) -> float:
        return sum(p.points for p in self.parts if p.auto)


def load_sources(folder: str | Path) -> list[Source]:
    """Read and validate every source notebook; NotebookError if any is bad."""
    sources, problems = [], []
    for path in source_notebooks(folder):
        try:
            nb = load_source(path)
        except NotebookError as exc:
            problems.append(str(exc))
            continue
        ids = {grade_id(c) for c in nb.cells if grade_id(c)}
        sources.append(Source(path.stem, path, nb, graded_parts(nb), ids))
    if problems:
        raise NotebookError("\n".join(problems))
    return sources


def _name_matches(stem: str, source_stem: str) -> bool:
    if stem == source_stem:
        return True
    return any(
        stem.startswith(source_stem + sep) or stem.endswith(sep + source_stem)
        for sep in "_-. "
    )


def match_source(path: Path, nb, sources: list[Source]) -> Source:
    """The source a submission belongs to; NotebookError saying why if none."""
    ids = {grade_id(c) for c in nb.cells if grade_id(c)}

    def overlap(source):
        return len(ids & source.ids) / len(ids | source.ids) if ids else 0.0

    best = max(sources, key=overlap)
    by_name = [s for s in sources if _name_matches(path.stem, s.name)]
    if by_name:
        source = max(by_name, key=lambda s: len(s.name))
        if overlap(source) > 0 and overlap(source) >= overlap(best):
            return source
        if overlap(best) > 0:
            raise NotebookError(
                f"named like exercise '{source.name}' but its cells come from "
                f"exercise '{best.name}': submit the notebook of '{source.name}'"
            )
        raise NotebookError(
            f"named like exercise '{source.name}' but holds none of its parts "
            "(no cell with one of its grade_ids): it is not that exercise's "
            "notebook, or its cell metadata was lost; download the exercise "
            "again and copy your code into it"
        )
    if overlap(best) > 0:
        ties = [s for s in sources if overlap(s) == overlap(best)]
        if len(ties) == 1:
            return best
    names = ", ".join(s.name for s in sources)
    raise NotebookError(
        f"matches no exercise in the sources ({names}) by file name or by its "
        "cells' grade_ids"
    )


def build_run_notebook(source_nb, submission_nb):
    """The notebook to run: the submission with every graded test cell and
    every locked cell replaced by (or, if deleted, re-inserted from) the source.

    Returns (notebook, {cell index: grade_id} of the autograded test cells).
    """
    protected = {
        grade_id(c): c
        for c in source_nb.cells
        if grade_id(c) and (is_test(c) or is_locked(c))
    }
    cells, placed = [], set()
    for cell in submission_nb.cells:
        gid = grade_id(cell)
        if gid in protected:
            if gid not in placed:  # a duplicated copy is dropped
                cells.append(copy.deepcopy(protected[gid]))
                placed.add(gid)
        else:
            cells.append(copy.deepcopy(cell))

    order = [grade_id(c) for c in source_nb.cells]
    for i, gid in enumerate(order):
        if gid not in protected or gid in placed:
            continue
        ids = [grade_id(c) for c in cells]
        position = None
        for anchor in reversed(order[:i]):  # after the nearest cell above
            if anchor and anchor in ids:
                position = len(ids) - ids[::-1].index(anchor)
                break
        if position is None:  # else before the nearest cell below
            for anchor in order[i + 1 :]:
                if anchor and anchor in ids:
                    position = ids.index(anchor)
                    break
        cells.insert(
            len(cells) if position is None else position, copy.deepcopy(protected[gid])
        )
        placed.add(gid)

    nb = copy.deepcopy(submission_nb)
    nb.cells = cells
    strip_outputs(nb)
    tests = {
        index: grade_id(cell)
        for index, cell in enumerate(cells)
        if is_test(cell) and grade_id(cell) in protected
    }
    return nb, tests


SEAL_LINE = "import coursekit.seal; coursekit.seal.restore()  # coursekit/seal.py"


def test_preamble(source_nb) -> str:
    """What every graded test cell runs first: `coursekit.seal.restore()`,
    then the imports, functions and classes of the source's locked cells, so
    that a submission's `def check_array(...)` or `np.allclose = ...` is
    undone before the test uses them."""
    lines = [SEAL_LINE]
    kinds = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
    for cell in source_nb.cells:
        if cell.cell_type != "code" or not is_locked(cell) or is_test(cell):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        source = cell.source.splitlines()
        for node in tree.body:
            if isinstance(node, kinds):  # with its decorators, if any
                first = min(
                    n.lineno for n in [node, *getattr(node, "decorator_list", [])]
                )
                lines += source[first - 1 : node.end_lineno]
    return "\n".join(lines) + "\n"


def seal_tests(run_nb, tests: dict, preamble: str) -> None:
    """Start each graded test cell of `run_nb` with `preamble`."""
    for index in tests:
        cell = run_nb.cells[index]
        cell.source = preamble + cell.source
