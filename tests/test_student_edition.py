"""The student edition: the course without solutions or hidden tests."""

import ast
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from coursekit.publishing.student_edition import (
    answer_leaks,
    answer_lines,
    leaks,
    secrets,
    write_edition,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("edition") / "course"
    write_edition(out)
    return out


def test_edition_has_no_solutions_folder_and_keeps_the_course(edition):
    assert not (edition / "solutions").exists()
    for kept in ("notebooks", "exercises", "rnnlib", "docs", "Makefile"):
        assert (edition / kept).exists(), kept
    ours = sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb"))
    theirs = sorted(p.name for p in (edition / "exercises").glob("*.ipynb"))
    assert theirs == ours and ours


def test_edition_holds_no_solution_or_hidden_test_marker(edition):
    for path in edition.rglob("*.ipynb"):
        if "fixtures" in path.parts:  # the grader's own test notebooks
            continue
        text = "\n".join(
            "".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]
        )
        for marker in ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION"):
            assert marker not in text, f"{path.relative_to(edition)}: {marker}"


def test_edition_holds_no_line_of_a_hidden_test(edition):
    hidden, blocks = secrets(ROOT / "solutions")
    assert len(hidden) > 50 and len(blocks) > 10  # the solutions have both
    assert leaks(edition, hidden, blocks) == []


def test_a_hidden_test_copied_into_an_exercise_is_caught(edition, tmp_path):
    hidden, blocks = secrets(ROOT / "solutions")
    line = sorted(hidden)[0]
    leaked = tmp_path / "exercises" / "leak.md"
    leaked.parent.mkdir()
    leaked.write_text(f"Some text\n    {line}\n")
    assert leaks(tmp_path, hidden, blocks) == [("exercises/leak.md", line)]


def test_the_code_that_reads_the_solutions_is_left_out(edition):
    """Tests and benchmarks that read solutions/ quote the solutions' lines
    (a mistake is built from the right line): they stay with the solutions,
    and so does a test that runs one of them."""
    for gone in (
        "tests/test_hints.py",  # quotes the solution lines the hints give
        "tests/test_named_mistakes.py",  # edits the solutions' lines
        "tests/test_course_grading.py",
        "benchmarks/gradient_tolerance.py",  # reads every solution
        "tests/test_gradient_policy.py",  # runs gradient_tolerance
    ):
        assert (ROOT / gone).exists(), gone
        assert not (edition / gone).exists(), gone
    for kept in ("tests/test_rnn.py", "tests/test_lstm.py", "benchmarks/bench_rnn.py"):
        assert (edition / kept).exists(), kept


# one characteristic line of each reference of coursekit/answers
REFERENCE_LINES = (
    "n = np.tanh(a_xn + (r * h_prev) @ W_h[n_block].T + b_h[n_block])",
    'tokens += mask[:, 1:].sum() if tokens_counted == "predicted" else mask.sum()',
    'h = np.tanh(p["W_emb"][token] @ p["W_hx"].T + h_prev @ p["W_hh"].T + p["b_h"])',
    "summed = (q @ W_q.T)[:, :, None, :] + (k @ W_k.T)[:, None, :, :]",
    "e = q @ W_a @ k.transpose(0, 2, 1)",
    'e = np.tanh((query @ p["W_q"].T)[:, None, :] + keys @ p["W_k"].T + b_a) @ p["v"]',
    "return ((5 + length) / 6) ** alpha",
    "k: g * (max_norm / norms[k]) if norms[k] > max_norm else g.copy()",
    "return h_next, _sigmoid(h_next @ W_yh.T + b_y)",
)


def _texts(folder):
    for path in sorted(Path(folder).rglob("*")):
        if path.suffix in (".py", ".ipynb", ".md", ".json") and path.is_file():
            yield path, path.read_text(encoding="utf-8")


def test_edition_holds_no_reference_of_a_graded_variant(edition):
    assert not (edition / "coursekit" / "answers").exists()
    assert (edition / "coursekit" / "checks" / "recorded" / "attention.json").exists()
    sources = sorted((ROOT / "coursekit" / "answers").glob("[!_]*.py"))
    names = {
        node.name
        for path in sources
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    }
    assert {"gru_step_reference", "beam_search_reference"} <= names
    everything = "\n".join(text for _, text in _texts(ROOT / "coursekit" / "answers"))
    for line in REFERENCE_LINES:
        assert line in everything, line  # each is a line of the answers
    for path, text in _texts(edition):
        where = path.relative_to(edition)
        for name in names:
            assert f"def {name}(" not in text, f"{where}: def {name}"
        for line in REFERENCE_LINES:
            assert line not in text, f"{where}: {line}"
    lines = answer_lines()
    assert len(lines) > 100
    assert answer_leaks(edition, lines) == []


def test_a_reference_copied_into_the_checks_is_caught(tmp_path):
    copied = tmp_path / "coursekit" / "checks" / "helper.py"
    copied.parent.mkdir(parents=True)
    copied.write_text(
        "def f(r, h_prev, a_xn, W_h, b_h, n_block):\n    " + REFERENCE_LINES[0]
    )
    assert answer_leaks(tmp_path, answer_lines()) == [
        ("coursekit/checks/helper.py", REFERENCE_LINES[0])
    ]


VISIBLE_11 = """
import sys, warnings
import nbformat
import coursekit

assert coursekit.__file__.startswith(sys.argv[1]), coursekit.__file__
ns = {}
for cell in nbformat.read(sys.argv[2], as_version=4).cells:
    if cell.cell_type == "code":
        source = cell.source.split("### BEGIN HIDDEN TESTS")[0]
        source = source.replace(*sys.argv[3:5])  # a mistake, or none
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(source, "<cell>", "exec"), ns)
        except Exception as err:
            print(f"{type(err).__name__}: {err}")
            break
"""


def _visible_11(edition, old="", new=""):
    """Run exercise 11 with its solutions and visible tests (a line of the
    solutions replaced) in a Python that imports the edition's coursekit."""
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            VISIBLE_11,
            str(edition),
            str(ROOT / "solutions" / "11_character_language_model_exercises.ipynb"),
            old,
            new,
        ],
        cwd=edition,
        env={**os.environ, "PYTHONPATH": str(edition)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


def test_exercise_11s_visible_tests_run_in_the_edition_on_its_recordings(edition):
    out = _visible_11(edition)
    for part in range(1, 7):
        assert f"Part {part}: the visible tests pass." in out, out[-2000:]
    assert "Error" not in out, out[-2000:]
    out = _visible_11(
        edition,
        "h_next = (1 - z) * n + z * h_prev",
        "h_next = z * n + (1 - z) * h_prev",
    )
    assert "Part 2: the visible tests pass." in out
    assert "AssertionError: h_next (B=2, D=3, H=4) is not right." in out
    assert "This is exactly what you get with z and 1 - z swapped" in out


def test_edition_readme_says_what_it_is(edition):
    assert (edition / "README.md").read_text().startswith("> **Student edition.**")


def test_a_non_empty_folder_is_refused_and_left_as_it_was(tmp_path):
    mine = tmp_path / "notes.txt"
    mine.write_text("a learner's notes")
    with pytest.raises(FileExistsError, match="not empty"):
        write_edition(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert mine.read_text() == "a learner's notes"


def test_edition_tests_collect_without_solutions(edition):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests",
        ],
        cwd=edition,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "error" not in run.stdout.lower().splitlines()[-1], run.stdout[-500:]


# --------------------------------------------------------------------------
# A checkout with class data inside: none of it is published


def _git(cwd, *args):
    return subprocess.run(
        ["git", "-c", "user.name=Course", "-c", "user.email=course@example.org",
         *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


@pytest.fixture
def checkout(tmp_path):
    """A fresh repository holding the course's last commit, and an
    instructor's grading folder laid inside it as class data: a Canvas
    roster, a gradebook, feedback and the class's notebooks (one solved)."""
    repo = tmp_path / "course"
    repo.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "HEAD"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(repo)], input=archive, check=True)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "course")
    grading = repo / "grading"
    login = f"s{uuid.uuid4().hex[:12]}"  # found in no file of the course
    (grading / "submissions" / "alice").mkdir(parents=True)
    (grading / "feedback" / "alice").mkdir(parents=True)
    (grading / "roster.csv").write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section\n"
        f'"Smith, Alice",12345,{login}0,{login},A\n'
    )
    (grading / "gradebook.csv").write_text(
        "submission,student,total,max_total,status\n"
        f"submissions/alice/01.ipynb,{login},8,8,ok\n"
    )
    (grading / "feedback" / "alice" / "01.md").write_text(
        f"# Feedback: {login}/01\n\nScore: 8 / 8\n"
    )
    solved = ROOT / "solutions" / "01_forward_propagation_exercises.ipynb"
    shutil.copy(solved, grading / "submissions" / "alice" / solved.name)
    return repo, login


def _edition(repo, out):
    return subprocess.run(
        [sys.executable, "-m", "coursekit.publishing.student_edition", str(out), "--root",
         str(repo)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_class_data_in_the_checkout_is_never_published(checkout, tmp_path):
    checkout, login = checkout
    out = tmp_path / "build" / "student-edition"
    run = _edition(checkout, out)
    assert run.returncode == 0, run.stdout + run.stderr
    assert not (out / "grading").exists()
    published = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    committed = set(_git(checkout, "ls-files").split())
    assert published <= committed and len(published) > 100
    hits = [
        p
        for p in out.rglob("*")
        if p.is_file() and login in p.read_text(errors="replace")
    ]
    assert not hits, hits[:3]
    assert "not published (not tracked by git): grading/feedback/alice/01.md" in (
        run.stderr
    )


def test_an_uncommitted_edit_is_not_published(checkout, tmp_path):
    checkout, _ = checkout
    readme = checkout / "docs" / "learner_guide.md"
    readme.write_text(readme.read_text() + "\nA line not committed yet.\n")
    out = tmp_path / "edition"
    run = _edition(checkout, out)
    assert run.returncode == 0, run.stderr
    assert (
        "A line not committed yet." not in (out / "docs/learner_guide.md").read_text()
    )
    assert "changed since the last commit): docs/learner_guide.md" in run.stderr


@pytest.mark.parametrize(
    "committed, why",
    [
        ("grading/roster.csv", "class data: a roster or gradebook (SIS User ID, SIS Login ID)"),
        ("grading/gradebook.csv", "class data: a roster or gradebook (student, submission)"),
        ("grading/feedback/alice/01.md", "class data: a feedback report"),
        ("grading/submissions/alice/01_forward_propagation_exercises.ipynb",
         "solution: "),
    ],
)  # fmt: skip
def test_committed_class_data_is_refused_and_nothing_is_left(
    checkout, tmp_path, committed, why
):
    checkout, _ = checkout
    _git(checkout, "add", "--force", committed)  # gradebook*.csv is ignored
    _git(checkout, "commit", "-q", "-m", "oops")
    build = tmp_path / "build"
    run = _edition(checkout, build / "student-edition")
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"{committed}: {why}" in run.stderr
    assert "nothing was written" in run.stderr
    assert list(build.iterdir()) == []  # no edition, no half-written folder
