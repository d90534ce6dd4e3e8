"""The exercises as Gradescope autograders (coursekit/gradescope/).

The zips are built as an instructor would; each submission is then graded
by the zip's own run_autograder (`coursekit.gradescope.autograde` behind
it) against a temporary folder laid out as Gradescope's /autograder (the
zip unpacked in source/, the learner's files in submission/), and the
results.json it writes must score every part as `python -m coursekit.grade`
does, with Gradescope's documented fields.  One grading run of each kind
serves the whole module.

Every exercise is submitted correct, blank, partial (its first solution
cell answered), broken (a syntax error in its second solution cell, a
crash in its third), as another exercise's notebook, and cheating (its
first solution cell patches the checks, sets trace hooks and calls rnnlib's
reference); exercise 01 also with the cases of its own below.  Exercise 10
is graded with PyTorch where it is installed (CI) and without it elsewhere,
by the zip and by `coursekit.grade` alike.  The zip's run_autograder grades
one submission per fresh Python, as Gradescope does: exercise 01's cases go
through it.  The other exercises' are graded by what run_autograder runs,
`python -m coursekit.gradescope --autograde`'s own `main`, several roots in
turn per Python (two such Pythons side by side): that skips only the bash
wrapper and a Python's start per submission, which exercise 01's cover,
and keeps the test's time bounded.
"""

import ast
import importlib
import json
import math
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from grading_runs import grade

from coursekit import gradescope
from coursekit.notebooks import grade_id, is_solution, is_test, read_notebook

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
FIRST = "01_forward_propagation_exercises"

# Gradescope's results.json, as its autograder specification documents it
TOP_FIELDS = {
    "score",
    "execution_time",
    "output",
    "output_format",
    "test_output_format",
    "test_name_format",
    "visibility",
    "stdout_visibility",
    "extra_data",
    "tests",
    "leaderboard",
}
TEST_FIELDS = {
    "score",
    "max_score",
    "status",
    "name",
    "name_format",
    "number",
    "output",
    "output_format",
    "tags",
    "visibility",
    "extra_data",
}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}

# Exercise 01, Part 2 wrong (the bias left out): Parts 1 and 3 still score.
NO_BIAS = """\
def rnn_forward(x, h0, W_hx, W_hh, b_h, W_yh, b_y):
    B, T, _ = x.shape
    h_prev = np.zeros((B, W_hh.shape[0])) if h0 is None else h0
    h = np.zeros((B, T, W_hh.shape[0]))
    for t in range(T):
        h_prev = np.tanh(x[:, t] @ W_hx.T + h_prev @ W_hh.T)
        h[:, t] = h_prev
    return h, sigmoid(h @ W_yh.T + b_y)
"""

# Exercise 01 cheated: the checks patched to pass anything, and rnnlib's own
# functions returned as the answers.
CHEATS = {
    "rnn_cell_forward": """\
import coursekit.checks
import rnnlib

coursekit.checks.check_array = lambda *args, **kwargs: None
coursekit.checks.upstream_first = lambda *args, **kwargs: None


def rnn_cell_forward(x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y):
    h_next, _ = rnnlib.rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h)
    return h_next, sigmoid(h_next @ W_yh.T + b_y)
""",
    "rnn_forward": """\
def rnn_forward(x, h0, W_hx, W_hh, b_h, W_yh, b_y):
    h, _ = rnnlib.rnn_forward(x, h0, W_hx, W_hh, b_h)
    return h, sigmoid(h @ W_yh.T + b_y)
""",
    "concat_weights": """\
import coursekit.checks

coursekit.checks.check_array = lambda *args, **kwargs: None


def concat_weights(W_hh, W_hx):
    return np.zeros((1, 1))
""",
    "rnn_step_forward_concat": """\
def rnn_step_forward_concat(x_t, h_prev, W_h, b_h):
    H = h_prev.shape[1]
    return rnnlib.rnn_step_forward(x_t, h_prev, W_h[:, H:], W_h[:, :H], b_h)
""",
}

# Exercise 01 solved, but its first solution cell first reads the autograder's
# source notebook (the hidden tests): as the unprivileged user it cannot.
READS_SOURCE = (
    """\
open({path!r}).read()

"""
    """\
def rnn_cell_forward(x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y):
    h_next = np.tanh(x_t @ W_hx.T + h_prev @ W_hh.T + b_h)
    return h_next, sigmoid(h_next @ W_yh.T + b_y)
"""
)


def replaced(path: Path, sources: dict) -> str:
    """The notebook at `path` with the cells named in `sources` rewritten."""
    nb = read_notebook(path)
    for cell in nb.cells:
        if grade_id(cell) in sources:
            cell.source = sources[grade_id(cell)]
    return nbformat.writes(nb)


# A cheat's solution cell: every check made a no-op, trace and profile hooks
# set, and each function it defines returning rnnlib's reference of that name
# where rnnlib has one (else None): against a grader that ran the tests in the
# learner's process, that passes.
CHEAT = """\
import sys

import coursekit.checks
import rnnlib

for _name in dir(coursekit.checks):
    if _name.startswith("check"):
        setattr(coursekit.checks, _name, lambda *args, **kwargs: None)
sys.settrace(lambda frame, event, arg: None)
sys.setprofile(lambda frame, event, arg: None)
"""
# Syntax that no Python parses, and a line that crashes when its cell runs.
SYNTAX_ERROR = "\n\ndef unfinished(:\n    pass\n"
CRASH = "1 / 0  # the cell stops here: nothing below it is defined\n\n"
# run_autograder's Python, for several roots in turn (see the module's text)
IN_TURN = """\
import os, sys
from coursekit import gradescope

for root in sys.argv[1:]:
    os.environ[gradescope.ROOT_VARIABLE] = root
    os.chdir(root)
    gradescope.main(["--autograde", "--student-user", gradescope.STUDENT_USER])
"""


def solution_sources(path: Path) -> dict[str, str]:
    """{grade_id: source} of the solution cells of `path`, in order."""
    nb = read_notebook(path)
    return {grade_id(c): c.source for c in nb.cells if is_solution(c)}


def first_tests(path: Path, count: int) -> list[str]:
    """The grade_ids of the test cells that follow the first `count`
    solution cells of `path` (the parts those cells answer)."""
    tests, seen = [], 0
    for cell in read_notebook(path).cells:
        if is_solution(cell):
            seen += 1
        elif is_test(cell) and 0 < seen <= count and grade_id(cell) not in tests:
            tests.append(grade_id(cell))
    return tests


def answered_functions(path: Path) -> tuple[str, ...]:
    """The functions the first solution cell of `path` defines (a partial
    submission's answers)."""
    first = next(c for c in read_notebook(path).cells if is_solution(c))
    tree = ast.parse(first.source)
    return tuple(n.name for n in tree.body if isinstance(n, ast.FunctionDef))


def reference_module(name: str) -> str | None:
    """The rnnlib module that defines `name` (rnnlib itself first), if any."""
    import rnnlib

    modules = ["rnnlib"] + [
        m.name for m in pkgutil.walk_packages(rnnlib.__path__, "rnnlib.")
    ]
    for module in modules:
        if callable(getattr(importlib.import_module(module), name, None)):
            return module
    return None


def cheat_cell(source: str) -> str:
    """CHEAT, then each function `source` defines, faked."""
    import ast

    lines = [CHEAT]
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        module = reference_module(node.name)
        if module and module != "rnnlib":
            lines.append(f"import {module}\n")
        answer = f"{module}.{node.name}(*args, **kwargs)" if module else "None"
        lines.append(f"\ndef {node.name}(*args, **kwargs):\n    return {answer}\n")
    return "\n".join(lines)


def kinds_of(path: Path) -> dict[str, str]:
    """{kind: notebook text} of the partial, broken, wrong-exercise and
    cheating submissions of the exercise whose solution is `path`."""
    solution = solution_sources(path)
    first, second, third = list(solution)[:3]
    index = SOLUTIONS.index(path)
    return {
        "partial": replaced(ROOT / "exercises" / path.name, {first: solution[first]}),
        "broken": replaced(
            path,
            {second: solution[second] + SYNTAX_ERROR, third: CRASH + solution[third]},
        ),
        # the exercise before it (exercise 12's for 01), under this one's name
        "wrong-exercise": SOLUTIONS[index - 1].read_text(),
        "cheating": replaced(path, {first: cheat_cell(solution[first])}),
    }


def check_fields(data: dict) -> None:
    """Assert that `data` is a results.json as Gradescope documents it."""
    json.dumps(data, allow_nan=False)  # plain JSON: no NaN or Infinity
    assert set(data) <= TOP_FIELDS, set(data) - TOP_FIELDS
    assert isinstance(data["score"], int | float) and math.isfinite(data["score"])
    assert isinstance(data["output"], str) and data["output"]
    for key in ("output_format", "test_output_format"):
        assert data.get(key, "text") in FORMATS
    assert isinstance(data.get("execution_time", 0), int)
    assert isinstance(data["tests"], list)
    for test in data["tests"]:
        assert set(test) <= TEST_FIELDS, set(test) - TEST_FIELDS
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["number"], str)
        assert isinstance(test["output"], str) and test["output"]
        assert 0 <= test["score"] <= test["max_score"]
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in VISIBILITIES
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))


def part_scores(data: dict) -> dict[str, float]:
    """{grade_id: score} of a results.json (a test's name starts with it)."""
    return {t["name"].split(" ")[0]: t["score"] for t in data["tests"]}


def unpack(zip_path: Path, root: Path, files: dict) -> Path:
    """An /autograder folder: the zip in source/, `files` in submission/."""
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
    (root / "submission").mkdir()
    for name, text in files.items():
        (root / "submission" / name).write_text(text, encoding="utf-8")
    return root


pytestmark = pytest.mark.skipif(
    not SOLUTIONS, reason="solutions/ holds no exercise notebook yet"
)


@pytest.fixture(scope="module")
def zips(tmp_path_factory):
    out = tmp_path_factory.mktemp("zips")
    assert gradescope.main([str(out), "--source", str(ROOT / "solutions")]) == 0
    return {path.stem: out / path.stem / "autograder.zip" for path in SOLUTIONS}


def submissions() -> dict[str, tuple[str, dict]]:
    """{case: (exercise, {file name in submission/: text})}."""
    solution = ROOT / "solutions" / f"{FIRST}.ipynb"
    exercise = ROOT / "exercises" / f"{FIRST}.ipynb"
    cases = {
        "correct": (FIRST, {"notebook.ipynb": solution.read_text()}),
        "partial": (
            FIRST,
            {
                # a stray notebook beside it: the one named like the exercise wins
                "scratch.ipynb": (ROOT / "exercises" / SOLUTIONS[1].name).read_text(),
                f"alice_{FIRST}.ipynb": replaced(solution, {"rnn_forward": NO_BIAS}),
            },
        ),
        "blank": (FIRST, {f"{FIRST}.ipynb": exercise.read_text()}),
        "broken": (FIRST, {f"{FIRST}.ipynb": '{"cells": [ this is not JSON'}),
        "wrong-exercise": (FIRST, {f"{FIRST}.ipynb": SOLUTIONS[1].read_text()}),
        "cheating": (FIRST, {"mine.ipynb": replaced(solution, CHEATS)}),
        "no-notebook": (FIRST, {"answers.py": "print('hello')\n"}),
    }
    return cases


def graded_in_turn() -> dict[str, tuple[str, dict]]:
    """{"<kind> <exercise>": (exercise, files)}: the correct, blank,
    partial, broken, wrong-exercise and cheating submissions of exercises
    02-12."""
    cases = {}
    for path in SOLUTIONS[1:]:
        blank = ROOT / "exercises" / path.name
        cases[f"correct {path.stem}"] = (
            path.stem,
            {"submitted.ipynb": path.read_text()},
        )
        cases[f"blank {path.stem}"] = (path.stem, {path.name: blank.read_text()})
        for kind, text in kinds_of(path).items():
            cases[f"{kind} {path.stem}"] = (path.stem, {path.name: text})
    return cases


@pytest.fixture(scope="module")
def through_run_autograder(zips, tmp_path_factory):
    """{case: results.json} of exercise 01's submissions, each through the
    zip's own run_autograder in a fresh Python, two at a time."""
    base = tmp_path_factory.mktemp("autograder")
    cases = submissions()
    roots = {
        case: unpack(zips[exercise], base / f"case{i}", files)
        for i, (case, (exercise, files)) in enumerate(cases.items())
    }

    def grade(case):
        env = {**os.environ, gradescope.ROOT_VARIABLE: str(roots[case])}
        env[gradescope.PYTHON_VARIABLE] = sys.executable
        script = roots[case] / "source" / "run_autograder"
        done = subprocess.run(
            ["bash", str(script)], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-2000:]
        results = roots[case] / "results" / "results.json"
        return case, json.loads(results.read_text())

    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(grade, cases))


@pytest.fixture(scope="module")
def in_turn(zips, tmp_path_factory):
    """{case: results.json} of the other exercises' submissions, graded by
    two Pythons side by side, each taking every other one in turn."""
    base = tmp_path_factory.mktemp("in-turn")
    cases = graded_in_turn()
    roots = [
        unpack(zips[exercise], base / f"case{i}", files)
        for i, (exercise, files) in enumerate(cases.values())
    ]
    pythons = [
        subprocess.Popen(
            [sys.executable, "-c", IN_TURN, *map(str, roots[half::2])],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for half in (0, 1)
    ]
    for python in pythons:
        _, errors = python.communicate(timeout=3600)
        assert python.returncode == 0, errors[-2000:]
    return {
        case: json.loads((root / "results" / "results.json").read_text())
        for case, root in zip(cases, roots, strict=True)
    }


@pytest.fixture(scope="module")
def autograded(through_run_autograder, in_turn):
    """{case: results.json} of every submission."""
    return {**through_run_autograder, **in_turn}


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    """coursekit.grade's rows of the same notebooks (those it can match)."""
    subs = tmp_path_factory.mktemp("class")
    folders = {}
    every = {**submissions(), **graded_in_turn()}
    for i, (case, (exercise, files)) in enumerate(every.items()):
        if case in ("broken", "wrong-exercise", "no-notebook"):
            continue
        name = next(n for n in files if n != "scratch.ipynb")
        folders[f"student{i}"] = case
        (subs / f"student{i}").mkdir()
        path = subs / f"student{i}" / f"{exercise}.ipynb"
        path.write_text(files[name], encoding="utf-8")
    rows = grade([subs], subs.parent / "gradebook.csv", timeout=2400)
    return {folders[Path(r["submission"]).parent.name]: r for r in rows}


def test_each_zip_holds_the_scripts_the_course_and_only_its_exercise(zips):
    assert set(zips) == {p.stem for p in SOLUTIONS}
    for exercise, path in zips.items():
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
            scripts = {
                n: archive.read(n).decode() for n in ("setup.sh", "run_autograder")
            }
        assert {"setup.sh", "run_autograder", "course/pyproject.toml"} <= names
        assert "course/rnnlib/__init__.py" in names
        assert "course/coursekit/grading/judge.py" in names
        assert "course/coursekit/gradescope/__main__.py" in names
        assert "course/coursekit/gradescope/container.py" in names
        assert [n for n in names if n.endswith(".ipynb")] == [
            f"exercise/{exercise}.ipynb"
        ]
        assert not any("__pycache__" in n or "solutions/" in n for n in names)
        with zipfile.ZipFile(path) as archive:
            known = json.loads(archive.read(gradescope.EXERCISES_FILE))
        assert set(known) == set(zips) and "test_rnn_forward" in known[FIRST]
        assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
        for name, text in scripts.items():
            syntax = subprocess.run(
                ["bash", "-n"], input=text, capture_output=True, text=True
            )
            assert syntax.returncode == 0, (name, syntax.stderr)
        setup = scripts["setup.sh"]
        assert "apt-get install -y --no-install-recommends bubblewrap" in setup
        # Python 3.11+ by its full name; the system python3 is left alone
        assert '"python$version" "python$version-venv"' in setup
        assert "for version in 3.13 3.12 3.11" in setup
        assert "update-alternatives" not in setup
        assert "useradd --system --no-create-home" in setup
        assert 'chmod -R go-rwx "$SOURCE"' in setup
        assert "--student-user coursekit-student" in scripts["run_autograder"]


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="no shellcheck here")
def test_the_scripts_pass_shellcheck(zips, tmp_path):
    with zipfile.ZipFile(zips[FIRST]) as archive:
        archive.extractall(tmp_path, members=["setup.sh", "run_autograder"])
    done = subprocess.run(
        ["shellcheck", "setup.sh", "run_autograder"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout


def test_building_is_reproducible(zips, tmp_path):
    source = ROOT / "solutions" / f"{FIRST}.ipynb"
    again = tmp_path / "autograder.zip"
    gradescope.write_autograder(again, source)
    assert again.read_bytes() == zips[FIRST].read_bytes()


def test_misuse_of_the_command_line_exits_2(tmp_path, capsys):
    for argv in ([], [str(tmp_path), "99_nothing"], ["--autograde", str(tmp_path)]):
        with pytest.raises(SystemExit) as exit_:
            gradescope.main(argv)
        assert exit_.value.code == 2
    assert "no exercise '99_nothing'" in capsys.readouterr().err


def test_run_autograder_grades_exercise_01s_submissions(through_run_autograder):
    assert set(through_run_autograder) == set(submissions())
    for case, data in through_run_autograder.items():
        check_fields(data)
        assert data["tests"], case


# Grading 66 submissions, then again with coursekit.grade, takes longer than
# pyproject.toml's 900 s per test on a busy 2-core machine.
@pytest.mark.timeout(2400)
def test_every_results_json_has_gradescopes_fields(autograded):
    for case, data in autograded.items():
        check_fields(data)
        assert data["tests"], case  # every part listed, graded or not


@pytest.mark.timeout(2400)
def test_scores_equal_the_course_graders_part_by_part(autograded, gradebook):
    assert set(gradebook) == set(autograded) - {
        "broken",
        "wrong-exercise",
        "no-notebook",
    }
    for case, row in gradebook.items():
        data = autograded[case]
        if case.startswith("wrong-exercise "):
            # the grader leaves another exercise's parts blank: 0 here
            assert row["status"] == "invalid-notebook", case
            assert not any(row.get(gid) for gid in part_scores(data)), case
            assert float(row["total"]) == data["score"] == 0, case
            continue
        expected = {
            gid: float(row[gid])
            for gid in part_scores(data)
            if row.get(gid) not in (None, "")
        }
        assert part_scores(data) == expected, case
        assert data["score"] == float(row["total"]), case
        assert data["extra_data"]["status"] == row["status"], case


def unwritten(output: str, answered: tuple[str, ...] = ()) -> bool:
    """The feedback of a part left blank: "Not done yet", or, where the part
    builds on an earlier one that is blank too, "fix Part N (`fn`) first"
    (coursekit.checks.upstream) naming a function not among `answered`."""
    if "Not done yet" in output:
        return True
    named = re.search(r"fix Part \d+ \(`(\w+)`\) first", output)
    return bool(named) and named.group(1) not in answered


def test_correct_scores_full_marks_and_blank_zero(autograded):
    for case, data in autograded.items():
        maximum = sum(t["max_score"] for t in data["tests"])
        if case.startswith("correct"):
            assert data["score"] == maximum > 0, (case, data["output"])
            assert all(t["output"] == "Passed." for t in data["tests"])
        elif case.startswith("blank"):
            assert data["score"] == 0, case
            assert all(unwritten(t["output"]) for t in data["tests"]), case


def test_every_exercise_partial_scores_only_its_answered_part(autograded):
    for path in SOLUTIONS[1:]:
        data = autograded[f"partial {path.stem}"]
        (answered,) = first_tests(path, 1)
        scores = part_scores(data)
        full = {t["name"].split(" ")[0]: t["max_score"] for t in data["tests"]}
        assert scores[answered] == full[answered] > 0, (path.stem, data["output"])
        assert data["score"] == full[answered], path.stem
        for test in data["tests"]:
            if not test["name"].startswith(answered + " "):
                assert unwritten(test["output"], answered_functions(path)), test


def test_every_exercise_broken_loses_the_broken_parts_only(autograded):
    for path in SOLUTIONS[1:]:
        data = autograded[f"broken {path.stem}"]
        assert data["extra_data"]["status"] == "ok", (path.stem, data["output"])
        first, second, third = first_tests(path, 3)
        scores = part_scores(data)
        tests = {t["name"].split(" ")[0]: t for t in data["tests"]}
        assert scores[first] == tests[first]["max_score"], path.stem
        assert scores[second] == scores[third] == 0, path.stem
        assert "SyntaxError" in tests[second]["output"], tests[second]
        assert "ZeroDivisionError" in tests[third]["output"], tests[third]


def test_every_exercise_submitted_as_another_scores_zero(autograded):
    for index, path in enumerate(SOLUTIONS[1:], start=1):
        data = autograded[f"wrong-exercise {path.stem}"]
        check_fields(data)
        assert data["score"] == 0, path.stem
        assert (
            f"is the notebook of exercise {SOLUTIONS[index - 1].stem}, and this "
            f"assignment is {path.stem}"
        ) in data["output"]
        assert all(t["output"].startswith("Not graded") for t in data["tests"])


def test_every_exercise_cheating_scores_zero_for_the_faked_part(autograded):
    for path in SOLUTIONS[1:]:
        data = autograded[f"cheating {path.stem}"]
        assert data["extra_data"]["status"] == "ok", (path.stem, data["output"])
        faked = first_tests(path, 1)
        tests = {t["name"].split(" ")[0]: t for t in data["tests"]}
        for gid in faked:
            assert tests[gid]["score"] == 0, (path.stem, tests[gid])
            assert tests[gid]["status"] == "failed", (path.stem, tests[gid])


def test_partial_scores_the_parts_that_pass_and_names_what_to_fix(autograded):
    data = autograded["partial"]
    assert part_scores(data) == {
        "test_rnn_cell_forward": 2.0,
        "test_rnn_forward": 0.0,
        "test_concat_weights": 1.0,
        "test_rnn_step_forward_concat": 2.0,
    }
    failed = next(t for t in data["tests"] if t["name"].startswith("test_rnn_forward"))
    assert failed["output"].startswith(
        "A check failed: h (B=2, T=5, D=3, H=4, O=3) is not right."
    )
    assert "Fix the solution cell `rnn_forward`" in failed["output"]
    assert failed["name"] == "test_rnn_forward (Part 2 — The whole sequence)"
    assert f"alice_{FIRST}.ipynb was graded (scratch.ipynb not)" in data["output"]


def test_cheating_scores_zero_and_says_why(autograded):
    data = autograded["cheating"]
    assert data["extra_data"]["status"] == "ok", data["output"]  # it was judged
    assert data["score"] == 0
    assert all(t["score"] == 0 for t in data["tests"])
    outputs = " ".join(t["output"] for t in data["tests"])
    assert "uses rnnlib's rnn_step_forward" in outputs


def test_unreadable_or_wrong_notebooks_score_zero_and_say_why(autograded):
    broken = autograded["broken"]
    assert broken["score"] == 0
    assert broken["extra_data"]["status"] == "invalid-notebook"
    assert "not a notebook" in broken["output"] or "JSON" in broken["output"]
    wrong = autograded["wrong-exercise"]
    assert wrong["score"] == 0
    assert (
        f"is the notebook of exercise {SOLUTIONS[1].stem}, and this assignment "
        f"is {FIRST}"
    ) in wrong["output"]
    missing = autograded["no-notebook"]
    assert missing["score"] == 0
    assert "No notebook (.ipynb file)" in missing["output"]
    assert "answers.py" in missing["output"]
    for data in (broken, wrong, missing):
        assert all(t["output"].startswith("Not graded") for t in data["tests"])


def test_hidden_tests_show_after_publishing(autograded):
    hidden = gradescope.hidden_parts(read_notebook(SOLUTIONS[0]))
    assert hidden  # exercise 01 has hidden tests
    for test in autograded["correct"]["tests"]:
        gid = test["name"].split(" ")[0]
        expected = "after_published" if gid in hidden else "visible"
        assert test["visibility"] == expected


def run_autograder(script, env):
    """Run the zip's run_autograder script; its results.json, checked for
    Gradescope's fields (the script must exit 0 whatever happens)."""
    done = subprocess.run(["bash", str(script)], env=env, capture_output=True)
    assert done.returncode == 0
    data = json.loads((script.parents[1] / "results" / "results.json").read_text())
    check_fields(data)
    return data


def test_run_autograder_always_writes_a_result(zips, tmp_path):
    root = unpack(zips[FIRST], tmp_path / "autograder", {"a.ipynb": "{}"})
    script = root / "source" / "run_autograder"
    env = {**os.environ, gradescope.ROOT_VARIABLE: str(root)}
    env[gradescope.PYTHON_VARIABLE] = str(tmp_path / "no-such-python")
    data = run_autograder(script, env)
    assert data["score"] == 0
    assert "could not start (exit status 127)" in data["output"]
    # and when grading itself fails (here: a corrupt source), Python says so
    (root / "source" / "exercise" / f"{FIRST}.ipynb").write_text("{")
    (root / "results" / "results.json").unlink()
    env[gradescope.PYTHON_VARIABLE] = sys.executable
    data = run_autograder(script, env)
    assert data["score"] == 0
    assert "The autograder failed while grading" in data["output"]


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another user needs root")
def test_unsandboxed_as_root_the_students_code_runs_as_the_unprivileged_user(
    zips, tmp_path
):
    """As in a container without user namespaces: the learner's code runs as
    `nobody`, which cannot read the source notebook (the hidden tests)."""
    root = tmp_path / "autograder"
    source = root / "source" / "exercise" / f"{FIRST}.ipynb"
    solution = ROOT / "solutions" / f"{FIRST}.ipynb"
    text = replaced(
        solution, {"rnn_cell_forward": READS_SOURCE.format(path=str(source))}
    )
    unpack(zips[FIRST], root, {"notebook.ipynb": text})
    os.chmod(root, 0o700)
    # a Python that user can run (this one may lie in a private folder, as
    # pyenv's below /root), of this one's version for this one's packages
    python = Path("/usr/bin/python{}.{}".format(*sys.version_info[:2]))
    if not python.exists():
        pytest.skip(f"no {python}: a Python the unprivileged user can run")
    site = [p for p in sys.path if p.endswith("site-packages")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *site])}
    code = (
        "import sys; from pathlib import Path; from coursekit import gradescope; "
        "gradescope.autograde(Path(sys.argv[1]), isolation='off', "
        "student_user='nobody')"
    )
    done = subprocess.run(
        [str(python), "-c", code, str(root)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads((root / "results" / "results.json").read_text())
    check_fields(data)
    assert data["extra_data"]["status"] == "ok", data["output"]
    assert "PermissionError: [Errno 13]" in data["tests"][0]["output"]
    # Parts 1 and 2 (which calls Part 1's function) fail, Part 3 passes
    assert part_scores(data) == {
        "test_rnn_cell_forward": 0.0,
        "test_rnn_forward": 0.0,
        "test_concat_weights": 1.0,
        "test_rnn_step_forward_concat": 2.0,
    }
