"""Grade submitted exercise notebooks into a CSV gradebook.

    python -m coursekit.grade SUBMISSION.ipynb... [--out gradebook.csv]
        [--source solutions] [--timeout 300] [--cell-timeout 60]
        [--memory 2048] [--feedback DIR] [--roster CSV] [--jobs N]
        [--isolation auto|required|off]

A SUBMISSION may also be a folder: every notebook below it is graded.

Matching a submission to its exercise (a notebook in --source):
1. by file name: the file's stem is the source's stem (`subs/alice/01_x.ipynb`,
   one folder per student, is the recommended layout), or the source's stem
   with a student prefix or suffix joined by '_', '-', '.' or ' '
   (`alice_01_x.ipynb`, `01_x-alice.ipynb`); the longest matching stem wins;
2. otherwise by its cells' grade_ids: the source sharing the most of them.
A notebook whose cells belong to another exercise than its name says, that
has no cell of any exercise, or that is not a readable notebook gets the
status `invalid-notebook` and a message saying why.

Grading a submission:
- every graded test cell (hidden tests included) and every locked cell is
  restored from the source by grade_id; a deleted one is put back where it
  stands in the source (after the nearest cell above it that is still
  there), so editing, emptying or deleting a test cell gains nothing;
- the notebook runs top to bottom in a fresh kernel (this Python,
  `import rnnlib` works) whose working directory is an empty temporary
  folder; errors do not stop the run, so later parts still score;
- a part scores its points when its test cell runs without error, else 0;
  printed text is never read.  A part whose test stopped because it calls a
  function of an earlier part that fails that part's test
  (`coursekit.checks.check_upstream`) gets feedback saying to fix that
  part first.  Manually graded cells (Markdown answers, tasks) are left
  blank in the gradebook and not counted in max_total;
- limits: --cell-timeout per cell (the cell is interrupted and the run goes
  on; if the kernel ignores the interrupt for INTERRUPT_GRACE seconds, it is
  stopped and the notebook runs again in a new kernel without that cell, so
  the cells above it define their functions again and the parts below it
  still score; the cell's part gets the timeout), --timeout for the whole
  notebook, counted from the first kernel's start, restarts included
  (the kernel is stopped; parts that already ran keep their score),
  --memory for the kernel's address space (RLIMIT_AS, so an allocation
  beyond it raises MemoryError) with a second guard on the resident memory
  of the kernel and its children;
- status: ok, timeout, memory (a MemoryError or the guard fired),
  invalid-notebook, error (the kernel died, e.g. `os._exit`, a crash), or
  missing (a roster student who handed nothing in).

Output: a CSV row per submission, in the order given (submission, student,
total, max_total, status, one column per graded part, exercise, message).
The student ID comes from the file or folder name as Moodle, Canvas,
nbgrader/JupyterHub or a folder per student name it
(`coursekit.students`), below the class folder (the common folder of the
arguments).  With --roster, the ID is the roster's, a submission of someone
not on it says so, and each roster student gets a `missing` row (0 points)
for each exercise that someone handed in and they did not: one row per
student per exercise.  Two submissions of one exercise by one student are
both graded, each saying so in its message.  The
part columns are those of the exercises that some submission matched, in
the order of the source notebooks (by name) and of their cells; a grade_id
used by two exercises, or named like a fixed column, is written
`exercise:grade_id`.  A part of another exercise is left blank.
With --feedback DIR, one Markdown report per submission, at the
submission's path below the submissions' common folder, with `.md`.

Nothing is written into a submission or its folder: each runs from an
in-memory copy, in a temporary folder elsewhere.  One bad submission never
stops the others.  Exit status 0 once the gradebook is written; 2 for
misuse (bad arguments, no source notebooks, an invalid source).

Tampering: every kernel imports its own copy of `rnnlib` and `coursekit`,
written from what those files held when grading began, so a submission that
rewrites the course's files changes nothing for itself or anyone else; the
checkout is checked after every notebook, a changed file is put back, and
the submissions that were running then say so in their message.  Every
graded test cell starts with `coursekit.seal.restore()` and the imports and
definitions of the exercise's locked cells (`test_preamble`), which undoes
`np.allclose = ...`, a shadowed or patched `check_array` and swapped
function code.  tests/test_grade_tampering.py shows each of these scoring 0.

Isolation (--isolation, `coursekit.sandbox`): graded as root on Linux, each
kernel runs as the user `nobody` with no network, and sees the system's
folders, Python and its own temporary folder only: the course checkout,
--source, the class folder and every other submission, the gradebook's and
the feedback's folders, /home, /root, /opt ... look empty, and /tmp is its
own.  `auto` (the default) isolates when it can and otherwise warns on
stderr that the submissions run with the grader's rights; `required`
refuses to grade (exit 2) if it cannot; `off` never isolates.
tests/test_grade_tampering.py shows submissions that read the solutions, a
classmate's work or the network, or plant files, scoring 0 isolated (and
the first ones 8 of 8 without isolation).

Limits: without isolation, the learner's code runs with the grader's user
rights (it could read any file the grader can, `solutions/` included, or
write outside its folder): grade untrusted work as root, or in a container
(docs/instructor_guide.md).  The code shares the kernel with the tests, so
code determined enough can undo the seal in the kernel: read the code of
surprising scores.  RLIMIT_AS counts address space, not resident memory:
libraries that reserve a lot of it (PyTorch) need a larger --memory.  The
memory limit needs Linux (or another system with `resource`); elsewhere only
the resident-memory guard applies.
"""

from __future__ import annotations

import argparse
import ast
import copy
import csv
import functools
import json
import math
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from coursekit import sandbox, students
from coursekit.checks import shape_error_hint
from coursekit.notebooks import (
    NotebookError,
    Part,
    first_line,
    format_points,
    grade_id,
    graded_parts,
    is_locked,
    is_test,
    load_source,
    notebook_text,
    read_notebook,
    source_notebooks,
    strip_outputs,
)

STATUSES = ("ok", "timeout", "memory", "invalid-notebook", "error", "missing")
FIXED_COLUMNS = ("submission", "student", "total", "max_total", "status")
TAIL_COLUMNS = ("exercise", "message")
TIMEOUT_ENAME = "CellTimeout"  # the error a cell gets when it is interrupted
UPSTREAM_ENAME = "UpstreamError"  # coursekit.checks.check_upstream: an earlier part
KERNEL_NAME = "coursekit-grade"
STARTUP_LIMIT = 180  # seconds for a worker to start its kernel (busy machines)
INTERRUPT_GRACE = 3  # seconds an interrupted kernel has to answer before a restart
STUCK_EVALUE = "the cell ignored the interrupt; the kernel was restarted without it"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# where IPython says a cell's code came from: "(1063758517.py, line 3)", or
# "(/tmp/ipykernel_812/1063758517.py, line 3)"
IPYTHON_FILE = re.compile(r"\((?:[^()]*[/\\])?\d+\.py, line (?P<line>\d+)\)")

# The kernel: isolate it (coursekit.sandbox), limit its address space, seal
# numpy and the checks (coursekit.seal), then start ipykernel.  No braces here:
# jupyter_client formats `{name}` fields in a kernel's argv.
KERNEL_BOOT = """\
import os, sys
plan = os.environ.pop('COURSEKIT_SANDBOX', '')
if plan:
    import coursekit.sandbox
    coursekit.sandbox.enter(plan)
limit = int(os.environ.pop('COURSEKIT_MEMORY_BYTES', '0'))
try:
    import resource
except ImportError:
    resource = None
if limit > 0 and resource is not None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
import coursekit.seal
coursekit.seal.take()
from ipykernel.kernelapp import launch_new_instance
launch_new_instance()
"""


# --------------------------------------------------------------------------
# sources and matching


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


# --------------------------------------------------------------------------
# restoring the protected cells


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


# --------------------------------------------------------------------------
# what a submission cannot change: the tests' imports and the course's files

PACKAGES = ("rnnlib", "coursekit")  # what each kernel gets a pristine copy of
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


def _package_folder(name: str) -> Path:
    """The folder this Python imports the package `name` from."""
    import importlib

    return Path(importlib.import_module(name).__file__).parent


def library_files() -> dict[str, bytes]:
    """{"coursekit/checks/values.py": bytes, ...}: every file of PACKAGES as the
    grader found them when it started."""
    files = {}
    for name in PACKAGES:
        folder = _package_folder(name)
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                rel = Path(name) / path.relative_to(folder)
                files[rel.as_posix()] = path.read_bytes()
    return files


def write_library(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def restore_library(files: dict[str, bytes]) -> list[str]:
    """Put the course's files back as `library_files()` read them: rewrite a
    changed or deleted file, delete an added `.py` file.  Returns the paths
    changed (relative, e.g. ["coursekit/checks/values.py"])."""
    changed = []
    for name in PACKAGES:
        folder = _package_folder(name)
        for path in sorted(folder.rglob("*.py")):
            rel = (Path(name) / path.relative_to(folder)).as_posix()
            if rel not in files and "__pycache__" not in path.parts:
                path.unlink()
                changed.append(rel)
        for rel, data in files.items():
            if not rel.startswith(name + "/"):
                continue
            path = folder / Path(rel).relative_to(name)
            try:
                same = path.read_bytes() == data
            except OSError:
                same = False
            if not same:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                changed.append(rel)
    return sorted(changed)


# --------------------------------------------------------------------------
# running one notebook (in a worker process)


def _descendants(pid: int | None = None):
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _kill(processes) -> None:
    import psutil

    for proc in processes:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(processes, timeout=5)


def _memory_guard(limit_bytes: int, tripped: threading.Event, stop: threading.Event):
    """Kill the kernel (and its children) if their resident memory exceeds
    the limit: a second guard beside RLIMIT_AS, e.g. for child processes."""
    import psutil

    while not stop.wait(0.2):
        procs = _descendants()
        rss = 0
        for proc in procs:
            try:
                rss += proc.memory_info().rss
            except psutil.Error:
                pass
        if rss > limit_bytes:
            tripped.set()
            _kill(procs)
            return


def _write_kernelspec(
    folder: Path, memory_bytes: int, library: Path, plan: dict | None
) -> None:
    spec = folder / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    kernel = {
        "argv": [sys.executable, "-c", KERNEL_BOOT, "-f", "{connection_file}"],
        "display_name": "Python (coursekit grading)",
        "language": "python",
        "env": {
            "COURSEKIT_MEMORY_BYTES": str(memory_bytes),
            # this submission's own copy of rnnlib and coursekit comes first
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(library), os.environ.get("PYTHONPATH")) if p
            ),
            # one BLAS thread per kernel: jobs run side by side, and idle
            # thread pools and malloc arenas would eat the address space
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "MALLOC_ARENA_MAX": "2",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        },
    }
    if plan:
        kernel["env"][sandbox.ENV] = json.dumps(plan)
    (spec / "kernel.json").write_text(json.dumps(kernel, indent=1), encoding="utf-8")


def _worker(payload: dict, conn) -> None:
    """Run one notebook; report each executed cell and the end through conn.

    Messages: ("kernel", pid), ("start", index),
    ("cell", index, ok, ename, evalue), ("done", status, message).
    """
    import logging

    workdir = Path(payload["workdir"])
    os.environ["JUPYTER_PATH"] = str(workdir / "jupyter")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(workdir / "runtime")
    os.environ["IPYTHONDIR"] = str(workdir / "ipython")
    library = workdir / "lib"
    write_library(library, payload["library"])
    plan = payload["sandbox"]
    _write_kernelspec(workdir / "jupyter", payload["memory_bytes"], library, plan)
    run_dir = workdir / "run"
    run_dir.mkdir()
    config = None
    if plan:
        from traitlets.config import Config

        sandbox.prepare(workdir)
        # no network in the sandbox: the kernel's sockets are files here
        runtime = workdir / "runtime"
        ipc = {
            "transport": "ipc",
            "ip": str(runtime / "kernel"),
            "connection_file": str(runtime / "kernel.json"),
        }
        config = Config({"KernelManager": ipc})

    import asyncio

    import nbformat
    from jupyter_core.utils import ensure_async
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    log = logging.getLogger("coursekit.grade.kernel")
    log.addHandler(logging.NullHandler())
    log.propagate = False

    cell_timeout = payload["cell_timeout"]
    nb = nbformat.reads(payload["notebook"], as_version=4)
    client = None

    started = threading.Event()

    def on_start(**_):
        started.set()
        pid = getattr(client.km.provisioner, "pid", None)
        conn.send(("kernel", pid))

    def on_execute(cell_index, **_):
        conn.send(("start", cell_index))

    skip = set(payload.get("skip", ()))  # cells that hung a kernel before

    def on_executed(cell_index, execute_reply, **_):
        content = (execute_reply or {}).get("content", {})
        ok = content.get("status") == "ok"
        ename = "" if ok else str(content.get("ename", ""))
        evalue = "" if ok else str(content.get("evalue", ""))
        conn.send(("cell", cell_index, ok, ename, evalue))

    class Client(NotebookClient):
        def output(self, outs, msg, display_id, cell_index):
            """Keep no output: scores come from execute replies, and a cell
            that prints without end must not fill this process's memory."""
            return None

        async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
            if cell_index in skip:  # it hung a kernel before: not run again
                conn.send(("cell", cell_index, False, TIMEOUT_ENAME, STUCK_EVALUE))
                return cell
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

        async def _async_handle_timeout(self, timeout, cell=None):
            """Interrupt the cell (nbclient); if the kernel does not answer
            within INTERRUPT_GRACE, tell the grader, which starts the
            notebook again in a new kernel without this cell."""
            reply = await super()._async_handle_timeout(timeout, cell)
            if not await self._answers(INTERRUPT_GRACE):
                index = next(i for i, c in enumerate(self.nb.cells) if c is cell)
                conn.send(("stuck", index))
                await asyncio.sleep(STARTUP_LIMIT)  # the grader kills this process
            return reply

        async def _answers(self, seconds):
            """Whether the kernel answers a kernel_info request in `seconds`."""
            from queue import Empty

            msg_id = self.kc.kernel_info()
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                try:
                    msg = await ensure_async(
                        self.kc.shell_channel.get_msg(timeout=left)
                    )
                except Empty:
                    return False
                if msg["parent_header"].get("msg_id") == msg_id:
                    return True
            return False

    client = Client(
        nb,
        kernel_name=KERNEL_NAME,
        timeout=max(1, math.ceil(cell_timeout)),
        timeout_func=lambda cell: cell_timeout,
        startup_timeout=STARTUP_LIMIT - 60,
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": TIMEOUT_ENAME,
            "evalue": f"the cell ran longer than {cell_timeout:g} s and was stopped",
            "traceback": [],
        },
        record_timing=False,
        # outputs are not kept: no need to wait long for a stopped cell's last
        iopub_timeout=1,
        extra_arguments=["--HistoryManager.hist_file=:memory:"],
        resources={"metadata": {"path": str(run_dir)}},
        on_notebook_start=on_start,
        on_cell_execute=on_execute,
        on_cell_executed=on_executed,
        log=log,
        config=config,
    )
    tripped, stop = threading.Event(), threading.Event()
    guard = threading.Thread(
        target=_memory_guard,
        args=(payload["memory_bytes"], tripped, stop),
        daemon=True,
    )
    guard.start()
    status, message = "ok", ""
    with open(workdir / "kernel.log", "w") as kernel_log:
        try:
            client.execute(stdout=kernel_log, stderr=kernel_log)
        except DeadKernelError:
            status, message = "error", "the kernel died (the process exited or crashed)"
        except Exception as exc:
            status, message = "error", f"could not run the notebook: {exc}"
            if not started.is_set():
                message = (
                    f"the kernel could not start: {exc} (is --memory large enough? "
                    "a kernel needs a few hundred MB of address space)"
                )
        finally:
            stop.set()
    if tripped.is_set():
        status = "memory"
        message = (
            "the kernel was stopped: its memory grew beyond "
            f"{payload['memory_bytes'] // 2**20} MB"
        )
    conn.send(("done", status, message))
    conn.close()


# --------------------------------------------------------------------------
# results


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
    text = ANSI.sub("", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finish(result: Result, events: list, killed_for_time: bool, limits) -> None:
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
        result.message = f"the kernel did not start within {STARTUP_LIMIT} s"
    elif killed_for_time:
        result.status = "timeout"
        result.message = (
            f"the notebook ran longer than {total:g} s in total and was stopped"
        )
        if slow:
            result.message += (
                f"; {slow[0]} ran longer than {per_cell:g} s and did not stop "
                "when interrupted"
            )
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
            f"{name(index)} ran longer than {per_cell:g} s and did not stop when "
            "interrupted: the kernel was restarted, the cells above it ran "
            "again, and the parts below it were graded in the new kernel"
            for index in restarted
        ]
        result.message = "; ".join(said)
    elif done is None:
        result.status = "error"
        result.message = f"the grading process stopped unexpectedly{running}"
    else:
        result.status, result.message = done[1], done[2] + (running if done[2] else "")
    result.message = "; ".join(m for m in (result.message, *result.notes) if m)


# --------------------------------------------------------------------------
# running many


def _kill_tree(pid: int | None, kernel_pid: int | None = None) -> None:
    """Kill a worker process, its descendants and its kernel (which may have
    been orphaned); the kernel only if it is still one of ours."""
    import psutil

    procs = []
    if pid is not None:
        try:
            proc = psutil.Process(pid)
            procs += [proc, *proc.children(recursive=True)]
        except psutil.Error:
            pass
    if kernel_pid is not None and kernel_pid not in {p.pid for p in procs}:
        try:
            kernel = psutil.Process(kernel_pid)
            if "launch_new_instance" in " ".join(kernel.cmdline()):
                procs += [kernel, *kernel.children(recursive=True)]
        except psutil.Error:
            pass
    _kill(procs)


def run_all(results: list[Result], notebooks: dict, limits, jobs: int, progress):
    """Run the notebooks of `results` (those in `notebooks`), `jobs` at a time.

    Each kernel imports its own copy of the course's packages, written from
    what they held when grading began; after each notebook, a course file
    that changed on disk is put back, and the notebooks that were running
    then say so in their message."""
    library = library_files()
    # forkserver: workers fork from a clean process with the modules loaded
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # Each worker re-runs the parent's main module (as __mp_main__).  When
        # that is this module (`python -m coursekit.grade`), preloading it too
        # would make runpy find it imported already and warn in every worker.
        main = getattr(sys.modules["__main__"].__spec__, "name", None)
        preload = [m for m in ("coursekit.grade", "nbclient", "psutil") if m != main]
        ctx.set_forkserver_preload(preload)
    else:
        ctx = multiprocessing.get_context("spawn")
    queue = deque(i for i in range(len(results)) if i in notebooks)
    running = {}  # connection -> state

    def start(i, again=None):
        """Start notebook i; `again`: the state of its run whose kernel a
        cell hung, to run it anew without that cell, on the same clock."""
        workdir = Path(tempfile.mkdtemp(prefix="coursekit-grade-"))
        receiver, sender = ctx.Pipe(duplex=False)
        skip = again["skip"] if again else set()
        payload = {
            "notebook": notebooks[i],
            "workdir": str(workdir),
            "cell_timeout": limits["cell_timeout"],
            "memory_bytes": limits["memory_mb"] * 2**20,
            "library": library,
            "skip": sorted(skip),
            "sandbox": None,
        }
        if limits.get("hide") is not None:  # isolated: coursekit.sandbox
            payload["sandbox"] = sandbox.make_plan(
                workdir, limits["hide"], payload["memory_bytes"]
            )
        process = ctx.Process(target=_worker, args=(payload, sender), daemon=True)
        process.start()
        sender.close()
        running[receiver] = {
            "i": i,
            "process": process,
            "workdir": workdir,
            "deadline": again["deadline"]
            if again
            else time.monotonic() + STARTUP_LIMIT,
            "events": again["events"] if again else [],
            "kernel": None,
            "skip": skip,
            "started": bool(again),  # the total clock runs already
        }

    def restart(conn, index):
        """A cell ignored the interrupt: stop that run, start a new one
        without the cell (the cells above it run again, then the rest)."""
        state = running.pop(conn)
        _kill_tree(state["process"].pid, state["kernel"])
        state["process"].join(timeout=5)
        conn.close()
        shutil.rmtree(state["workdir"], ignore_errors=True)
        state["skip"] = state["skip"] | {index}
        state["events"].append(("restarted", index))
        start(state["i"], again=state)

    def finish(conn, killed_for_time=False):
        state = running.pop(conn)
        process = state["process"]
        process.join(timeout=5)  # it exits right after "done"
        ended_normally = state["events"][-1:] and state["events"][-1][0] == "done"
        if killed_for_time or process.is_alive() or not ended_normally:
            _kill_tree(process.pid if process.is_alive() else None, state["kernel"])
            process.join(timeout=5)
        conn.close()
        shutil.rmtree(state["workdir"], ignore_errors=True)
        changed = restore_library(library)
        if changed:
            note = (
                f"the course's own files changed while this ran ({', '.join(changed)}); "
                "they were put back, and no submission used the changed copy"
            )
            for other in [state, *running.values()]:
                results[other["i"]].notes.append(note)
        _finish(results[state["i"]], state["events"], killed_for_time, limits)
        progress.update(1)

    try:
        while queue or running:
            while queue and len(running) < jobs:
                start(queue.popleft())
            for conn in wait(list(running), timeout=0.2):
                state = running[conn]
                try:
                    event = conn.recv()
                except (EOFError, OSError):
                    finish(conn)
                    continue
                state["events"].append(event)
                if event[0] == "kernel":  # the clock starts with the kernel
                    state["kernel"] = event[1]
                    if not state["started"]:
                        state["started"] = True
                        state["deadline"] = time.monotonic() + limits["timeout"]
                elif event[0] == "stuck":
                    restart(conn, event[1])
                elif event[0] == "done":
                    finish(conn)
            now = time.monotonic()
            for conn, state in list(running.items()):
                if now > state["deadline"]:
                    _kill_tree(state["process"].pid, state["kernel"])
                    while conn.poll():  # keep what was reported before the kill
                        try:
                            state["events"].append(conn.recv())
                        except (EOFError, OSError):
                            break
                    finish(conn, killed_for_time=True)
    finally:
        for state in list(running.values()):
            _kill_tree(state["process"].pid, state["kernel"])
            shutil.rmtree(state["workdir"], ignore_errors=True)


# --------------------------------------------------------------------------
# gradebook and feedback


def _columns(sources: list[Source], used: list[Source]):
    """[(column name, source, grade_id)] for the graded parts of `used`."""
    count = {}
    for source in sources:
        for part in source.parts:
            count[part.grade_id] = count.get(part.grade_id, 0) + 1
    reserved = set(FIXED_COLUMNS) | set(TAIL_COLUMNS)
    columns = []
    for source in sorted(used, key=lambda s: s.name):
        for part in source.parts:
            gid = part.grade_id
            name = f"{source.name}:{gid}" if count[gid] > 1 or gid in reserved else gid
            columns.append((name, source, part))
    return columns


def write_gradebook(path: Path, results: list[Result], sources: list[Source]) -> None:
    used = list({id(r.source): r.source for r in results if r.source}.values())
    columns = _columns(sources, used)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([*FIXED_COLUMNS, *(c[0] for c in columns), *TAIL_COLUMNS])
        for r in results:
            row = [
                r.submission,
                r.student,
                format_points(r.total),
                format_points(r.source.max_total) if r.source else "",
                r.status,
            ]
            for _, source, part in columns:
                mine = r.source is source and part.auto
                row.append(format_points(r.earned(part)) if mine else "")
            row += [r.source.name if r.source else "", r.message]
            writer.writerow(row)


def feedback_text(result: Result, limits) -> str:
    lines = [f"# Feedback: {result.label}", ""]
    lines.append(f"Submission: `{result.shown or result.submission}`  ")
    if result.student:
        lines.append(f"Student: `{result.student}`  ")
    if result.source is None:
        lines += [
            "Exercise: not recognised  ",
            f"Status: **{result.status}**",
            "",
            f"This file could not be graded: {result.message}",
            "",
        ]
        return "\n".join(lines)
    source = result.source
    lines.append(f"Exercise: `{source.name}`  ")
    lines.append(
        f"Score: **{format_points(result.total)} / {format_points(source.max_total)}**"
        f"  (status: {result.status})"
    )
    lines.append("")
    if result.status != "ok":
        lines += [f"Note: {result.message}.", ""]
    lines += ["| Part | Points | Result |", "| --- | --- | --- |"]
    for part in source.parts:
        if not part.auto:
            lines.append(
                f"| `{part.grade_id}` | – / {format_points(part.points)} | "
                "graded by hand |"
            )
            continue
        earned = result.earned(part)
        if not result.failure(part, limits):
            verdict = "passed"
        elif result.outcome(part) is None:
            verdict = "not run"
        else:
            verdict = "failed"
        lines.append(
            f"| `{part.grade_id}` | {format_points(earned)} / "
            f"{format_points(part.points)} | {verdict} |"
        )
    failures = [(p, result.failure(p, limits)) for p in source.parts if p.auto]
    failures = [(p, text) for p, text in failures if text]
    if failures:
        lines += ["", "## What to fix", ""]
        for part, text in failures:
            lines += [f"### `{part.grade_id}`", "", text, ""]
    else:
        lines += ["", "Every automatically graded part passed. Well done!", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def write_feedback(folder: Path, results: list[Result], limits) -> None:
    for result in results:
        if result.status == "missing":  # a roster line: nothing was handed in
            continue
        path = folder / (result.label + ".md")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(feedback_text(result, limits), encoding="utf-8")


# --------------------------------------------------------------------------
# command line


def _expand(paths: list[str]) -> list[Path]:
    found = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*.ipynb")
                if ".ipynb_checkpoints" not in p.parts and p.is_file()
            )
        else:
            found.append(path)
    return found


def _labels(paths: list[Path]) -> list[str]:
    """Each path below the paths' common folder, without the suffix."""
    absolute = [p.absolute() for p in paths]
    try:
        common = Path(os.path.commonpath([p.parent for p in absolute]))
    except ValueError:  # different drives
        return [p.with_suffix("").name for p in paths]
    labels = [p.relative_to(common).with_suffix("").as_posix() for p in absolute]
    seen = {}
    for i, label in enumerate(labels):  # the same file given twice
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            labels[i] = f"{label}-{seen[label]}"
    return labels


def _class_folder(given: list[str]) -> Path:
    """The folder the submissions were given in: the common folder of the
    folders given and of the given notebooks' folders."""
    folders = [
        Path(g).absolute() if Path(g).is_dir() else Path(g).absolute().parent
        for g in given
    ]
    try:
        return Path(os.path.commonpath(folders))
    except ValueError:  # different drives
        return folders[0]


def _shown(path: Path, root: Path) -> str:
    try:
        return path.absolute().relative_to(root).as_posix()
    except ValueError:
        return path.name


def add_students(results: list[Result], root: Path, roster=None) -> list[Result]:
    """Fill each result's student ID (`coursekit.students.student_id`); with
    a roster (`coursekit.students.read_roster`), write the roster's ID, say
    who is not on it, and add a `missing` row for each roster student without
    a submission of an exercise that someone handed in.  Two submissions of
    one exercise by one student are both kept, each saying so."""
    for r in results:
        exercise = r.source.name if r.source else None
        r.student = students.student_id(Path(r.submission).absolute(), root, exercise)
        if roster is not None:
            key = students.roster_key(roster, r.student)
            if key is None:
                r.add_note(f"student {r.student or '(no ID)'} is not on the roster")
            else:
                r.student = key
    seen = {}
    for r in results:
        if r.student and r.source:
            seen.setdefault((r.student, r.source.name), []).append(r)
    for (student, exercise), same in seen.items():
        for r in same if len(same) > 1 else ():
            others = ", ".join(o.shown for o in same if o is not r)
            r.add_note(f"{student} also handed in {exercise} as {others}")
    if roster is None:
        return results
    exercises = sorted({r.source.name: r.source for r in results if r.source}.items())
    missing = [
        Result(
            submission="",
            label="",
            source=source,
            student=student,
            status="missing",
            message="no submission",
        )
        for student in students.roster_ids(roster)
        for name, source in exercises
        if (student, name) not in seen
    ]
    return results + missing


def _positive(kind):
    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def _isolation(args, paths: list[Path], root: Path) -> list[Path] | None:
    """The folders to hide from the kernels, or None if they run unisolated
    (--isolation off, or not possible here: a warning says why)."""
    if args.isolation == "off":
        return None
    reason = sandbox.unavailable_reason()
    if reason:
        if args.isolation == "auto":
            print(
                f"warning: the submissions run unisolated, with your user's rights "
                f"({reason})",
                file=sys.stderr,
            )
        return None
    checkout = Path(__file__).resolve().parents[1]
    hide = [Path(args.source), root, *(p.parent for p in paths), Path(args.out).parent]
    if (checkout / "pyproject.toml").exists():
        hide.append(checkout)
    hide += [Path(f) for f in (args.feedback, args.roster) if f]
    return [str(p.absolute()) for p in hide]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.grade",
        description="Grade submitted exercise notebooks into a CSV gradebook.",
    )
    parser.add_argument("submissions", nargs="+", help="notebooks or folders of them")
    parser.add_argument("--out", default="gradebook.csv", help="default: gradebook.csv")
    parser.add_argument("--source", default="solutions", help="default: solutions")
    parser.add_argument(
        "--timeout",
        type=_positive(float),
        default=300.0,
        help="seconds for a whole notebook (default 300)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=_positive(float),
        default=60.0,
        help="seconds for one cell (default 60)",
    )
    parser.add_argument(
        "--memory",
        type=_positive(int),
        default=2048,
        help="MB of address space for the kernel (default 2048)",
    )
    parser.add_argument(
        "--feedback", metavar="DIR", help="write a report per submission"
    )
    parser.add_argument(
        "--roster",
        metavar="CSV",
        help="the students expected (a `student` column, or Canvas's export)",
    )
    parser.add_argument(
        "--isolation",
        choices=("auto", "required", "off"),
        default="auto",
        help="run each kernel in a sandbox (coursekit.sandbox; needs root on "
        "Linux): auto (default) when possible, else with a warning; required: "
        "refuse to grade without it; off",
    )
    parser.add_argument(
        "--jobs",
        type=_positive(int),
        default=os.cpu_count() or 1,
        help="notebooks graded at once (default: number of cores)",
    )
    args = parser.parse_args(argv)

    source_dir = Path(args.source)
    if not source_notebooks(source_dir):
        parser.error(f"no source notebook in {source_dir}/ (see --source)")
    try:
        sources = load_sources(source_dir)
    except NotebookError as exc:
        print(f"invalid source notebook(s) in {source_dir}/:\n{exc}", file=sys.stderr)
        return 2
    paths = _expand(args.submissions)
    if not paths:
        parser.error("no submission notebook found")
    roster = None
    if args.roster:
        try:
            roster = students.read_roster(args.roster)
        except (OSError, students.RosterError) as exc:
            parser.error(str(exc))
    root = _class_folder(args.submissions)
    out = Path(args.out)
    if any(out.absolute() == p.absolute() for p in paths):
        parser.error(f"--out {out} is a submission: it would be overwritten")

    limits = {
        "timeout": args.timeout,
        "cell_timeout": args.cell_timeout,
        "memory_mb": args.memory,
        # the folders a kernel must not see, or None: not isolated
        "hide": _isolation(args, paths, root),
    }
    if args.isolation == "required" and limits["hide"] is None:
        print(
            f"cannot grade in isolation: {sandbox.unavailable_reason()}",
            file=sys.stderr,
        )
        return 2
    results, notebooks = [], {}
    for i, (path, label) in enumerate(zip(paths, _labels(paths), strict=True)):
        result = Result(submission=str(path), label=label, shown=_shown(path, root))
        results.append(result)
        try:
            submission = read_notebook(path)
            result.source = match_source(path, submission, sources)
        except NotebookError as exc:
            message = str(exc)
            if message.startswith(f"{path}: "):  # the submission column says it
                message = message[len(f"{path}: ") :]
            result.status, result.message = "invalid-notebook", message
            continue
        run_nb, result.tests = build_run_notebook(result.source.nb, submission)
        seal_tests(run_nb, result.tests, result.source.preamble)
        result.cells = run_nb.cells
        notebooks[i] = notebook_text(run_nb)

    from tqdm import tqdm

    with tqdm(total=len(results), desc="grading", unit="notebook") as progress:
        progress.update(len(results) - len(notebooks))
        run_all(results, notebooks, limits, args.jobs, progress)

    results = add_students(results, root, roster)
    write_gradebook(out, results, sources)
    if args.feedback:
        write_feedback(Path(args.feedback), results, limits)
    counts = {s: sum(r.status == s for r in results) for s in STATUSES}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    print(f"graded {len(results)} submission(s): {summary}; gradebook: {out}")
    return 0


if __name__ == "__main__":
    from coursekit.grade import main as _main  # so worker processes import it

    sys.exit(_main())
