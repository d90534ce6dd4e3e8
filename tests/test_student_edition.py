"""The student edition: the course without solutions or hidden tests."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.student_edition import leaks, secrets, write_edition

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
