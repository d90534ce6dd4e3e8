"""The speed benchmarks compare like with like: their naive loop and their
matrix-product floors compute what rnnlib computes."""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

from rnnlib import rnn_backward, rnn_forward

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
bench_rnn = importlib.import_module("bench_rnn")
bench_lstm = importlib.import_module("bench_lstm")
bench_gru = importlib.import_module("bench_gru")
timing = importlib.import_module("timing")

T, B, D, H = 6, 4, 3, 5


@pytest.fixture
def problem(rng):
    x = rng.standard_normal((B, T, D))
    dout = rng.standard_normal((B, T, H))
    W_hx, W_hh = rng.standard_normal((H, D)) * 0.5, rng.standard_normal((H, H)) * 0.5
    b_h = rng.standard_normal(H) * 0.1
    return x, dout, W_hx, W_hh, b_h


def test_naive_loop_gives_rnnlibs_gradients(problem):
    x, dout, W_hx, W_hh, b_h = problem
    h, cache = rnn_forward(x, None, W_hx, W_hh, b_h)
    dx, _, dW_hx, dW_hh, db_h = rnn_backward(dout, cache)
    naive = bench_rnn.naive_forward_backward(x, dout, W_hx, W_hh, b_h)
    for theirs, ours in zip(naive, (dx, dW_hx, dW_hh, db_h), strict=True):
        assert np.abs(theirs - ours).max() < 1e-12


@pytest.mark.parametrize(
    "bench, gates", [(bench_rnn, 1), (bench_lstm, 4), (bench_gru, 3)], ids=str
)
def test_matrix_products_are_those_of_a_forward_and_backward_pass(rng, bench, gates):
    G = gates * H
    x_tm = rng.standard_normal((T, B, D))
    h, da = rng.standard_normal((T, B, H)), rng.standard_normal((T, B, G))
    W_x, W_h = rng.standard_normal((G, D)), rng.standard_normal((G, H))
    shapes = bench_lstm.product_shapes(T, B, D, H, gates)
    out = {name: np.empty(shape) for name, shape in shapes.items()}
    bench.matrix_products(x_tm, h, da, W_x, W_h, out)
    assert np.allclose(
        out["projection"], np.einsum("tbd,gd->tbg", x_tm, W_x).reshape(-1, G)
    )
    assert np.allclose(out["step"], h[-2] @ W_h.T)  # the last forward step
    assert np.allclose(out["step_back"], da[1] @ W_h)  # the last backward step
    assert np.allclose(out["dx"], np.einsum("tbg,gd->tbd", da, W_x).reshape(-1, D))
    assert np.allclose(out["dW_x_T"].T, np.einsum("tbg,tbd->gd", da, x_tm))
    assert np.allclose(out["dW_h_T"].T, np.einsum("tbg,tbk->gk", da[1:], h[:-1]))


@pytest.mark.parametrize(
    "bench", [bench_rnn, bench_lstm, bench_gru], ids=["rnn", "lstm", "gru"]
)
def test_bench_prints_every_row_and_the_verdict(capsys, monkeypatch, bench):
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")  # main() would set it for good
    bench.main(["--repeats", "1"])
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.split()[:1] in (["50"], ["100"], ["200"])]
    assert len(rows) == 2 * len(bench.SIZES)
    assert any(line.startswith(("all met", "missed:")) for line in lines)


def test_products_share_is_reported_only_for_a_missed_torch_target():
    size = bench_rnn.SIZES[1]
    missed = {"ours": 0.060, "products": 0.048, "torch": 0.050}  # 1.2x, float32
    line = timing.products_share_of_torch(missed, size, "float32")
    assert "products alone take 0.96x torch's time" in line
    assert str(size) in line and "target 1.0x" in line
    met = dict(missed, ours=0.045)  # 0.9x
    assert timing.products_share_of_torch(met, size, "float32") is None
    assert timing.products_share_of_torch(missed, size, "float64") is not None
    no_torch = {"ours": 0.060, "products": 0.048}
    assert timing.products_share_of_torch(no_torch, size, "float32") is None


def test_blas_line_names_the_kernels_and_whether_the_environment_chose_them(
    monkeypatch,
):
    from threadpoolctl import threadpool_info

    blas = [info for info in threadpool_info() if info["user_api"] == "blas"]
    openblas = [info for info in blas if info["internal_api"] == "openblas"]
    if not openblas:
        pytest.skip(f"NumPy's BLAS here is not OpenBLAS: {blas}")
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    chosen = timing.blas_line()
    assert f"openblas {openblas[0]['version']}" in chosen
    assert f"{openblas[0]['architecture']} kernels" in chosen
    assert "OpenBLAS's choice" in chosen and "forced" not in chosen
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Sandybridge")
    forced = timing.blas_line()
    assert "forced by OPENBLAS_CORETYPE=Sandybridge" in forced
    assert "OpenBLAS's choice" not in forced
