"""The student's process's sandbox (coursekit/grading/sandbox.py) and the
wire it talks over (coursekit/grading/wire.py), on their own.  The grading
runs that use both are in test_grade.py and test_grade_tampering.py."""

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from grading_runs import require_sandbox

from coursekit import grade
from coursekit.grading import sandbox
from coursekit.grading.peer import Peer, send_message
from coursekit.grading.wire import Opaque, WireError

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def _inside(code: str, tmp_path) -> subprocess.CompletedProcess:
    """Run `code` with this Python in the sandbox the grader makes."""
    library = tmp_path / "lib"
    library.mkdir()
    argv = sandbox.command(library, 0, 16 * 2**20)
    argv = argv[: argv.index("--") + 1] + [sys.executable, "-c", code]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def test_the_sandbox_hides_the_checkout_home_and_network(tmp_path):
    require_sandbox()
    secret = tmp_path / "secret.txt"
    secret.write_text("answers")
    code = (
        "import os, socket\n"
        f"print(os.path.exists({str(secret)!r}), os.path.exists({str(SOLUTIONS)!r}))\n"
        "print(os.getuid(), sorted(os.listdir('/proc'))[:1], os.getcwd())\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
        "    print('network')\n"
        "except OSError:\n"
        "    print('no network')\n"
        "open('/tmp/work/mine', 'w').write('ok')\n"
        "try:\n"
        "    open(os.__file__, 'a')\n"
        "except OSError as e:\n"
        "    print('read-only', e.errno)\n"
    )
    done = _inside(code, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "False False"  # nor the test's folder, nor the solutions
    assert lines[1] == f"{sandbox.USER_ID} ['1'] /tmp/work"  # its own PID 1
    assert lines[2] == "no network"
    assert lines[3].startswith("read-only")


def test_the_sandbox_sees_no_process_outside(tmp_path):
    require_sandbox()
    code = (
        "import os\nprint(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))"
    )
    done = _inside(code, tmp_path)
    pids = eval(done.stdout)  # noqa: S307 -- a list of ints we printed
    assert max(pids) < 10 and os.getpid() not in pids


def test_required_refuses_without_bubblewrap(tmp_path, monkeypatch, capsys):
    sandbox.unavailable_reason.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    try:
        root = Path(__file__).resolve().parents[1]
        args = [
            str(root / "exercises" / "01_forward_propagation_exercises.ipynb"),
            "--source", str(root / "solutions"), "--out", str(tmp_path / "g.csv"),
        ]  # fmt: skip
        assert grade.main([*args, "--isolation", "required"]) == 2
        err = capsys.readouterr().err
        assert "cannot grade in a sandbox: bubblewrap (bwrap) is not installed" in err
        assert "apt install bubblewrap" in err and "dnf install bubblewrap" in err
        assert grade._sandboxed("auto") is False
        assert "run unsandboxed, with your user's rights" in capsys.readouterr().err
        assert grade._sandboxed("off") is False
    finally:
        sandbox.unavailable_reason.cache_clear()


# --------------------------------------------------------------------------
# the wire


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    judge, student = Peer(a), Peer(b)
    thread = threading.Thread(target=_serve, args=(student,), daemon=True)
    thread.start()
    yield judge, student
    a.close()
    b.close()


def _serve(peer):
    while True:
        try:
            header, value = peer.receive()
        except (EOFError, OSError):
            return
        peer.serve_one(header, value)


def _remote(judge, student, fn):
    """fn as the judge sees it: a handle into the student's end."""
    student.scope.function_tag(fn)
    return judge.remote_function(student.scope.function_ids[id(fn)], fn.__name__)


def test_arrays_and_in_place_changes_cross_both_ways(pair):
    judge, student = pair

    def train(params, rng, log):
        params["W"] -= 0.5  # in place: the judge's array changes too
        params["new"] = np.arange(3)
        log.append(rng.integers(0, 100))
        return params["W"], np.float32(1.5)

    params = {"W": np.ones((2, 2))}
    W = params["W"]
    rng, twin = np.random.default_rng(7), np.random.default_rng(7)
    log = []
    got, scalar = _remote(judge, student, train)(params, rng, log)
    assert params["W"] is W and np.array_equal(W, np.full((2, 2), 0.5))
    assert got is W  # the same object came back
    assert np.array_equal(params["new"], [0, 1, 2])
    assert log == [twin.integers(0, 100)]
    assert rng.bit_generator.state == twin.bit_generator.state  # advanced alike
    assert type(scalar) is np.float32 and scalar == 1.5


def test_callbacks_run_where_they_were_made(pair):
    judge, student = pair
    seen = []

    def numerical(f, x):
        x[0] += 1.0
        value = f(x)
        x[0] -= 1.0
        return value

    def f(v):
        seen.append(v.copy())
        return float(v.sum())

    x = np.array([1.0, 2.0])
    assert _remote(judge, student, numerical)(f, x) == 4.0
    assert np.array_equal(seen[0], [2.0, 2.0]) and np.array_equal(x, [1.0, 2.0])


def test_what_is_not_plain_data_arrives_as_opaque(pair):
    judge, student = pair

    class Echo:
        def __eq__(self, other):
            return True

    def cheat():
        return Echo(), np.array([object()], dtype=object)

    echo, objects = _remote(judge, student, cheat)()
    assert isinstance(echo, Opaque) and echo.type_name == "Echo"
    with pytest.raises(TypeError, match="returned a `Echo` object"):
        echo == 1  # noqa: B015
    assert isinstance(objects, Opaque)


def test_a_pickle_or_an_object_array_is_refused():
    a, b = socket.socketpair()
    import io

    buf = io.BytesIO()
    np.save(buf, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    send_message(
        a, {"op": "reply", "payload": ["a", ["m", 0], 0], "sync": []}, [buf.getvalue()]
    )
    with pytest.raises(WireError, match="not a plain npy array"):
        Peer(b).receive()
    send_message(a, {"op": "reply", "payload": ["c", "os", "system"], "sync": []}, [])
    with pytest.raises(WireError, match="unknown kind"):
        Peer(b).receive()


def _raw_header(sock, head: bytes):
    import struct

    sock.sendall(struct.pack(">QI", len(head), 0) + head)


@pytest.mark.parametrize(
    "head, what",
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested 100,000 deep"),
        (b'{"op": ' + b"9" * 5000 + b"}", "an integer of 5,000 digits"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"op": "reply"', "cut short"),
    ],
)
def test_a_header_that_json_cannot_read_is_a_wire_error(head, what):
    """Whatever the student's side sends as a header, the judge sees a
    WireError (which fails the part), never another exception."""
    a, b = socket.socketpair()
    threading.Thread(target=_raw_header, args=(a, head), daemon=True).start()
    with pytest.raises(WireError, match="not a JSON header"):
        Peer(b).receive()
    a.close()
    b.close()


def test_the_judges_handles_end_with_the_call():
    """An object the judge lends for one call (a model) cannot be kept and
    used in a later one: its handle is gone."""
    from coursekit.grading.judge import JudgeSide, StudentError
    from rnnlib.optim import SGD

    a, b = socket.socketpair()
    judge, student = JudgeSide(a), Peer(b)
    threading.Thread(target=_serve, args=(student,), daemon=True).start()
    kept = []

    def keep(optimizer):
        kept.append(optimizer)
        return optimizer.lr  # read in the judge, during the call

    def use():
        return kept[0].lr  # a later call: the handle has expired

    params = {"W": np.ones(2)}
    assert _remote(judge, student, keep)(SGD(params, lr=0.25)) == 0.25
    with pytest.raises(StudentError, match="WireError"):
        _remote(judge, student, use)()
    a.close()
    b.close()


def test_the_forkserver_preloads_what_the_main_module_imports(monkeypatch):
    # every judge process runs the main module again; what that module
    # imports must already be loaded in the forkserver (nbformat's import
    # alone costs about a second), but not the main module itself (runpy
    # would warn that it ran a module already imported)
    import types

    from coursekit import notebooks
    from coursekit.grading import scheduler

    main = types.ModuleType("__main__")
    main.__spec__ = types.SimpleNamespace(name="coursekit.grade")
    main.load_source, main.np, main.grade = notebooks.load_source, np, grade
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert scheduler._main_imports() == ["coursekit.notebooks", "numpy"]

    main.__spec__ = types.SimpleNamespace(name="pytest.__main__")  # not run again
    assert scheduler._main_imports() == []
