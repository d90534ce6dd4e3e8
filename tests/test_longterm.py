"""rnnlib.longterm: gradient norms against independent computations, the
singular-value bound, the one-unit RNN's loss and gradient, clipping, and
a short run of the long-gap experiment."""

import numpy as np
import pytest

from rnnlib import LSTM, RNN, numerical_gradient, rel_error, rnn_backward, rnn_forward
from rnnlib.datasets import long_gap
from rnnlib.gradcheck import GRADIENT_TOLERANCE, gradient_error
from rnnlib.longterm import (
    gradient_descent_path,
    gradient_norms_by_distance,
    hidden_state_gradients,
    long_gap_sweep,
    one_unit_rnn_loss,
    recurrent_matrix,
    rnn_gradient_norms,
    singular_value_bound,
    train_long_gap,
)
from rnnlib.lstm import lstm_step_forward
from rnnlib.rnn import rnn_step_forward

B, T, D, H = 3, 6, 2, 4


@pytest.mark.parametrize("radius", [0.5, 1.0, 3.0])
def test_recurrent_matrix_has_every_singular_value_and_eigenvalue_at_the_radius(radius):
    W = recurrent_matrix(5, radius, seed=0)
    np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), radius, rtol=1e-12)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(W)), radius, rtol=1e-10)


def test_recurrent_matrix_is_seeded():
    np.testing.assert_array_equal(
        recurrent_matrix(4, 1.0, 1), recurrent_matrix(4, 1.0, 1)
    )
    assert not np.array_equal(recurrent_matrix(4, 1.0, 1), recurrent_matrix(4, 1.0, 2))


def test_recurrent_matrix_rejects_a_bad_radius():
    with pytest.raises(ValueError, match="radius"):
        recurrent_matrix(4, 0.0)


def _loss_with_nudge(cell, weights, x, dh_last, t, e):
    """L = sum(dh_last * h_{T-1}) with h_t replaced by h_t + e (a direct
    forward pass, independent of the backward code)."""
    h = np.zeros((x.shape[0], dh_last.shape[1]))
    c = np.zeros_like(h)
    for s in range(x.shape[1]):
        if cell == "rnn":
            h, _ = rnn_step_forward(x[:, s], h, *weights)
        else:
            h, c, _ = lstm_step_forward(x[:, s], h, c, *weights)
        if s == t:
            h = h + e
    return np.sum(dh_last * h)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("t", [0, 2, T - 1])
def test_hidden_state_gradients_match_numerical_gradient(cell, t, rng):
    layer = RNN(D, H, seed=1) if cell == "rnn" else LSTM(D, H, seed=1)
    weights = list(layer.params.values())
    x = rng.standard_normal((B, T, D))
    dh_last = rng.standard_normal((B, H))
    grads = hidden_state_gradients(cell, weights, x, dh_last)
    e = np.zeros((B, H))
    numeric = numerical_gradient(
        lambda e_: _loss_with_nudge(cell, weights, x, dh_last, t, e_), e
    )
    assert grads.shape == (T, B, H)
    assert gradient_error(grads[t], numeric) < GRADIENT_TOLERANCE


def test_hidden_state_gradients_agree_with_rnn_backward(rng):
    W_hx, W_hh, b_h = (v for v in RNN(D, H, seed=2).params.values())
    x = rng.standard_normal((B, T, D))
    dh_last = rng.standard_normal((B, H))
    grads = hidden_state_gradients("rnn", (W_hx, W_hh, b_h), x, dh_last)
    h, cache = rnn_forward(x, None, W_hx, W_hh, b_h)
    dh = np.zeros((B, T, H))
    dh[:, -1] = dh_last
    dx, *_ = rnn_backward(dh, cache)
    # dL/dx_t = (dL/dh_t * tanh'(a_t)) @ W_hx for every step
    expected = np.einsum("tbh,hd->btd", grads * (1 - h.transpose(1, 0, 2) ** 2), W_hx)
    assert rel_error(dx, expected) < 1e-10


def test_hidden_state_gradients_check_dh_last_shape(rng):
    weights = list(RNN(D, H, seed=0).params.values())
    with pytest.raises(ValueError, match="dh_last"):
        hidden_state_gradients(
            "rnn", weights, rng.standard_normal((B, T, D)), np.ones(H)
        )


def test_gradient_norms_by_distance_are_relative_to_the_last_step():
    grads = np.zeros((3, 2, 2))
    grads[2] = [[3.0, 4.0], [0.0, 1.0]]  # norms 5 and 1 at the loss
    grads[1] = [[0.0, 0.5], [0.0, 0.5]]  # 0.5 / 5 and 0.5 / 1
    grads[0] = [[5.0, 0.0], [2.0, 0.0]]  # 1 and 2
    np.testing.assert_allclose(gradient_norms_by_distance(grads), [1.0, 0.3, 1.5])


@pytest.mark.parametrize("radius", [0.5, 0.9, 1.0, 1.5, 3.0])
def test_measured_gradient_norms_stay_under_the_singular_value_bound(radius):
    W = recurrent_matrix(16, radius, seed=0)
    norms = rnn_gradient_norms(W, num_steps=40, batch_size=8, seed=0)
    bound = singular_value_bound(W, np.arange(40))
    assert norms[0] == pytest.approx(1.0)
    assert np.all(norms <= bound * (1 + 1e-9))


def test_small_radius_vanishes_and_large_radius_explodes():
    vanish = rnn_gradient_norms(recurrent_matrix(16, 0.5, seed=0), num_steps=41, seed=0)
    explode = rnn_gradient_norms(
        recurrent_matrix(16, 3.0, seed=0), num_steps=41, seed=0
    )
    assert vanish[40] < 1e-10
    assert explode[40] > 1e3


def test_singular_value_bound_is_the_largest_singular_value_to_the_k():
    W = np.diag([2.0, 0.5])
    np.testing.assert_allclose(singular_value_bound(W, [0, 1, 3]), [1.0, 2.0, 8.0])


@pytest.mark.parametrize("w, b", [(0.7, 0.1), (1.6, -0.2), (2.5, 0.3)])
def test_one_unit_rnn_gradient_matches_numerical_gradient(w, b):
    _, dw, db = one_unit_rnn_loss(w, b, num_steps=12)
    p = np.array([w, b])
    numeric = numerical_gradient(
        lambda q: one_unit_rnn_loss(q[0], q[1], num_steps=12)[0], p
    )
    assert gradient_error(np.array([dw, db]), numeric) < GRADIENT_TOLERANCE


def test_one_unit_rnn_loss_evaluates_a_grid_at_once():
    W, Bg = np.meshgrid(np.linspace(0, 3, 7), np.linspace(-1, 1, 5))
    loss, dw, db = one_unit_rnn_loss(W, Bg)
    assert loss.shape == dw.shape == db.shape == (5, 7)
    assert loss[2, 3] == pytest.approx(float(one_unit_rnn_loss(W[2, 3], Bg[2, 3])[0]))


def test_one_unit_rnn_has_a_cliff_where_the_gradient_explodes():
    b = np.linspace(-0.6, 0.1, 2001)
    loss, dw, db = one_unit_rnn_loss(2.0, b, num_steps=15)
    assert loss.max() - loss.min() > 3  # the two stable states, +1 and -1
    assert np.hypot(dw, db).max() > 100 * np.median(np.hypot(dw, db))


def test_clipped_descent_never_steps_further_than_lr_times_max_norm():
    path = gradient_descent_path(
        (1.7, -0.1), lr=0.05, steps=40, max_norm=1.0, num_steps=15
    )
    assert path.points.shape == (41, 2)
    assert path.step_sizes.max() <= 0.05 + 1e-12


def test_plain_descent_is_thrown_off_the_cliff():
    plain = gradient_descent_path((1.7, -0.1), lr=0.05, steps=40, num_steps=15)
    clipped = gradient_descent_path(
        (1.7, -0.1), lr=0.05, steps=40, max_norm=1.0, num_steps=15
    )
    assert plain.grad_norms.max() > 100
    assert plain.step_sizes.max() > 5  # one step moves (w, b) far away
    assert clipped.losses[-1] < plain.losses[-1]


def test_descent_path_records_loss_at_every_point():
    path = gradient_descent_path((0.5, 0.0), lr=0.1, steps=5)
    expected = [one_unit_rnn_loss(w, b)[0] for w, b in path.points]
    np.testing.assert_allclose(path.losses, expected)
    assert path.losses[-1] < path.losses[0]


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_training_on_a_short_gap_learns_the_task(cell):
    _, acc_before = train_long_gap(cell, 5, seed=0, max_steps=1, test_size=400)
    model, acc = train_long_gap(cell, 5, seed=0, max_steps=150, test_size=400)
    assert acc_before < 0.8
    assert acc >= 0.95
    x, y = long_gap(64, 5, seed=99)
    assert model.accuracy(x, y) >= 0.95


def test_train_long_gap_is_deterministic():
    _, a = train_long_gap("rnn", 6, seed=3, max_steps=10, test_size=200)
    _, b = train_long_gap("rnn", 6, seed=3, max_steps=10, test_size=200)
    assert a == b


def test_train_long_gap_sets_the_lstm_forget_bias():
    model, _ = train_long_gap("lstm", 3, seed=0, max_steps=1, forget_bias=4.0, lr=1e-6)
    b = model.rnn.params["b_l0"]
    H = model.hidden_size
    np.testing.assert_allclose(b[H : 2 * H], 4.0, atol=1e-3)


def test_long_gap_sweep_collects_accuracy_for_every_gap_and_seed():
    result = long_gap_sweep(
        "rnn", gaps=(3, 4), seeds=(0, 1), progress=False, max_steps=5
    )
    assert result.accuracy.shape == (2, 2)
    assert set(result.models) == {(3, 0), (3, 1), (4, 0), (4, 1)}
    assert np.all((0 <= result.accuracy) & (result.accuracy <= 1))


def test_train_long_gap_rejects_an_unknown_cell():
    with pytest.raises(ValueError, match="cell"):
        train_long_gap("gru", 5)


@pytest.mark.parametrize("t", [0, 3, T - 1])
def test_lstm_cell_state_gradients_match_numerical_gradient(t, rng):
    weights = list(LSTM(D, H, seed=4).params.values())
    x = rng.standard_normal((B, T, D))
    dh_last = rng.standard_normal((B, H))
    grads = hidden_state_gradients("lstm", weights, x, dh_last, wrt="c")

    def loss(e):  # L with c_t replaced by c_t + e (h_t recomputed from it)
        h, c = np.zeros((B, H)), np.zeros((B, H))
        W_x, W_h, b = weights
        for s in range(T):
            h, c, cache = lstm_step_forward(x[:, s], h, c, W_x, W_h, b)
            if s == t:
                c = c + e
                h = cache[8] * np.tanh(c)  # o_t * tanh(c_t)
        return np.sum(dh_last * h)

    numeric = numerical_gradient(loss, np.zeros((B, H)))
    assert gradient_error(grads[t], numeric) < GRADIENT_TOLERANCE


def test_cell_state_gradients_are_for_the_lstm_only(rng):
    weights = list(RNN(D, H, seed=0).params.values())
    with pytest.raises(ValueError, match="wrt"):
        hidden_state_gradients(
            "rnn", weights, rng.standard_normal((B, T, D)), np.ones((B, H)), wrt="c"
        )


def test_lstm_bridges_a_gap_of_40_where_the_rnn_does_not():
    _, rnn_acc = train_long_gap("rnn", 40, seed=0, test_size=300)
    _, lstm_acc = train_long_gap("lstm", 40, seed=0, test_size=300)
    assert rnn_acc < 0.65
    assert lstm_acc >= 0.95


def test_train_long_gap_needs_an_int_seed():
    with pytest.raises(TypeError, match="seed"):
        train_long_gap("rnn", 5, seed=np.random.default_rng(0))
