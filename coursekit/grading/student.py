"""The student's process: runs the notebook's cells and answers the judge.

    python -m coursekit.grading.student FD

The judge (`coursekit.grading.judge`) starts it in the sandbox
(`coursekit.grading.sandbox`) with a socket on file descriptor FD and
PYTHONPATH leading to the student's library (`coursekit.grading.library`:
rnnlib without the references the exercise grades, coursekit's checks as
stand-ins).  It never receives a test cell: only the notebook's given and
solution cells, and the judge's requests (`coursekit.grading.wire`):

    run      run one cell in an IPython shell, as a kernel would
    lookup   the values of some global names (functions as handles)
    call     call a function it handed out, with plain-data arguments
    inspect  what a function's bytecode refers to (coursekit.checks.bytecode)
    random_state  the state of NumPy's global generator here

What it prints goes nowhere; what it sends back is plain data.  Nothing in
it is trusted by the judge: the learner's code can change anything here.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import traceback

from coursekit.grading.peer import Peer
from coursekit.grading.wire import WireError

CELL_FILE = re.compile(r"<ipython-input-(\d+)-[0-9a-f]+>")


class StudentSide(Peer):
    """The student's end: runs cells in `shell`, says where errors came from."""

    def __init__(self, sock, shell):
        super().__init__(
            sock,
            {
                "run": self.run_cell,
                "lookup": self.lookup,
                "inspect": self.inspect,
                "random_state": self.random_state,
            },
        )
        self.shell = shell
        self.labels: dict[int, str] = {}  # IPython's cell number -> cell label

    def run_cell(self, header, _):
        source, label = header.get("source"), header.get("label")
        if not isinstance(source, str) or not isinstance(label, str):
            raise WireError("run: a cell's source and label")
        self.labels[self.shell.execution_count] = label
        result = self.shell.run_cell(source, store_history=True)
        error = result.error_before_exec or result.error_in_exec
        if error is not None:
            raise error
        return None

    def lookup(self, _, names):
        if not isinstance(names, list):
            raise WireError("lookup: a list of names")
        namespace = self.shell.user_ns
        return {n: namespace[n] for n in names if isinstance(n, str) and n in namespace}

    def inspect(self, header, question):
        from coursekit.checks import bytecode

        fn = self.scope.functions.get(header.get("fn"))
        what = header.get("what")
        if fn is None:
            raise WireError("inspect: no such function")
        if what == "uses_name" and isinstance(question, str):
            return bool(bytecode.uses_name(fn, question))
        if what == "static_uses" and isinstance(question, list):
            names = [n for n in question if isinstance(n, str)]
            forbidden = bytecode.forbidden_objects(names)
            uses = bytecode.static_uses(fn, names, forbidden)
            return {name: sorted(where) for name, where in uses.items()}
        if what == "names_used":
            return {str(k): str(v) for k, v in bytecode.names_used(fn).items()}
        raise WireError(f"inspect: an unknown question {what!r}")

    def random_state(self, _, __):
        """The state of NumPy's hidden global generator here (what
        coursekit.checks.check_global_random_untouched compares)."""
        import numpy as np

        return np.random.get_state()  # noqa: NPY002 -- the legacy state is the point

    def describe(self, exc: BaseException) -> dict:
        info = {
            "ename": type(exc).__name__,
            "evalue": str(exc)[:2000],
            "where": self.where(exc),
        }
        if type(exc).__name__ == "WithheldReference" and exc.args:
            info["withheld"] = str(exc.args[0])
        if isinstance(exc, SyntaxError) and exc.lineno:
            info["where"] = f"line {exc.lineno}"
        return info

    def where(self, exc: BaseException) -> str | None:
        """'the cell `label`, line N' of the innermost frame in a cell."""
        found = None
        for frame in traceback.extract_tb(exc.__traceback__):
            match = CELL_FILE.fullmatch(frame.filename or "")
            if match:
                label = self.labels.get(int(match[1]), "?")
                found = f"in `{frame.name}`, cell `{label}`, line {frame.lineno}"
        return found

    def serve_forever(self) -> None:
        while True:
            try:
                header, value = self.receive()
            except EOFError:
                return
            self.serve_one(header, value)


def _shell():
    """An IPython shell like a kernel's, with plots drawn nowhere."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="nocolor", history_length=0)
    shell.history_manager.enabled = False
    shell.showtraceback = lambda *args, **kwargs: None  # nobody reads it
    return shell


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    fd = int(argv[0])
    sock = socket.socket(fileno=fd)
    # what the learner's code prints is not read by anyone
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdin = open(os.devnull)  # noqa: SIM115 -- for the whole process
    side = StudentSide(sock, _shell())
    side.send({"op": "ready", "pid": os.getpid()})
    side.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
