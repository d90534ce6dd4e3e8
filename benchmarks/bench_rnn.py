"""Speed of rnnlib's RNN: forward + backward against PyTorch and a naive loop.

    make bench            (or: .venv/bin/python benchmarks/bench_rnn.py)

For each size (T, B, D, H) and dtype it times one forward and one backward
pass of a one-layer tanh RNN, takes the median of repeated runs, and prints
the ratios in one table.  PyTorch (if installed) runs in the same process
with as many threads as NumPy's BLAS uses (OPENBLAS_NUM_THREADS; `make`
sets it to 1), and the three take turns within each repeat so a burst of
load elsewhere slows them alike.  The naive baseline loops
over every example and every time step in Python, one vector at a time.

Targets: rnnlib <= 0.7x PyTorch's time in float64 and <= 1.0x in float32,
within 2x of the products floor (below) at (100, 64, 64, 128), and >= 20x
faster than the naive loop at B = 64.

The "products ms" column times only the matrix products that any batched
forward + backward must do (input projection, one product per step each
way, dx, dW_hx, dW_hh) into preallocated arrays, with nothing else: no tanh,
no adds, no checks.  They are gated.py's `matrix_products` with one block
of H rows (an LSTM has four, a GRU three).  It is a floor for a NumPy implementation on this
machine, so "naive/products" is the most any such implementation could
reach against the naive loop.  The second line of the output names NumPy's
BLAS kernels (timing.blas_line); under a missed PyTorch target the bench
prints how much of PyTorch's time the products alone take.
"""

import argparse
import sys

import numpy as np
from gated import matrix_products, product_shapes
from timing import (
    SIZES,
    blas_line,
    import_torch,
    median_times,
    missed_targets,
    numpy_threads,
    products_share_of_torch,
    targets_line,
    torch_forward_backward,
)

from rnnlib import RNN

__all__ = ["SIZES", "main", "matrix_products", "naive_forward_backward"]

NAIVE_TARGET = 20  # naive time / rnnlib time at B = 64, at least


def naive_forward_backward(x, dout, W_hx, W_hh, b_h):
    """Per example, per step: the textbook loop, no batching, no hoisting."""
    B, T, _ = x.shape
    H = W_hh.shape[0]
    dW_hx, dW_hh, db = np.zeros_like(W_hx), np.zeros_like(W_hh), np.zeros_like(b_h)
    dx = np.zeros_like(x)
    for b in range(B):
        hs = [np.zeros(H, dtype=x.dtype)]
        for t in range(T):
            hs.append(np.tanh(W_hx @ x[b, t] + W_hh @ hs[-1] + b_h))
        carry = np.zeros(H, dtype=x.dtype)
        for t in reversed(range(T)):
            da = (dout[b, t] + carry) * (1 - hs[t + 1] ** 2)
            dW_hx += np.outer(da, x[b, t])
            dW_hh += np.outer(da, hs[t])
            db += da
            dx[b, t] = W_hx.T @ da
            carry = W_hh.T @ da
    return dx, dW_hx, dW_hh, db


def bench_size(T, B, D, H, dtype, repeats, torch):
    """Median seconds of forward + backward for rnnlib, the naive loop and torch."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, T, D)).astype(dtype)
    dout = rng.standard_normal((B, T, H)).astype(dtype)
    rnn = RNN(D, H, seed=0, dtype=dtype)
    p = rnn.params

    def ours():
        rnn.forward(x)
        rnn.backward(dout)

    def naive():
        naive_forward_backward(x, dout, p["W_hx_l0"], p["W_hh_l0"], p["b_h_l0"])

    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2))
    h, da = np.tanh(rng.standard_normal((2, T, B, H))).astype(dtype)
    W_hx, W_hh = p["W_hx_l0"], p["W_hh_l0"]
    out = {
        name: np.empty(shape, dtype=dtype)
        for name, shape in product_shapes(T, B, D, H, gates=1).items()
    }

    def products():
        matrix_products(x_tm, h, da, W_hx, W_hh, out)

    runs = {"ours": ours, "naive": naive, "products": products}
    if torch is not None:
        runs["torch"] = torch_forward_backward(torch, torch.nn.RNN, x, dout)
    return dict(zip(runs, median_times(list(runs.values()), repeats), strict=True))


def main(argv=None):
    parser = argparse.ArgumentParser(description="rnnlib RNN speed benchmark")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=numpy_threads())
    args = parser.parse_args(argv)
    blas = blas_line()  # before torch loads a BLAS of its own
    torch = import_torch(args.threads)
    print(f"numpy {np.__version__}, threads {args.threads}, median of {args.repeats}")
    print(blas)
    header = f"{'T':>4} {'B':>4} {'D':>4} {'H':>4} {'dtype':>8} {'rnnlib ms':>10}"
    header += f" {'naive ms':>10} {'naive/rnnlib':>13}"
    header += f" {'products ms':>12} {'naive/products':>15} {'rnnlib/products':>16}"
    if torch is not None:
        header += f" {'torch ms':>10} {'rnnlib/torch':>13}"
    print(header)
    missed, out_of_reach, shares = [], [], []
    for dtype in (np.float64, np.float32):
        dtype_name = np.dtype(dtype).name
        for T, B, D, H in SIZES:
            r = bench_size(T, B, D, H, dtype, args.repeats, torch)
            name = f"(T, B, D, H) = {(T, B, D, H)} {dtype_name}"
            missed += missed_targets(r, (T, B, D, H), dtype_name)
            shares.append(products_share_of_torch(r, (T, B, D, H), dtype_name))
            if B == 64 and r["naive"] / r["ours"] < NAIVE_TARGET:
                missed.append(f"{name}: naive/rnnlib below {NAIVE_TARGET}x")
                if r["naive"] / r["products"] < NAIVE_TARGET:
                    out_of_reach.append(name)
            line = f"{T:>4} {B:>4} {D:>4} {H:>4} {dtype_name:>8}"
            line += f" {r['ours'] * 1e3:>10.2f} {r['naive'] * 1e3:>10.1f}"
            line += f" {r['naive'] / r['ours']:>12.1f}x"
            line += (
                f" {r['products'] * 1e3:>12.2f} {r['naive'] / r['products']:>14.1f}x"
                f" {r['ours'] / r['products']:>15.2f}x"
            )
            if torch is not None:
                line += f" {r['torch'] * 1e3:>10.2f} {r['ours'] / r['torch']:>12.2f}x"
            print(line, flush=True)
    print(f"{targets_line()}; naive/rnnlib >= {NAIVE_TARGET}x at B = 64")
    print("all met" if not missed else "missed: " + "; ".join(missed))
    for name in out_of_reach:
        print(
            f"{name}: even the matrix products alone are less than {NAIVE_TARGET}x "
            "faster than the naive loop on this machine"
        )
    for share in filter(None, shares):
        print(share)
    return 0


if __name__ == "__main__":
    sys.exit(main())
