"""The parts of `coursekit.grade` (the command line and its description):

matching.py   which exercise a submission is; the notebook that runs for it
library.py    the student's library: rnnlib without the graded references,
              coursekit's checks as stand-ins
sandbox.py    the bubblewrap sandbox the student's process runs in
wire.py       what crosses between judge and student: plain data only
peer.py       one end of their conversation: requests, replies, nested calls
student.py    the student's process: runs the notebook's cells, answers calls
judge.py      one notebook: its cells in the student's process, its tests here
scheduler.py  many notebooks, `jobs` at a time, with their clocks
results.py    what a run gave: outcomes, scores, statuses, messages
report.py     the gradebook, the feedback reports, student IDs and roster
lms_layout.py grades laid out for Canvas's or Moodle's import (`coursekit.lms`)
"""
