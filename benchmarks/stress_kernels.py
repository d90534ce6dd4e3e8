"""Do notebook runs in fresh kernels ever stall?  Run notebooks many times and count.

    .venv/bin/python benchmarks/stress_kernels.py [--runs 100] [--stall-seconds 60]
        [--transport tcp] [NOTEBOOK ...]

Runs the notebooks (by default 05 and 06, taking turns) top to bottom, each
time in a fresh kernel of this Python, with nbclient, as nbval and
`coursekit.publishing.execute` (nbrefresh, the slides, the book) do.  Every cell of these
notebooks finishes in a few seconds, so a cell (or a kernel start) that
takes longer than --stall-seconds is a stall: a request or a reply lost
between client and kernel, both idle.  The run is stopped there, its kernel
shut down, and the next run starts.

Prints the versions of the messaging stack, one line per stall, the median
and slowest run of each notebook, and the count of stalls; exits 1 if there
was any.  Not part of `make test`: 100 runs take about 15 minutes.
"""

import argparse
import statistics
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from coursekit.publishing.execute import current_kernel, execute_notebook

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_NOTEBOOKS = [
    ROOT / "notebooks" / "05_sequence_generation.ipynb",
    ROOT / "notebooks" / "06_encoder_decoder.ipynb",
]


def stack_versions():
    """One line naming the packages that carry kernel messages, and libzmq."""
    import zmq

    names = ["ipykernel", "jupyter_client", "nbclient", "pyzmq", "tornado"]
    parts = [f"{name} {version(name)}" for name in names]
    parts.append(f"libzmq {zmq.zmq_version()}")
    return f"Python {sys.version.split()[0]}; " + ", ".join(parts)


def kernel_manager(transport):
    """A KernelManager for this Python's ipykernel over `transport` (tcp or ipc)."""
    if transport == "ipc":
        # ipc sockets are files named <ip>-<port>: a fresh folder per kernel
        return current_kernel("ipc", ip=str(Path(tempfile.mkdtemp()) / "kernel"))
    return current_kernel()


def run_once(path, stall_seconds, transport):
    """Run notebook `path` in a fresh kernel; return (seconds, stall or None).

    A stall is a string naming where the run stopped waiting."""
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = nbformat.read(path, as_version=4)
    km = kernel_manager(transport)
    start = time.perf_counter()
    try:
        execute_notebook(nb, path, stall_seconds, stall_seconds, km=km)
    except CellTimeoutError as error:
        cell = getattr(error, "cell_index", None)
        return time.perf_counter() - start, f"cell timed out ({cell}): {error}"[:200]
    except CellExecutionError:
        raise  # the notebook itself failed: not a stall, and not to be hidden
    except RuntimeError as error:  # nbclient: "Kernel didn't respond in N seconds"
        return time.perf_counter() - start, f"kernel start: {error}"[:200]
    return time.perf_counter() - start, None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, default=DEFAULT_NOTEBOOKS)
    parser.add_argument("--runs", type=int, default=100, help="runs in all")
    parser.add_argument(
        "--stall-seconds",
        type=float,
        default=60,
        help="a cell or kernel start taking longer than this is a stall",
    )
    parser.add_argument("--transport", choices=["tcp", "ipc"], default="tcp")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    for path in args.notebooks:
        if not path.is_file():
            parser.error(f"no such notebook: {path}")

    print(stack_versions(), f"; transport {args.transport}", flush=True)
    seconds = {path.name: [] for path in args.notebooks}
    stalls = []
    wall = time.perf_counter()
    for run in range(args.runs):
        path = args.notebooks[run % len(args.notebooks)]
        took, stall = run_once(path, args.stall_seconds, args.transport)
        seconds[path.name].append(took)
        if stall:
            stalls.append((run, path.name, stall))
            print(f"run {run + 1}: {path.name} STALLED after {took:.0f} s: {stall}")
        if (run + 1) % 10 == 0:
            print(f"{run + 1} runs, {len(stalls)} stalls", flush=True)
    for name, times in seconds.items():
        print(
            f"{name}: {len(times)} runs, median {statistics.median(times):.1f} s,"
            f" slowest {max(times):.1f} s"
        )
    minutes = (time.perf_counter() - wall) / 60
    print(f"{len(stalls)} stalls in {args.runs} runs ({minutes:.0f} min)")
    return 1 if stalls else 0


if __name__ == "__main__":
    sys.exit(main())
