"""The student's library (coursekit/grading/library.py) built from several
threads of one process at once, as two gradings in threads build it."""

import sys
import threading
from pathlib import Path

import pytest

from coursekit.grading.library import (
    frameworks_used,
    solution_names,
    withheld_names,
    write_student_library,
)
from coursekit.notebooks import read_notebook

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions" / "11_character_language_model_exercises.ipynb"


class Cycle:
    """Garbage whose collection runs Python code (`__del__`), so that the
    interpreter may switch threads in the middle of another's `ast.parse`."""

    def __del__(self):
        sum(range(20))


@pytest.fixture
def eager_thread_switching():
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.skipif(not SOURCE.exists(), reason="solutions/ holds no exercise 11")
def test_four_threads_read_the_exercise_at_once(eager_thread_switching):
    """Without one parse at a time, CPython 3.11 fails here with
    "SystemError: AST constructor recursion depth mismatch" in every run."""
    nb = read_notebook(SOURCE)
    alone = (withheld_names(nb), solution_names(nb), frameworks_used(nb))
    assert "gru_step_forward" in alone[0] and "embedding_forward" in alone[1]
    found, errors = [], []

    def read_it():
        try:
            for _ in range(5):
                for _ in range(300):
                    garbage = Cycle()
                    garbage.cycle = garbage
                found.append(
                    (withheld_names(nb), solution_names(nb), frameworks_used(nb))
                )
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(repr(exc))

    threads = [threading.Thread(target=read_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert found == [alone] * 20


@pytest.mark.skipif(not SOURCE.exists(), reason="solutions/ holds no exercise 11")
def test_two_threads_write_the_same_library(tmp_path, eager_thread_switching):
    nb = read_notebook(SOURCE)
    withheld = withheld_names(nb)
    errors = []

    def write(folder):
        try:
            for _ in range(300):
                garbage = Cycle()
                garbage.cycle = garbage
            write_student_library(folder, withheld)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(repr(exc))

    threads = [threading.Thread(target=write, args=(tmp_path / name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for module in (
        "rnnlib/gru.py",
        "rnnlib/__init__.py",
        "coursekit/checks/__init__.py",
    ):
        a, b = (tmp_path / name / module for name in "ab")
        assert a.read_text() == b.read_text()
    gru = (tmp_path / "a" / "rnnlib" / "gru.py").read_text()
    assert "WithheldReference('gru_step_forward')" in gru
