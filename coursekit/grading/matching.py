"""Which exercise a submission is, and the notebook that runs for it: the
submission with the source's test and locked cells restored."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path

from coursekit.grading.library import frameworks_used, solution_names, withheld_names
from coursekit.notebooks import (
    NotebookError,
    Part,
    grade_id,
    graded_parts,
    is_locked,
    is_solution,
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
    def names(self) -> list[str]:
        """The names its solution cells define (the judge's proxies)."""
        return solution_names(self.nb)

    @functools.cached_property
    def frameworks(self) -> set[str]:
        """The frameworks its cells import (the others are absent for the
        student: their layers would compute what the exercise grades)."""
        return frameworks_used(self.nb)

    @functools.cached_property
    def withheld(self) -> set[str]:
        """The rnnlib references its tests forbid (absent for the student)."""
        return withheld_names(self.nb)

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


def _in_source_order(cells, order):
    """The cells in the source's order: each cell the source knows (by
    grade_id) leads a run of the learner's own cells that follow it, and
    runs move as a whole (stable), so a part's test never runs before an
    earlier part's; the learner's cells above every known cell stay first."""
    rank = {gid: i for i, gid in enumerate(order) if gid}
    head, runs, key = [], [], None
    for cell in cells:
        gid = grade_id(cell)
        if gid in rank:
            key = rank[gid]
            runs.append((key, [cell]))
        elif key is None:
            head.append(cell)
        else:
            runs[-1][1].append(cell)
    runs.sort(key=lambda run: run[0])
    return head + [cell for _, run in runs for cell in run]


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
    nb.cells = _in_source_order(cells, order)
    strip_outputs(nb)
    tests = {
        index: grade_id(cell)
        for index, cell in enumerate(nb.cells)  # the order that runs
        if is_test(cell) and grade_id(cell) in protected
    }
    return nb, tests


def judge_cells(run_nb, tests: dict, source_nb) -> list[list]:
    """[index, kind, label, source] of each code cell of the run notebook,
    kind "test" (runs in the judge), "given" (a locked cell of the source,
    put back from it: in both processes) or "student" (a solution cell or
    any other: in the student's process) — plain data, for the judge.  Only
    the source says what is given: a learner's cell that calls itself
    locked is the learner's."""
    given = {
        grade_id(c): c.source
        for c in source_nb.cells
        if c.cell_type == "code" and is_locked(c) and not is_test(c)
        and not is_solution(c) and grade_id(c)
    }  # fmt: skip
    graded = {grade_id(c): c.source for c in source_nb.cells if is_test(c)}
    cells = []
    for index, cell in enumerate(run_nb.cells):
        if cell.cell_type != "code":
            continue
        gid = grade_id(cell)
        if index in tests:  # only the source's own text runs in the judge
            if tests[index] != gid or graded.get(gid) != cell.source:
                raise ValueError(f"cell {index + 1} is not the source's {gid}")
            kind = "test"
        elif gid in given and cell.source == given[gid]:
            kind = "given"
        else:
            kind = "student"
        label = grade_id(cell) or f"cell {index + 1}"
        cells.append([index, kind, label, cell.source])
    return cells
