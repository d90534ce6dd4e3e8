"""Running many notebooks, `jobs` at a time: a judge process each
(`coursekit.grading.judge`), the clock of each notebook, killing what
overruns."""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
import time
from collections import deque
from multiprocessing.connection import wait
from pathlib import Path

from coursekit.grading.judge import STARTUP_LIMIT, run_submission
from coursekit.grading.library import write_student_library
from coursekit.grading.results import Result, finish_result


def kill_tree(pid: int | None, student_pid: int | None = None) -> None:
    """Kill a judge process, its descendants and its student's process
    (a sandbox dies with its parent; this is for the unsandboxed)."""
    import psutil

    procs = []
    for root in (pid, student_pid):
        if root is None:
            continue
        try:
            proc = psutil.Process(root)
            procs += [proc, *proc.children(recursive=True)]
        except psutil.Error:
            pass
    for proc in procs:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=5)


def judge_memory(memory_mb: int) -> int:
    """Bytes a judge process may hold: twice the student's limit, plus 1 GB
    for the course's own modules (PyTorch among them)."""
    return (2 * memory_mb + 1024) * 2**20


def _resident(pid: int | None) -> int:
    import psutil

    try:
        return psutil.Process(pid).memory_info().rss
    except (psutil.Error, TypeError, ValueError):
        return 0


def _main_imports() -> list[str]:
    """The modules the main module's names come from, for the forkserver to
    preload.  multiprocessing runs the main module again in every worker
    (unless it is a package's `__main__`); with its imports loaded already,
    that costs milliseconds, not the second that importing nbformat and its
    schemas takes anew.  The main module itself is not preloaded: runpy
    would warn that it ran a module already imported."""
    import sys
    import types

    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None) or ""
    if main is None or name.endswith("__main__"):
        return []
    modules = set()
    for value in vars(main).values():
        module = value if isinstance(value, types.ModuleType) else None
        home = module.__name__ if module else getattr(value, "__module__", None)
        if isinstance(home, str) and home in sys.modules and home != "__main__":
            modules.add(home)
    return sorted(modules - {name, "builtins"})


def warm_up() -> None:
    """Start the forkserver now, so that it loads its modules while the
    grader reads the notebooks (`run_all` would start it otherwise)."""
    ctx = _context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _context():
    """The multiprocessing context of the workers."""
    # forkserver: workers fork from a clean process with the worker's modules
    # and the main module's imports loaded
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        preload = ["coursekit.grading.judge", "coursekit.checks", "rnnlib", "psutil"]
        ctx.set_forkserver_preload(preload + _main_imports())
        return ctx
    return multiprocessing.get_context("spawn")


class Scheduler:
    """The running notebooks, one judge process each, by the grader's end
    of its pipe; `run` starts them `jobs` at a time and reads their messages.

    The state of a run: i (the result's index), process, deadline (first
    for the student's process to start, then for the whole notebook),
    events (the judge's messages), kernel (the student's process's pid) and
    started (the total clock runs).  Each exercise's student library
    (`coursekit.grading.library`) is written once, in `self.folder`."""

    def __init__(self, results, notebooks: dict, limits, jobs: int, progress):
        self.results, self.notebooks, self.limits = results, notebooks, limits
        self.jobs, self.progress = jobs, progress
        self.ctx = _context()
        self.queue = deque(i for i in range(len(results)) if i in notebooks)
        self.running = {}  # connection -> state
        self.folder = Path(tempfile.mkdtemp(prefix="coursekit-grade-"))
        self.folder.chmod(0o755)
        self.libraries = {}  # exercise name -> its student library

    def library(self, source) -> Path:
        if source.name not in self.libraries:
            folder = self.folder / source.name
            write_student_library(folder, source.withheld, source.frameworks)
            self.libraries[source.name] = folder
        return self.libraries[source.name]

    def _payload(self, i: int) -> dict:
        result, limits = self.results[i], self.limits
        return {
            "cells": self.notebooks[i],
            "names": result.source.names,
            "library": str(self.library(result.source)),
            "sandboxed": limits["sandboxed"],
            "cell_timeout": limits["cell_timeout"],
            "memory_bytes": limits["memory_mb"] * 2**20,
            "student_user": limits.get("student_user"),
        }

    def start(self, i: int) -> None:
        """Start judging notebook i in a new process."""
        receiver, sender = self.ctx.Pipe(duplex=False)
        process = self.ctx.Process(
            target=run_submission, args=(self._payload(i), sender), daemon=True
        )
        process.start()
        sender.close()
        self.running[receiver] = {
            "i": i,
            "process": process,
            "deadline": time.monotonic() + STARTUP_LIMIT,
            "events": [],
            "kernel": None,
            "started": False,
        }

    def finish(self, conn, killed_for_time: bool = False) -> None:
        """The run has ended (or was killed): clean up and turn its
        messages into its result."""
        state = self.running.pop(conn)
        process = state["process"]
        process.join(timeout=5)  # it exits right after "done"
        ended_normally = state["events"][-1:] and state["events"][-1][0] == "done"
        if killed_for_time or process.is_alive() or not ended_normally:
            kill_tree(process.pid if process.is_alive() else None, state["kernel"])
            process.join(timeout=5)
        conn.close()
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
        if event[0] == "kernel":  # the clock starts with the first student
            state["kernel"] = event[1]
            if not state["started"]:
                state["started"] = True
                state["deadline"] = time.monotonic() + self.limits["timeout"]
        elif event[0] == "done":
            self.finish(conn)

    def stop_overdue(self) -> None:
        """Kill every run past its deadline, or whose judge holds more than
        JUDGE_MEMORY (what the student's code returned piles up there),
        keeping what it reported."""
        now = time.monotonic()
        limit = judge_memory(self.limits["memory_mb"])
        for conn, state in list(self.running.items()):
            late = now > state["deadline"]
            big = not late and _resident(state["process"].pid) > limit
            if late or big:
                kill_tree(state["process"].pid, state["kernel"])
                while conn.poll():  # keep what was reported before the kill
                    try:
                        state["events"].append(conn.recv())
                    except (EOFError, OSError):
                        break
                if big:
                    state["events"].append(("done", "memory", (
                        f"the grader's judge held more than {limit // 2**20} MB "
                        "of what the student's code returned, and was stopped"
                    )))  # fmt: skip
                self.finish(conn, killed_for_time=late)

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
            shutil.rmtree(self.folder, ignore_errors=True)


def run_all(results: list[Result], notebooks: dict, limits, jobs: int, progress):
    """Judge the notebooks of `results` (those in `notebooks`), `jobs` at a
    time, each in its own judge process with its own student's process."""
    Scheduler(results, notebooks, limits, jobs, progress).run()
