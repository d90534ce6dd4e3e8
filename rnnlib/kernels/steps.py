"""The order in which the kernels read the steps, and the one sum over
steps that needs it: a weight gradient that pairs each step with h_{t-1}."""


def time_order(T, reverse):
    """(first, later, earlier): the first step read, and the slices of the
    other steps and of the steps just before them in reading order."""
    if reverse:
        return T - 1, slice(0, T - 1), slice(1, T)
    return 0, slice(1, T), slice(0, T - 1)


def sum_h_prev_outer(h0, h, d, reverse):
    """sum_t h_{t-1}.T @ d_t, (H, K): the transposed gradient of the weights
    that multiply h_{t-1}, from every step's d_t, time-major (T, B, K).

    h_{t-1} is h[t-1] for every step but the first read, where it is h0
    (B, H); h (T, B, H).  One matrix product over all the other steps.
    """
    T, H = h.shape[0], h.shape[2]
    first, later, earlier = time_order(T, reverse)
    total = h0.T @ d[first]
    if T > 1:
        total += h[earlier].reshape(-1, H).T @ d[later].reshape(-1, d.shape[2])
    return total
