"""Running many notebooks, `jobs` at a time: starting workers, the clock of
each notebook, restarting a kernel that a cell hung, killing what
overruns, putting the course's files back."""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
import time
from collections import deque
from multiprocessing.connection import wait
from pathlib import Path

from coursekit import sandbox
from coursekit.grading.library import library_files, restore_library
from coursekit.grading.results import Result, finish_result
from coursekit.grading.worker import STARTUP_LIMIT, kill_processes, run_in_worker


def kill_tree(pid: int | None, kernel_pid: int | None = None) -> None:
    """Kill a worker process, its descendants and its kernel (which may have
    been orphaned); the kernel only if it is still one of ours."""
    import psutil

    procs = []
    if pid is not None:
        try:
            proc = psutil.Process(pid)
            procs += [proc, *proc.children(recursive=True)]
        except psutil.Error:
            pass
    if kernel_pid is not None and kernel_pid not in {p.pid for p in procs}:
        try:
            kernel = psutil.Process(kernel_pid)
            if "launch_new_instance" in " ".join(kernel.cmdline()):
                procs += [kernel, *kernel.children(recursive=True)]
        except psutil.Error:
            pass
    kill_processes(procs)


def _context():
    """The multiprocessing context of the workers."""
    # forkserver: workers fork from a clean process with the worker's modules
    # loaded (not the main module: `python -m coursekit.grade` would then be
    # imported twice in every worker, and runpy warns)
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["coursekit.grading.worker", "nbclient", "psutil"])
        return ctx
    return multiprocessing.get_context("spawn")


class Scheduler:
    """The running notebooks, one worker each, by the grader's end of its
    pipe; `run` starts them `jobs` at a time and reads their messages.

    The state of a run: i (the result's index), process, workdir, deadline
    (first for the kernel's start, then for the whole notebook), events
    (the worker's messages, kept over restarts), kernel (its pid), skip
    (the cells that hung a kernel) and started (the total clock runs)."""

    def __init__(self, results, notebooks: dict, limits, jobs: int, progress):
        self.results, self.notebooks, self.limits = results, notebooks, limits
        self.jobs, self.progress = jobs, progress
        self.library = library_files()
        self.ctx = _context()
        self.queue = deque(i for i in range(len(results)) if i in notebooks)
        self.running = {}  # connection -> state

    def _payload(self, i: int, workdir: Path, skip) -> dict:
        limits = self.limits
        payload = {
            "notebook": self.notebooks[i],
            "workdir": str(workdir),
            "cell_timeout": limits["cell_timeout"],
            "memory_bytes": limits["memory_mb"] * 2**20,
            "library": self.library,
            "skip": sorted(skip),
            "sandbox": None,
        }
        if limits.get("hide") is not None:  # isolated: coursekit.sandbox
            payload["sandbox"] = sandbox.make_plan(
                workdir, limits["hide"], payload["memory_bytes"]
            )
        return payload

    def start(self, i: int, again=None) -> None:
        """Start notebook i; `again`: the state of its run whose kernel a
        cell hung, to run it anew without that cell, on the same clock."""
        workdir = Path(tempfile.mkdtemp(prefix="coursekit-grade-"))
        receiver, sender = self.ctx.Pipe(duplex=False)
        skip = again["skip"] if again else set()
        payload = self._payload(i, workdir, skip)
        process = self.ctx.Process(
            target=run_in_worker, args=(payload, sender), daemon=True
        )
        process.start()
        sender.close()
        self.running[receiver] = {
            "i": i,
            "process": process,
            "workdir": workdir,
            "deadline": again["deadline"]
            if again
            else time.monotonic() + STARTUP_LIMIT,
            "events": again["events"] if again else [],
            "kernel": None,
            "skip": skip,
            "started": bool(again),
        }

    def restart(self, conn, index: int) -> None:
        """A cell ignored the interrupt: stop that run, start a new one
        without the cell (the cells above it run again, then the rest)."""
        state = self.running.pop(conn)
        kill_tree(state["process"].pid, state["kernel"])
        state["process"].join(timeout=5)
        conn.close()
        shutil.rmtree(state["workdir"], ignore_errors=True)
        state["skip"] = state["skip"] | {index}
        state["events"].append(("restarted", index))
        self.start(state["i"], again=state)

    def finish(self, conn, killed_for_time: bool = False) -> None:
        """The run has ended (or was killed): clean up, put the course's
        files back, and turn its messages into its result."""
        state = self.running.pop(conn)
        process = state["process"]
        process.join(timeout=5)  # it exits right after "done"
        ended_normally = state["events"][-1:] and state["events"][-1][0] == "done"
        if killed_for_time or process.is_alive() or not ended_normally:
            kill_tree(process.pid if process.is_alive() else None, state["kernel"])
            process.join(timeout=5)
        conn.close()
        shutil.rmtree(state["workdir"], ignore_errors=True)
        changed = restore_library(self.library)
        if changed:
            note = (
                f"the course's own files changed while this ran ({', '.join(changed)}); "
                "they were put back, and no submission used the changed copy"
            )
            for other in [state, *self.running.values()]:
                self.results[other["i"]].notes.append(note)
        finish_result(
            self.results[state["i"]], state["events"], killed_for_time, self.limits
        )
        self.progress.update(1)

    def receive(self, conn) -> None:
        """Read one message of a run and act on it."""
        state = self.running[conn]
        try:
            event = conn.recv()
        except (EOFError, OSError):
            self.finish(conn)
            return
        state["events"].append(event)
        if event[0] == "kernel":  # the clock starts with the kernel
            state["kernel"] = event[1]
            if not state["started"]:
                state["started"] = True
                state["deadline"] = time.monotonic() + self.limits["timeout"]
        elif event[0] == "stuck":
            self.restart(conn, event[1])
        elif event[0] == "done":
            self.finish(conn)

    def stop_overdue(self) -> None:
        """Kill every run past its deadline, keeping what it reported."""
        now = time.monotonic()
        for conn, state in list(self.running.items()):
            if now > state["deadline"]:
                kill_tree(state["process"].pid, state["kernel"])
                while conn.poll():  # keep what was reported before the kill
                    try:
                        state["events"].append(conn.recv())
                    except (EOFError, OSError):
                        break
                self.finish(conn, killed_for_time=True)

    def run(self) -> None:
        try:
            while self.queue or self.running:
                while self.queue and len(self.running) < self.jobs:
                    self.start(self.queue.popleft())
                for conn in wait(list(self.running), timeout=0.2):
                    self.receive(conn)
                self.stop_overdue()
        finally:
            for state in list(self.running.values()):
                kill_tree(state["process"].pid, state["kernel"])
                shutil.rmtree(state["workdir"], ignore_errors=True)


def run_all(results: list[Result], notebooks: dict, limits, jobs: int, progress):
    """Run the notebooks of `results` (those in `notebooks`), `jobs` at a time.

    Each kernel imports its own copy of the course's packages, written from
    what they held when grading began; after each notebook, a course file
    that changed on disk is put back, and the notebooks that were running
    then say so in their message."""
    Scheduler(results, notebooks, limits, jobs, progress).run()
