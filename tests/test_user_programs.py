"""Every program in tests/user_programs/ must agree with central finite
differences (and autograd where it can run the program), or raise
srcgrad.SrcGradError for a construct outside the SPEC.

Run one program:  pytest tests/test_user_programs.py -k adam_unrolled
The whole table:  python tests/user_programs/run_checker.py
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from user_programs import harness  # noqa: E402

CASES = harness.load_all()


@pytest.mark.parametrize("name", sorted(CASES))
def test_user_program(name):
    c = CASES[name]
    o = harness.run_case(c)
    if o.status == "PASS" or o.status == "N/A":
        return
    if o.status == "REJECTED":
        assert c.outside_spec, f"{name}: supported code rejected with SrcGradError: {o.detail}\n{o.error}"
        # outside the SPEC: the message must locate the problem and say what to do
        assert "hint=yes" in o.detail, f"{name}: a rejection without a hint: {o.error}"
        return
    if o.status == "WRONG":
        pytest.fail(f"{name} ({c.desc}): silently wrong result: {o.detail}\n{o.error}")
    pytest.fail(f"{name} ({c.desc}): crashed with a non-SrcGradError exception: {o.detail}\n{o.error}")
