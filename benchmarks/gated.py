"""What bench_lstm.py and bench_gru.py share: a gated recurrent layer
(G gate blocks of H rows: 4 for the LSTM, 3 for the GRU) timed forward +
backward against PyTorch and against its matrix-product floor.  The floor's
products are those of the RNN too, with one block (bench_rnn.py).

For each size (T, B, D, H) and dtype (float64 and float32, in one run) it
times one forward and one backward pass of the rnnlib layer and, when
PyTorch is installed, of the torch.nn layer (batch_first=True) in the same
dtype on the CPU, PyTorch given as many threads as NumPy's BLAS uses
(OPENBLAS_NUM_THREADS; `make` sets it to 1).  Each time is the median of
`--repeats` runs after two warm-up runs, all columns taking turns within
each repeat so that a burst of load elsewhere slows them alike.

The "products ms" column times only the matrix products that any batched
forward + backward of the layer must do (input projection, one product per
step each way, dx, dW_x, dW_h), each in the orientation BLAS does fastest,
into preallocated arrays, with nothing else: a floor for a NumPy
implementation on this machine.

Targets: rnnlib <= 0.7x PyTorch's time in float64 and <= 1.0x in float32,
and within 2x of the products floor at (100, 64, 64, 128).  Under a missed
PyTorch target it prints how much of PyTorch's time the products alone
take; the second line of the output names NumPy's BLAS kernels
(timing.blas_line), on which that share depends.
"""

import argparse
import platform

import numpy as np
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


def product_shapes(T, B, D, H, gates):
    """The shapes of `matrix_products`' results."""
    G = gates * H
    return {
        "projection": (T * B, G),
        "step": (B, G),
        "step_back": (B, H),
        "dx": (T * B, D),
        "dW_x_T": (D, G),
        "dW_h_T": (H, G),
    }


def matrix_products(x_tm, h, da, W_x, W_h, out):
    """The matrix products of one batched forward + backward of a gated
    layer, nothing else.

    x_tm (T, B, D), h (T, B, H), da (T, B, G) with G = W_x.shape[0], h0 = 0;
    `out` holds preallocated results (`product_shapes`).  Forward: the input
    projection of all steps, then h_{t-1} @ W_h.T per step.  Backward:
    da_t @ W_h per step, then dx, and the weight gradients transposed,
    dW_x.T = x.T @ da and dW_h.T = sum_t h_{t-1}.T @ da_t, at once.
    """
    T, B, D = x_tm.shape
    G, H = W_h.shape
    x_flat, da_flat = x_tm.reshape(T * B, D), da.reshape(T * B, G)
    np.matmul(x_flat, W_x.T, out=out["projection"])
    for t in range(1, T):
        np.matmul(h[t - 1], W_h.T, out=out["step"])
    for t in range(T - 1, 0, -1):
        np.matmul(da[t], W_h, out=out["step_back"])
    np.matmul(da_flat, W_x, out=out["dx"])
    np.matmul(x_flat.T, da_flat, out=out["dW_x_T"])
    np.matmul(h[:-1].reshape(-1, H).T, da[1:].reshape(-1, G), out=out["dW_h_T"])


def bench_size(layer_class, torch_name, T, B, D, H, dtype, repeats, torch):
    """Median seconds of forward + backward for rnnlib, the products and torch."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, T, D)).astype(dtype)
    dout = rng.standard_normal((B, T, H)).astype(dtype)
    layer = layer_class(D, H, seed=0, dtype=dtype)

    def ours():
        layer.forward(x)
        layer.backward(dout)

    W_x, W_h = layer.params["W_x_l0"], layer.params["W_h_l0"]
    gates = W_x.shape[0] // H
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2))
    h = np.tanh(rng.standard_normal((T, B, H))).astype(dtype)
    da = rng.standard_normal((T, B, gates * H)).astype(dtype)
    out = {
        name: np.empty(shape, dtype=dtype)
        for name, shape in product_shapes(T, B, D, H, gates).items()
    }

    def products():
        matrix_products(x_tm, h, da, W_x, W_h, out)

    runs = {"ours": ours, "products": products}
    if torch is not None:
        torch_class = getattr(torch.nn, torch_name)
        runs["torch"] = torch_forward_backward(torch, torch_class, x, dout)
    return dict(zip(runs, median_times(list(runs.values()), repeats), strict=True))


def main(layer_class, argv=None, description=None):
    """Time `layer_class` (rnnlib.LSTM or rnnlib.GRU) against torch.nn's
    layer of the same name; print a table and which targets were missed."""
    name = layer_class.__name__
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=numpy_threads())
    parser.add_argument(
        "--dtype", choices=["float64", "float32"], default=None, help="default: both"
    )
    args = parser.parse_args(argv)
    dtypes = [np.float64, np.float32] if args.dtype is None else [np.dtype(args.dtype)]
    blas = blas_line()  # before torch loads a BLAS of its own
    torch = import_torch(args.threads)
    print(
        f"{name} forward + backward, median of {args.repeats}; numpy {np.__version__}"
        + (f", torch {torch.__version__}" if torch else "")
        + f"; threads {args.threads}; {platform.processor() or platform.machine()}"
    )
    print(blas)
    header = f"{'T':>4} {'B':>4} {'D':>4} {'H':>4} {'dtype':>8} {'rnnlib ms':>10}"
    header += f" {'products ms':>12} {'rnnlib/products':>16}"
    if torch is not None:
        header += f" {'torch ms':>10} {'rnnlib/torch':>13}"
    print(header)
    missed, shares = [], []
    for dtype in dtypes:
        dtype_name = np.dtype(dtype).name
        for T, B, D, H in SIZES:
            r = bench_size(layer_class, name, T, B, D, H, dtype, args.repeats, torch)
            missed += missed_targets(r, (T, B, D, H), dtype_name)
            shares.append(products_share_of_torch(r, (T, B, D, H), dtype_name))
            line = f"{T:>4} {B:>4} {D:>4} {H:>4} {dtype_name:>8}"
            line += f" {r['ours'] * 1e3:>10.2f} {r['products'] * 1e3:>12.2f}"
            line += f" {r['ours'] / r['products']:>15.2f}x"
            if torch is not None:
                line += f" {r['torch'] * 1e3:>10.2f} {r['ours'] / r['torch']:>12.2f}x"
            print(line, flush=True)
    print(targets_line())
    print("all met" if not missed else "missed: " + "; ".join(missed))
    for share in filter(None, shares):
        print(share)
    return 0
