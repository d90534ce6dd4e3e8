"""Publishing the course: every way it leaves the repository.

One job per module:

- `execute`: the one notebook executor (a fresh kernel of this Python, in
  the notebook's folder), used by the slides, the book and `nbrefresh`;
- `pages`: a lecture notebook as the slides and the book show it (widgets,
  nbval markers, its title);
- `offline`: MathJax and the check that no page loads from the network;
- `fit`: each slide fitted into 1280×720;
- `slides`: reveal.js lectures (`make slides`);
- `book`: the course as an offline website (`make book`);
- `exercises`: `exercises/` generated from `solutions/` (`make exercises`);
- `student_edition`: the course without solutions (`make student-edition`);
- `nbgrader_course`: the exercises as an nbgrader course (`make nbgrader-course`);
- `nbrefresh`: re-run a notebook and keep only its checked outputs.

The marked regions of a notebook (solutions, hidden tests) are read by
`coursekit.notebooks`, which the grader shares.
"""
