"""Cases for srcgrad/rules/operators.py."""
import operator

import numpy as np

from rule_cases import C, P, R, case


@case(operator.add, variants=[(R(3), R(3), C(3)), (R(3, 1), R(1, 4), C(3, 4)), (R(), R(2, 3), C(2, 3))],
      wrt=(0, 1))
def add_case(x, y, c):
    return np.sum((x + y) * c)
