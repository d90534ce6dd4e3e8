"""Speed of the rnnlib GRU layer, forward + backward, against PyTorch.

    python benchmarks/bench_gru.py [--repeats 15] [--dtype float64]

For each size (T, B, D, H) it times one forward and one backward pass of
`rnnlib.GRU` and, when PyTorch is installed, of
`torch.nn.GRU(batch_first=True)` in the same dtype on the CPU, with PyTorch
given as many threads as NumPy's BLAS uses.  Each time is the median of
`--repeats` runs after two warm-up runs, the two libraries taking turns; the ratio is rnnlib / PyTorch
(below 1: rnnlib is faster).  To compare on one core, run with
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1.
"""

import argparse
import platform

import numpy as np
from timing import (
    let_openmp_workers_sleep,
    median_times,
    numpy_threads,
    torch_forward_backward,
)

from rnnlib import GRU

SIZES = [(50, 32, 32, 64), (100, 64, 64, 128), (200, 1, 27, 100)]


def rnnlib_runner(T, B, D, H, dtype, rng):
    gru = GRU(D, H, seed=0, dtype=dtype)
    x = rng.standard_normal((B, T, D)).astype(dtype)
    dout = rng.standard_normal((B, T, H)).astype(dtype)

    def run():
        gru.forward(x)
        gru.backward(dout)

    return run


def torch_runner(torch, T, B, D, H, dtype, rng):
    x = rng.standard_normal((B, T, D)).astype(dtype)
    dout = rng.standard_normal((B, T, H)).astype(dtype)
    return torch_forward_backward(torch, torch.nn.GRU, x, dout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    args = parser.parse_args()
    dtype = {"float64": np.float64, "float32": np.float32}[args.dtype]
    threads = numpy_threads()
    let_openmp_workers_sleep()
    try:
        import torch
    except ImportError:
        torch = None
    else:
        torch.set_num_threads(threads)

    print(
        f"GRU forward + backward, {args.dtype}, median of {args.repeats}; "
        f"NumPy {np.__version__}"
        + (f", PyTorch {torch.__version__}" if torch else ", PyTorch not installed")
        + f"; {threads} thread(s); {platform.processor() or platform.machine()}"
    )
    header = f"{'T':>5} {'B':>4} {'D':>4} {'H':>4}  {'rnnlib ms':>10}"
    if torch:
        header += f"  {'torch ms':>10}  {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for T, B, D, H in SIZES:
        rng = np.random.default_rng(0)
        runs = [rnnlib_runner(T, B, D, H, dtype, rng)]
        if torch:
            runs.append(torch_runner(torch, T, B, D, H, dtype, rng))
        ours, *theirs = median_times(runs, args.repeats)
        row = f"{T:>5} {B:>4} {D:>4} {H:>4}  {ours * 1e3:>10.2f}"
        if theirs:
            row += f"  {theirs[0] * 1e3:>10.2f}  {ours / theirs[0]:>6.2f}"
        print(row)


if __name__ == "__main__":
    main()
