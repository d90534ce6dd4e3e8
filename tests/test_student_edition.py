"""The student edition: the course without solutions or hidden tests."""

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from coursekit.publishing.student_edition import leaks, secrets, write_edition

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
