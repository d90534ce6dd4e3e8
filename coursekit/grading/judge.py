"""One submission, judged: its code runs in the student's process, its tests
here.

The judge walks the notebook (the submission with the source's test and
locked cells restored, `coursekit.grading.matching`) cell by cell:

- a given cell (locked, from the source) runs in the student's process and
  here, so both ends have the data helpers it defines;
- a solution cell, or any cell the learner added, runs only in the
  student's process (`coursekit.grading.student`, in the sandbox);
- a graded test cell, hidden tests included, runs only here, with the
  course's own code.  Each name the source's solution cells define is
  bound to what the student's process holds under that name: a function
  becomes a `StudentFunction` (calling it sends plain-data arguments over
  and brings the result back, `coursekit.grading.wire`), plain data is
  copied.  The judge never runs the learner's code and never unpickles.

A cell has `cell_timeout` seconds of the student's time; past it, the
student's process is killed, started again and given the cells it ran
before (the stuck one left out), and the rest of the notebook goes on.
Memory: RLIMIT_AS on the student's process (a MemoryError there) and a
guard on the resident memory of all it started.

Every executed cell is reported to the grader through `conn`, as
("kernel", pid) when the student's process is ready, ("start", index),
("cell", index, ok, ename, evalue), ("restarted", index) and at the end
("done", status, message).
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from coursekit.checks.hidden import values_withheld
from coursekit.checks.own_work import not_calling_message
from coursekit.grading import sandbox
from coursekit.grading.peer import Peer, RemoteError
from coursekit.grading.wire import RemoteFunction, WireError, is_rnnlib_object
from coursekit.notebooks import cell_pieces

TIMEOUT_ENAME = "CellTimeout"  # the error a cell gets when it ran too long
STARTUP_LIMIT = 120  # seconds for the student's process to be ready
SCRATCH_LIMIT = 256 * 2**20  # bytes the student's process may write (in /tmp)
MAX_PROCESSES = 32  # processes the student's code may run at once
STUCK_EVALUE = "it ran too long and was stopped; the cells above it ran again"


class StudentError(Exception):
    """The learner's code raised (in the student's process)."""

    def __init__(self, info: dict):
        self.ename, self.where = info["ename"], info.get("where")
        self.evalue = info["evalue"]
        where = f" ({self.where})" if self.where else ""
        super().__init__(f"your code raised {self.ename}: {self.evalue}{where}")


class StudentDied(Exception):
    """The student's process ended (it exited, crashed or was killed)."""


class StudentFunction(RemoteFunction):
    """A function of the learner's, called from a test cell."""

    remote = True  # coursekit.checks.own_work.is_remote

    def __call__(self, *args, **kwargs):
        peer = self._peer
        peer.callback_error = None
        try:
            return super().__call__(*args, **kwargs)
        except RemoteError as exc:
            info = exc.info
            if info.get("withheld"):
                message = not_calling_message(self, {info["withheld"]: ()})
                raise AssertionError(message) from None
            if peer.callback_error is not None:  # a test's callback failed
                raise peer.callback_error from None
            raise StudentError(info) from None

    def inspect(self, what: str, question=None):
        """Ask the student's process about this function's bytecode (its
        answer can only change the feedback, never a score)."""
        try:
            return self._peer.request("inspect", question, fn=self._handle, what=what)
        except RemoteError:
            return {} if what != "uses_name" else False


class JudgeSide(Peer):
    """The judge's end: the student's functions become StudentFunctions; the
    test's callables and rnnlib's objects are handed out as handles; an
    error in the grader's code tells the student's side its type only."""

    callback_error = None  # what a test's callback raised, to raise again
    reading = None  # the object whose attribute is being sent, if any
    keep_functions = False  # the judge's handles end with the call

    def __init__(self, sock):
        super().__init__(sock, {"getattr": self.get_attribute, "setattr": self.set})

    def remote_function(self, handle, name):
        return StudentFunction(self, handle, name)

    def exportable(self, value):
        if isinstance(value, type):
            return None
        if is_rnnlib_object(value):
            return "object"
        if not callable(value):
            return None
        if self.reading is None or id(value) in self.scope.function_ids:
            return "function"
        # an attribute's value: only the methods of rnnlib's objects
        owner = getattr(value, "__self__", None)
        module = getattr(getattr(value, "__func__", None), "__module__", "") or ""
        if is_rnnlib_object(owner) and module.startswith("rnnlib"):
            return "function"
        return None

    def send(self, header, payload=None):
        try:
            super().send(header, payload)
        finally:
            self.reading = None

    def _object(self, header):
        obj = self.scope.functions.get(header.get("obj"))
        if obj is None or not is_rnnlib_object(obj):
            raise WireError("no such object")
        return obj

    def get_attribute(self, header, name):
        obj = self._object(header)
        if not isinstance(name, str) or name.startswith("_"):
            raise AttributeError(
                f"{type(obj).__name__} has no public attribute {name!r}"
            )
        value = getattr(obj, name)
        self.reading = obj
        return value

    def set(self, header, value):
        obj = self._object(header)
        if not (isinstance(value, list) and len(value) == 2):
            raise WireError("setattr: a name and a value")
        name, new = value
        if not isinstance(name, str) or name.startswith("_"):
            raise AttributeError(f"cannot set {name!r}")
        setattr(obj, name, new)

    def run_call(self, header, value):
        try:
            return super().run_call(header, value)
        except BaseException as exc:
            self.callback_error = exc
            raise

    def describe(self, exc: BaseException) -> dict:
        return {"ename": type(exc).__name__, "evalue": "raised in the grader's code"}


class StudentProcess:
    """The student's process (sandboxed or not) and the judge's end of it."""

    def __init__(self, library: Path, sandboxed: bool, memory_bytes: int, user=None):
        ours, theirs = socket.socketpair()
        self.scratch = tempfile.mkdtemp(prefix="coursekit-student-")
        fd = theirs.fileno()
        switch = {}
        if user and not sandboxed and os.geteuid() == 0:  # e.g. in a container
            import pwd

            entry = pwd.getpwnam(user)
            os.chown(self.scratch, entry.pw_uid, entry.pw_gid)
            switch = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        if sandboxed:
            scratch = min(memory_bytes, SCRATCH_LIMIT)  # a tmpfs: it is memory
            argv, env = sandbox.command(library, fd, scratch), {}
        else:
            argv = sandbox.plain_command(fd)
            env = sandbox.environment(str(library))
            env.update(
                HOME=self.scratch, MPLCONFIGDIR=self.scratch, IPYTHONDIR=self.scratch
            )
            env["PATH"] = os.environ.get("PATH", env["PATH"])
        self.memory_bytes = memory_bytes
        self.proc = subprocess.Popen(
            argv,
            pass_fds=(fd,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
            cwd=self.scratch,
            start_new_session=True,
            preexec_fn=lambda: _limit_memory(memory_bytes),
            **switch,
        )
        theirs.close()
        self.last_words = b""
        self.crowded = False  # it started more than MAX_PROCESSES processes
        self.tripped = threading.Event()
        self._stop = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()
        threading.Thread(target=self._guard, daemon=True).start()
        self.peer = JudgeSide(ours)
        self.peer.deadline = time.monotonic() + STARTUP_LIMIT
        try:
            header, _ = self.peer.receive()
        except (EOFError, TimeoutError, WireError) as exc:
            self.kill()
            raise StudentDied(f"it did not start ({exc}){self.said()}") from None
        finally:
            self.peer.deadline = None
        if header.get("op") != "ready":
            self.kill()
            raise StudentDied("it did not start (it sent something else first)")

    def _drain(self):
        """Keep the last 2 KB of what the process wrote to stderr (read in
        chunks: a line with no end must not grow in the judge's memory)."""
        for chunk in iter(lambda: self.proc.stderr.read1(65536), b""):
            self.last_words = (self.last_words + chunk)[-2048:]

    def _guard(self):
        import psutil

        while not self._stop.wait(0.2):
            try:
                root = psutil.Process(self.proc.pid)
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                return
            rss = 0
            for proc in procs:
                with contextlib.suppress(psutil.Error):
                    rss += proc.memory_info().rss + _memfd_bytes(proc.pid)
            if rss > self.memory_bytes:
                self.tripped.set()
                self.kill()
                return
            if len(procs) > MAX_PROCESSES:
                self.crowded = True
                self.kill()
                return

    def said(self) -> str:
        lines = [
            line.strip()
            for line in self.last_words.decode(errors="replace").splitlines()
            if line.strip()
        ]
        return f"; it said: {lines[-1][:300]}" if lines else ""

    def how_it_ended(self) -> str:
        code = self.proc.poll()
        if code is None:
            return "it stopped answering"
        if code < 0:
            return f"it was killed by signal {-code}"
        return f"it exited with code {code}"

    def kill(self):
        import psutil

        self._stop.set()
        try:
            root = psutil.Process(self.proc.pid)
            procs = [*root.children(recursive=True), root]
        except psutil.Error:
            procs = []
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        with contextlib.suppress(OSError):
            self.peer.sock.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        import shutil

        shutil.rmtree(self.scratch, ignore_errors=True)


def _memfd_bytes(pid: int) -> int:
    """The size of the memfds process `pid` holds open: memory that is in no
    process's resident set until it is mapped and touched."""
    total = 0
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            path = f"/proc/{pid}/fd/{fd}"
            with contextlib.suppress(OSError):
                if os.readlink(path).startswith("/memfd:"):
                    total += os.stat(path).st_size
    return total


def _limit_memory(limit: int) -> None:
    """RLIMIT_AS: its address space; RLIMIT_FSIZE: any one file it writes (a
    memfd too, whose pages no RSS counts) stays below the scratch limit."""
    try:
        import resource
    except ImportError:
        return
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        size = min(limit, SCRATCH_LIMIT)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


class Judge:
    """Runs one notebook as the module docstring says."""

    def __init__(self, payload: dict, conn):
        self.cells = payload["cells"]  # coursekit.grading.matching.judge_cells
        self.names = payload["names"]
        self.library = Path(payload["library"])
        self.sandboxed = payload["sandboxed"]
        self.cell_timeout = payload["cell_timeout"]
        self.memory_bytes = payload["memory_bytes"]
        self.user = payload.get("student_user")  # unsandboxed, as root: who runs it
        self.conn = conn
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        self.ran = []  # (label, source) of the cells the student's process ran
        self.student = None

    # the student's process ------------------------------------------------
    def start(self, replay=True):
        self.student = StudentProcess(
            self.library, self.sandboxed, self.memory_bytes, self.user
        )
        self.conn.send(("kernel", self.student.proc.pid))
        for label, source in self.ran if replay else ():
            try:
                self.ask("run", label=label, source=source)
            except RemoteError:
                pass

    def random_state(self):
        """np.random.get_state() of the student's process (what
        coursekit.checks.randomness compares while grading)."""
        return self.ask("random_state")

    def restart(self):
        self.student.kill()
        self.start()

    def ask(self, op, payload=None, **fields):
        peer = self.student.peer
        peer.deadline = time.monotonic() + self.cell_timeout
        try:
            return peer.request(op, payload, **fields)
        finally:
            peer.deadline = None

    def died(self):
        self.student.kill()
        if self.student.tripped.is_set():
            return "memory", (
                f"the student's process was stopped: its memory grew beyond "
                f"{self.memory_bytes // 2**20} MB"
            )
        if self.student.crowded:
            return "error", (
                f"the student's process was stopped: it started more than "
                f"{MAX_PROCESSES} processes"
            )
        return "error", (
            f"the kernel died (the student's process ended: "
            f"{self.student.how_it_ended()}{self.student.said()})"
        )

    # cells ------------------------------------------------------------------
    def run(self):
        try:
            self.start(replay=False)
        except StudentDied as exc:
            return "error", f"the student's process could not start: {exc}"
        try:
            for index, kind, label, source in self.cells:
                self.conn.send(("start", index))
                try:
                    outcome = self.run_cell(index, kind, label, source)
                except (EOFError, StudentDied, OSError):
                    return self.died()
                self.conn.send(("cell", index, *outcome))
            return "ok", ""
        finally:
            self.student.kill()

    def run_cell(self, index, kind, label, source):
        if kind == "test":
            return self.run_test(index, label, source)
        outcome = self.run_student(index, label, source)
        if kind == "given":
            exec(compile(source, f"<given {label}>", "exec"), self.namespace)
        return outcome

    def run_student(self, index, label, source):
        try:
            self.ask("run", label=label, source=source)
        except RemoteError as exc:
            self.ran.append((label, source))
            info = exc.info
            where = f" ({info['where']})" if info.get("where") else ""
            return False, info["ename"], info["evalue"] + where
        except TimeoutError:
            self.restart()
            self.conn.send(("restarted", index))
            return False, TIMEOUT_ENAME, STUCK_EVALUE
        except WireError as exc:
            self.restart()
            return False, "WireError", f"the grader could not read the answer: {exc}"
        self.ran.append((label, source))
        return True, "", ""

    def bind_solutions(self):
        """Each name of the solution cells, as the student's process has it."""
        found = self.ask("lookup", list(self.names))
        if not isinstance(found, dict):
            raise WireError("lookup: not a dict")
        for name in self.names:
            if name in found:
                self.namespace[name] = found[name]
            else:
                self.namespace.pop(name, None)

    def run_test(self, index, label, source):
        try:
            self.bind_solutions()
            for hidden, code in compiled_pieces(source, f"<test {label}>"):
                withheld = values_withheld() if hidden else contextlib.nullcontext()
                with contextlib.redirect_stdout(io.StringIO()), withheld:
                    exec(code, self.namespace)
        except StudentError as exc:
            where = f" ({exc.where})" if exc.where else ""
            return False, exc.ename, f"{exc.evalue}{where}"
        except TimeoutError:
            self.restart()
            self.conn.send(("restarted", index))
            return (
                False,
                TIMEOUT_ENAME,
                (
                    f"a function of yours ran longer than {self.cell_timeout:g} s "
                    "and was stopped"
                ),
            )
        except WireError as exc:
            self.restart()
            return False, "WireError", f"the grader could not read the answer: {exc}"
        except (EOFError, StudentDied):
            raise
        except Exception as exc:  # the test failed: its own message
            return False, type(exc).__name__, str(exc)
        return True, "", ""


def compiled_pieces(source: str, filename: str) -> list[tuple[bool, object]]:
    """(hidden, code) of a test cell, its hidden regions apart
    (coursekit.notebooks.cell_pieces).  A region that opens inside a block
    cannot run apart: then the whole cell runs as one, its values withheld."""
    try:
        return [
            (hidden, compile(piece, filename, "exec"))
            for hidden, piece in cell_pieces(source)
        ]
    except SyntaxError:
        return [(True, compile(source, filename, "exec"))]


def run_submission(payload: dict, conn) -> None:
    """Judge one notebook; report each executed cell and the end via conn."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    from coursekit.checks import randomness

    try:
        judge = Judge(payload, conn)
        randomness.student_random_state = judge.random_state
        status, message = judge.run()
    except Exception as exc:  # noqa: BLE001 -- the grader's own failure, said
        status, message = "error", f"the grader failed: {type(exc).__name__}: {exc}"
    conn.send(("done", status, message))
    conn.close()
