"""One notebook in one worker process: a fresh kernel (isolated, memory
limited, sealed: KERNEL_BOOT), its cells run by nbclient, every executed
cell reported to the grader through a pipe."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import sys
import threading
import time
from pathlib import Path
from queue import Empty

import nbformat
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from coursekit import sandbox
from coursekit.grading.library import write_library

TIMEOUT_ENAME = "CellTimeout"  # the error a cell gets when it is interrupted
KERNEL_NAME = "coursekit-grade"
STARTUP_LIMIT = 180  # seconds for a worker to start its kernel (busy machines)
START_ATTEMPTS = 2  # kernels started for a notebook whose kernel died at start
INTERRUPT_GRACE = 3  # seconds an interrupted kernel has to answer before a restart
STUCK_EVALUE = "the cell ignored the interrupt; the kernel was restarted without it"
# The kernel: isolate it (coursekit.sandbox), limit its address space, seal
# numpy and the checks (coursekit.seal), then start ipykernel.  No braces here:
# jupyter_client formats `{name}` fields in a kernel's argv.
KERNEL_BOOT = """\
import os, sys
plan = os.environ.pop('COURSEKIT_SANDBOX', '')
if plan:
    import coursekit.sandbox
    coursekit.sandbox.enter(plan)
limit = int(os.environ.pop('COURSEKIT_MEMORY_BYTES', '0'))
try:
    import resource
except ImportError:
    resource = None
if limit > 0 and resource is not None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
import coursekit.seal
coursekit.seal.take()
from ipykernel.kernelapp import launch_new_instance
launch_new_instance()
"""


def _descendants(pid: int | None = None):
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def kill_processes(processes) -> None:
    import psutil

    for proc in processes:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(processes, timeout=5)


def _memory_guard(limit_bytes: int, tripped: threading.Event, stop: threading.Event):
    """Kill the kernel (and its children) if their resident memory exceeds
    the limit: a second guard beside RLIMIT_AS, e.g. for child processes."""
    import psutil

    while not stop.wait(0.2):
        procs = _descendants()
        rss = 0
        for proc in procs:
            try:
                rss += proc.memory_info().rss
            except psutil.Error:
                pass
        if rss > limit_bytes:
            tripped.set()
            kill_processes(procs)
            return


def _write_kernelspec(
    folder: Path, memory_bytes: int, library: Path, plan: dict | None
) -> None:
    spec = folder / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    kernel = {
        "argv": [sys.executable, "-c", KERNEL_BOOT, "-f", "{connection_file}"],
        "display_name": "Python (coursekit grading)",
        "language": "python",
        "env": {
            "COURSEKIT_MEMORY_BYTES": str(memory_bytes),
            # this submission's own copy of rnnlib and coursekit comes first
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(library), os.environ.get("PYTHONPATH")) if p
            ),
            # one BLAS thread per kernel: jobs run side by side, and idle
            # thread pools and malloc arenas would eat the address space
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "MALLOC_ARENA_MAX": "2",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        },
    }
    if plan:
        kernel["env"][sandbox.ENV] = json.dumps(plan)
    (spec / "kernel.json").write_text(json.dumps(kernel, indent=1), encoding="utf-8")


class GradingClient(NotebookClient):
    """nbclient's client as the grader runs it: it reports each cell through
    `reports` (a pipe to the grader), keeps no output, skips the cells in
    `skip` (they hung a kernel before), and tells the grader when a kernel
    ignores the interrupt of a cell that ran too long."""

    reports = None  # the worker's end of the pipe
    skip = frozenset()  # run-notebook cell indices not to run again
    started = None  # a threading.Event, set once the kernel runs

    def report_start(self, **_):
        self.started.set()
        self.reports.send(("kernel", getattr(self.km.provisioner, "pid", None)))

    def report_execute(self, cell_index, **_):
        self.reports.send(("start", cell_index))

    def report_executed(self, cell_index, execute_reply, **_):
        content = (execute_reply or {}).get("content", {})
        ok = content.get("status") == "ok"
        ename = "" if ok else str(content.get("ename", ""))
        evalue = "" if ok else str(content.get("evalue", ""))
        self.reports.send(("cell", cell_index, ok, ename, evalue))

    def output(self, outs, msg, display_id, cell_index):
        """Keep no output: scores come from execute replies, and a cell
        that prints without end must not fill this process's memory."""
        return None

    async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
        if cell_index in self.skip:  # it hung a kernel before: not run again
            self.reports.send(("cell", cell_index, False, TIMEOUT_ENAME, STUCK_EVALUE))
            return cell
        return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

    async def _async_handle_timeout(self, timeout, cell=None):
        """Interrupt the cell (nbclient); if the kernel does not answer
        within INTERRUPT_GRACE, tell the grader, which starts the notebook
        again in a new kernel without this cell."""
        reply = await super()._async_handle_timeout(timeout, cell)
        if not await self._answers(INTERRUPT_GRACE):
            index = next(i for i, c in enumerate(self.nb.cells) if c is cell)
            self.reports.send(("stuck", index))
            await asyncio.sleep(STARTUP_LIMIT)  # the grader kills this process
        return reply

    async def _answers(self, seconds):
        """Whether the kernel answers a kernel_info request in `seconds`."""
        msg_id = self.kc.kernel_info()
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=left))
            except Empty:
                return False
            if msg["parent_header"].get("msg_id") == msg_id:
                return True
        return False


def _prepare_workdir(workdir: Path, payload: dict):
    """Jupyter's and IPython's folders, the library copy and the kernel spec
    in `workdir`; with a sandbox plan, the folders `nobody` owns and the ipc
    transport.  Returns the kernel manager's traitlets Config (or None)."""
    os.environ["JUPYTER_PATH"] = str(workdir / "jupyter")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(workdir / "runtime")
    os.environ["IPYTHONDIR"] = str(workdir / "ipython")
    library = workdir / "lib"
    write_library(library, payload["library"])
    plan = payload["sandbox"]
    _write_kernelspec(workdir / "jupyter", payload["memory_bytes"], library, plan)
    (workdir / "run").mkdir()
    (workdir / "runtime").mkdir()
    if plan:
        sandbox.prepare(workdir)
    return _ipc_config(workdir / "runtime")


def _ipc_config(runtime: Path):
    """The kernel's sockets as files in `runtime` (Unix only; else None).

    The sandbox has no network.  Outside it, a TCP kernel can lose the
    ports jupyter_client picked for it to another program starting at the
    same moment (the kernel then dies before it answers).  A Unix socket's
    path has a length limit of about 100 bytes: longer paths keep TCP."""
    if os.name != "posix" or len(str(runtime / "kernel-00000")) > 100:
        return None
    from traitlets.config import Config

    ipc = {
        "transport": "ipc",
        "ip": str(runtime / "kernel"),
        "connection_file": str(runtime / "kernel.json"),
    }
    return Config({"KernelManager": ipc})


def _client(payload: dict, conn, config, run_dir: Path) -> GradingClient:
    """The client that runs the payload's notebook in `run_dir`."""
    log = logging.getLogger("coursekit.grade.kernel")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    cell_timeout = payload["cell_timeout"]
    client = GradingClient(
        nbformat.reads(payload["notebook"], as_version=4),
        kernel_name=KERNEL_NAME,
        timeout=max(1, math.ceil(cell_timeout)),
        timeout_func=lambda cell: cell_timeout,
        startup_timeout=STARTUP_LIMIT - 60,
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": TIMEOUT_ENAME,
            "evalue": f"the cell ran longer than {cell_timeout:g} s and was stopped",
            "traceback": [],
        },
        record_timing=False,
        # outputs are not kept: no need to wait long for a stopped cell's last
        iopub_timeout=1,
        extra_arguments=["--HistoryManager.hist_file=:memory:"],
        resources={"metadata": {"path": str(run_dir)}},
        log=log,
        config=config,
    )
    client.reports, client.started = conn, threading.Event()
    client.skip = frozenset(payload.get("skip", ()))
    client.on_notebook_start = client.report_start
    client.on_cell_execute = client.report_execute
    client.on_cell_executed = client.report_executed
    return client


def _execute(client: GradingClient, memory_bytes: int, log_path: Path):
    """Run the notebook under the resident-memory guard; (status, message)."""
    tripped, stop = threading.Event(), threading.Event()
    guard = threading.Thread(
        target=_memory_guard, args=(memory_bytes, tripped, stop), daemon=True
    )
    guard.start()
    status, message = "ok", ""
    with open(log_path, "w") as kernel_log:
        try:
            client.execute(stdout=kernel_log, stderr=kernel_log)
        except DeadKernelError:
            status, message = "error", "the kernel died (the process exited or crashed)"
        except Exception as exc:
            status, message = "error", f"could not run the notebook: {exc}"
            if not client.started.is_set():
                message = (
                    f"the kernel could not start: {exc} (is --memory large enough? "
                    "a kernel needs a few hundred MB of address space)"
                )
        finally:
            stop.set()
    if tripped.is_set():
        status = "memory"
        message = (
            f"the kernel was stopped: its memory grew beyond {memory_bytes // 2**20} MB"
        )
    return status, message


def _last_words(log_path: Path) -> str:
    """The kernel log's last line (its error), to say why it did not start."""
    try:
        lines = log_path.read_text(errors="replace").split("\n")
    except OSError:
        return ""
    said = [line.strip() for line in lines if line.strip()]
    return f"; the kernel said: {said[-1][:300]}" if said else ""


def run_in_worker(payload: dict, conn) -> None:
    """Run one notebook; report each executed cell and the end through conn.

    Messages: ("kernel", pid), ("start", index),
    ("cell", index, ok, ename, evalue), ("stuck", index),
    ("done", status, message).
    """
    workdir = Path(payload["workdir"])
    config = _prepare_workdir(workdir, payload)
    # a kernel that dies before it starts ran none of the student's code:
    # the cause is the machine's (a passing clash, or too little --memory,
    # which the last line of the kernel's log then names), so try again
    for attempt in range(START_ATTEMPTS):
        client = _client(payload, conn, config, workdir / "run")
        log_path = workdir / f"kernel-{attempt}.log"
        status, message = _execute(client, payload["memory_bytes"], log_path)
        if client.started.is_set() or status != "error":
            break
        message += _last_words(log_path)
    conn.send(("done", status, message))
    conn.close()
