"""What a run gave: each part's Outcome, the Result of a submission (its
score, status and message), and the feedback text for a failed part."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from coursekit.checks import shape_error_hint
from coursekit.grading.judge import STARTUP_LIMIT, TIMEOUT_ENAME
from coursekit.grading.matching import Source
from coursekit.notebooks import Part, first_line, grade_id

UPSTREAM_ENAME = "UpstreamError"  # coursekit.checks.upstream_first: an earlier part
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# where IPython says a cell's code came from: "(1063758517.py, line 3)", or
# "(/tmp/ipykernel_812/1063758517.py, line 3)"
IPYTHON_FILE = re.compile(r"\((?:[^()]*[/\\])?\d+\.py, line (?P<line>\d+)\)")


@dataclass
class Outcome:
    ok: bool
    ename: str = ""
    evalue: str = ""


@dataclass
class Result:
    submission: str
    label: str  # path below the submissions' common folder, without .ipynb
    source: Source | None = None
    student: str = ""  # coursekit.students.student_id, or the roster's ID
    shown: str = ""  # the submission's path below the class folder
    notes: list = field(default_factory=list)  # added to the message at the end
    status: str = "ok"
    message: str = ""
    tests: dict = field(default_factory=dict)  # run-notebook cell index -> grade_id
    outcomes: dict = field(default_factory=dict)  # cell index -> Outcome
    cells: list = field(default_factory=list)  # the run notebook's cells
    last_started: int | None = None

    def add_note(self, text: str) -> None:
        """Add `text` to the message (after grading: the gradebook's)."""
        self.message = f"{self.message}; {text}" if self.message else text

    def outcome(self, part: Part) -> Outcome | None:
        return self.outcomes.get(self._index(part))

    def earned(self, part: Part) -> float:
        outcome = self.outcome(part)
        return part.points if outcome is not None and outcome.ok else 0.0

    def _index(self, part: Part):
        for index, gid in self.tests.items():
            if gid == part.grade_id:
                return index
        return None

    def _solution_outcome(self, part: Part) -> Outcome | None:
        """How the part's solution cell ran (the last copy, if duplicated)."""
        found = None
        for index, cell in enumerate(self.cells):
            if part.solution_id and grade_id(cell) == part.solution_id:
                found = self.outcomes.get(index, found)
        return found

    @property
    def total(self) -> float:
        if self.source is None:
            return 0.0
        return sum(self.earned(p) for p in self.source.parts if p.auto)

    def failure(self, part: Part, limits) -> str:
        """What went wrong with a part, and what to fix ('' if it passed)."""
        outcome = self.outcome(part)
        where = (
            f"the solution cell `{part.solution_id}`"
            if part.solution_id
            else "your solution cell"
        )
        if outcome is None:
            if self.status == "invalid-notebook":
                return "Not graded: " + self.message
            return (
                "This test did not run: the notebook was stopped before it "
                "(see the note above). Fix that first."
            )
        if outcome.ok:
            return ""
        ename, evalue = outcome.ename, _clean(outcome.evalue)
        solution = self._solution_outcome(part)
        if ename == "NotImplementedError" or (
            solution is not None and solution.ename == "NotImplementedError"
        ):
            return (
                "Not done yet: replace `raise NotImplementedError()` in "
                f"{where} with your code."
            )
        if solution is not None and not solution.ok and ename != "AssertionError":
            ename, evalue = solution.ename, _clean(solution.evalue)
            prefix = (
                f"{where[0].upper()}{where[1:]} itself failed, so this test "
                "could not use it. "
            )
        else:
            prefix = ""
        evalue = _in_cell(evalue, where)
        if ename == TIMEOUT_ENAME:
            return prefix + (
                f"It was stopped after {limits['cell_timeout']:g} s: look for an "
                f"infinite loop or needlessly slow code in {where}."
            )
        if ename == "MemoryError":
            return prefix + (
                f"It needed more than {limits['memory_mb']} MB of memory: check "
                f"the sizes of what you create in {where}."
            )
        if ename == UPSTREAM_ENAME and evalue:
            return (
                f"{evalue[0].upper()}{evalue[1:]}\n\nThis part's own code may be"
                " right: its test stopped at the earlier part's function, which"
                " it calls. Once that part passes, this one is tested again."
            )
        if ename == "AssertionError":
            if evalue:
                return f"A check failed: {evalue}\n\nFix {where} so that it passes."
            return (
                f"A check failed (it gives no message). Compare {where} with the task."
            )
        if ename == "NameError" and not prefix:
            return (
                f"{ename}: {evalue}. Keep the names the exercise gives, and define "
                f"them in {where}."
            )
        hint = shape_error_hint(evalue) if ename == "ValueError" else ""
        if hint:
            return prefix + f"The error was {ename}: {evalue}\n\n{hint}\n\nFix {where}."
        return prefix + f"The error was {ename}: {evalue}\n\nFix {where}."


def _in_cell(evalue: str, where: str) -> str:
    """Name the cell instead of IPython's temporary file: a SyntaxError's
    "invalid syntax (1063758517.py, line 3)" becomes "invalid syntax (the
    solution cell `add_solution`, line 3)"."""
    return IPYTHON_FILE.sub(lambda m: f"({where}, line {m['line']})", evalue)


def _clean(text: str, limit: int = 600) -> str:
    """An error's text without terminal colours, at most about `limit` long.

    A check's message ends with its diagnosis (the largest difference, the
    mistake's name), so a long one loses lines from its middle (the arrays
    shown), marked "…", never its first line or its end; a single long line
    loses its middle characters.
    """
    text = ANSI.sub("", text).strip()
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    if len(lines) > 1 and len(lines[0]) + len(lines[-1]) + 5 <= limit:
        tail, room = [], limit - len(lines[0]) - 5
        for line in reversed(lines[1:]):
            if len(line) + 1 > room:
                break
            tail.insert(0, line)
            room -= len(line) + 1
        return "\n".join([lines[0], "  …", *tail])
    half = (limit - 3) // 2
    return f"{text[:half]} … {text[-half:]}"


def finish_result(result: Result, events: list, killed_for_time: bool, limits) -> None:
    """Turn a worker's messages into the result's outcomes and status."""
    done, restarted = None, []
    for event in events:
        kind = event[0]
        if kind == "start":
            result.last_started = event[1]
        elif kind == "cell":
            _, index, ok, ename, evalue = event
            result.outcomes[index] = Outcome(ok, ename, evalue)
        elif kind == "restarted":
            restarted.append(event[1])
        elif kind == "done":
            done = event

    def name(index):
        cell = result.cells[index]
        return f"cell {index + 1} ({grade_id(cell) or first_line(cell)})"

    enames = {o.ename for o in result.outcomes.values()}
    slow = [
        name(i)
        for i, o in sorted(result.outcomes.items())
        if o.ename == TIMEOUT_ENAME and i not in restarted
    ]
    running = ""
    if result.last_started is not None and result.last_started not in result.outcomes:
        running = f" while running {name(result.last_started)}"
    total, per_cell = limits["timeout"], limits["cell_timeout"]
    if done is not None and done[1] == "memory":
        result.status, result.message = "memory", done[2]
    elif "MemoryError" in enames:
        result.status = "memory"
        result.message = f"a cell ran out of memory (limit {limits['memory_mb']} MB)"
    elif killed_for_time and not any(e[0] == "kernel" for e in events):
        result.status = "error"
        result.message = f"the student's process did not start within {STARTUP_LIMIT} s"
    elif killed_for_time:
        result.status = "timeout"
        result.message = (
            f"the notebook ran longer than {total:g} s in total and was stopped"
        )
        if slow:
            result.message += f"; {slow[0]} ran longer than {per_cell:g} s"
        else:
            result.message += running
    elif slow or restarted:
        result.status = "timeout"
        said = []
        if slow:
            said.append(
                f"{', '.join(slow)} ran longer than {per_cell:g} s and "
                f"{'was' if len(slow) == 1 else 'were'} interrupted"
            )
        said += [
            f"{name(index)} ran longer than {per_cell:g} s and was stopped: the "
            "student's process was restarted, the cells above it ran again, and "
            "the parts below it were graded in the new one"
            for index in restarted
        ]
        result.message = "; ".join(said)
    elif done is None:
        result.status = "error"
        result.message = f"the grading process stopped unexpectedly{running}"
    else:
        result.status, result.message = done[1], done[2] + (running if done[2] else "")
    result.message = "; ".join(m for m in (result.message, *result.notes) if m)
