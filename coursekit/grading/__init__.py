"""The parts of `coursekit.grade` (the command line and its description):

matching.py   which exercise a submission is; the notebook that runs for it
library.py    the snapshot of the course's files each kernel imports
worker.py     one notebook in one worker process and its kernel
scheduler.py  many notebooks, `jobs` at a time, with their clocks
results.py    what a run gave: outcomes, scores, statuses, messages
report.py     the gradebook, the feedback reports, student IDs and roster
"""
