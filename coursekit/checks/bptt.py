"""Exercise 02 (backpropagation through time): the checks its test cells call.

The exercise's cell is a leaky-integrator RNN, h_t = (1 - alpha) h_{t-1} +
alpha tanh(x_t W_hx^T + h_{t-1} W_hh^T + b_h), whose forward the exercise
gives (`leaky_step_forward`, `leaky_forward`).  With alpha = 1 it is
exercise 01's tanh step, so rnnlib's backward is the reference there and
the usual mistakes of `mistakes_rnn` are named.  With alpha < 1 the learner's
gradients are compared with numerical gradients of the given forward: this
module holds no backward pass of the leaky cell.

random_rnn                     the test data (as in the exercise's set-up)
check_step_backward_plain      leaky_step_backward at alpha = 1 against
                               rnnlib.rnn_step_backward
check_step_backward_numerically  leaky_step_backward against numerical
                               gradients of L = sum(dh_next * h_next)
check_bptt_plain               leaky_backward at alpha = 1 against
                               rnnlib.rnn_backward
check_bptt_numerically         leaky_backward against numerical gradients of
                               L = sum(dh * h)
"""

import numpy as np

import rnnlib

from .mistakes_rnn import rnn_backward_mistakes, rnn_step_backward_mistakes
from .values import check_array, check_gradient, check_returns, copies

STEP_NAMES = ("dx_t", "dh_prev", "dW_hx", "dW_hh", "db_h")
BPTT_NAMES = ("dx", "dh0", "dW_hx", "dW_hh", "db_h")
NO_LEAK = (
    "the (1 - alpha) path left out: h_prev reaches h_next twice, through the"
    " tanh and directly, and dh_prev adds what comes back along both"
)
TANH_OF_H_NEXT = (
    "tanh' taken of h_next: in the leaky step h_next is not the tanh's output;"
    " the cache keeps that output as h_tilde"
)
NO_ALPHA = (
    "alpha left out of the path through the tanh: the tanh's output is"
    " multiplied by alpha before it reaches h_next"
)


def random_rnn(B, T, D, H, seed=0):
    """Test data: x (B, T, D), h0 (B, H), W_hx (H, D), W_hh (H, H), b_h (H,)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((B, H))
    W_hx = rng.standard_normal((H, D)) / np.sqrt(D)
    W_hh = rng.standard_normal((H, H)) / np.sqrt(H)
    b_h = 0.1 * rng.standard_normal(H)
    return x, h0, W_hx, W_hh, b_h


def _step_data(B, D, H, seed):
    x, h0, W_hx, W_hh, b_h = random_rnn(B, 1, D, H, seed)
    dh_next = np.random.default_rng(seed + 100).standard_normal((B, H))
    return x[:, 0], h0, W_hx, W_hh, b_h, dh_next


def check_step_backward_plain(leaky_step_forward, leaky_step_backward, B, D, H, seed):
    """At alpha = 1 the leaky step is exercise 01's tanh step: its five gradients
    against rnnlib.rnn_step_backward, the usual mistakes named."""
    x_t, h0, W_hx, W_hh, b_h, dh_next = _step_data(B, D, H, seed)
    _, ref_cache = rnnlib.rnn_step_forward(x_t, h0, W_hx, W_hh, b_h)
    expected = rnnlib.rnn_step_backward(dh_next, ref_cache)
    mistakes = rnn_step_backward_mistakes(dh_next, x_t, h0, W_hx, W_hh, b_h)
    _, cache = leaky_step_forward(*copies(x_t, h0, W_hx, W_hh, b_h), 1.0)
    got = leaky_step_backward(dh_next.copy(), cache)
    got = check_returns("leaky_step_backward", got, STEP_NAMES)
    for name, g, e in zip(STEP_NAMES, got, expected, strict=True):
        size = f"alpha = 1, B={B}, D={D}, H={H}"
        check_array(f"{name} ({size})", g, e, mistakes=mistakes[name])


def _step_loss(leaky_step_forward, dh_next, arrays, alpha, leak=True, tanh_alpha=True):
    """L = sum(dh_next * h_next) of the given step, as a function for
    numerical_gradient; leak=False drops the (1 - alpha) h_prev term and
    tanh_alpha=False the factor alpha on the tanh (two usual mistakes)."""
    x_t, h_prev, W_hx, W_hh, b_h = arrays

    def loss(_):
        h_next, _ = leaky_step_forward(x_t, h_prev, W_hx, W_hh, b_h, alpha)
        if not leak:
            h_next = h_next - (1 - alpha) * h_prev
        if not tanh_alpha:
            h_next = h_next + (1 / alpha - 1) * (h_next - (1 - alpha) * h_prev)
        return np.sum(dh_next * h_next)

    return loss


def step_numerical_gradients(leaky_step_forward, dh_next, arrays, alpha, **wrong):
    """The numerical gradients of L = sum(dh_next * h_next) with respect to
    x_t, h_prev, W_hx, W_hh and b_h (`arrays`, in that order)."""
    loss = _step_loss(leaky_step_forward, dh_next, arrays, alpha, **wrong)
    return [rnnlib.numerical_gradient(loss, a) for a in arrays]


def check_step_backward_numerically(
    leaky_step_forward, leaky_step_backward, B, D, H, seed, alpha
):
    """The five gradients of one leaky step against numerical gradients of
    L = sum(dh_next * h_next); the (1 - alpha) path left out, alpha left
    out of the tanh path and tanh' taken of h_next are named.  Returns
    (dh_next, cache), the arguments of the call."""
    arrays = list(_step_data(B, D, H, seed))
    dh_next = arrays.pop()
    nums = step_numerical_gradients(leaky_step_forward, dh_next, arrays, alpha)
    no_leak = step_numerical_gradients(
        leaky_step_forward, dh_next, arrays, alpha, leak=False
    )
    no_alpha = step_numerical_gradients(
        leaky_step_forward, dh_next, arrays, alpha, tanh_alpha=False
    )
    # tanh' of h_next instead of h_tilde: the right gradients of an upstream
    # gradient reweighted by (1 - h_next**2) / (1 - h_tilde**2), but for the
    # direct path of dh_prev, which keeps dh_next
    h_next, (*_, h_tilde) = leaky_step_forward(*copies(*arrays), alpha)
    dh_tanh = dh_next * (1 - h_next**2) / (1 - h_tilde**2)
    of_h_next = step_numerical_gradients(leaky_step_forward, dh_tanh, arrays, alpha)
    of_h_next[1] = of_h_next[1] + (1 - alpha) * (dh_next - dh_tanh)
    _, cache = leaky_step_forward(*copies(*arrays), alpha)
    got = leaky_step_backward(dh_next.copy(), cache)
    got = check_returns("leaky_step_backward", got, STEP_NAMES)
    size = f"alpha = {alpha}, B={B}, D={D}, H={H}"
    for k, (name, g) in enumerate(zip(STEP_NAMES, got, strict=True)):
        mistakes = {NO_ALPHA: no_alpha[k], TANH_OF_H_NEXT: of_h_next[k]}
        if name == "dh_prev":
            mistakes[NO_LEAK] = no_leak[k]
        check_gradient(f"{name} ({size})", g, nums[k], mistakes=mistakes)
    return dh_next, leaky_step_forward(*copies(*arrays), alpha)[1]


def check_bptt_plain(leaky_forward, leaky_backward, B, T, D, H, seed):
    """At alpha = 1 the leaky RNN is the plain tanh RNN: the five gradients of
    BPTT against rnnlib.rnn_backward, the usual mistakes named.  Returns
    (dh, cache), the arguments of the call."""
    x, h0, W_hx, W_hh, b_h = random_rnn(B, T, D, H, seed)
    dh = np.random.default_rng(seed + 100).standard_normal((B, T, H))
    _, ref_cache = rnnlib.rnn_forward(x, h0, W_hx, W_hh, b_h)
    expected = rnnlib.rnn_backward(dh, ref_cache)
    mistakes = rnn_backward_mistakes(dh, x, h0, W_hx, W_hh, b_h)
    _, cache = leaky_forward(*copies(x, h0, W_hx, W_hh, b_h), 1.0)
    got = check_returns("leaky_backward", leaky_backward(dh.copy(), cache), BPTT_NAMES)
    size = f"alpha = 1, B={B}, T={T}, D={D}, H={H}"
    for name, g, e in zip(BPTT_NAMES, got, expected, strict=True):
        check_array(f"{name} ({size})", g, e, mistakes=mistakes[name])
    return dh, leaky_forward(x, h0, W_hx, W_hh, b_h, 1.0)[1]


def check_bptt_numerically(leaky_forward, leaky_backward, B, T, D, H, seed, alpha):
    """The five gradients of BPTT against numerical gradients of
    L = sum(dh * h), h = leaky_forward's states.  Returns (dh, cache), the
    arguments of the call."""
    arrays = random_rnn(B, T, D, H, seed)
    dh = np.random.default_rng(seed + 100).standard_normal((B, T, H))

    def loss(_):
        return np.sum(dh * leaky_forward(*arrays, alpha)[0])

    nums = [rnnlib.numerical_gradient(loss, a) for a in arrays]
    _, cache = leaky_forward(*copies(*arrays), alpha)
    got = check_returns("leaky_backward", leaky_backward(dh.copy(), cache), BPTT_NAMES)
    size = f"alpha = {alpha}, B={B}, T={T}, D={D}, H={H}"
    for name, g, num in zip(BPTT_NAMES, got, nums, strict=True):
        check_gradient(f"{name} ({size}), against the numerical gradient", g, num)
    return dh, leaky_forward(*arrays, alpha)[1]


# Part 1: for a cubic the central difference is exact up to rounding,
# ((x + e)**3 - (x - e)**3) / (2 e) = 3 x**2 + e**2, so with eps = 1e-3 a right
# answer is within about 1e-13 of 3 a**2 + eps**2 and a one-sided difference
# more than 1e-4 away.  At the default eps = 1e-6 rounding leaves a right
# answer up to about 5e-9 from the exact derivative (measured over 300
# seeds): EXACT_TOL, an absolute tolerance, sits 100x above that.
EXACT_TOL = 1e-6
ONE_SIDED = "a one-sided difference (f(x + eps) - f(x)) / eps: use the central one"


def cube_sum(v):
    """sum(v**3), whose gradient is 3 v**2."""
    return np.sum(v**3)


def check_central_difference(numerical_gradient):
    """numerical_gradient of sum(a**3) with eps = 1e-3 against exactly what a
    central difference gives, 3 a**2 + eps**2 (a one-sided difference
    named); a must hold its old values afterwards.  Returns (cube_sum, a),
    the arguments of the call."""
    a = np.random.default_rng(0).standard_normal((2, 3))
    a_before, eps = a.copy(), 1e-3
    got = numerical_gradient(cube_sum, a, eps=eps)
    check_array("a after numerical_gradient (it must be restored)", a, a_before)
    steps = eps * np.eye(a.size).reshape(-1, *a.shape)  # eps * e_i for every i
    one_sided = np.array([(cube_sum(a + e) - cube_sum(a)) / eps for e in steps])
    check_array(  # an exact value, not a numerical gradient: check_array's words
        "the central difference of sum(a**3) with eps = 1e-3",
        got,
        3 * a**2 + eps**2,
        atol=EXACT_TOL,
        rtol=0,
        mistakes={ONE_SIDED: one_sided.reshape(a.shape)},
    )
    return cube_sum, a
