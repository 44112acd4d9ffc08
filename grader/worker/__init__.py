"""The worker process grade.py runs the learner's code in, its sandbox, and grade.py's side of it.

- wire.py     the framing of a message on a pipe: a length prefix, a JSON header, a payload
- process.py  grade.py's side: start the worker, send a case, wait for the reply with a deadline, end it
- main.py     the worker's side: `python -m grader.worker.main` enters its sandbox, imports the package
              when told, and answers cases
- sandbox.py  what the worker may see, write, reach and signal: namespaces, a read-only view with the
              fixtures hidden, another user (`python -m grader.worker.sandbox` says what it gets here)
- limits.py   its resource limits, and the one line that names the one it went over
- reaper.py   grade.py as a child subreaper: ending every process the learner's code started
- linux.py    the Linux system calls Python's os module lacks (unshare, mount, prctl, ...)
"""
