"""Timing helpers and targets shared by the benchmarks (run as scripts from
this folder)."""

import os
import statistics
import time
from pathlib import Path

import numpy as np

SIZES = [(50, 32, 32, 64), (100, 64, 64, 128), (200, 1, 27, 100)]  # (T, B, D, H)
TORCH_TARGET = {"float64": 0.7, "float32": 1.0}  # rnnlib time / torch time, at most
FLOOR_TARGET = 2.0  # rnnlib time / products time at the middle size, at most
MIDDLE = SIZES[1]


def targets_line():
    """The torch and floor targets, as the benchmarks print them."""
    return (
        f"targets: rnnlib/torch <= {TORCH_TARGET['float64']}x (float64), "
        f"<= {TORCH_TARGET['float32']}x (float32); rnnlib/products <= "
        f"{FLOOR_TARGET}x at {MIDDLE}"
    )


def missed_targets(times, size, dtype_name):
    """What one size and dtype missed of the torch and floor targets, given
    the median seconds of "ours", "products" and (if PyTorch ran) "torch"."""
    name = f"(T, B, D, H) = {size} {dtype_name}"
    missed = []
    torch_target = TORCH_TARGET[dtype_name]
    if "torch" in times and times["ours"] / times["torch"] > torch_target:
        missed.append(f"{name}: rnnlib/torch above {torch_target}x")
    if size == MIDDLE and times["ours"] / times["products"] > FLOOR_TARGET:
        missed.append(f"{name}: rnnlib/products above {FLOOR_TARGET}x")
    return missed


def products_share_of_torch(times, size, dtype_name):
    """A line for a missed torch target: how much of PyTorch's time the
    matrix products alone take.  Near or above the target, no NumPy code
    can meet it here: PyTorch's products (and fused gate arithmetic) are
    faster than NumPy's BLAS."""
    torch_target = TORCH_TARGET[dtype_name]
    if "torch" not in times or times["ours"] / times["torch"] <= torch_target:
        return None
    share = times["products"] / times["torch"]
    return (
        f"(T, B, D, H) = {size} {dtype_name}: the matrix products alone take "
        f"{share:.2f}x torch's time (target {torch_target}x)"
    )


def blas_line():
    """Which BLAS NumPy runs and which kernels it chose (threadpoolctl).
    OPENBLAS_CORETYPE in the environment forces OpenBLAS's kernel set, which
    may be slower than the set OpenBLAS picks for this CPU: the line says so,
    as the ratios to PyTorch depend on it."""
    from threadpoolctl import threadpool_info

    numpy_dir = Path(np.__file__).resolve().parent
    libraries = [info for info in threadpool_info() if info["user_api"] == "blas"]
    ours = [
        info
        for info in libraries
        if Path(info["filepath"]).resolve().parent.parent == numpy_dir.parent
    ]
    if not (ours or libraries):
        return "NumPy's BLAS: not found by threadpoolctl"
    info = (ours or libraries)[0]
    line = f"NumPy's BLAS: {info['internal_api']} {info['version']}"
    if info.get("architecture"):
        line += f", {info['architecture']} kernels"
        forced = os.environ.get("OPENBLAS_CORETYPE")
        if info["internal_api"] == "openblas" and forced:
            line += (
                f", forced by OPENBLAS_CORETYPE={forced} (unset it, and"
                " OPENBLAS_L2_SIZE, to run the kernels OpenBLAS picks for this CPU)"
            )
        elif info["internal_api"] == "openblas":
            line += " (OpenBLAS's choice for this CPU)"
    return line


def import_torch(threads):
    """PyTorch on `threads` threads, or None (and a line saying so) when it
    is not installed.  Lets idle OpenMP workers sleep first."""
    let_openmp_workers_sleep()
    try:
        import torch
    except ImportError:
        print("PyTorch not installed: the torch columns are left out.")
        return None
    torch.set_num_threads(threads)
    return torch


def numpy_threads():
    """The number of threads NumPy's BLAS uses: the usual environment
    variables, else the CPUs this process may run on (OpenBLAS's default)."""
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "").split(",")[0].strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def let_openmp_workers_sleep():
    """Call before importing torch.  NumPy's OpenBLAS and PyTorch's OpenMP
    keep separate thread pools in this one process and take turns.  Idle
    OpenMP workers spin by default, and on a 2-core machine they took the
    cores that OpenBLAS needed next: with 2 threads both libraries ran
    slower than with 1.  OMP_WAIT_POLICY=PASSIVE lets them sleep instead
    (an explicit setting in the environment wins)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def median_times(runs, repeats, warmup=2):
    """Median seconds of each function in `runs`, timed in turn within each
    repeat so that a burst of load elsewhere slows all of them alike."""
    for run in runs:
        for _ in range(warmup):
            run()
    times = [[] for _ in runs]
    for _ in range(repeats):
        for run, record in zip(runs, times, strict=True):
            start = time.perf_counter()
            run()
            record.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def torch_forward_backward(torch, module_class, x, dout):
    """A run of forward + backward through a fresh torch.nn.RNN, LSTM or GRU
    (batch_first, input and hidden size read off x and dout, x's dtype)."""
    dtype = torch.float64 if x.dtype.itemsize == 8 else torch.float32
    net = module_class(x.shape[2], dout.shape[2], batch_first=True, dtype=dtype)
    xt = torch.tensor(x, dtype=dtype, requires_grad=True)
    dt = torch.tensor(dout, dtype=dtype)

    def run():
        net.zero_grad(set_to_none=True)
        xt.grad = None
        out, _ = net(xt)
        out.backward(dt)

    return run
