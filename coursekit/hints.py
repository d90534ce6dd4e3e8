"""Hints for the exercises, in steps the learner opens on purpose.

An exercise's given cell defines

    hint = hints_for(2)      # exercise 02

and `hint(part, step)` shows hint `step` of Part `part`: step 1 is a nudge,
the middle steps the argument (the derivative, the shapes), the last step
the lines themselves.  Nothing is recorded: a hint is text, and asking for
one changes nothing anywhere.  The student's process imports this module
while it is graded (`coursekit.grading.library.RUNTIME`), so a `hint(...)`
left in a cell runs there as well.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass

# exercise -> part -> the hints of that part, in order; Markdown with $math$
HINTS: dict[int, dict[int, tuple[str, ...]]] = {
    2: {
        1: (
            "Visit every index of `x`, whatever its shape, with "
            "`for i in np.ndindex(x.shape):`. At each index you need two values "
            "of `f`: one with `x[i]` raised by `eps`, one with it lowered by "
            "`eps`. Start `grad` as zeros shaped like `x`.",
            "`f` reads `x` itself, so change the entry in `x`, not in a copy. "
            "Keep its old value first (`old = x[i]`): you need it to compute "
            "`old + eps` and `old - eps`, and to put it back afterwards.",
            "The lines inside the loop:\n\n"
            "```python\n"
            "old = x[i]\n"
            "x[i] = old + eps\n"
            "f_plus = f(x)\n"
            "x[i] = old - eps\n"
            "f_minus = f(x)\n"
            "x[i] = old\n"
            "grad[i] = (f_plus - f_minus) / (2 * eps)\n"
            "```",
        ),
        2: (
            "The forward step is three lines: $a = x_t W_{hx}^\\top + h_{t-1} "
            "W_{hh}^\\top + b_h$, $\\tilde h_t = \\tanh(a)$ and $h_t = (1 - "
            "\\alpha) h_{t-1} + \\alpha \\tilde h_t$. Go back through them in "
            "reverse: through the mix to $\\partial L / \\partial \\tilde h_t$, "
            "through the tanh to `da` $= \\partial L / \\partial a$, then "
            "through the first line to the five outputs. Do it on paper for "
            "one unit first, where every symbol is a number: notebook 02, "
            "“One RNN step backward: first with numbers, not arrays”, does the "
            "last two for the plain step.",
            "Through the mix: hold $h_{t-1}$ fixed and change $\\tilde h_t$ a "
            "little. By what factor does $h_t$ change? That factor carries "
            "`dh_next` back to $\\tilde h_t$. Through the tanh: how is "
            "$\\tanh'(a)$ written with $\\tanh(a)$ itself, and which array of "
            "the cache holds $\\tanh(a)$? (Not `h_next`: the mix changed it.) "
            "Entry $(b, j)$ depends on entry $(b, j)$ of $a$ only, so both "
            "steps are entrywise products, and `da` has the shape of "
            "`dh_next`, (B, H).",
            "Now the products. A gradient has the shape of its variable. For "
            "`dW_hx` (H, D) you hold `da` (B, H) and `x_t` (B, D): which "
            "product of these two, with or without a transpose, comes out "
            "(H, D)? Its "
            "inner index is the batch, so it adds up what the B sequences "
            "send back to each weight. Reason the same way for `dx_t` (B, D), "
            "which pairs `da` with a weight matrix, for `dW_hh` (H, H), and "
            "for `db_h` (H,), which has nothing to multiply (notebook 02, "
            "“The same step for a batch, in the row layout”). Part 1's "
            "numerical gradient checks each one before you go on.",
            "`h_prev` reaches `h_next` along two paths, and `dh_prev` is the "
            "sum of what the two send back. Through $a$: the same kind of "
            "product as `dx_t`, with the other weight matrix. Directly, "
            "through the mix: by what factor does $h_t$ change when $h_{t-1}$ "
            "changes and $\\tilde h_t$ is held fixed?",
            "The first and the last line. The two between them, `da` and "
            "`dh_prev`, are yours: hints 2 and 4 ask the questions whose "
            "answers they are, and Part 1's numerical gradient checks them.\n\n"
            "```python\n"
            "x_t, h_prev, W_hx, W_hh, alpha, h_tilde = cache\n"
            "return da @ W_hx, dh_prev, da.T @ x_t, da.T @ h_prev, "
            "da.sum(axis=0)\n"
            "```",
        ),
        3: (
            "Look at the unrolled graph (notebook 02, “The computation "
            "graph”): $h_t$ has two children, this step's output and step "
            "$t + 1$. The gradient reaching $h_t$ is the sum of what comes "
            "back along both: `dh[:, t]` from above, and the `dh_prev` that "
            "the backward of step $t + 1$ returned.",
            "So step $t$ needs the result of step $t + 1$: walk backwards, "
            "`for t in reversed(range(T)):`, and keep the last `dh_prev` in a "
            "variable that starts as zeros of shape (B, H), since nothing comes "
            "back from after the last step. Call your `leaky_step_backward` with "
            "`dh[:, t]` plus that variable, and `cache[t]`.",
            "`W_hx`, `W_hh` and `b_h` are the same arrays at every step, so "
            "their gradients are sums over the steps: start three arrays of "
            "zeros shaped like them and add (`+=`) each step's share. "
            "`dx[:, t]` is step $t$'s own `dx_t`, and the `dh_prev` of the "
            "first step ($t = 0$) is `dh0`.",
            "The lines (with `dh_future = np.zeros((B, H))` and the three "
            "gradients started at zeros before the loop):\n\n"
            "```python\n"
            "for t in reversed(range(T)):\n"
            "    dx_t, dh_future, dW_hx_t, dW_hh_t, db_h_t = leaky_step_backward(\n"
            "        dh[:, t] + dh_future, cache[t]\n"
            "    )\n"
            "    dx[:, t] = dx_t\n"
            "    dW_hx += dW_hx_t\n"
            "    dW_hh += dW_hh_t\n"
            "    db_h += db_h_t\n"
            "return dx, dh_future, dW_hx, dW_hh, db_h\n"
            "```",
        ),
    },
    9: {
        1: (
            "`H` is `h_prev.shape[1]`. One product gives the pre-activations "
            "of all four gates, `a` (B, 4H); the gates are its four blocks of "
            "H columns, in the order of the table: i, f, g, o, with tanh for "
            "g only. Slice the columns: `a[:, H : 2 * H]` is the forget "
            "gate's block. A peephole adds `p[k] * c` (an entrywise product, "
            "broadcast over the batch) to its gate's block before the "
            "sigmoid.",
            "Order matters: the input and forget gates peep at `c_prev`, "
            "which you have; the output gate peeps at `c_next`, so compute "
            "`c_next` before `o`. The cache ends with $\\tanh(c_t)$, which "
            "`h_next` needs anyway: compute it once and use it twice.",
            "The lines:\n\n"
            "```python\n"
            "H = h_prev.shape[1]\n"
            "a = x_t @ W_x.T + h_prev @ W_h.T + b\n"
            "i = sigmoid(a[:, :H] + p[0] * c_prev)\n"
            "f = sigmoid(a[:, H : 2 * H] + p[1] * c_prev)\n"
            "g = np.tanh(a[:, 2 * H : 3 * H])\n"
            "c_next = f * c_prev + i * g\n"
            "o = sigmoid(a[:, 3 * H :] + p[2] * c_next)\n"
            "tanh_c = np.tanh(c_next)\n"
            "h_next = o * tanh_c\n"
            "```\n\n"
            "and return `h_next`, `c_next` and the cache, in the order of "
            "Part 1's text.",
        ),
        2: (
            "Walk Part 1's lines from the last to the first: $h_t$, then the "
            "output gate, then $c_t$, then the input and forget gates and the "
            "candidate, then $a$. Each is notebook 02's scalar chain rule "
            "applied entry by entry; notebook 09 walks the plain step's lines "
            "in “One step backward, gate by gate”. When `dc_next` is `None`, "
            "use zeros of shape (B, H).",
            "For a product $u = v \\odot w$, the gradient of each factor is "
            "the upstream gradient times the other factor; through a sigmoid, "
            "multiply by its derivative, written with the saved output: "
            "$\\sigma'(z) = \\sigma(z)(1 - \\sigma(z))$; through a tanh, by "
            "one minus the saved tanh squared. A sum such as "
            "$z_o = a_o + p_2 \\odot c_t$ passes its gradient unchanged to "
            "each term, and multiplied by $p_2$ to $c_t$.",
            "A variable that feeds several quantities receives the sum of "
            "their gradients. $c_t$ feeds $\\tanh(c_t)$, $z_o$ and step "
            "$t + 1$: three terms in `dc`, so compute the output gate's "
            "pre-activation gradient first. $c_{t-1}$ feeds the cell "
            "($c_t = f \\odot c_{t-1} + \\dots$) and, through the peepholes, "
            "$z_i$ and $z_f$: three terms in `dc_prev`.",
            "`dp` (3, H): row 0 is the sum over the batch of the input "
            "gate's pre-activation gradient times the cell state its "
            "peephole saw, $c_{t-1}$; row 1 the same for the forget gate; "
            "row 2 for the output gate, whose peephole saw $c_t$ (the cache "
            "keeps `c_next` for it). Check each row against the numerical "
            "gradient of `p`.",
            "Shapes. The four (B, H) pre-activation gradients side by side, "
            "in the order of `a`'s columns (i, f, g, o: `np.concatenate(..., "
            "axis=1)`), make `da` (B, 4H), like `a`. From there the line "
            "$a = x_t W_x^\\top + h_{t-1} W_h^\\top + b$ is exercise 02's, "
            "with wider matrices: `dW_x` (4H, D) is `da` transposed times "
            "`x_t`, `dx_t` (B, D) is `da` times `W_x`, the same for `W_h` and "
            "`h_prev`, and `db` is `da` summed over the batch.",
            "The lines that are the plain LSTM's too (the others, `dc`, "
            "`da_i`, `da_f`, `da_g`, `dc_prev` and `dp`, are yours to derive "
            "with the steps above, and to check with numerical gradients):"
            "\n\n"
            "```python\n"
            "x_t, h_prev, c_prev, W_x, W_h, p, i, f, g, o, c_next, tanh_c = cache\n"
            "if dc_next is None:\n"
            "    dc_next = np.zeros_like(dh_next)\n"
            "da_o = dh_next * tanh_c * o * (1 - o)\n"
            "da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)\n"
            "return da @ W_x, da @ W_h, dc_prev, da.T @ x_t, da.T @ h_prev, dp, "
            "da.sum(axis=0)\n"
            "```",
        ),
        3: (
            "Start both states: zeros of shape (B, H) when `h0` or `c0` is "
            "`None`, with `H = W_h.shape[1]`. Then `for t in range(T):` one "
            "step reads `x[:, t]` and the two states of the step before, and "
            "returns the next two, which you store in `h[:, t]` and "
            "`c[:, t]` and feed to the next step.",
            "The lines (with `h`, `c` started as zeros of shape (B, T, H) "
            "and `caches` as an empty list):\n\n"
            "```python\n"
            "for t in range(T):\n"
            "    h_t, c_t, cache = peephole_lstm_step_forward(x[:, t], h_t, "
            "c_t, W_x, W_h, p, b)\n"
            "    h[:, t], c[:, t] = h_t, c_t\n"
            "    caches.append(cache)\n"
            "return h, c, caches\n"
            "```",
        ),
        4: (
            "Exercise 02's Part 3 with two states. Walk "
            "`for t in reversed(range(T)):`. $h_t$ feeds this step's output "
            "and step $t + 1$, so its gradient is `dh[:, t]` plus the "
            "`dh_prev` of step $t + 1$. Apart from its own $h_t$ and output "
            "gate, paths your step backward takes care of, $c_t$ feeds only "
            "step $t + 1$ (whose `dc_prev` holds every path into it): pass "
            "that `dc_prev` as `dc_next` (zeros at the last step).",
            "`W_x`, `W_h`, `p` and `b` serve every step: add up (`+=`) each "
            "step's share in arrays started at zeros. `dx[:, t]` is step "
            "$t$'s `dx_t`; what the first step returns as `dh_prev` and "
            "`dc_prev` is `dh0` and `dc0`.",
            "The lines (with `dh_future` and `dc_future` started as zeros of "
            "shape (B, H), and the weight gradients as zeros):\n\n"
            "```python\n"
            "for t in reversed(range(T)):\n"
            "    step = peephole_lstm_step_backward(dh[:, t] + dh_future, "
            "dc_future, caches[t])\n"
            "    dx[:, t], dh_future, dc_future, dW_x_t, dW_h_t, dp_t, db_t = "
            "step\n"
            "    dW_x += dW_x_t\n"
            "    dW_h += dW_h_t\n"
            "    dp += dp_t\n"
            "    db += db_t\n"
            "return dx, dh_future, dc_future, dW_x, dW_h, dp, db\n"
            "```",
        ),
    },
    11: {
        1: (
            "Forward, `W[ids]` picks one row per id: (B, T, E). Backward, entry "
            "$e[b, t, j]$ is $W[\\text{ids}[b, t], j]$, so it depends on that "
            "one entry of $W$, with derivative 1: position $(b, t)$ sends its "
            "`de[b, t]` back to row `ids[b, t]`, and to no other. Notebook 11, "
            "“The embedding's backward pass, derived”.",
            "A row read at several positions receives the sum of all their "
            "gradients; a row nobody read receives zero. As a product, "
            "$e = O W$ with one-hot rows $O$, so `dW` $= O^\\top$ `de`, "
            "(V, N)(N, E), with N = B·T positions (`de` flattened to (N, E)): "
            "the sum over the positions is the matrix product.",
            "Start `dW` as zeros (V, E) and add every position's `de[b, t]` into "
            "row `ids[b, t]`. `dW[ids] += de` does not add repeated ids: NumPy "
            "computes each new row once and writes it, so the last write wins. "
            "`np.add.at(target, indices, values)` adds every one, repeats "
            "included.",
            "The lines:\n\n"
            "```python\n"
            "return W[ids], (ids, W.shape[0])\n"
            "ids, V = cache\n"
            "dW = np.zeros((V, de.shape[-1]))\n"
            "np.add.at(dW, ids, de)\n"
            "return dW\n"
            "```\n\n"
            "(the first in `embedding_forward`, the rest in `embedding_backward`).",
        ),
        4: (
            "Work backwards one node at a time, as exercise 09 does for the LSTM: "
            "first $h_t = (1 - z) \\odot n + z \\odot h_{t-1}$. It is a sum of "
            "products, so each factor receives `dh_next` times the other factor: "
            "what reaches $n$, what reaches $z$, and what reaches $h_{t-1}$ "
            "directly? Then pass through the squashings: $\\tanh'$ and "
            "$\\sigma'$ can be written with the outputs $n$, $z$ and $r$ that "
            "the cache holds.",
            "The node that rnnlib's GRU does not have is $u = r \\odot h_{t-1}$ "
            "(B, H). It enters the candidate's pre-activation through "
            "$u W_{h,n}^\\top$, an affine map as in exercise 02: $u$ receives "
            "the candidate's pre-activation gradient times $W_{h,n}$ (B, H), and "
            "$W_{h,n}$ that gradient's transpose times $u$ (H, H). Then $u$ is an "
            "elementwise product: $r$ receives its gradient times $h_{t-1}$, and "
            "$h_{t-1}$ its gradient times $r$.",
            "Stack the three pre-activation gradients in the order r, z, n, "
            "(B, 3H). Every block of $b_x$ and of $b_h$ is added to the "
            "pre-activation as it is (in this form $b_{h,n}$ sits outside the "
            "product), so both bias gradients are the same sum over the batch. "
            "Rows r and z of `dW_h` pair with $h_{t-1}$, rows n with $u$. "
            "$h_{t-1}$ reaches $h_t$ by four paths: through $W_{h,r}$, through "
            "$W_{h,z}$, through $u$, and directly; `dh_prev` is their sum.",
            "The lines of the path through $u$ (with `H = h_prev.shape[1]` and "
            "`da_n` the candidate's pre-activation gradient, `da` the three "
            "stacked):\n\n"
            "```python\n"
            "du = da_n @ W_h[2 * H :]\n"
            "da_r = du * h_prev * r * (1 - r)\n"
            "dW_h = np.concatenate([da[:, : 2 * H].T @ h_prev, da_n.T @ (r * h_prev)])\n"
            "```\n\n"
            "The rest is exercise 02's affine map, one block at a time.",
        ),
    },
    12: {
        2: (
            "Forward: the mask is (B, S) and the scores (B, T, S), so insert the "
            "time axis, `mask[:, None, :]`, to broadcast it over the T queries. "
            "Put `-np.inf` at padding, subtract each row's maximum "
            "(`axis=-1, keepdims=True`), exponentiate, divide by the row's sum. "
            "Backward: drop $b$ and $t$ and work on one row, "
            "$a_s = e^{e_s} / \\sum_{s'} e^{e_{s'}}$, as notebook 12 does in "
            "“The backward pass of the weights: the softmax Jacobian”.",
            "The quotient rule gives, for $j = s$ and for $j \\ne s$ at once, "
            "$\\partial a_s / \\partial e_j = a_s([s = j] - a_j)$. A score "
            "$e_j$ changes every weight of its row, so "
            "$\\partial L / \\partial e_j = \\sum_s "
            "(\\partial L / \\partial a_s)\\, a_s ([s = j] - a_j)$.",
            "Split the sum: the term $s = j$ gives "
            "$a_j\\, \\partial L / \\partial a_j$; the rest gives $-a_j$ times "
            "$\\sum_s a_s\\, \\partial L / \\partial a_s$, one weighted sum per "
            "row, the same for every $j$. In NumPy that sum is "
            "`(a * da).sum(axis=-1, keepdims=True)`, (B, T, 1), which broadcasts "
            "over the row. At padding $a_j = 0$, so the gradient is 0 there by "
            "itself.",
            "The lines:\n\n"
            "```python\n"
            "scores = np.where(mask[:, None, :] > 0, e, -np.inf)\n"
            "w = np.exp(scores - scores.max(axis=-1, keepdims=True))\n"
            "return w / w.sum(axis=-1, keepdims=True)\n"
            "return a * (da - (a * da).sum(axis=-1, keepdims=True))\n"
            "```\n\n"
            "(the first three in `masked_softmax`, the last in "
            "`masked_softmax_backward`).",
        ),
    },
}


@dataclass(frozen=True)
class Hint:
    """One hint: shown as Markdown in Jupyter, as plain text elsewhere."""

    exercise: int
    part: int
    step: int
    steps: int
    text: str

    @property
    def title(self) -> str:
        more = "the last" if self.step == self.steps else f"next: step {self.step + 1}"
        return (
            f"Exercise {self.exercise:02d}, Part {self.part}, hint {self.step} "
            f"of {self.steps} ({more})"
        )

    def __str__(self) -> str:
        return f"{self.title}\n\n{self.text}"

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        return f"**{self.title}**\n\n{self.text}"


def _whole_number(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be a whole number; got {value!r}")
    return int(value)


def _listed(numbers) -> str:
    return ", ".join(str(n) for n in numbers)


def _parts(exercise) -> dict[int, tuple[str, ...]]:
    exercise = _whole_number(exercise, "the exercise")
    if exercise not in HINTS:
        known = _listed(f"{n:02d}" for n in sorted(HINTS))
        raise ValueError(f"hints exist for exercises {known}; got exercise {exercise}")
    return HINTS[exercise]


def get_hint(exercise: int, part: int, step: int = 1) -> Hint:
    """Hint `step` (1 first) of Part `part` of exercise `exercise`."""
    parts = _parts(exercise)
    part = _whole_number(part, "the part")
    if part not in parts:
        raise ValueError(
            f"exercise {exercise:02d} has hints for parts {_listed(sorted(parts))};"
            f" got part {part}"
        )
    steps = parts[part]
    step = _whole_number(step, "the step")
    if not 1 <= step <= len(steps):
        raise ValueError(
            f"Part {part} of exercise {exercise:02d} has hints 1 to {len(steps)}"
            f" (the last gives the lines); got step {step}"
        )
    return Hint(exercise, part, step, len(steps), steps[step - 1])


def hints_for(exercise: int) -> Callable[..., Hint]:
    """The `hint(part, step=1)` function of one exercise."""
    _parts(exercise)  # an exercise without hints fails here, not at the first hint

    def hint(part: int, step: int = 1) -> Hint:
        """Hint `step` (1 first, the lines last) for Part `part`."""
        return get_hint(exercise, part, step)

    return hint
