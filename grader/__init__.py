"""The autograder: one table of cases drives pytest (tests/), grade.py and the fixtures.

A case's way through it: pipeline.py executes it on the learner's package (in this process
for pytest, in_process.py; in a worker process for grade.py, in_worker.py and worker/), judges the
plain outputs against the stored expected ones, and names a known mistake when the output matches
one; scoring.py turns the results into points and report.py shows them.

- case.py         what a case is, what running it gives (Execution), and its verdict (Result)
- cases/          the table of cases: what to feed, what to call, how to judge, part by part
- pipeline.py     execute -> judged -> verdict: the one path from a case to its Result
- calls.py        which of the learner's public names ran during a case, and which raised
- builtin_calls.py  "from scratch" at run time: the forbidden torch built-ins a part's code ran in a case
- builtin_source.py "from scratch" in the source: the forbidden built-ins written in the learner's files
- checks.py       comparing an output with the reference, in a message written for a learner
- values.py       how an Execution crosses the process boundary as plain data (never pickle)
- fixtures.py     stored inputs and expected outputs, checked against a sha256 manifest
- hints.py        names a known mistake when a failing output matches its signature
- mistakes/       the catalogue of known learner mistakes, with their hints
- in_process.py   runs cases in this process (pytest, the self-tests)
- in_worker.py    runs cases in a worker process, with time limits (grade.py)
- worker/         the worker process, its sandbox and limits, and grade.py's side of it
- scoring.py      from results to points: weights, and the parts that block others
- report.py       grade.py's table, its JSON and Gradescope's results.json
- cli.py          grade.py's command line
- batch.py        grade.py --batch: grade a class's submissions in parallel, resumably
- batch_report.py the class's grades as a CSV, a table of pass rates per case, and a PNG
"""
