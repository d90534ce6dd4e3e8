"""Bad input gets a clear error naming the argument, the expected and the received."""

import numpy as np
import pytest

from rnnlib import (
    RNN,
    Dense,
    Embedding,
    bce_with_logits,
    rnn_backward,
    rnn_forward,
    rnn_step_forward,
    softmax_cross_entropy,
)

B, T, D, H = 2, 3, 4, 5


@pytest.fixture
def w():
    rng = np.random.default_rng(0)
    return rng.standard_normal((H, D)), rng.standard_normal((H, H)), np.zeros(H)


def test_x_with_two_dimensions_names_the_expected_layout(w):
    with pytest.raises(
        ValueError,
        match=r"x must have shape \(B, T, D\) with D = W_hx.shape\[1\] = 4; got \(2, 4\)",
    ):
        rnn_forward(np.zeros((B, D)), None, *w)


def test_x_with_wrong_feature_size_is_refused(w):
    with pytest.raises(ValueError, match=r"D = W_hx.shape\[1\] = 4; got \(2, 3, 7\)"):
        rnn_forward(np.zeros((B, T, 7)), None, *w)


def test_x_t_of_a_whole_sequence_is_refused(w):
    with pytest.raises(
        ValueError, match=r"x_t must have shape \(B, D\).*got \(2, 3, 4\)"
    ):
        rnn_step_forward(np.zeros((B, T, D)), np.zeros((B, H)), *w)


def test_h_prev_is_checked_like_the_lstms(w):
    x_t = np.zeros((B, D))
    with pytest.raises(
        ValueError, match=r"h_prev must be an array .* = \(2, 5\); got None"
    ):
        rnn_step_forward(x_t, None, *w)
    with pytest.raises(ValueError, match="h_prev must be finite"):
        rnn_step_forward(x_t, np.full((B, H), np.nan), *w)


def test_wrong_h0_shape_is_refused(w):
    with pytest.raises(
        ValueError, match=r"h0 must have shape \(B, H\) = \(2, 5\).*got \(5,\)"
    ):
        rnn_forward(np.zeros((B, T, D)), np.zeros(H), *w)


def test_non_square_W_hh_is_refused(w):
    W_hx, _, b_h = w
    with pytest.raises(
        ValueError, match=r"W_hh must have shape \(H, H\) = \(5, 5\).*got \(5, 4\)"
    ):
        rnn_forward(np.zeros((B, T, D)), None, W_hx, np.zeros((H, D)), b_h)


def test_wrong_bias_is_refused(w):
    W_hx, W_hh, _ = w
    with pytest.raises(
        ValueError, match=r"b_h must have shape \(H,\) = \(5,\).*got \(4,\)"
    ):
        rnn_forward(np.zeros((B, T, D)), None, W_hx, W_hh, np.zeros(D))


def test_unknown_activation_is_refused(w):
    with pytest.raises(
        ValueError, match=r"activation must be one of 'tanh', 'relu'; got 'sigmoid'"
    ):
        rnn_forward(np.zeros((B, T, D)), None, *w, activation="sigmoid")
    with pytest.raises(ValueError, match="activation"):
        RNN(D, H, activation="Tanh")


def test_non_finite_input_is_refused(w):
    x = np.zeros((B, T, D))
    x[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match="x must be finite; it holds 1 NaN or inf"):
        rnn_forward(x, None, *w)
    with pytest.raises(ValueError, match="x must be finite"):
        RNN(D, H, seed=0).forward(x)


def test_strings_and_booleans_are_type_errors(w):
    with pytest.raises(TypeError, match="x must hold real numbers; got dtype <U1"):
        rnn_forward(np.full((B, T, D), "a"), None, *w)
    with pytest.raises(TypeError, match="x must hold real numbers; got dtype bool"):
        RNN(D, H, seed=0).forward(np.zeros((B, T, D), dtype=bool))


def test_wrong_dh_shape_in_backward_is_refused(w):
    _, cache = rnn_forward(np.zeros((B, T, D)), None, *w)
    with pytest.raises(
        ValueError,
        match=r"dh must have shape \(B, T, H\) = \(2, 3, 5\).*got \(2, 3, 4\)",
    ):
        rnn_backward(np.zeros((B, T, D)), cache)


def test_layer_checks_x_h0_and_dout():
    rnn = RNN(D, H, num_layers=2, bidirectional=True, seed=0)
    with pytest.raises(ValueError, match=r"D = input_size = 4; got \(2, 3, 5\)"):
        rnn.forward(np.zeros((B, T, 5)))
    with pytest.raises(
        ValueError,
        match=r"h0 must have shape \(num_layers\*dirs, B, H\) = \(4, 2, 5\).*got \(2, 2, 5\)",
    ):
        rnn.forward(np.zeros((B, T, D)), np.zeros((2, B, H)))
    rnn.forward(np.zeros((B, T, D)))
    with pytest.raises(
        ValueError,
        match=r"dout must have shape \(B, T, dirs\*H\) = \(2, 3, 10\).*got \(2, 3, 5\)",
    ):
        rnn.backward(np.zeros((B, T, H)))
    with pytest.raises(ValueError, match=r"dh_n must have shape"):
        rnn.backward(np.zeros((B, T, 2 * H)), np.zeros((1, B, H)))


def test_layer_backward_before_forward_says_so():
    with pytest.raises(RuntimeError, match="call forward before backward"):
        RNN(D, H, seed=0).backward(np.zeros((B, T, H)))


def test_layer_sizes_must_be_positive_ints():
    with pytest.raises(ValueError, match="hidden_size must be an int >= 1; got 0"):
        RNN(D, 0)
    with pytest.raises(TypeError, match="num_layers must be an int >= 1; got 1.5"):
        RNN(D, H, num_layers=1.5)
    with pytest.raises(
        TypeError, match="seed must be an int, None or a np.random.Generator"
    ):
        RNN(D, H, seed="zero")


def test_loss_targets_are_checked():
    logits = np.zeros((B, T, 3))
    with pytest.raises(
        TypeError, match="targets must be integer class indices; got dtype float64"
    ):
        softmax_cross_entropy(logits, np.zeros((B, T)))
    with pytest.raises(
        ValueError, match=r"targets must have shape \(B, T\) = \(2, 3\).*got \(3, 2\)"
    ):
        softmax_cross_entropy(logits, np.zeros((T, B), dtype=int))
    with pytest.raises(
        ValueError,
        match=r"targets must lie in \[0, C\) with C = logits.shape\[-1\] = 3; got values from 3 to 3",
    ):
        softmax_cross_entropy(logits, np.full((B, T), 3))
    with pytest.raises(
        ValueError, match=r"targets must have shape .* = \(2, 3\).*got \(2, 3, 1\)"
    ):
        bce_with_logits(np.zeros((B, T)), np.zeros((B, T, 1)))
    with pytest.raises(
        ValueError, match=r"targets must lie in \[0, 1\].*got values from 0 to 2"
    ):
        bce_with_logits(np.zeros((B, T)), np.array([[0, 1, 2], [1, 0, 1.0]]))
    with pytest.raises(ValueError, match="targets must be finite"):
        bce_with_logits(np.zeros((B, T)), np.full((B, T), np.nan))
    with pytest.raises(ValueError, match="mask must be finite"):
        softmax_cross_entropy(
            logits, np.zeros((B, T), int), mask=np.full((B, T), np.nan)
        )
    with pytest.raises(
        ValueError,
        match=r"mask must have the leading shape of the logits, \(B, T\) = \(2, 3\)",
    ):
        bce_with_logits(np.zeros((B, T)), np.zeros((B, T)), mask=np.ones((T, B)))
    with pytest.raises(ValueError, match="logits must be finite"):
        bce_with_logits(np.full((B, T), np.inf), np.zeros((B, T)))


def test_dense_and_embedding_check_their_inputs():
    with pytest.raises(
        ValueError,
        match=r"h must have shape \(..., H\) with H = W.shape\[1\] = 4; got \(2, 3, 5\)",
    ):
        Dense(4, 2, seed=0).forward(np.zeros((B, T, 5)))
    emb = Embedding(10, 3, seed=0)
    with pytest.raises(
        TypeError, match="ids must be integer token ids; got dtype float64"
    ):
        emb.forward(np.zeros((B, T)))
    with pytest.raises(
        ValueError,
        match=r"ids must lie in \[0, V\) with V = W.shape\[0\] = 10; got values from 0 to 10",
    ):
        emb.forward(np.array([[0, 10]]))


@pytest.mark.parametrize("loss", [softmax_cross_entropy, bce_with_logits])
@pytest.mark.parametrize(
    ("mask", "shown"), [(np.full((B, T), 0.5), "0.5"), ([[3, 1, 0], [1, 1, 2]], "2, 3")]
)
def test_losses_refuse_a_mask_with_values_other_than_0_and_1(loss, mask, shown):
    logits = np.zeros((B, T, 4)) if loss is softmax_cross_entropy else np.zeros((B, T))
    targets = np.zeros((B, T), int) if loss is softmax_cross_entropy else logits
    with pytest.raises(
        ValueError,
        match=rf"mask must hold only 0 \(padding\) and 1 \(real steps\).*got also {shown}$",
    ):
        loss(logits, targets, mask=mask)


def test_layers_refuse_a_mask_with_values_other_than_0_and_1():
    rnn = RNN(D, H, seed=0)
    with pytest.raises(ValueError, match=r"mask must hold only 0 .*got also -1$"):
        rnn.forward(np.zeros((B, T, D)), mask=np.array([[1, 1, -1], [1, 0, 0]]))


def test_a_boolean_mask_gives_what_its_0_1_numbers_give():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((B, T, 4))
    targets = rng.integers(0, 4, (B, T))
    flags = np.array([[True, True, False], [True, False, False]])
    loss_b, d_b = softmax_cross_entropy(logits, targets, mask=flags)
    loss_f, d_f = softmax_cross_entropy(logits, targets, mask=flags.astype(float))
    assert loss_b == loss_f and np.array_equal(d_b, d_f)
    loss_b, d_b = bce_with_logits(logits[..., 0], 1.0 * (targets > 1), mask=flags)
    loss_f, d_f = bce_with_logits(logits[..., 0], 1.0 * (targets > 1), mask=flags * 1.0)
    assert loss_b == loss_f and np.array_equal(d_b, d_f)
    rnn = RNN(D, H, seed=0)
    x = rng.standard_normal((B, T, D))
    out_b, h_b = rnn.forward(x, mask=flags)
    out_f, h_f = rnn.forward(x, mask=flags.astype(float))
    assert np.array_equal(out_b, out_f) and np.array_equal(h_b, h_f)
    # and the mask counts: the state stops at each sequence's last real step
    assert np.array_equal(h_b[0, 1], out_b[1, 0])
