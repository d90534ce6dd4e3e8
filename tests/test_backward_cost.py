"""A backward pass must cost what backpropagation costs.

Exercises 02, 09, 11 and 12 ask the learner to derive a backward pass.
Differentiating the forward numerically instead (central differences, or
the complex step, exact to rounding, with the missing bias recovered from
the cached gates) passes every comparison, so the hidden tests of each
derived part include one large case (over 100,000 entries) that
backpropagation answers in a fraction of a second and numerical
differentiation, one forward pass per entry, does not answer within the
grader's cell timeout.  Graded here: exercise 11's GRU step backward by
the complex step, with `--cell-timeout 10`, against the solution.
"""

from pathlib import Path

import grading_runs
from grading_runs import submission

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = "11_character_language_model_exercises"

COMPLEX_STEP = '''\
def gru_step_backward(dh_next, cache):
    """The gradients of sum(dh_next * h_next) by the complex step: one
    complex forward per entry, the biases recovered from the cached gates."""
    x_t, h_prev, W_x, W_h, r, z, n = cache
    H = h_prev.shape[1]
    off = np.concatenate(
        [
            np.log(r / (1 - r)) - x_t @ W_x[:H].T - h_prev @ W_h[:H].T,
            np.log(z / (1 - z)) - x_t @ W_x[H : 2 * H].T - h_prev @ W_h[H : 2 * H].T,
            np.arctanh(n) - x_t @ W_x[2 * H :].T - (r * h_prev) @ W_h[2 * H :].T,
        ],
        axis=1,
    )

    def loss(x, h, Wx, Wh, bx, bh):
        ax = x @ Wx.T + bx + off
        ah = h @ Wh[: 2 * H].T + bh[: 2 * H]
        rr = 1 / (1 + np.exp(-(ax[:, :H] + ah[:, :H])))
        zz = 1 / (1 + np.exp(-(ax[:, H : 2 * H] + ah[:, H:])))
        nn = np.tanh(ax[:, 2 * H :] + (rr * h) @ Wh[2 * H :].T + bh[2 * H :])
        return np.sum(dh_next * ((1 - zz) * nn + zz * h))

    args = [x_t, h_prev, W_x, W_h, np.zeros(3 * H), np.zeros(3 * H)]
    grads = []
    for k, a in enumerate(args):
        g = np.zeros(a.shape)
        for idx in np.ndindex(a.shape):
            cargs = [np.array(v, dtype=complex) for v in args]
            cargs[k][idx] += 1e-30j
            g[idx] = loss(*cargs).imag / 1e-30
        grads.append(g)
    return tuple(grads)
'''


def test_a_numerically_differentiated_backward_pass_runs_out_of_time(tmp_path):
    """The complex step passes the visible tests of Part 4 (small cases) and
    loses the part to the cell timeout on the hidden large case; the
    derived backward pass scores every point, Part 4 included."""
    subs = tmp_path / "class"
    solved = submission(subs, EXERCISE, "derived", {})
    numerical = submission(
        subs, EXERCISE, "complex_step", {"gru_step_backward": COMPLEX_STEP}
    )
    graded = grading_runs.grade(
        [solved, numerical],
        tmp_path / "gradebook.csv",
        "--cell-timeout",
        "10",
        "--feedback",
        tmp_path / "feedback",
    )
    rows = {Path(row["submission"]).parent.name: row for row in graded}
    derived, attack = rows["derived"], rows["complex_step"]
    assert derived["status"] == "ok", derived["message"]
    assert float(derived["total"]) == float(derived["max_total"]), derived
    assert float(derived["test_gru_step_backward"]) == 4, derived
    assert float(attack["test_gru_step_backward"]) == 0, attack
    assert attack["status"] == "timeout", attack
    assert "(test_gru_step_backward) ran longer than 10 s" in attack["message"], attack
    report = (tmp_path / "feedback" / "complex_step" / f"{EXERCISE}.md").read_text()
    assert "It was stopped after 10 s" in report, report
    # only Part 4 is lost: every other part keeps its points
    others = [
        k for k in derived if k.startswith("test_") and k != "test_gru_step_backward"
    ]
    assert others, derived
    for column in others:
        assert attack[column] == derived[column], (column, attack)
