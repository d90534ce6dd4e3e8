"""Attention: a decoder step looks back at every encoder state.

At decoder step t, with query q_t (the decoder's state) and the encoder's
states k_1 … k_S as keys and values:

    e_{t,s} = score(q_t, k_s)                        alignment scores
    a_{t,s} = exp(e_{t,s}) / sum_{s'} exp(e_{t,s'})  attention weights
              (over the real source steps only: padding gets a_{t,s} = 0)
    c_t     = sum_s a_{t,s} v_s                      the context vector

Two scores:

    additive (Bahdanau et al., 2015)  e_{t,s} = v^T tanh(W_q q_t + W_k k_s)
    dot product (Luong et al., 2015)  e_{t,s} = q_t . k_s        (Dq = Dk)
      scaled (Vaswani et al., 2017)   e_{t,s} = q_t . k_s / sqrt(Dk)

Shapes, batch first: queries q (B, T, Dq), or (B, Dq) for one decoder
step; keys k (B, S, Dk); values (B, S, Dv) (often the keys themselves);
mask (B, S), 1 for real source steps, 0 for padding.  Scores and weights
are (B, T, S) (or (B, S)); contexts (B, T, Dv) (or (B, Dv)).  W_q (A, Dq),
W_k (A, Dk), v (A,) with A the attention size.

Each function returns its result and a cache; the matching backward takes
the upstream gradient and the cache (CS231n style).  The layers
`AdditiveAttention` and `DotProductAttention` chain score, masked softmax
and context and own their parameters.
"""

import numpy as np

from .checks import as_float_array, check_finite, check_mask, check_positive_int
from .init import as_rng, xavier_uniform

SCORES = ("additive", "dot", "scaled_dot")


# -- input checks ---------------------------------------------------------------
def _check_queries(q, D=None, source=""):
    """q as floats, (B, T, Dq) or (B, Dq); returns q as 3-D and whether it was 2-D."""
    q = as_float_array("q", q)
    if q.ndim not in (2, 3):
        raise ValueError(
            f"q must have shape (B, T, Dq) or (B, Dq) (one decoder step); got {q.shape}"
        )
    if D is not None and q.shape[-1] != D:
        raise ValueError(
            f"q must have shape (B, T, Dq) or (B, Dq) with Dq = {source} = {D};"
            f" got {q.shape}"
        )
    check_finite("q", q)
    one_step = q.ndim == 2
    return (q[:, None, :] if one_step else q), one_step


def _check_keys(name, k, B, D=None, source="", S=None):
    """k as floats of shape (B, S, D), B from the queries."""
    k = as_float_array(name, k)
    ok = k.ndim == 3 and k.shape[0] == B
    ok = ok and (D is None or k.shape[2] == D) and (S is None or k.shape[1] == S)
    if not ok:
        sizes = [f"B = q.shape[0] = {B}"]
        if S is not None:
            sizes.append(f"S = {S}")
        if D is not None:
            sizes.append(f"D = {source} = {D}")
        raise ValueError(
            f"{name} must have shape (B, S, D) with {', '.join(sizes)}; got {k.shape}"
        )
    if k.shape[1] == 0:
        raise ValueError(f"{name} must hold at least one source step; got {k.shape}")
    check_finite(name, k)
    return k


def check_attention_mask(mask, B, S):
    """A (B, S) 0/1 mask as floats (ones for None) with a real step in every row."""
    if mask is None:
        return np.ones((B, S))
    mask = check_mask("mask", mask, (B, S))
    empty = np.flatnonzero(mask.sum(axis=1) == 0)
    if empty.size:
        raise ValueError(
            "mask must mark at least one real source step in every row (B, S);"
            f" rows {empty[:5].tolist()} are all padding, so there is nothing to"
            " attend to"
        )
    return mask


# -- scores -------------------------------------------------------------------
def additive_scores_forward(q, k, W_q, W_k, v):
    """Additive (Bahdanau) scores e_{t,s} = v^T tanh(W_q q_t + W_k k_s).

    For a batch: z = tanh((q @ W_q.T)[:, :, None] + (k @ W_k.T)[:, None]),
    e = z @ v.

    q (B, T, Dq) or (B, Dq), k (B, S, Dk), W_q (A, Dq), W_k (A, Dk), v (A,).
    Returns e (B, T, S) (or (B, S) for 2-D q) and a cache for
    additive_scores_backward.
    """
    W_q = as_float_array("W_q", W_q)
    W_k = as_float_array("W_k", W_k)
    v = as_float_array("v", v)
    if v.ndim != 1:
        raise ValueError(f"v must have shape (A,); got {v.shape}")
    A = v.shape[0]
    if W_q.ndim != 2 or W_q.shape[0] != A:
        raise ValueError(
            f"W_q must have shape (A, Dq) with A = v.shape[0] = {A}; got {W_q.shape}"
        )
    if W_k.ndim != 2 or W_k.shape[0] != A:
        raise ValueError(
            f"W_k must have shape (A, Dk) with A = v.shape[0] = {A}; got {W_k.shape}"
        )
    q3, one_step = _check_queries(q, W_q.shape[1], "W_q.shape[1]")
    k = _check_keys("k", k, q3.shape[0], W_k.shape[1], "W_k.shape[1]")
    z = np.tanh((q3 @ W_q.T)[:, :, None, :] + (k @ W_k.T)[:, None, :, :])
    e = z @ v
    return (e[:, 0] if one_step else e), (q3, k, W_q, W_k, v, z, one_step)


def additive_scores_backward(de, cache):
    """Backward of additive_scores_forward.  With dz = de v^T (1 - z**2):

        dv = sum_{b,t,s} de_{t,s} z_{t,s},   dq_t = W_q^T sum_s dz_{t,s},
        dk_s = W_k^T sum_t dz_{t,s},  dW_q = sum dz q^T,  dW_k = sum dz k^T

    de like e.  Returns dq (like q), dk (B, S, Dk), dW_q, dW_k, dv.
    """
    q, k, W_q, W_k, v, z, one_step = cache
    de = np.asarray(de)
    expected = z.shape[:3]
    if de.shape != ((expected[0], expected[2]) if one_step else expected):
        raise ValueError(
            f"de must have the shape of the scores e,"
            f" {(expected[0], expected[2]) if one_step else expected}; got {de.shape}"
        )
    if one_step:
        de = de[:, None]
    dv = np.einsum("bts,btsa->a", de, z)
    dz = de[..., None] * v * (1.0 - z * z)
    dpq = dz.sum(axis=2)  # (B, T, A)
    dpk = dz.sum(axis=1)  # (B, S, A)
    dq = dpq @ W_q
    dk = dpk @ W_k
    dW_q = np.einsum("bta,btd->ad", dpq, q)
    dW_k = np.einsum("bsa,bsd->ad", dpk, k)
    return (dq[:, 0] if one_step else dq), dk, dW_q, dW_k, dv


def dot_scores_forward(q, k, scaled=False):
    """Dot-product (Luong) scores e_{t,s} = q_t . k_s, divided by sqrt(D) if
    `scaled` (Vaswani et al.): e = q @ k^T (/ sqrt(D)).

    q (B, T, D) or (B, D), k (B, S, D): queries and keys of the same size.
    Returns e (B, T, S) (or (B, S)) and a cache for dot_scores_backward.
    """
    q3, one_step = _check_queries(q)
    k = _check_keys("k", k, q3.shape[0], q3.shape[2], "q.shape[-1]")
    scale = 1.0 / np.sqrt(q3.shape[2]) if scaled else 1.0
    e = (q3 @ k.transpose(0, 2, 1)) * scale
    return (e[:, 0] if one_step else e), (q3, k, scale, one_step)


def dot_scores_backward(de, cache):
    """Backward of dot_scores_forward: dq = de @ k * scale, dk = de^T @ q * scale.

    de like e.  Returns dq (like q) and dk (B, S, D).
    """
    q, k, scale, one_step = cache
    de = np.asarray(de)
    expected = (
        (q.shape[0], k.shape[1]) if one_step else (q.shape[0], q.shape[1], k.shape[1])
    )
    if de.shape != expected:
        raise ValueError(
            f"de must have the shape of the scores e, {expected}; got {de.shape}"
        )
    de = de[:, None] if one_step else de
    dq = (de @ k) * scale
    dk = (de.transpose(0, 2, 1) @ q) * scale
    return (dq[:, 0] if one_step else dq), dk


# -- weights ------------------------------------------------------------------
def masked_softmax_forward(e, mask=None):
    """Attention weights a_{t,s} = exp(e_{t,s}) / sum_{s' real} exp(e_{t,s'})
    over the real source steps; a_{t,s} = 0 where mask[b, s] = 0.

    e (B, T, S) or (B, S); mask (B, S) of 0/1 or None (all real).  A row with
    no real step is an error.  Stable for any finite scores.
    Returns a (like e) and a cache for masked_softmax_backward.
    """
    e = as_float_array("e", e)
    if e.ndim not in (2, 3):
        raise ValueError(f"e must have shape (B, T, S) or (B, S); got {e.shape}")
    check_finite("e", e)
    mask = check_attention_mask(mask, e.shape[0], e.shape[-1])
    real = (mask > 0) if e.ndim == 2 else (mask > 0)[:, None, :]
    shifted = np.where(real, e, -np.inf)
    shifted = shifted - shifted.max(axis=-1, keepdims=True)
    w = np.exp(shifted)  # exactly 0 at padding
    a = w / w.sum(axis=-1, keepdims=True)
    return a, a


def masked_softmax_backward(da, cache):
    """Backward of masked_softmax_forward, the softmax Jacobian row by row:

        de_{t,s} = a_{t,s} (da_{t,s} - sum_{s'} a_{t,s'} da_{t,s'})

    which is 0 at padding (a = 0 there).  da like a.  Returns de.
    """
    a = cache
    da = np.asarray(da)
    if da.shape != a.shape:
        raise ValueError(f"da must have the shape of a, {a.shape}; got {da.shape}")
    return a * (da - (a * da).sum(axis=-1, keepdims=True))


# -- context ------------------------------------------------------------------
def context_forward(a, values):
    """The context vector c_t = sum_s a_{t,s} v_s, for a batch c = a @ values.

    a (B, T, S) or (B, S); values (B, S, Dv).
    Returns c (B, T, Dv) (or (B, Dv)) and a cache for context_backward.
    """
    a = as_float_array("a", a)
    if a.ndim not in (2, 3):
        raise ValueError(f"a must have shape (B, T, S) or (B, S); got {a.shape}")
    one_step = a.ndim == 2
    a3 = a[:, None] if one_step else a
    values = _check_keys("values", values, a3.shape[0], S=a3.shape[2])
    c = a3 @ values
    return (c[:, 0] if one_step else c), (a3, values, one_step)


def context_backward(dc, cache):
    """Backward of context_forward: da = dc @ values^T, dvalues = a^T @ dc.

    dc like c.  Returns da (like a) and dvalues (B, S, Dv).
    """
    a, values, one_step = cache
    dc = np.asarray(dc)
    B, T, _ = a.shape
    expected = (B, values.shape[2]) if one_step else (B, T, values.shape[2])
    if dc.shape != expected:
        raise ValueError(f"dc must have the shape of c, {expected}; got {dc.shape}")
    dc = dc[:, None] if one_step else dc
    da = dc @ values.transpose(0, 2, 1)
    dvalues = a.transpose(0, 2, 1) @ dc
    return (da[:, 0] if one_step else da), dvalues


# -- the whole step -----------------------------------------------------------
def attention_forward(q, k, values=None, mask=None, score="additive", params=None):
    """Scores, masked softmax and context in one call.

    score "additive" needs params {"W_q", "W_k", "v"}; "dot" and
    "scaled_dot" need none.  values default to the keys.
    Returns c (like q with Dv last), a (the weights, like e) and a cache for
    attention_backward.
    """
    if score not in SCORES:
        raise ValueError(
            f"score must be one of {', '.join(map(repr, SCORES))}; got {score!r}"
        )
    if score == "additive":
        if params is None or not {"W_q", "W_k", "v"} <= set(params):
            raise ValueError(
                'score="additive" needs params with keys "W_q", "W_k", "v";'
                f" got {None if params is None else sorted(params)}"
            )
        e, score_cache = additive_scores_forward(
            q, k, params["W_q"], params["W_k"], params["v"]
        )
    else:
        e, score_cache = dot_scores_forward(q, k, scaled=score == "scaled_dot")
    a, softmax_cache = masked_softmax_forward(e, mask)
    c, context_cache = context_forward(a, k if values is None else values)
    shared = values is None
    return c, a, (score, score_cache, softmax_cache, context_cache, shared)


def attention_backward(dc, cache, da=None):
    """Backward of attention_forward.  dc like c; da, optional, an extra
    gradient on the weights a (e.g. from a penalty on them).

    Returns dq, dk, dvalues (None when the values were the keys: their
    gradient is in dk) and dparams ({"W_q", "W_k", "v"} or {}).
    """
    score, score_cache, softmax_cache, context_cache, shared = cache
    da_context, dvalues = context_backward(dc, context_cache)
    if da is not None:
        da_context = da_context + np.asarray(da)
    de = masked_softmax_backward(da_context, softmax_cache)
    if score == "additive":
        dq, dk, dW_q, dW_k, dv = additive_scores_backward(de, score_cache)
        dparams = {"W_q": dW_q, "W_k": dW_k, "v": dv}
    else:
        dq, dk = dot_scores_backward(de, score_cache)
        dparams = {}
    if shared:
        return dq, dk + dvalues, None, dparams
    return dq, dk, dvalues, dparams


class AdditiveAttention:
    """Bahdanau attention with its own parameters, values = keys:

        e_{t,s} = v^T tanh(W_q q_t + W_k k_s),  a = masked softmax(e),
        c_t = sum_s a_{t,s} k_s

        c, a = att.forward(q, keys, mask)   q (B, T, Dq) or (B, Dq), keys (B, S, Dk)
        dq, dkeys = att.backward(dc)        fills att.grads

    params: "W_q" (A, Dq), "W_k" (A, Dk) Xavier uniform, "v" (A,) uniform
    in ±1/sqrt(A).  `weights` holds the last forward's a.
    """

    score = "additive"

    def __init__(
        self, query_size, key_size, attention_size, seed=None, dtype=np.float64
    ):
        for name, value in (
            ("query_size", query_size),
            ("key_size", key_size),
            ("attention_size", attention_size),
        ):
            check_positive_int(name, value)
        rng = as_rng(seed)
        bound = 1.0 / np.sqrt(attention_size)
        self.params = {
            "W_q": xavier_uniform((attention_size, query_size), rng, dtype=dtype),
            "W_k": xavier_uniform((attention_size, key_size), rng, dtype=dtype),
            "v": rng.uniform(-bound, bound, attention_size).astype(dtype),
        }
        self.grads = {key: np.zeros_like(p) for key, p in self.params.items()}
        self.weights = None
        self._cache = None

    def __repr__(self):
        A, Dq = self.params["W_q"].shape
        return (
            f"AdditiveAttention(query_size={Dq}, "
            f"key_size={self.params['W_k'].shape[1]}, attention_size={A})"
        )

    def forward(self, q, keys, mask=None):
        c, self.weights, self._cache = attention_forward(
            q, keys, None, mask, "additive", self.params
        )
        return c, self.weights

    def backward(self, dc, da=None):
        if self._cache is None:
            raise RuntimeError("call forward before backward")
        dq, dkeys, _, dparams = attention_backward(dc, self._cache, da)
        for key, g in dparams.items():
            self.grads[key] = g.astype(self.params[key].dtype, copy=False)
        return dq, dkeys


class DotProductAttention:
    """Luong dot-product attention (scaled by 1/sqrt(D) if `scaled`), values
    = keys, no parameters: c, a = att.forward(q, keys, mask); dq, dkeys =
    att.backward(dc).  q (B, T, D) or (B, D), keys (B, S, D)."""

    def __init__(self, scaled=True):
        self.score = "scaled_dot" if scaled else "dot"
        self.params, self.grads = {}, {}
        self.weights = None
        self._cache = None

    def __repr__(self):
        return f"DotProductAttention(scaled={self.score == 'scaled_dot'})"

    def forward(self, q, keys, mask=None):
        c, self.weights, self._cache = attention_forward(
            q, keys, None, mask, self.score
        )
        return c, self.weights

    def backward(self, dc, da=None):
        if self._cache is None:
            raise RuntimeError("call forward before backward")
        dq, dkeys, _, _ = attention_backward(dc, self._cache, da)
        return dq, dkeys
