"""Tests for coursekit.grade: grading submissions, honest and adversarial.

Two grading runs are shared by the tests of this module (one through the
command line, one in process), so that every kernel starts only once.
"""

import csv
import hashlib
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from coursekit import grade
from coursekit.grading.matching import build_run_notebook, load_sources, match_source
from coursekit.grading.report import add_students, write_gradebook
from coursekit.grading.results import Outcome, Result
from coursekit.notebooks import (
    NotebookError,
    grade_id,
    load_source,
    read_notebook,
    write_notebook,
)
from coursekit.publishing.exercises import make_exercise

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path(__file__).parent / "fixtures" / "grading" / "source"
ARITH = "fx01_arithmetic.ipynb"
STRINGS = "fx02_strings.ipynb"


# --------------------------------------------------------------------------
# building submissions


def solved(name=ARITH):
    return read_notebook(SOURCE / name)


def blank(name=ARITH):
    return make_exercise(load_source(SOURCE / name))


def cell(nb, gid):
    return next(c for c in nb.cells if grade_id(c) == gid)


def with_source(nb, gid, source):
    cell(nb, gid).source = source
    return nb


def without(nb, *gids):
    nb.cells = [c for c in nb.cells if grade_id(c) not in gids]
    return nb


def tampered(right):
    """Each test cell tampered with: add_tests edited to pass, mean_tests
    emptied, squares_tests deleted (its hidden test with it); the code is
    right, or wrong in a way only the tests (hidden ones too) can see."""
    nb = solved()
    if not right:
        with_source(nb, "add_solution", "def add(a, b):\n    return a - b")
        with_source(nb, "mean_solution", "def mean(xs):\n    return 0")
        with_source(nb, "squares_solution", "squares = [0, 1, 4]")
    with_source(nb, "add_tests", "assert True  # all good")
    with_source(nb, "mean_tests", "")
    return without(nb, "squares_tests")


def faker():
    # prints success, fakes outputs, and claims points in a cell of its own
    nb = blank()
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs = [nbformat.v4.new_output("stream", text="All tests passed!\n")]
    fake = nbformat.v4.new_code_cell(
        'print("add_tests: 2/2 passed. All tests passed!")'
    )
    fake.metadata["nbgrader"] = {
        "grade": True, "solution": False, "locked": True, "grade_id": "bonus",
        "points": 100, "schema_version": 3,
    }  # fmt: skip
    nb.cells.append(fake)
    return nb


def looping():
    # an infinite loop in a cell: interrupted after --cell-timeout, the run goes on
    return with_source(solved(), "mean_solution", "while True:\n    pass")


IGNORES_INTERRUPTS = "import signal\n\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"


def stubborn():
    # ignores the interrupt: the kernel is restarted, the later parts still score
    return with_source(solved(), "mean_solution", IGNORES_INTERRUPTS)


def insatiable():
    # two cells that ignore the interrupt: a restart for each
    nb = with_source(solved(), "mean_solution", IGNORES_INTERRUPTS)
    return with_source(nb, "squares_solution", IGNORES_INTERRUPTS)


def unstoppable():
    # runs (in the slow run) until the total --timeout, before its cell's own
    return with_source(solved(), "mean_solution", IGNORES_INTERRUPTS)


def hungry():
    # far beyond the address-space limit: MemoryError in the kernel
    return with_source(solved(), "squares_solution", "big = bytearray(64 * 2**30)")


def hungry_children():
    # each child stays under RLIMIT_AS; together they pass the memory guard
    return with_source(
        solved(),
        "squares_solution",
        "import subprocess\nimport sys\nimport time\n\n"
        "code = \"import time; b = b'x' * (400 * 2**20); time.sleep(60)\"\n"
        "children = [subprocess.Popen([sys.executable, '-c', code])\n"
        "            for _ in range(4)]\n"
        "time.sleep(50)",
    )


def crashing():
    return with_source(solved(), "squares_solution", "import os\n\nos._exit(1)")


def with_helper():
    # a cell of the learner's own, above everything, is kept
    nb = with_source(solved(), "add_solution", "def add(a, b):\n    return plus(a, b)")
    helper = nbformat.v4.new_code_cell("def plus(a, b):\n    return a + b")
    nb.cells.insert(0, helper)
    return nb


FAST = {  # run through the command line with a short cell timeout
    "blank/fx01_arithmetic.ipynb": blank,
    "solved/fx01_arithmetic.ipynb": solved,
    "wrong/fx01_arithmetic.ipynb": lambda: tampered(right=False),
    "right/fx01_arithmetic.ipynb": lambda: tampered(right=True),
    "faker/fx01_arithmetic.ipynb": faker,
    "looping/fx01_arithmetic.ipynb": looping,
    "stubborn/fx01_arithmetic.ipynb": stubborn,
    "insatiable/fx01_arithmetic.ipynb": insatiable,
    "other/fx01_arithmetic.ipynb": lambda: solved(STRINGS),
    "flat/carol_fx02_strings.ipynb": lambda: solved(STRINGS),
    "flat/renamed-by-lms.ipynb": with_helper,
    "flat/no_metadata.ipynb": lambda: nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("x = 1")]
    ),
    "garbage/fx01_arithmetic.ipynb": "{ this is not JSON",
    "empty/fx01_arithmetic.ipynb": "",
}
SLOW = {  # run in process with a long cell timeout and a small memory limit
    "hungry/fx01_arithmetic.ipynb": hungry,
    "children/fx01_arithmetic.ipynb": hungry_children,
    "crash/fx01_arithmetic.ipynb": crashing,
    "unstoppable/fx01_arithmetic.ipynb": unstoppable,
}
# a restart after a cell that ignores interrupts takes about 3 + 3 + 1 s (cell
# timeout, INTERRUPT_GRACE, nbclient's wait for the stopped cell's output) and
# a kernel's start: two must fit, on a busy machine too
TOTAL_TIMEOUT = 45
SLOW_TIMEOUT = 20  # below the slow run's cell timeout (60 s)


def write_submissions(folder, submissions):
    for name, make in submissions.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(make, str):
            path.write_text(make)
        else:
            write_notebook(make(), path)


def snapshot(folder):
    """sha256 of every file below folder, and every folder, to see changes."""
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        )
        for p in sorted(folder.rglob("*"))
    }


def read_gradebook(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {row["submission"]: row for row in rows}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade every submission above; return what tests need to look at."""
    base = tmp_path_factory.mktemp("grading")
    subs = base / "subs"
    write_submissions(subs, FAST)
    write_submissions(subs / "slow", SLOW)
    before = snapshot(subs)

    started = time.monotonic()
    cli = subprocess.Popen(
        [sys.executable, "-m", "coursekit.grade", "subs/blank", "subs/solved",
         "subs/wrong", "subs/right", "subs/faker",
         "subs/looping", "subs/stubborn", "subs/insatiable", "subs/other",
         "subs/flat", "subs/garbage", "subs/empty", "subs/missing.ipynb",
         "--source", str(SOURCE), "--out", "fast.csv", "--feedback", "feedback",
         "--jobs", "2", "--cell-timeout", "3", "--timeout", str(TOTAL_TIMEOUT)],
        cwd=base, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    slow_code = grade.main(
        [str(subs / "slow"), "--source", str(SOURCE), "--out", str(base / "slow.csv"),
         "--jobs", "2", "--cell-timeout", "60", "--timeout", str(SLOW_TIMEOUT),
         "--memory", "1024"]
    )  # fmt: skip
    out, err = cli.communicate(timeout=600)
    elapsed = time.monotonic() - started
    assert cli.returncode == 0, out + err
    assert slow_code == 0
    return {
        "base": base,
        "rows": {
            **read_gradebook(base / "fast.csv"),
            **read_gradebook(base / "slow.csv"),
        },
        "header": next(csv.reader(open(base / "fast.csv", encoding="utf-8"))),
        "before": before,
        "after": snapshot(subs),
        "elapsed": elapsed,
        "stdout": out,
        "stderr": err,
    }


def row(graded, name):
    for key, value in graded["rows"].items():
        if key.endswith(name):
            return value
    raise KeyError(name)


def scores(r):
    return (
        r["total"],
        r["add_tests"],
        r["mean_tests"],
        r["squares_tests"],
        r["status"],
    )


# --------------------------------------------------------------------------
# honest submissions


def test_unsolved_exercise_scores_zero(graded):
    r = row(graded, "blank/fx01_arithmetic.ipynb")
    assert scores(r) == ("0", "0", "0", "0", "ok")
    assert r["max_total"] == "5"


def test_solution_scores_full_marks(graded):
    r = row(graded, "solved/fx01_arithmetic.ipynb")
    assert scores(r) == ("5", "2", "1", "2", "ok")
    assert r["explain_mean"] == ""  # graded by hand: left blank


def test_student_prefix_and_grade_id_fallback_find_the_exercise(graded):
    carol = row(graded, "flat/carol_fx02_strings.ipynb")
    assert (carol["exercise"], carol["total"], carol["shout_tests"]) == (
        "fx02_strings",
        "3",
        "3",
    )
    assert carol["add_tests"] == ""  # a part of another exercise
    lms = row(graded, "flat/renamed-by-lms.ipynb")
    assert (lms["exercise"], lms["total"], lms["status"]) == (
        "fx01_arithmetic",
        "5",
        "ok",
    )


def test_gradebook_columns(graded):
    assert graded["header"] == [
        "submission", "student", "total", "max_total", "status", "add_tests",
        "mean_tests", "squares_tests", "explain_mean", "shout_tests", "exercise",
        "message",
    ]  # fmt: skip
    assert len(graded["rows"]) == len(FAST) + 1 + len(SLOW)  # + the missing file
    assert f"graded {len(FAST) + 1} submission(s)" in graded["stdout"]


def test_student_column_comes_from_the_folder_or_the_file_name(graded):
    # one folder per student below the class folder (subs/), or a prefix
    assert row(graded, "solved/fx01_arithmetic.ipynb")["student"] == "solved"
    assert row(graded, "flat/carol_fx02_strings.ipynb")["student"] == "carol"
    assert row(graded, "flat/renamed-by-lms.ipynb")["student"] == "flat"


# --------------------------------------------------------------------------
# adversarial submissions


def test_tampered_test_cells_are_restored_and_hidden_tests_run(graded):
    # edited, emptied and deleted test cells run as in the source: wrong code
    # gains nothing, right code keeps its points
    assert scores(row(graded, "wrong/fx01_arithmetic.ipynb")) == (
        "0",
        "0",
        "0",
        "0",
        "ok",
    )
    assert scores(row(graded, "right/fx01_arithmetic.ipynb")) == (
        "5",
        "2",
        "1",
        "2",
        "ok",
    )


def test_printed_success_and_fake_outputs_earn_nothing(graded):
    r = row(graded, "faker/fx01_arithmetic.ipynb")
    assert scores(r) == ("0", "0", "0", "0", "ok")
    assert "bonus" not in graded["header"]


# what the gradebook says of a mean_solution cell stopped at the 3 s limit
MEAN_RESTARTED = (
    "cell 5 (mean_solution) ran longer than 3 s and was stopped: the student's process was "
    "restarted, the cells above it ran again, and the parts below it were "
    "graded in the new one"
)


def test_infinite_loop_is_interrupted_and_later_parts_still_score(graded):
    r = row(graded, "looping/fx01_arithmetic.ipynb")
    assert scores(r) == ("4", "2", "0", "2", "timeout")
    assert r["message"] == MEAN_RESTARTED


def test_loop_that_ignores_interrupts_restarts_the_kernel_and_later_parts_score(
    graded,
):
    # add_solution (above) runs again in the new kernel: squares_tests passes
    r = row(graded, "stubborn/fx01_arithmetic.ipynb")
    assert scores(r) == ("4", "2", "0", "2", "timeout")
    assert r["message"] == MEAN_RESTARTED


def test_each_cell_that_ignores_interrupts_gets_its_own_restart(graded):
    r = row(graded, "insatiable/fx01_arithmetic.ipynb")
    assert scores(r) == ("2", "2", "0", "0", "timeout")
    for cell in ("cell 5 (mean_solution)", "cell 7 (squares_solution)"):
        assert f"{cell} ran longer than 3 s and was stopped" in r["message"]


def test_the_total_timeout_stops_a_cell_before_its_own_timeout(graded):
    r = row(graded, "unstoppable/fx01_arithmetic.ipynb")
    assert scores(r) == ("2", "2", "0", "0", "timeout")
    assert r["message"] == (
        f"the notebook ran longer than {SLOW_TIMEOUT} s in total and was stopped "
        "while running cell 5 (mean_solution)"
    )


def test_grading_time_is_bounded(graded):
    # the unstoppable loop is stopped at SLOW_TIMEOUT; generous for busy machines
    assert graded["elapsed"] < 240


def test_allocation_beyond_the_limit_is_memory(graded):
    r = row(graded, "hungry/fx01_arithmetic.ipynb")
    assert scores(r) == ("3", "2", "1", "0", "memory")


def test_children_beyond_the_limit_trip_the_memory_guard(graded):
    r = row(graded, "children/fx01_arithmetic.ipynb")
    assert scores(r) == ("3", "2", "1", "0", "memory")
    assert "1024 MB" in r["message"]


def test_kernel_crash_is_error_and_keeps_earlier_parts(graded):
    r = row(graded, "crash/fx01_arithmetic.ipynb")
    assert scores(r) == ("3", "2", "1", "0", "error")
    assert "kernel died" in r["message"]


@pytest.mark.skipif(
    importlib.util.find_spec("resource") is None,
    reason="the memory limit needs the resource module (Unix)",
)
def test_a_kernel_that_cannot_start_is_an_error_that_says_why(tmp_path):
    # 32 MB of address space: Python starts, numpy cannot map its BLAS
    write_submissions(tmp_path / "subs", {"solved/" + ARITH: solved})
    code = grade.main(
        [str(tmp_path / "subs"), "--source", str(SOURCE), "--memory", "32",
         "--out", str(tmp_path / "g.csv")]
    )  # fmt: skip
    r = row({"rows": read_gradebook(tmp_path / "g.csv")}, "solved/" + ARITH)
    assert code == 0
    assert (r["status"], r["total"]) == ("error", "0")
    assert "the student's process could not start" in r["message"]
    assert "it said: " in r["message"]  # its last line, the reason


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("garbage/fx01_arithmetic.ipynb", "not a valid notebook file"),
        ("empty/fx01_arithmetic.ipynb", "not a valid notebook file"),
        ("missing.ipynb", "file not found"),
        ("other/fx01_arithmetic.ipynb", "its cells come from exercise 'fx02_strings'"),
        ("flat/no_metadata.ipynb", "matches no exercise"),
    ],
)
def test_invalid_notebooks_are_reported_not_run(graded, name, message):
    r = row(graded, name)
    assert (r["status"], r["total"]) == ("invalid-notebook", "0")
    assert message in r["message"]


def test_submissions_are_never_written(graded):
    assert graded["after"] == graded["before"]


def test_grading_from_the_command_line_prints_no_warning(graded):
    # the workers re-run `python -m coursekit.grade` as their main module;
    # runpy warned in each of them when that module was preloaded too
    assert "Warning" not in graded["stderr"], graded["stderr"][-2000:]


def test_help_prints_no_warning():
    result = subprocess.run(
        [sys.executable, "-m", "coursekit.grade", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout.startswith("usage: python -m coursekit.grade")


def test_feedback_gives_points_and_friendly_messages_without_hidden_code(graded):
    folder = graded["base"] / "feedback"

    def report(name):
        return (folder / name / "fx01_arithmetic.md").read_text()

    wrong = report("wrong")
    assert "Score: **0 / 5**" in wrong
    assert "| `squares_tests` | 0 / 2 | failed |" in wrong
    assert "A check failed: add(2, 3) should be 5, got -1" in wrong
    assert "squares should be [0, 1, 4, 9, 16], got [0, 1, 4]" in wrong  # hidden
    assert "HIDDEN" not in wrong and "assert squares ==" not in wrong
    assert (
        "Not done yet: replace `raise NotImplementedError()` in the solution "
        "cell `add_solution` with your code."
    ) in report("blank")
    assert (
        "The solution cell `mean_solution` itself failed, so this test could not "
        "use it. It was stopped after 3 s"
    ) in report("looping")
    assert "not a valid notebook" in report("garbage")
    # paths below the class folder, never the instructor's own
    assert "Submission: `wrong/fx01_arithmetic.ipynb`  \nStudent: `wrong`" in wrong
    for path in folder.rglob("*.md"):
        assert str(graded["base"]) not in path.read_text(), path
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        {name.split("/")[0] for name in FAST} | {"missing.md"}
    )


# --------------------------------------------------------------------------
# pieces, without a kernel


def test_deleted_test_cell_goes_back_after_its_solution_cell():
    source = load_source(SOURCE / ARITH)
    run, tests = build_run_notebook(source, without(solved(), "mean_tests"))
    ids = [grade_id(c) for c in run.cells]
    assert ids.index("mean_tests") == ids.index("mean_solution") + 1
    assert cell(run, "mean_tests").source == cell(source, "mean_tests").source
    assert sorted(tests.values()) == ["add_tests", "mean_tests", "squares_tests"]
    assert run.cells[ids.index("mean_tests")] is not cell(source, "mean_tests")


def test_duplicated_test_cell_runs_once_and_locked_cells_are_restored():
    nb = solved()
    nb.cells.insert(0, nbformat.from_dict(dict(cell(nb, "add_tests"))))
    with_source(nb, "setup", "import math as m")
    run, tests = build_run_notebook(load_source(SOURCE / ARITH), nb)
    ids = [grade_id(c) for c in run.cells]
    # the one copy runs where the source has it: after its solution cell
    assert ids.count("add_tests") == 1
    assert ids.index("add_tests") == ids.index("add_solution") + 1
    assert cell(run, "setup").source == "import math"
    assert list(tests.values()).count("add_tests") == 1


def test_the_cells_run_in_the_sources_order_with_the_learners_own_cells():
    # a later part moved to the top (its test would run before the earlier
    # parts'), and a cell of the learner's own after it, which moves with it
    nb = solved()
    later = [
        c for c in nb.cells if grade_id(c) in ("squares_solution", "squares_tests")
    ]
    for c in later:
        nb.cells.remove(c)
    mine = nbformat.v4.new_code_cell("helper = 1")
    nb.cells[1:1] = [*later, mine]
    run, _ = build_run_notebook(load_source(SOURCE / ARITH), nb)
    source_ids = [grade_id(c) for c in load_source(SOURCE / ARITH).cells]
    ids = [grade_id(c) for c in run.cells]
    assert [i for i in ids if i] == [i for i in source_ids if i and i in ids]
    assert ids[ids.index("squares_tests") + 1] is None  # the learner's cell


def test_matching_by_name_and_by_grade_ids():
    sources = load_sources(SOURCE)
    arith = solved()
    for name in ["fx01_arithmetic", "alice_fx01_arithmetic", "fx01_arithmetic-Copy1",
                 "anything"]:  # fmt: skip
        assert match_source(Path(name + ".ipynb"), arith, sources).name == (
            "fx01_arithmetic"
        )
    with pytest.raises(NotebookError, match="come from exercise 'fx01_arithmetic'"):
        match_source(Path("fx02_strings.ipynb"), arith, sources)


@pytest.mark.parametrize(
    "args",
    [
        ["x.ipynb", "--source", "no/such/folder"],
        ["x.ipynb", "--jobs", "0"],
        ["x.ipynb", "--timeout", "-1"],
        [str(SOURCE / ARITH), "--source", str(SOURCE), "--out", str(SOURCE / ARITH)],
    ],
)
def test_misuse_exits_2(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        grade.main(args)
    assert exit_info.value.code == 2


def test_invalid_source_exits_2_naming_it(tmp_path, capsys):
    (tmp_path / "bad.ipynb").write_text("{")
    assert grade.main(["x.ipynb", "--source", str(tmp_path)]) == 2
    assert "bad.ipynb: not a valid notebook file" in capsys.readouterr().err


def test_feedback_of_a_part_stopped_by_an_earlier_part_points_upstream():
    from coursekit.notebooks import Part

    part = Part("test_lstm_backward", 3, True, "lstm_backward")
    result = Result(submission="s.ipynb", label="s")
    result.tests = {4: "test_lstm_backward"}
    result.outcomes[4] = Outcome(
        False,
        "UpstreamError",
        "this part calls your `lstm_step_backward` from Part 2, which does not"
        " pass its tests yet: fix Part 2 first.\nPart 2's test says: dc_prev ...",
    )
    limits = {"cell_timeout": 60, "memory_mb": 2048}
    text = result.failure(part, limits)
    assert text.startswith(
        "This part calls your `lstm_step_backward` from Part 2, which does not"
        " pass its tests yet: fix Part 2 first.\nPart 2's test says: dc_prev"
    )
    assert "Once that part passes, this one is tested again." in text
    assert "Fix the solution cell" not in text
    assert result.earned(part) == 0


def test_a_syntax_error_names_the_cell_and_line_not_a_temporary_file():
    from coursekit.notebooks import Part

    part = Part("add_tests", 2, True, "add_solution")
    result = Result(submission="s.ipynb", label="s")
    result.cells = [nbformat.v4.new_code_cell(metadata=_meta("add_solution"))]
    result.tests = {1: "add_tests"}
    result.outcomes[0] = Outcome(
        False, "SyntaxError", "invalid syntax (1063758517.py, line 3)"
    )
    result.outcomes[1] = Outcome(False, "NameError", "name 'add' is not defined")
    text = result.failure(part, {"cell_timeout": 60, "memory_mb": 2048})
    assert text.startswith("The solution cell `add_solution` itself failed")
    assert (
        "SyntaxError: invalid syntax (the solution cell `add_solution`, line 3)"
    ) in text
    assert ".py" not in text and "NameError" not in text


def _meta(gid):
    return {"nbgrader": {"grade_id": gid, "solution": True, "grade": False}}


def _results(*named):
    """Results for (path, source name, status), matched without a kernel."""
    sources = {s.name: s for s in load_sources(SOURCE)}
    return [
        Result(
            submission=path,
            label=path,
            shown=path,
            source=sources.get(exercise),
            status=status,
        )
        for path, exercise, status in named
    ]


def test_roster_adds_a_missing_row_per_student_and_exercise(tmp_path):
    from coursekit import students

    roster_file = tmp_path / "roster.csv"
    roster_file.write_text("student,name\nalice,Alice\nbob,Bob\ncarol,Carol\n")
    roster = students.read_roster(roster_file)
    results = _results(
        ("class/alice/fx01_arithmetic.ipynb", "fx01_arithmetic", "ok"),
        ("class/bob/fx02_strings.ipynb", "fx02_strings", "ok"),
        ("class/dave/fx01_arithmetic.ipynb", "fx01_arithmetic", "ok"),
        ("class/alice/old/fx01_arithmetic.ipynb", "fx01_arithmetic", "timeout"),
    )
    rows = add_students(results, Path("class").absolute(), roster)
    got = {(r.student, r.source.name, r.status) for r in rows}
    assert got == {
        ("alice", "fx01_arithmetic", "ok"),
        ("alice", "fx01_arithmetic", "timeout"),
        ("bob", "fx02_strings", "ok"),
        ("dave", "fx01_arithmetic", "ok"),
        ("alice", "fx02_strings", "missing"),
        ("bob", "fx01_arithmetic", "missing"),
        ("carol", "fx01_arithmetic", "missing"),
        ("carol", "fx02_strings", "missing"),
    }
    assert "student dave is not on the roster" in rows[2].message
    assert rows[0].message == (
        "alice also handed in fx01_arithmetic as class/alice/old/fx01_arithmetic.ipynb"
    )
    missing = [r for r in rows if r.status == "missing"]
    assert all(r.total == 0 and r.message == "no submission" for r in missing)


def test_gradebook_with_a_roster_has_the_students_columns(tmp_path):
    from coursekit import students

    roster_file = tmp_path / "roster.csv"
    roster_file.write_text("student\nalice\nbob\n")
    results = _results(("c/alice/fx01_arithmetic.ipynb", "fx01_arithmetic", "ok"))
    rows = add_students(
        results, Path("c").absolute(), students.read_roster(roster_file)
    )
    out = tmp_path / "gradebook.csv"
    write_gradebook(out, rows, load_sources(SOURCE))
    book = list(csv.DictReader(open(out, encoding="utf-8")))
    assert [(r["student"], r["status"], r["total"]) for r in book] == [
        ("alice", "ok", "0"),
        ("bob", "missing", "0"),
    ]
    assert book[1]["submission"] == "" and book[1]["add_tests"] == "0"
