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


def run_all(results: list[Result], notebooks: dict, limits, jobs: int, progress):
    """Run the notebooks of `results` (those in `notebooks`), `jobs` at a time.

    Each kernel imports its own copy of the course's packages, written from
    what they held when grading began; after each notebook, a course file
    that changed on disk is put back, and the notebooks that were running
    then say so in their message."""
    library = library_files()
    # forkserver: workers fork from a clean process with the worker's modules
    # loaded (not the main module: `python -m coursekit.grade` would then be
    # imported twice in every worker, and runpy warns)
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["coursekit.grading.worker", "nbclient", "psutil"])
    else:
        ctx = multiprocessing.get_context("spawn")
    queue = deque(i for i in range(len(results)) if i in notebooks)
    running = {}  # connection -> state

    def start(i, again=None):
        """Start notebook i; `again`: the state of its run whose kernel a
        cell hung, to run it anew without that cell, on the same clock."""
        workdir = Path(tempfile.mkdtemp(prefix="coursekit-grade-"))
        receiver, sender = ctx.Pipe(duplex=False)
        skip = again["skip"] if again else set()
        payload = {
            "notebook": notebooks[i],
            "workdir": str(workdir),
            "cell_timeout": limits["cell_timeout"],
            "memory_bytes": limits["memory_mb"] * 2**20,
            "library": library,
            "skip": sorted(skip),
            "sandbox": None,
        }
        if limits.get("hide") is not None:  # isolated: coursekit.sandbox
            payload["sandbox"] = sandbox.make_plan(
                workdir, limits["hide"], payload["memory_bytes"]
            )
        process = ctx.Process(target=run_in_worker, args=(payload, sender), daemon=True)
        process.start()
        sender.close()
        running[receiver] = {
            "i": i,
            "process": process,
            "workdir": workdir,
            "deadline": again["deadline"]
            if again
            else time.monotonic() + STARTUP_LIMIT,
            "events": again["events"] if again else [],
            "kernel": None,
            "skip": skip,
            "started": bool(again),  # the total clock runs already
        }

    def restart(conn, index):
        """A cell ignored the interrupt: stop that run, start a new one
        without the cell (the cells above it run again, then the rest)."""
        state = running.pop(conn)
        kill_tree(state["process"].pid, state["kernel"])
        state["process"].join(timeout=5)
        conn.close()
        shutil.rmtree(state["workdir"], ignore_errors=True)
        state["skip"] = state["skip"] | {index}
        state["events"].append(("restarted", index))
        start(state["i"], again=state)

    def finish(conn, killed_for_time=False):
        state = running.pop(conn)
        process = state["process"]
        process.join(timeout=5)  # it exits right after "done"
        ended_normally = state["events"][-1:] and state["events"][-1][0] == "done"
        if killed_for_time or process.is_alive() or not ended_normally:
            kill_tree(process.pid if process.is_alive() else None, state["kernel"])
            process.join(timeout=5)
        conn.close()
        shutil.rmtree(state["workdir"], ignore_errors=True)
        changed = restore_library(library)
        if changed:
            note = (
                f"the course's own files changed while this ran ({', '.join(changed)}); "
                "they were put back, and no submission used the changed copy"
            )
            for other in [state, *running.values()]:
                results[other["i"]].notes.append(note)
        finish_result(results[state["i"]], state["events"], killed_for_time, limits)
        progress.update(1)

    try:
        while queue or running:
            while queue and len(running) < jobs:
                start(queue.popleft())
            for conn in wait(list(running), timeout=0.2):
                state = running[conn]
                try:
                    event = conn.recv()
                except (EOFError, OSError):
                    finish(conn)
                    continue
                state["events"].append(event)
                if event[0] == "kernel":  # the clock starts with the kernel
                    state["kernel"] = event[1]
                    if not state["started"]:
                        state["started"] = True
                        state["deadline"] = time.monotonic() + limits["timeout"]
                elif event[0] == "stuck":
                    restart(conn, event[1])
                elif event[0] == "done":
                    finish(conn)
            now = time.monotonic()
            for conn, state in list(running.items()):
                if now > state["deadline"]:
                    kill_tree(state["process"].pid, state["kernel"])
                    while conn.poll():  # keep what was reported before the kill
                        try:
                            state["events"].append(conn.recv())
                        except (EOFError, OSError):
                            break
                    finish(conn, killed_for_time=True)
    finally:
        for state in list(running.values()):
            kill_tree(state["process"].pid, state["kernel"])
            shutil.rmtree(state["workdir"], ignore_errors=True)
