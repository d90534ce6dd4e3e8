"""The course's gradient check for the tests (rnnlib/gradcheck.py's policy)."""

import numpy as np

from rnnlib import softmax_cross_entropy
from rnnlib.gradcheck import GRADIENT_TOLERANCE, gradient_error, numerical_gradient


def assert_gradients_match(outputs, douts, checks, tol=GRADIENT_TOLERANCE):
    """Compare analytic gradients with central differences of
    L = sum_k sum(douts[k] * outputs()[k]), for each (name, value, grad)
    in checks; `outputs` reads the values, which are changed in place.

    The policy of docs/gradient_checks.md: numerical_gradient at
    GRADIENT_STEP and gradient_error(analytic, numeric) < GRADIENT_TOLERANCE,
    100x above what correct float64 gradients show on any CPU measured and
    100x below what a transposed weight or a missing time step gives.
    """
    df = np.concatenate([d.ravel() for d in douts])

    def flat_outputs(_):
        return np.concatenate([o.ravel() for o in outputs()])

    for name, value, grad in checks:
        assert grad.shape == value.shape, f"{name}: {grad.shape} != {value.shape}"
        numerical = numerical_gradient(flat_outputs, value, df=df)
        error = gradient_error(grad, numerical)
        assert error < tol, f"{name}: gradient error {error:.2e} >= {tol:.0e}"


def assert_backward_matches(forward, backward, inputs, douts, names):
    """backward(*douts, cache) against central differences, for each input.

    forward(*inputs) returns len(douts) outputs and then the cache (as
    rnn_step_forward's (h_next, cache) or lstm_step_forward's (h_next,
    c_next, cache)); backward returns one gradient per input, in order,
    named by names.
    """
    *_, cache = forward(*inputs)
    grads = backward(*douts, cache)

    def outputs():
        return forward(*inputs)[: len(douts)]

    assert_gradients_match(outputs, douts, list(zip(names, inputs, grads, strict=True)))


def assert_model_gradients_match(model, loss, label=""):
    """model.grads, as the last model.loss call left them, against central
    differences of the scalar loss() for every parameter in model.params
    (changed in place), each within GRADIENT_TOLERANCE."""
    grads = {k: g.copy() for k, g in model.grads.items()}
    for key, p in model.params.items():
        error = gradient_error(grads[key], numerical_gradient(lambda _: loss(), p))
        assert error < GRADIENT_TOLERANCE, f"{label}{key}: gradient error {error:.2e}"


def assert_encoder_decoder_gradients_match(model, batch):
    """An encoder-decoder's (EncoderDecoder or AttentionEncoderDecoder)
    model.loss gradients on batch = (src, src_mask, tgt_in, tgt_out,
    tgt_mask) against central differences of the masked cross-entropy of
    its forward logits, for every parameter."""
    src, src_mask, tgt_in, tgt_out, tgt_mask = batch
    model.loss(src, tgt_in, tgt_out, src_mask, tgt_mask)

    def loss():
        logits = model.forward(src, tgt_in, src_mask)
        return softmax_cross_entropy(logits, tgt_out, tgt_mask)[0]

    assert_model_gradients_match(model, loss)
