"""The references of the graded variants and the models of their usual
mistakes: the instructor's, never the learner's.

Where an exercise grades a variant that rnnlib does not hold, the exact
answer, and every mistake model that is a small edit of it, lives here, one
module per exercise, named as its checks module in `coursekit.checks`:

    forward_propagation.py
                        01: the RNN cell with its sigmoid output, its loop
                        over time
    long_term.py        08: clipping each gradient array by its own norm
    language_model.py   11: the GRU step of Cho et al., the training epoch,
                        the sampling loop
    attention.py        12: the scores with a bias and Luong's scaled
                        general score, a decoder step, beam search with Wu
                        et al.'s length penalty

Each module's public functions take a case (sizes and a seed, as the check
of `coursekit.checks.<topic>` passes them) and return plain data: the
reference's outputs and {mistake: output}.  The checks ask for them through
`coursekit.checks.recordings.Answers`, which reads the visible tests' cases
from the recordings `python -m coursekit.exercises` writes and computes the
others (the hidden tests) here.

The student edition leaves this package out, and so does anything learners
install from it; the grader (coursekit.grade's judge, the Gradescope
autograder's, nbgrader's autograde on the instructor's copy) imports it.
The hidden tests may import a module of it themselves.
"""
