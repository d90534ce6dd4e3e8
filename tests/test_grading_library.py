"""The student's library (coursekit/grading/library.py) built from several
threads of one process at once, as two gradings in threads build it."""

import subprocess
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


def _exercise(text: str):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(text)]
    return nb


def test_forbidden_lists_are_read_however_the_test_writes_them():
    nb = _exercise(
        'BASE = ["rnn_forward"]\n'
        'FORBIDDEN = BASE + ["rnnlib.rnn_backward"]\n'
        'FORBIDDEN += [*BASE, "lstm_forward"]\n'
        "check_not_calling(f, FORBIDDEN + ['gru_forward'], args=(1,))\n"
        "check_not_calling(g, forbidden_names=list(('clip_grad_norm',)))\n"
        "check_not_using(h, ('sample_names_reference',))\n"
    )
    assert withheld_names(nb) == {
        "rnn_forward",
        "rnn_backward",
        "lstm_forward",
        "gru_forward",
        "clip_grad_norm",
        "sample_names_reference",
    }


@pytest.mark.parametrize("source", sorted((ROOT / "solutions").glob("*.ipynb")))
def test_every_function_the_learner_writes_is_withheld_where_rnnlib_has_it(source):
    import rnnlib

    nb = read_notebook(source)
    shared = set(solution_names(nb)) & set(dir(rnnlib))
    assert shared <= withheld_names(nb), shared - withheld_names(nb)


def test_a_kernel_only_a_withheld_layer_runs_is_withheld_too(tmp_path):
    """Exercise 11 withholds the GRU layer, so the fast kernels it runs
    (rnnlib.kernels.gru) hold its answer; the public API stays whole."""
    import subprocess

    write_student_library(tmp_path, withheld_names(read_notebook(SOURCE)))
    probe = (
        "import numpy as np, rnnlib\n"
        "from rnnlib.kernels import gru\n"
        "from rnnlib._withheld import WithheldReference\n"
        "x = np.zeros((1, 1, 2)); h = np.zeros((1, 3))\n"
        "try:\n"
        "    gru.gru_forward_time_major(x, h, np.zeros((9, 2)), np.zeros((9, 3)),"
        " np.zeros(9), np.zeros(9))\n"
        "except WithheldReference as exc:\n"
        "    print('withheld', exc)\n"
        "print(rnnlib.sigmoid(np.zeros(1))[0])\n"
    )
    from coursekit.grading.sandbox import package_folders

    path = ":".join([str(tmp_path), *package_folders()])  # -S: no editable finder
    done = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": path, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.split("\n")[:2] == ["withheld gru_forward_time_major", "0.5"], (
        done.stdout + done.stderr
    )


def test_every_module_of_the_checks_is_a_stand_in_for_the_student(tmp_path):
    """A student's cell that imports any check, by the package or one of its
    modules, gets the same names, which say where they run and compute nothing;
    no mistake model or reference is on the student's side."""
    import pkgutil

    import coursekit.checks

    write_student_library(tmp_path, withheld=set())
    modules = [info.name for info in pkgutil.iter_modules(coursekit.checks.__path__)]
    assert "forward_propagation" in modules and "mistakes_attention" in modules
    code = (
        "import importlib, sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "for name in sys.argv[1:]:\n"
        "    m = importlib.import_module('coursekit.checks.' + name)\n"
        "    assert m.__file__.startswith(sys.path[0]), m.__file__\n"
        "    funcs = [v for k, v in vars(m).items() if callable(v) and "
        "not isinstance(v, type) and not k.startswith('_')]\n"
        "    try:\n"
        "        funcs[0]()\n"
        "    except RuntimeError as exc:\n"
        "        print(name, exc)\n"
    )
    shown = [m for m in modules if m != "bytecode"]
    result = subprocess.run(
        [sys.executable, "-I", "-c", code, *shown],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert len(lines) == len(shown), result.stdout
    assert all("runs in the grader" in line for line in lines), lines
    for name in ("mistakes_attention", "mistakes_rnn", "forward_propagation"):
        text = (tmp_path / "coursekit" / "checks" / f"{name}.py").read_text()
        assert "Stand-in for" in text and "np." not in text
    # the module the student's process runs for real stays real
    real = (tmp_path / "coursekit" / "checks" / "bytecode.py").read_text()
    assert real == (ROOT / "coursekit" / "checks" / "bytecode.py").read_text()
