"""The worker process grade.py runs the learner's code in, and grade.py's side of it.

- wire.py     the framing of a message on a pipe: a length prefix, a JSON header, a payload
- process.py  grade.py's side: start the worker, send a case, wait for the reply with a deadline, end it
- main.py     the worker's side: `python -m grader.worker.main` imports the package and answers cases
"""
