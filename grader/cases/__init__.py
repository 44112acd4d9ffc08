"""The table of cases, in part order. pytest (tests/) and grade.py both read it from here.

One module per stretch of the assignment (building_blocks, transformer, language_model, training, sampling,
end_to_end), and the helpers they share: inputs (making inputs), learner (reaching the learner's code), judges,
shapes (the documented state-dict names and shapes), stand_ins (small models handed to the learner's training
functions).
"""

from course.parts import PARTS, PARTS_BY_NAME

from .building_blocks import CASES as BUILDING_BLOCKS
from .end_to_end import CASES as END_TO_END
from .language_model import CASES as LANGUAGE_MODEL
from .sampling import CASES as SAMPLING
from .training import CASES as TRAINING
from .transformer import CASES as TRANSFORMER

CASES = [*BUILDING_BLOCKS, *TRANSFORMER, *LANGUAGE_MODEL, *TRAINING, *SAMPLING, *END_TO_END]
CASES_BY_ID = {case.id: case for case in CASES}

assert len(CASES_BY_ID) == len(CASES), "two cases share a part and a name"
assert all(case.part in PARTS_BY_NAME for case in CASES), "a case names a part missing from course/parts.py"
assert all(any(c.part == part.name for c in CASES) for part in PARTS), "a part in course/parts.py has no case"


def cases_of(part: str) -> list:
    return [case for case in CASES if case.part == part]
