"""The package sleeps for an hour when imported: every case is an error saying the import did not finish,
within grade.py's import allowance (or the time limit of a case, if larger), not its start-up allowance.
"""

import time

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("silu", "softmax")
HONEST = ()
TIMEOUT = 10  # seconds per case: it never returns
SAYS = {"silu": "importing your package did not finish", "softmax": "importing your package did not finish"}

time.sleep(3600)
