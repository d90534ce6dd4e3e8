"""Fast paths for the recurrent layers: the same math as rnn.py, lstm.py and
gru.py, rearranged for speed (time-major arrays, one matrix product for all
input projections and for each weight gradient, buffers reused across steps
and, through buffers.py, across calls).

Read the textbook versions first; a test checks that both agree to 1e-12.
One module per cell: kernels/rnn.py, kernels/lstm.py, kernels/gru.py;
they share kernels/buffers.py (arrays reused across calls) and
kernels/steps.py (the reading order, and the weight gradient that pairs
each step with h_{t-1}).
"""
