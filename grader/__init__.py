"""The autograder: one table of cases drives both pytest (tests/) and grade.py.

- parts.py      the parts, their points and prerequisites (the one place points live)
- cases/        the table of cases: what to feed, what to call, how to judge
- checks.py     judging helpers that turn a mismatch into a message for a learner
- execute.py    runs one case against an implementation (in pytest, or in the worker)
- worker.py     the child process grade.py runs learner code in
- runner.py     drives the worker, with time limits, and judges what comes back
- fixtures.py   stored inputs and expected outputs, checked against a sha256 manifest
- mistakes/     the catalogue of known learner mistakes, with their hints, one module per part file
- hints.py      names a known mistake when a failing output matches its signature
- environment.py  re-runs grade.py and train.py under uv when this Python lacks torch
"""
